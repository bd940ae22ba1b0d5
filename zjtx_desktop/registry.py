"""The enterprise registry (企业库): validate, create, correct, recycle, restore and purge enterprises.

Every write records an audit entry in the same transaction. Callers pass an explicit session and the
acting user's name; what crosses into the GUI are plain dataclasses, never ORM instances.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop import uscc
from zjtx_desktop.audit import record
from zjtx_desktop.clock import format_local
from zjtx_desktop.errors import PermissionDenied as PermissionDenied  # re-exported: services raise it from here
from zjtx_desktop.errors import UserError
from zjtx_desktop.fields import (
    ANNUAL_FIELDS,
    CULTIVATION_FIELDS,
    ENTERPRISE_FIELD_BY_KEY,
    ENTERPRISE_FIELDS,
    VISIT_FIELDS,
    check_value,
    clean_text,
)
from zjtx_desktop.models import AuditEntry, Enterprise, Industry, Region, utcnow
from zjtx_desktop.permissions import ALL_UNITS
from zjtx_desktop.principal import acting
from zjtx_desktop.search_text import enterprise_search_text, name_initials

Severity = Literal["error", "warning"]
EDITABLE_KEYS = tuple(spec.key for spec in ENTERPRISE_FIELDS)


@dataclass(frozen=True)
class Problem:
    """A validation finding for one field (or the whole record when field is None)."""

    field: str | None
    message: str
    severity: Severity = "error"
    existing_id: int | None = None  # a duplicate code: the enterprise that already has it


class ValidationFailed(UserError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p.message for p in problems if p.severity == "error"]
        super().__init__("；".join(errors) or "数据未通过校验")


class VersionConflict(UserError):
    """Someone else saved the record after it was opened here."""


class NotFound(UserError):
    pass


@dataclass(frozen=True)
class EnterpriseRecord:
    """One enterprise's editable values with its identity, version and recycle-bin state."""

    id: int
    version: int
    values: dict[str, Any]
    deleted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def name(self) -> str:
        return str(self.values["name"])


@dataclass(frozen=True)
class HistoryItem:
    """One changed field (or a whole-record action) in an enterprise's 变更历史."""

    at: dt.datetime
    actor: str
    action: str
    entity: str
    field: str
    old: str
    new: str


# --- values ---------------------------------------------------------------------------------


def prepare_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Tidy what a form or a spreadsheet hands over: trim text, empty to None, normalise the code."""
    prepared: dict[str, Any] = {}
    for key, value in values.items():
        if key not in ENTERPRISE_FIELD_BY_KEY:
            raise KeyError(f"unknown enterprise field {key!r}")
        if isinstance(value, str):
            value = clean_text(value) if key != "note" else value.strip()
            if value == "":
                value = None
        if key == "uscc" and isinstance(value, str):
            value = uscc.normalize(value)
        if key in ("employees", "rd_staff", "market_rank") and isinstance(value, float) and value.is_integer():
            value = int(value)
        prepared[key] = value
    return prepared


def display_value(value: Any) -> str:
    """A stored value as the history shows it: exact (an audit trail must not round 12345.67 to 12345.7)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def validate_enterprise(
    session: Session,
    values: Mapping[str, Any],
    *,
    enterprise_id: int | None = None,
    today: dt.date | None = None,
) -> list[Problem]:
    """Every problem with a complete set of prepared values: errors block saving, warnings do not."""
    today = today or dt.date.today()
    problems: list[Problem] = []
    for spec in ENTERPRISE_FIELDS:
        value = values.get(spec.key)
        if spec.kind == "uscc" and value:
            continue  # checked below with a message naming the expected character
        message = check_value(spec, value, today=today)
        if message:
            problems.append(Problem(spec.key, message))

    code = values.get("uscc")
    region_code = values.get("region_code")
    region = session.get(Region, region_code) if region_code else None
    if region_code and region is None:
        problems.append(Problem("region_code", f"未知的单位“{region_code}”"))
    if code:
        result = uscc.check(code)
        if not result.ok:
            problems.append(Problem("uscc", result.message))
        else:
            # Across every unit: the code is unique city-wide, even where this account cannot see the firm.
            # Columns, not the entity: an out-of-scope firm must not enter this session's identity map.
            existing = session.execute(
                select(Enterprise.id, Enterprise.name, Enterprise.region_code, Enterprise.deleted_at).where(
                    Enterprise.uscc == result.code
                ),
                execution_options={ALL_UNITS: True},
            ).first()
            own_unit = acting(session).unit_code
            if existing is not None and existing.id != enterprise_id:
                if own_unit is not None and existing.region_code != own_unit:
                    problems.append(Problem("uscc", "该代码已在其他单位登记（请与市局核实企业归属）"))
                else:
                    where = "（在回收站中）" if existing.deleted_at else ""
                    message = f"该代码已登记为“{existing.name}”{where}"
                    problems.append(Problem("uscc", message, existing_id=existing.id))
            if region is not None:
                warning = _area_warning(result.code, region)
                if warning:
                    problems.append(Problem("uscc", warning, severity="warning"))

    industry_code = values.get("industry_code")
    if industry_code and session.get(Industry, industry_code) is None:
        problems.append(Problem("industry_code", f"未知的行业代码“{industry_code}”（应为制造业大类 C13—C43）"))

    employees, rd_staff = values.get("employees"), values.get("rd_staff")
    if isinstance(employees, int) and isinstance(rd_staff, int) and rd_staff > employees:
        problems.append(Problem("rd_staff", f"研发人员（{rd_staff}人）多于从业人员（{employees}人）"))
    products = values.get("main_products")
    if (
        isinstance(products, str)
        and len([p for p in products.replace(",", "、").replace("，", "、").split("、") if p]) > 3
    ):
        problems.append(Problem("main_products", "主导产品最多填写3个", severity="warning"))
    return problems


