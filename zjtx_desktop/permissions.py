"""Who may see and change what, enforced in the core: a county account's sessions read and write its own
unit only (every ORM query is narrowed, every flush checked), a read-only account writes nothing, and the
city's own data (targets, rule sets, supervision) is written by city staff on a city installation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from zjtx_desktop.errors import PermissionDenied
from zjtx_desktop.models import (
    AnnualReport,
    AuditEntry,
    Cultivation,
    Enterprise,
    EvidenceContent,
    HelpVisit,
    IndicatorValue,
    Industry,
    PolicyTask,
    Program,
    Region,
    RuleSet,
    Setting,
    Target,
    TargetPlan,
    TaskProgress,
    User,
)
from zjtx_desktop.principal import Principal, acting

# Execution option for the few internal reads that must see every unit (e.g. "this credit code is already
# registered in another unit"); never used to hand rows to a caller.
ALL_UNITS = "zjtx_all_units"

READ_ONLY_MESSAGE = "当前账户为只读账户，不能修改数据"
# A read-only account may still keep its own saved enterprise-list filters.
_READ_ONLY_SETTINGS = frozenset({"enterprise_list.saved_filters"})
_ENTERPRISE_CHILDREN = (Cultivation, AnnualReport, HelpVisit)
# The city's own data: a county account on a city installation reads it only.
_CITY_DATA = (
    Target,
    TargetPlan,
    IndicatorValue,
    RuleSet,
    PolicyTask,
    TaskProgress,
    EvidenceContent,
    Region,
    Program,
    Industry,
)
CITY_DATA_MESSAGE = "目标任务、评价规则、督查记录和本机设置由市级工作人员维护，当前账户只能查看"


def visible_units(session: Session) -> list[str] | None:
    """The unit codes the session may see: None for every unit (city), else [its unit]."""
    from zjtx_desktop.settings import installation

    own = installation(session)
    return None if own.is_city else [own.unit_code]


def require_write(session: Session) -> Principal:
    """Raise PermissionDenied unless the session may change data; returns who is acting."""
    principal = acting(session)
    if not principal.can_write:
        raise PermissionDenied(READ_ONLY_MESSAGE)
    return principal


def require_city(session: Session, message: str) -> None:
    """Raise PermissionDenied(message) unless city staff (or an administrator) on a city installation."""
    from zjtx_desktop.settings import configured_installation

    principal = require_write(session)
    if not configured_installation(session).is_city or not principal.writes_city_data or principal.unit_code:
        raise PermissionDenied(message)


def require_admin(session: Session, message: str = "只有管理员可以管理账户") -> Principal:
    principal = acting(session)
    if not principal.is_admin:
        raise PermissionDenied(message)
    return principal


def require_unit(session: Session, unit_code: str | None, doing: str = "处理") -> None:
    """Raise PermissionDenied unless the session may see and write `unit_code`."""
    units = visible_units(session)
    if units is not None and unit_code not in units:
        raise PermissionDenied(f"当前账户只能{doing}本单位（{units[0]}）的数据")


# --- enforcement on every session -------------------------------------------------------------------


def _limited_units(session: Session) -> list[str] | None:
    # From the principal alone: the event runs for every query, and must not query itself.
    unit = acting(session).unit_code
    return None if unit is None else [unit]


@event.listens_for(Session, "do_orm_execute")
def _narrow_reads(state: ORMExecuteState) -> None:
    """Add "region in the account's units" to every ORM SELECT touching enterprises or their records."""
    if not state.is_select or state.is_column_load or state.execution_options.get(ALL_UNITS):
        return
    units = _limited_units(state.session)
    if units is None:
        return
    own_enterprises = select(Enterprise.id).where(Enterprise.region_code.in_(units))
    state.statement = state.statement.options(
        with_loader_criteria(Enterprise, Enterprise.region_code.in_(units), include_aliases=True),
        *(
            with_loader_criteria(child, child.enterprise_id.in_(own_enterprises), include_aliases=True)
            for child in _ENTERPRISE_CHILDREN
        ),
    )


@event.listens_for(Session, "before_flush")
def _check_writes(session: Session, _context: Any, _instances: Any) -> None:
    """The last line of defence behind the services' own checks: nothing outside the account's rights is
    flushed, whichever code path built it."""
    principal = acting(session)
    if principal.role in ("admin", "system") and principal.unit_code is None:
        return
    changed = [
        obj
        for obj in (*session.new, *session.deleted, *session.dirty)
        if obj in session.new or obj in session.deleted or session.is_modified(obj)
    ]
    if not changed:
        return
    if not principal.can_write:
        for obj in changed:
            if not _read_only_may_write(principal, obj):
                raise PermissionDenied(READ_ONLY_MESSAGE)
    if principal.unit_code is not None:
        with session.no_autoflush:
            _check_units(session, principal.unit_code, changed)
    for obj in changed:
        if isinstance(obj, User) and obj.id != principal.user_id and not principal.is_admin:
            raise PermissionDenied("只有管理员可以管理账户")


def _read_only_may_write(principal: Principal, obj: object) -> bool:
    if isinstance(obj, AuditEntry):
        return True
    if isinstance(obj, User):
        return obj.id == principal.user_id
    return isinstance(obj, Setting) and obj.key in _READ_ONLY_SETTINGS


def _check_units(session: Session, unit: str, changed: Iterable[object]) -> None:
    from zjtx_desktop.settings import configured_installation

    message = "当前账户只能修改本单位的企业和记录"
    child_ids: set[int] = set()
    city_installation: bool | None = None
    for obj in changed:
        if isinstance(obj, _CITY_DATA) or (isinstance(obj, Setting) and obj.key not in _READ_ONLY_SETTINGS):
            if city_installation is None:
                city_installation = configured_installation(session).is_city
            # On a county installation its own round of plans and its 亩均 scheme are its business.
            if city_installation and not (isinstance(obj, IndicatorValue) and obj.region_code == unit):
                raise PermissionDenied(CITY_DATA_MESSAGE)
        if isinstance(obj, Enterprise):
            history = inspect(obj).attrs.region_code.history
            if {obj.region_code, *history.deleted} - {unit}:
                raise PermissionDenied(message)
        elif isinstance(obj, _ENTERPRISE_CHILDREN):
            child: Any = obj
            history = inspect(child).attrs.enterprise_id.history
            child_ids.update(i for i in (child.enterprise_id, *history.deleted) if i is not None)
    if child_ids:
        regions = session.execute(
            select(Enterprise.region_code).where(Enterprise.id.in_(child_ids)).distinct(),
            execution_options={ALL_UNITS: True},
        ).scalars()
        if set(regions) - {unit}:
            raise PermissionDenied(message)


def account_units(session: Session) -> list[str] | None:
    """The signed-in account's own limit (None: not limited by the account); no query, so cheap enough
    for every keystroke of a search."""
    return _limited_units(session)


def narrowed(session: Session, unit_codes: Sequence[str] | None) -> list[str] | None:
    """`unit_codes` (None: every unit) cut down to what the account may see. For reads that bypass the
    ORM (plain Core execution for speed), where the automatic narrowing does not reach."""
    limit = _limited_units(session)
    if limit is None:
        return None if unit_codes is None else list(unit_codes)
    if unit_codes is None:
        return limit
    return [code for code in unit_codes if code in limit]
