"""Drill-down behind a progress figure: the entries it counts, and the entries it does not count and why.

Applies the counting rule of `progress.py` entry by entry, so the counted list always has exactly as
many enterprises as the figure it explains (a test holds the two together).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop.models import Cultivation, Enterprise, Region
from zjtx_desktop.progress import period_label


@dataclass(frozen=True)
class EntryRow:
    """One cultivation entry with its enterprise, as the drill-down lists it."""

    enterprise_id: int
    name: str
    uscc: str
    unit: str
    year: int
    batch: str | None
    status: str
    entered_on: dt.date | None
    reason: str = ""  # why it is not counted; for counted entries a remark such as "已退出，仍计入"


@dataclass(frozen=True)
class ProgressDetail:
    unit_code: str | None  # None: the whole city
    program_code: str
    start_year: int
    end_year: int
    counted: list[EntryRow]
    not_counted: list[EntryRow]

    @property
    def period_label(self) -> str:
        return period_label(self.start_year, self.end_year)


def progress_detail(
    session: Session,
    *,
    program_code: str,
    start_year: int,
    end_year: int,
    unit_code: str | None = None,
    unit_codes: list[str] | None = None,
) -> ProgressDetail:
    """Every entry of the program in the unit (or the city, or `unit_codes` for a county installation),
    split into counted and not counted for the period."""
    query = (
        select(Cultivation, Enterprise, Region.name)
        .join(Enterprise, Enterprise.id == Cultivation.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(Cultivation.program_code == program_code)
        .order_by(Region.sort_order, Enterprise.name, Enterprise.id, Cultivation.year, Cultivation.id)
    )
    if unit_code is not None:
        query = query.where(Enterprise.region_code == unit_code)
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    label = period_label(start_year, end_year)
    counted: list[EntryRow] = []
    not_counted: list[EntryRow] = []
    first_year: dict[int, int] = {}
    for entry, enterprise, unit in session.execute(query):

        def row(
            reason: str, entry: Cultivation = entry, enterprise: Enterprise = enterprise, unit: str = unit
        ) -> EntryRow:
            return EntryRow(
                enterprise.id,
                enterprise.name,
                enterprise.uscc,
                unit,
                entry.year,
                entry.batch,
                entry.status,
                entry.entered_on,
                reason,
            )

        if enterprise.deleted_at is not None:
            not_counted.append(row("企业在回收站中"))
        elif not start_year <= entry.year <= end_year:
            not_counted.append(row(f"入库年份 {entry.year} 年不在目标期间（{label}）内"))
        elif enterprise.id in first_year:
            not_counted.append(row(f"同一企业已按 {first_year[enterprise.id]} 年的记录计入，每家只计一次"))
        else:
            first_year[enterprise.id] = entry.year
            counted.append(row("已退出，仍计入当年入库数" if entry.status == "已退出" else ""))
    return ProgressDetail(unit_code, program_code, start_year, end_year, counted, not_counted)