def _area_warning(code: str, region: Region) -> str | None:
    """The code's registration area (positions 3–8) should lie in the chosen unit; a warning only,
    since firms that moved keep their code."""
    area = uscc.area_code(code)
    if region.is_standard:
        if region.kind == "city":
            matches = area.startswith("3311")
        else:
            matches = area == region.code
    else:  # the development zone has no code of its own: its firms register with the city or 莲都
        matches = area.startswith("3311")
    if matches:
        return None
    return f"代码中的登记地区码为 {area}，与所选单位“{region.name}”（{region.code}）不一致，请核对"


def _raise_on_errors(problems: list[Problem]) -> None:
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems)


# --- reading --------------------------------------------------------------------------------


def _load(session: Session, enterprise_id: int) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"找不到编号为 {enterprise_id} 的企业，可能已被彻底删除")
    return enterprise


def _snapshot(enterprise: Enterprise) -> EnterpriseRecord:
    return EnterpriseRecord(
        id=enterprise.id,
        version=enterprise.version,
        values={key: getattr(enterprise, key) for key in EDITABLE_KEYS},
        deleted_at=enterprise.deleted_at,
        created_at=enterprise.created_at,
        updated_at=enterprise.updated_at,
    )


def get_enterprise(session: Session, enterprise_id: int) -> EnterpriseRecord:
    return _snapshot(_load(session, enterprise_id))


def find_by_uscc(session: Session, code: str) -> EnterpriseRecord | None:
    enterprise = session.scalars(select(Enterprise).where(Enterprise.uscc == uscc.normalize(code))).first()
    return _snapshot(enterprise) if enterprise else None


# --- writing --------------------------------------------------------------------------------


