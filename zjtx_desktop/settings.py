"""The installation's own settings: which unit it belongs to and the organisation named on reports."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop.errors import PermissionDenied, UserError
from zjtx_desktop.models import Region, Setting
from zjtx_desktop.principal import acting

UNIT_KEY = "installation.unit"
ORGANISATION_KEY = "installation.organisation"
CONFIGURED_KEY = "installation.configured_at"
CITY_CODE = "331100"


@dataclass(frozen=True)
class Installation:
    unit_code: str  # CITY_CODE for a city-level installation that sees every unit
    unit_name: str
    organisation: str
    configured: bool
    can_write: bool = True  # False for a read-only account

    @property
    def is_city(self) -> bool:
        return self.unit_code == CITY_CODE


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def find_region(session: Session, text: str) -> Region | None:
    """A unit by code, full name, short name or alias (as clerks write them)."""
    wanted = text.strip()
    if not wanted:
        return None
    region = session.get(Region, wanted)
    if region is not None:
        return region
    for candidate in session.scalars(select(Region)):
        if wanted in (candidate.name, candidate.short_name) or wanted in candidate.aliases:
            return candidate
    return None


def default_organisation(region: Region) -> str:
    return "丽水市经济和信息化局" if region.is_city else f"{region.name}经济和信息化局"


def configure_installation(session: Session, unit: str | None, organisation: str | None, now: str) -> Installation:
    if not acting(session).is_admin:
        raise PermissionDenied("只有管理员可以修改本机单位设置")
    region = find_region(session, unit or CITY_CODE)
    if region is None:
        raise UserError(f"未知的单位“{unit}”：请使用单位代码（如 331102）或名称（如 莲都区）")
    set_setting(session, UNIT_KEY, region.code)
    set_setting(session, ORGANISATION_KEY, (organisation or "").strip() or default_organisation(region))
    set_setting(session, CONFIGURED_KEY, now)
    session.flush()
    return installation(session)


def installation(session: Session) -> Installation:
    """The installation as the session's account sees it: a county account on a city installation works
    like that county's installation (its unit, its bureau's name on reports); read-only cannot write."""
    configured = configured_installation(session)
    principal = acting(session)
    if principal.unit_code and configured.is_city:
        region = session.get(Region, principal.unit_code)
        if region is not None:
            return Installation(
                region.code, region.name, default_organisation(region), configured.configured, principal.can_write
            )
    return replace(configured, can_write=principal.can_write)


def configured_installation(session: Session) -> Installation:
    """The unit and organisation this installation was set up for, whoever is signed in."""
    code = get_setting(session, UNIT_KEY) or CITY_CODE
    region = session.get(Region, code)
    name = region.name if region else code
    organisation = get_setting(session, ORGANISATION_KEY) or (default_organisation(region) if region else "")
    return Installation(code, name, organisation, get_setting(session, CONFIGURED_KEY) is not None)
