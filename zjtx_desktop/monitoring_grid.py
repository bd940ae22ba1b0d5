"""年度监测 by unit and year: every enterprise of a unit with its figures for one year, and saving a grid of edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, extract, or_, select
from sqlalchemy.orm import Session, aliased

from zjtx_desktop.enterprise_records import ANNUAL, add_record, update_record, validate_record
from zjtx_desktop.errors import UserError
from zjtx_desktop.fields import ANNUAL_FIELDS, FieldSpec, check_value
from zjtx_desktop.metrics import PREVIOUS_YEAR_KEYS
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, Region
from zjtx_desktop.registry import PermissionDenied, Problem, ValidationFailed, VersionConflict
from zjtx_desktop.settings import CITY_CODE, installation

EXITED = "已退出"
# The figures a grid row holds: every annual field but the year, which the grid itself fixes.
FIGURE_FIELDS: tuple[FieldSpec, ...] = tuple(spec for spec in ANNUAL_FIELDS if spec.key != "year")
FIGURE_KEYS: tuple[str, ...] = tuple(spec.key for spec in FIGURE_FIELDS)
FIELD_BY_KEY: dict[str, FieldSpec] = {spec.key: spec for spec in ANNUAL_FIELDS}
_YEAR_SPEC = FIELD_BY_KEY["year"]
CULTIVATED_RULE = (
    "该年度培育企业：入库年份不晚于该年度、且在该年度开始前没有退出培育的企业（退出日期在该年度内的仍算）。"
)


def _still_in(year: Any) -> ColumnElement[bool]:
    # An exited entry without an exit date does not count, so that a gap in the records never raises a
    # "missing figures" flag.
    return or_(
        Cultivation.status != EXITED,
        and_(Cultivation.exited_on.is_not(None), extract("year", Cultivation.exited_on) >= year),
    )


def cultivated_during(enterprise_id: Any, year: Any) -> ColumnElement[bool]:
    """SQL: the enterprise was in a cultivation pool during `year` (a number or a column); CULTIVATED_RULE."""
    return (
        select(Cultivation.id)
        .where(Cultivation.enterprise_id == enterprise_id, Cultivation.year <= year, _still_in(year))
        .exists()
    )


def cultivated_ids(year: int) -> Select[int]:
    """SQL: the enterprises in a cultivation pool during `year`, to join once instead of testing each row."""
    return select(Cultivation.enterprise_id).where(Cultivation.year <= year, _still_in(year)).distinct()


def unit_label(region: Region) -> str:
    return "市本级" if region.code == CITY_CODE else region.name


def check_unit(session: Session, unit_code: str) -> Region:
    """The unit, if it exists and this installation may see it: a county installation only its own."""
    region = session.get(Region, unit_code)
    if region is None:
        raise UserError(f"未知的单位“{unit_code}”：请使用单位代码（如 331102）")
    own = installation(session)
    if not own.is_city and region.code != own.unit_code:
        raise PermissionDenied(
            f"本机为{own.unit_name}的县级安装，只能查看和填报本单位的年度监测数据，不能处理“{region.name}”的数据"
        )
    return region


def check_year(year: int) -> None:
    message = check_value(_YEAR_SPEC, year, today=dt.date.today())
    if message:
        raise UserError(message)


_FIGURE_INDEX = {key: position for position, key in enumerate(FIGURE_KEYS)}


@dataclass(frozen=True, slots=True)
class GridRow:
    """One enterprise of the unit with its report for the year (report_id None: not reported yet).

    The figures are a tuple in FIGURE_KEYS order, not a dict: a unit of the province database has 18,000
    enterprises, and the grid holds them all (24 MB as tuples, 38 MB as dicts).
    """

    enterprise_id: int
    name: str
    uscc: str
    scale_type: str | None
    cultivated: bool  # in a cultivation pool during the year (CULTIVATED_RULE)
    report_id: int | None
    version: int | None
    figures: tuple[Any, ...]  # FIGURE_KEYS order, None where not reported
    previous_figures: tuple[Any, ...] | None  # the year before, PREVIOUS_YEAR_KEYS order; None: no report

    @property
    def has_report(self) -> bool:
        return self.report_id is not None

    def value(self, key: str) -> Any:
        return self.figures[_FIGURE_INDEX[key]]

    @property
    def values(self) -> dict[str, Any]:
        """FIGURE_KEYS → figure."""
        return dict(zip(FIGURE_KEYS, self.figures, strict=True))

    @property
    def previous(self) -> dict[str, Any] | None:
        """The year before (PREVIOUS_YEAR_KEYS only, for growth rates); None without a report."""
        if self.previous_figures is None:
            return None
        return dict(zip(PREVIOUS_YEAR_KEYS, self.previous_figures, strict=True))


def unit_year_grid(session: Session, unit_code: str, year: int) -> list[GridRow]:
    """Every enterprise of the unit outside the recycle bin, cultivated ones first, then by name.

    One query: the year's report and the previous year's are outer-joined on (enterprise, year).
    """
    check_unit(session, unit_code)
    check_year(year)
    current = aliased(AnnualReport, name="current")
    previous = aliased(AnnualReport, name="previous")
    cultivated = cultivated_during(Enterprise.id, year).label("cultivated")
    statement = (
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.uscc,
            Enterprise.scale_type,
            cultivated,
            current.id,
            current.version,
            *(getattr(current, key) for key in FIGURE_KEYS),
            previous.id,
            *(getattr(previous, key) for key in PREVIOUS_YEAR_KEYS),
        )
        .outerjoin(current, and_(current.enterprise_id == Enterprise.id, current.year == year))
        .outerjoin(previous, and_(previous.enterprise_id == Enterprise.id, previous.year == year - 1))
        .where(Enterprise.region_code == unit_code, Enterprise.deleted_at.is_(None))
        .order_by(cultivated.desc(), Enterprise.name, Enterprise.id)
    )
    figures_at = 7
    previous_at = figures_at + len(FIGURE_KEYS)
    rows: list[GridRow] = []
    for row in session.execute(statement):
        rows.append(
            GridRow(
                enterprise_id=row[0],
                name=row[1],
                uscc=row[2],
                scale_type=row[3],
                cultivated=bool(row[4]),
                report_id=row[5],
                version=row[6],
                figures=tuple(row[figures_at:previous_at]),
                previous_figures=tuple(row[previous_at + 1 :]) if row[previous_at] is not None else None,
            )
        )
    return rows


# --- saving ------------------------------------------------------------------------------------


class GridEdit(NamedTuple):
    """The edited figures of one row: a new report (report_id None) or changes to an existing one."""

    enterprise_id: int
    report_id: int | None
    expected_version: int | None
    values: Mapping[str, Any]  # FIGURE_KEYS → new value (None clears the figure)


@dataclass(frozen=True)
class RowProblem:
    """A finding about one row (enterprise) and one field of the grid."""

    enterprise_id: int
    enterprise: str
    field: str | None
    label: str  # the field's label, "" for the whole row
    message: str
    severity: str = "error"

    @property
    def text(self) -> str:
        return (
            f"{self.enterprise}（{self.label}）：{self.message}" if self.label else f"{self.enterprise}：{self.message}"
        )


@dataclass(frozen=True)
class SaveResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[RowProblem] = field(default_factory=list)
    saved: dict[int, tuple[int, int]] = field(default_factory=dict)  # enterprise → (report id, version) now

    @property
    def summary(self) -> str:
        return f"新增 {self.created} 条、修改 {self.updated} 条年度监测数据" + (
            f"，{self.unchanged} 行没有变化" if self.unchanged else ""
        )


def _listed(problems: Sequence[RowProblem], limit: int = 5) -> str:
    shown = "；".join(p.text for p in problems[:limit])
    return shown + (f"；另有 {len(problems) - limit} 处" if len(problems) > limit else "")


class GridRejected(ValidationFailed):
    """Some rows broke the rules: nothing was saved. `row_problems` names the row and field of each."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.row_problems = problems
        self.problems = [Problem(p.field, p.text, "error") for p in problems]
        UserError.__init__(self, f"有 {len(problems)} 处数据未通过校验，本次全部未保存：{_listed(problems)}")