def _apply(enterprise: Enterprise, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        setattr(enterprise, key, value)
    enterprise.name_initials = name_initials(enterprise.name)
    enterprise.search_text = enterprise_search_text(enterprise.name, enterprise.uscc, enterprise.address)


def create_enterprise(
    session: Session, actor: str, values: Mapping[str, Any], *, today: dt.date | None = None
) -> EnterpriseRecord:
    """Add a new enterprise; raises ValidationFailed listing every error."""
    prepared = prepare_values(values)
    full = {key: prepared.get(key) for key in EDITABLE_KEYS}
    _raise_on_errors(validate_enterprise(session, full, today=today))
    enterprise = Enterprise()
    _apply(enterprise, full)
    session.add(enterprise)
    session.flush()
    after = {key: _jsonable(value) for key, value in full.items() if value is not None}
    record(session, actor, "create", "enterprise", str(enterprise.id), after=after, enterprise_id=enterprise.id)
    return _snapshot(enterprise)


def update_enterprise(
    session: Session,
    actor: str,
    enterprise_id: int,
    expected_version: int,
    values: Mapping[str, Any],
    *,
    today: dt.date | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change some fields of an enterprise opened at `expected_version`; returns {field: (old, new)}.

    Raises VersionConflict when the record was saved by someone else in the meantime, so that a
    second window never silently overwrites the first one's correction.
    """
    enterprise = _load(session, enterprise_id)
    if enterprise.deleted_at is not None:
        raise UserError(f"“{enterprise.name}”在回收站中，请先恢复再修改")
    _check_version(enterprise, expected_version)
    prepared = prepare_values(values)
    current = {key: getattr(enterprise, key) for key in EDITABLE_KEYS}
    merged = {**current, **prepared}
    _raise_on_errors(validate_enterprise(session, merged, enterprise_id=enterprise_id, today=today))
    changes = {key: (current[key], merged[key]) for key in EDITABLE_KEYS if current[key] != merged[key]}
    if not changes:
        return {}
    _apply(enterprise, {key: new for key, (_, new) in changes.items()})
    _flush_versioned(session, enterprise)
    record(
        session,
        actor,
        "update",
        "enterprise",
        str(enterprise_id),
        before={key: _jsonable(old) for key, (old, _) in changes.items()},
        after={key: _jsonable(new) for key, (_, new) in changes.items()},
        enterprise_id=enterprise_id,
    )
    return changes


def _check_version(enterprise: Enterprise, expected_version: int) -> None:
    if enterprise.version != expected_version:
        raise VersionConflict(
            f"“{enterprise.name}”已在别处被修改（{format_local(enterprise.updated_at)}），"
            "为避免覆盖他人的修改，本次未保存。请重新打开该企业，核对后再修改。"
        )


def _flush_versioned(session: Session, enterprise: Enterprise) -> None:
    """Flush with the version check in the UPDATE itself, which catches a save between read and write."""
    name = enterprise.name  # a failed flush rolls the session back and expires the instance: read it first
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionConflict(f"“{name}”刚刚被别处修改，本次未保存，请重新打开后再修改。") from exc


def recycle_enterprise(session: Session, actor: str, enterprise_id: int, expected_version: int | None = None) -> None:
    """Move to the 回收站: hidden from lists and counts, with its records, until restored."""
    enterprise = _load(session, enterprise_id)
    if expected_version is not None:
        _check_version(enterprise, expected_version)
    if enterprise.deleted_at is not None:
        return
    enterprise.deleted_at = utcnow()
    enterprise.deleted_by = actor
    _flush_versioned(session, enterprise)
    record(
        session,
        actor,
        "recycle",
        "enterprise",
        str(enterprise_id),
        before={"name": enterprise.name},
        enterprise_id=enterprise_id,
    )


def restore_enterprise(session: Session, actor: str, enterprise_id: int) -> None:
    enterprise = _load(session, enterprise_id)
    if enterprise.deleted_at is None:
        return
    enterprise.deleted_at = None
    enterprise.deleted_by = None
    _flush_versioned(session, enterprise)
    record(
        session,
        actor,
        "restore",
        "enterprise",
        str(enterprise_id),
        after={"name": enterprise.name},
        enterprise_id=enterprise_id,
    )


def purge_enterprise(session: Session, actor: str, enterprise_id: int, *, is_admin: bool) -> None:
    """Delete for good, with its cultivation, monitoring and visit records. Administrators only, and only
    from the recycle bin; the audit trail keeps what was deleted."""
    if not is_admin or not acting(session).is_admin:  # the signed-in account decides, not only the caller
        raise PermissionDenied("只有管理员可以彻底删除企业")
    enterprise = _load(session, enterprise_id)
    if enterprise.deleted_at is None:
        raise UserError(f"“{enterprise.name}”不在回收站中：请先删除到回收站，再彻底删除")
    snapshot = {key: _jsonable(getattr(enterprise, key)) for key in EDITABLE_KEYS}
    snapshot["培育记录"] = len(enterprise.cultivations)
    snapshot["年度监测"] = len(enterprise.annual_reports)
    snapshot["帮扶记录"] = len(enterprise.help_visits)
    session.delete(enterprise)
    session.flush()
    record(session, actor, "purge", "enterprise", str(enterprise_id), before=snapshot, enterprise_id=enterprise_id)


# --- history --------------------------------------------------------------------------------

ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "recycle": "删除到回收站",
    "restore": "从回收站恢复",
    "purge": "彻底删除",
    "delete": "删除",
    "import": "导入",
    "undo": "撤销导入",
}
ENTITY_LABELS = {
    "enterprise": "企业信息",
    "cultivation": "培育记录",
    "annual_report": "年度监测",
    "help_visit": "帮扶记录",
}


# Child records' fields first, so the enterprise's own labels win where a key is shared.
FIELD_LABELS = {
    spec.key: spec.label for spec in (*VISIT_FIELDS, *ANNUAL_FIELDS, *CULTIVATION_FIELDS, *ENTERPRISE_FIELDS)
}


def _label(key: str) -> str:
    return FIELD_LABELS.get(key, key)


def enterprise_history(session: Session, enterprise_id: int) -> list[HistoryItem]:
    """Every audited change to the enterprise and its records, newest first, one row per field."""
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.enterprise_id == enterprise_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    items: list[HistoryItem] = []
    for entry in entries:
        action = ACTION_LABELS.get(entry.action, entry.action)
        entity = ENTITY_LABELS.get(entry.entity, entry.entity)
        before, after = entry.before or {}, entry.after or {}
        if entry.action == "update":
            for key in [*after, *(k for k in before if k not in after)]:
                old, new = display_value(before.get(key)), display_value(after.get(key))
                items.append(HistoryItem(entry.at, entry.actor, action, entity, _label(key), old, new))
        else:
            summary = after or before
            text = "；".join(f"{_label(k)}：{display_value(v)}" for k, v in list(summary.items())[:4])
            items.append(HistoryItem(entry.at, entry.actor, action, entity, "", "", text))
    return items
