"""Target progress: for every unit, program and target period, how many enterprises entered the pool.

Counting rule (shown on screen and in reports): an enterprise counts towards a target when it has a
cultivation entry in that program whose entry year lies inside the target period, whatever the
entry's later status (the target counts intake, so an enterprise that entered in 2018 and exited in
2020 still counts for 2017–2020). Each enterprise counts once per target, even with several entries
in the period. Enterprises in the recycle bin do not count. The unit is the enterprise's unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from zjtx_desktop.errors import UserError
from zjtx_desktop.models import Cultivation, Enterprise, Program, Region, Target
from zjtx_desktop.permissions import narrowed

COUNTING_RULE = "完成数按入库年份落在目标期间内的培育记录统计，每家企业每个目标只计一次；已退出的仍计入当年入库数；回收站中的企业不计。"


@dataclass(frozen=True)
class ProgressRow:
    """Target, done and rate for one program and period, for one unit (or, in totals, the city)."""

    unit_code: str | None
    unit: str | None
    program_code: str
    program: str
    start_year: int
    end_year: int
    target: int
    done: int
    # Done as it stood at the end of the year before `progress_by_unit(..., previous_year_end=)`: for the
    # change of rank. Not part of the CLI's JSON.
    done_before: int | None = None

    @property
    def rate(self) -> float | None:
        """done ÷ target as a fraction (0.5 = 50%), None when the target is zero."""
        return round(self.done / self.target, 4) if self.target else None

    @property
    def period_label(self) -> str:
        return period_label(self.start_year, self.end_year)

    def as_dict(self, *, with_unit: bool = True) -> dict[str, Any]:
        data = asdict(self)
        del data["done_before"]
        data["rate"] = self.rate
        if not with_unit:
            del data["unit_code"], data["unit"]
        return data


@dataclass(frozen=True)
class ProgressReport:
    rows: list[ProgressRow]
    totals: list[ProgressRow]

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "rows": [row.as_dict() for row in self.rows],
            "totals": [row.as_dict(with_unit=False) for row in self.totals],
        }

    def periods(self) -> list[tuple[str, int, int]]:
        """The distinct (program code, start, end) triples, in display order."""
        return [(t.program_code, t.start_year, t.end_year) for t in self.totals]


def period_label(start_year: int, end_year: int) -> str:
    return f"{start_year}年" if start_year == end_year else f"{start_year}—{end_year}年"


def resolve_program(session: Session, text: str) -> Program:
    """A program by code, name, short name or alias; a clear message otherwise."""
    wanted = text.strip()
    program = session.get(Program, wanted) or session.get(Program, wanted.upper())
    if program is not None:
        return program
    for candidate in session.scalars(select(Program)):
        if wanted in (candidate.name, candidate.short_name) or wanted in candidate.aliases:
            return candidate
    codes = "、".join(session.scalars(select(Program.code).order_by(Program.sort_order)))
    raise UserError(f"未知的培育层级“{text}”，可用代码：{codes}")


def progress_by_unit(
    session: Session,
    *,
    year: int | None = None,
    program_code: str | None = None,
    unit_codes: list[str] | None = None,
    previous_year_end: int | None = None,
) -> ProgressReport:
    """Progress against every target row, optionally only periods containing `year`, one program,
    or some units (a county installation sees its own unit only). One aggregate query.

    With `previous_year_end`, each row also says what was done by the end of that year (entries of
    later years left out), from the same query."""
    unit_codes = narrowed(session, unit_codes)  # a county account: its own unit's targets only
    target_filter = []
    if year is not None:
        target_filter += [Target.start_year <= year, Target.end_year >= year]
    if program_code is not None:
        target_filter.append(Target.program_code == program_code)
    if unit_codes is not None:
        target_filter.append(Target.region_code.in_(unit_codes))

    counted = Cultivation.enterprise_id
    before = (
        func.count(func.distinct(case((Cultivation.year <= previous_year_end, counted))))
        if previous_year_end is not None
        else literal(None)
    )
    done_query = (
        select(Target.id, func.count(func.distinct(counted)), before)
        .select_from(Cultivation)
        .join(Enterprise, Enterprise.id == Cultivation.enterprise_id)
        .join(
            Target,
            and_(
                Target.program_code == Cultivation.program_code,
                Target.region_code == Enterprise.region_code,
                Cultivation.year >= Target.start_year,
                Cultivation.year <= Target.end_year,
            ),
        )
        .where(Enterprise.deleted_at.is_(None), *target_filter)
        .group_by(Target.id)
    )
    done_by_target = {row[0]: (row[1], row[2]) for row in session.execute(done_query)}

    targets = session.execute(
        select(Target, Region, Program)
        .join(Region, Region.code == Target.region_code)
        .join(Program, Program.code == Target.program_code)
        .where(*target_filter)
        .order_by(Program.sort_order, Target.start_year, Target.end_year.desc(), Region.sort_order)
    )

    rows: list[ProgressRow] = []
    sums: dict[tuple[str, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[str, str] = {}
    for target, region, program in targets:
        done, done_before = done_by_target.get(target.id, (0, 0 if previous_year_end is not None else None))
        rows.append(
            ProgressRow(
                region.code,
                region.name,
                program.code,
                program.name,
                target.start_year,
                target.end_year,
                target.count,
                done,
                done_before,
            )
        )
        key = (program.code, target.start_year, target.end_year)
        sums[key][0] += target.count
        sums[key][1] += done
        sums[key][2] += done_before or 0
        names[program.code] = program.name
    totals = [
        ProgressRow(
            None,
            None,
            code,
            names[code],
            start,
            end,
            total_target,
            total_done,
            total_before if previous_year_end is not None else None,
        )
        for (code, start, end), (total_target, total_done, total_before) in sums.items()
    ]
    return ProgressReport(rows, totals)


def entries_by_year(
    session: Session, program_code: str, *, unit_codes: list[str] | None = None
) -> list[tuple[int, int]]:
    """(entry year, enterprises entering that year) for one program, oldest first — the trend chart.

    The same rule as the counts: enterprises in the recycle bin do not count, an enterprise once a year.
    """
    query = (
        select(Cultivation.year, func.count(func.distinct(Cultivation.enterprise_id)))
        .join(Enterprise, Enterprise.id == Cultivation.enterprise_id)
        .where(Cultivation.program_code == program_code, Enterprise.deleted_at.is_(None))
        .group_by(Cultivation.year)
        .order_by(Cultivation.year)
    )
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    return [(int(year), int(n)) for year, n in session.execute(query)]