class GridConflict(VersionConflict):
    """Rows saved elsewhere since the grid was loaded: nothing was saved."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.row_problems = problems
        self.enterprise_ids = [p.enterprise_id for p in problems]
        super().__init__(
            f"{len(problems)} 家企业的数据已在别处被修改或录入，本次全部未保存。请重新加载后再修改：{_listed(problems)}"
        )


def _problems(name: str, enterprise_id: int, found: list[Problem]) -> list[RowProblem]:
    return [
        RowProblem(
            enterprise_id,
            name,
            p.field,
            FIELD_BY_KEY[p.field].label if p.field in FIELD_BY_KEY else "",
            p.message,
            p.severity,
        )
        for p in found
    ]


def save_grid(
    session: Session,
    actor: str,
    unit_code: str,
    year: int,
    edits: Sequence[GridEdit | tuple[int, int | None, int | None, Mapping[str, Any]]],
    *,
    today: dt.date | None = None,
) -> SaveResult:
    """Create or update the year's reports of the edited rows through the record service (same rules,
    versions and audit entries as the detail view), in the caller's transaction.

    All or nothing: every row is checked and then GridRejected (rows and fields named) or GridConflict
    (rows saved elsewhere meanwhile) is raised if any row failed, so the caller's transaction rolls back.
    A county installation may only save its own unit (PermissionDenied).
    """
    region = check_unit(session, unit_code)
    check_year(year)
    rows = [GridEdit(*edit) for edit in edits]
    ids = [row.enterprise_id for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("one grid edit per enterprise")
    for row in rows:
        unknown = set(row.values) - set(FIGURE_KEYS)
        if unknown:
            raise KeyError(f"not a grid figure: {sorted(unknown)}")
    firms: dict[int, tuple[str, str, dt.datetime | None]] = {}
    reports: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):  # stay far below the database's limit on bound parameters
        chunk = ids[start : start + 500]
        firms.update(
            (eid, (name, code, deleted))
            for eid, name, code, deleted in session.execute(
                select(Enterprise.id, Enterprise.name, Enterprise.region_code, Enterprise.deleted_at).where(
                    Enterprise.id.in_(chunk)
                )
            )
        )
        reports.update(
            (eid, (rid, version))
            for eid, rid, version in session.execute(
                select(AnnualReport.enterprise_id, AnnualReport.id, AnnualReport.version).where(
                    AnnualReport.enterprise_id.in_(chunk), AnnualReport.year == year
                )
            )
        )

    warnings: list[RowProblem] = []
    saved: dict[int, tuple[int, int]] = {}
    errors: list[RowProblem] = []
    conflicts: list[RowProblem] = []
    created = updated = unchanged = 0
    for row in rows:
        firm = firms.get(row.enterprise_id)
        name = firm[0] if firm else f"编号 {row.enterprise_id} 的企业"
        if firm is None or firm[1] != unit_code or firm[2] is not None:
            errors.append(
                RowProblem(
                    row.enterprise_id, name, None, "", f"该企业不属于{unit_label(region)}，或已移入回收站，不能填报"
                )
            )
            continue
        existing = reports.get(row.enterprise_id)
        if row.report_id is None:
            if existing is not None:
                conflicts.append(RowProblem(row.enterprise_id, name, None, "", f"{year} 年度数据已在别处录入"))
                continue
            if all(value is None or value == "" for value in row.values.values()):
                unchanged += 1
                continue
            values = {"year": year, **row.values}
            found = validate_record(session, ANNUAL, row.enterprise_id, values, today=today)
        else:
            if existing is None or existing[0] != row.report_id:
                conflicts.append(RowProblem(row.enterprise_id, name, None, "", f"{year} 年度数据已在别处被删除"))
                continue
            if existing[1] != row.expected_version:
                conflicts.append(RowProblem(row.enterprise_id, name, None, "", f"{year} 年度数据已在别处被修改"))
                continue
            report = session.get(AnnualReport, row.report_id)
            assert report is not None
            values = {**{key: getattr(report, key) for key in ANNUAL.keys}, **row.values}
            found = validate_record(session, ANNUAL, row.enterprise_id, values, record_id=row.report_id, today=today)
        problems = _problems(name, row.enterprise_id, found)
        if any(p.severity == "error" for p in problems):
            errors += [p for p in problems if p.severity == "error"]
            continue
        warnings.extend(problems)
        if conflicts or errors:
            continue  # nothing will be saved: checking the remaining rows is enough
        if row.report_id is None:
            record = add_record(session, actor, ANNUAL, row.enterprise_id, values, today=today)
            saved[row.enterprise_id] = (record.id, record.version)
            created += 1
        else:
            changes = update_record(
                session, actor, ANNUAL, row.report_id, row.expected_version or 0, row.values, today=today
            )
            report = session.get(AnnualReport, row.report_id)
            assert report is not None
            saved[row.enterprise_id] = (report.id, report.version)
            if changes:
                updated += 1
            else:
                unchanged += 1
    if conflicts:
        raise GridConflict(conflicts)
    if errors:
        raise GridRejected(errors)
    return SaveResult(created, updated, unchanged, warnings, saved)
