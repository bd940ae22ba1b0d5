"""What a report is asked for: kind and filters, and who it is for (shared by the CLI and the report centre)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop.errors import UserError
from zjtx_desktop.models import Region
from zjtx_desktop.settings import Installation, find_region, installation


@dataclass(frozen=True)
class ReportRequest:
    kind: str
    program_code: str | None = None
    year: int | None = None
    unit: str | None = None  # a unit code or name to narrow to; None: every unit the installation sees
    enterprise: str | None = None  # USCC, for the enterprise profile
    prepared_by: str = ""
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True)
class Scope:
    """The units a report covers and how its header names them."""

    installation: Installation
    unit_codes: list[str] | None  # None: every unit
    label: str  # 全市 / 青田县

    @property
    def organisation(self) -> str:
        return self.installation.organisation


def resolve_scope(session: Session, unit: str | None) -> Scope:
    """The installation's units, narrowed to `unit` if given; a county cannot report on another unit."""
    inst = installation(session)
    if unit:
        region = find_region(session, unit)
        if region is None:
            raise UserError(f"未知的单位“{unit}”：请使用单位代码（如 331102）或名称（如 莲都区）")
        if not inst.is_city and region.code != inst.unit_code:
            raise UserError(f"本机为{inst.unit_name}的县级安装，只能生成本单位的报表")
        if region.is_city:
            return Scope(inst, None, "全市")
        return Scope(inst, [region.code], region.name)
    if inst.is_city:
        return Scope(inst, None, "全市")
    return Scope(inst, [inst.unit_code], inst.unit_name)


def unit_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Region.code, Region.name))}
