"""An enterprise's own records — cultivation entries, annual monitoring rows, help visits — with
validation, version checks and audit entries, shared by the detail view and (later) the importer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop.audit import record
from zjtx_desktop.errors import UserError
from zjtx_desktop.fields import ANNUAL_FIELDS, CULTIVATION_FIELDS, VISIT_FIELDS, FieldSpec, check_value, clean_text
from zjtx_desktop.models import AnnualReport, Base, Cultivation, Enterprise, HelpVisit, Program
from zjtx_desktop.registry import NotFound, Problem, ValidationFailed, VersionConflict

Checker = Callable[[Session, dict[str, Any], int, int | None], list[Problem]]


@dataclass(frozen=True)
class RecordKind:
    """One kind of record that belongs to an enterprise."""

    entity: str  # the audit entity name
    label: str  # Chinese name, for messages
    model: type[Base]
    fields: tuple[FieldSpec, ...]
    order_by: tuple[str, ...]
    check: Checker

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields)


@dataclass(frozen=True)
class EnterpriseRecordRow:
    """A record's values as plain data (safe across threads), with its id and version."""

    id: int
    enterprise_id: int
    version: int
    values: dict[str, Any]


def _same_key(session: Session, model: Any, enterprise_id: int, record_id: int | None, **keys: Any) -> bool:
    statement = select(model.id).where(model.enterprise_id == enterprise_id)
    for key, value in keys.items():
        statement = statement.where(getattr(model, key) == value)
    found = session.scalars(statement).first()
    return found is not None and found != record_id


def _check_cultivation(
    session: Session, values: dict[str, Any], enterprise_id: int, record_id: int | None
) -> list[Problem]:
    problems: list[Problem] = []
    program_code = values.get("program_code")
    if program_code and session.get(Program, program_code) is None:
        problems.append(Problem("program_code", f"未知的培育层级“{program_code}”"))
    status, exited_on, entered_on = values.get("status"), values.get("exited_on"), values.get("entered_on")
    if status == "已退出" and exited_on is None:
        problems.append(Problem("exited_on", "状态为“已退出”时，请填写退出日期"))
    if status != "已退出" and (exited_on is not None or values.get("exit_reason")):
        problems.append(Problem("status", "填写了退出日期或原因，状态应为“已退出”"))
    if isinstance(exited_on, dt.date) and isinstance(entered_on, dt.date) and exited_on < entered_on:
        problems.append(Problem("exited_on", "退出日期早于入库日期"))
    year = values.get("year")
    if isinstance(entered_on, dt.date) and isinstance(year, int) and entered_on.year != year:
        problems.append(
            Problem("entered_on", f"入库日期（{entered_on.year}年）与入库年份（{year}年）不一致", "warning")
        )
    if (
        program_code
        and year
        and _same_key(session, Cultivation, enterprise_id, record_id, program_code=program_code, year=year)
    ):
        problems.append(Problem("year", f"该企业已有 {year} 年的这一层级培育记录"))
    return problems


def _check_annual(session: Session, values: dict[str, Any], enterprise_id: int, record_id: int | None) -> list[Problem]:
    problems: list[Problem] = []
    year = values.get("year")
    if year and _same_key(session, AnnualReport, enterprise_id, record_id, year=year):
        problems.append(Problem("year", f"该企业已有 {year} 年度的监测数据，请修改那一行"))
    revenue, main_revenue = values.get("revenue"), values.get("main_revenue")
    if isinstance(revenue, float | int) and isinstance(main_revenue, float | int) and main_revenue > revenue:
        problems.append(Problem("main_revenue", "主营业务收入大于营业收入，请核对", "warning"))
    employees, rd_staff = values.get("employees_avg"), values.get("rd_staff")
    if isinstance(employees, int) and isinstance(rd_staff, int) and rd_staff > employees:
        problems.append(Problem("rd_staff", f"研发人员（{rd_staff}人）多于从业人员（{employees}人）"))
    return problems


def _check_visit(session: Session, values: dict[str, Any], enterprise_id: int, record_id: int | None) -> list[Problem]:
    problems: list[Problem] = []
    status, closed_on, visited_on = values.get("status"), values.get("closed_on"), values.get("visited_on")
    if status == "已办结" and closed_on is None:
        problems.append(Problem("closed_on", "状态为“已办结”时，请填写办结日期"))
    if status != "已办结" and closed_on is not None:
        problems.append(Problem("status", "填写了办结日期，状态应为“已办结”"))
    if isinstance(closed_on, dt.date) and isinstance(visited_on, dt.date) and closed_on < visited_on:
        problems.append(Problem("closed_on", "办结日期早于走访日期"))
    return problems


CULTIVATION = RecordKind("cultivation", "培育记录", Cultivation, CULTIVATION_FIELDS, ("year", "id"), _check_cultivation)
ANNUAL = RecordKind("annual_report", "年度监测", AnnualReport, ANNUAL_FIELDS, ("year",), _check_annual)
VISIT = RecordKind("help_visit", "帮扶记录", HelpVisit, VISIT_FIELDS, ("visited_on", "id"), _check_visit)
KINDS = {kind.entity: kind for kind in (CULTIVATION, ANNUAL, VISIT)}


def _prepare(kind: RecordKind, values: Mapping[str, Any]) -> dict[str, Any]:
    known = set(kind.keys)
    prepared: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise KeyError(f"unknown {kind.entity} field {key!r}")
        if isinstance(value, str):
            value = clean_text(value) or None
        prepared[key] = value
    return prepared


def validate_record(
    session: Session,
    kind: RecordKind,
    enterprise_id: int,
    values: Mapping[str, Any],
    *,
    record_id: int | None = None,
    today: dt.date | None = None,
) -> list[Problem]:
    today = today or dt.date.today()
    full = dict(values)
    problems = [
        Problem(spec.key, message)
        for spec in kind.fields
        if (message := check_value(spec, full.get(spec.key), today=today))
    ]
    return problems + kind.check(session, full, enterprise_id, record_id)


def _live_enterprise(session: Session, enterprise_id: int) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"找不到编号为 {enterprise_id} 的企业")
    if enterprise.deleted_at is not None:
        raise UserError(f"“{enterprise.name}”在回收站中，请先恢复再修改它的记录")
    return enterprise


def _row(kind: RecordKind, instance: Any) -> EnterpriseRecordRow:
    return EnterpriseRecordRow(
        instance.id, instance.enterprise_id, instance.version, {k: getattr(instance, k) for k in kind.keys}
    )


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def list_records(session: Session, kind: RecordKind, enterprise_id: int) -> list[EnterpriseRecordRow]:
    model: Any = kind.model
    statement = (
        select(model).where(model.enterprise_id == enterprise_id).order_by(*(getattr(model, k) for k in kind.order_by))
    )
    return [_row(kind, instance) for instance in session.scalars(statement)]


def add_record(
    session: Session,
    actor: str,
    kind: RecordKind,
    enterprise_id: int,
    values: Mapping[str, Any],
    *,
    today: dt.date | None = None,
) -> EnterpriseRecordRow:
    _live_enterprise(session, enterprise_id)
    prepared = _prepare(kind, values)
    full = {key: prepared.get(key) for key in kind.keys}
    if kind is CULTIVATION and full.get("status") is None:
        full["status"] = "培育中"
    if kind is VISIT and full.get("status") is None:
        full["status"] = "办理中"
    problems = validate_record(session, kind, enterprise_id, full, today=today)
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems)
    model: Any = kind.model
    instance = model(enterprise_id=enterprise_id, **full)
    session.add(instance)
    session.flush()
    after = _jsonable({k: v for k, v in full.items() if v is not None})
    record(session, actor, "create", kind.entity, str(instance.id), after=after, enterprise_id=enterprise_id)
    return _row(kind, instance)


def _load(session: Session, kind: RecordKind, record_id: int, expected_version: int) -> Any:
    instance: Any = session.get(kind.model, record_id)
    if instance is None:
        raise NotFound(f"这条{kind.label}已不存在，可能已被删除")
    if instance.version != expected_version:
        raise VersionConflict(f"这条{kind.label}已在别处被修改，本次未保存。请重新打开后再修改。")
    return instance


def update_record(
    session: Session,
    actor: str,
    kind: RecordKind,
    record_id: int,
    expected_version: int,
    values: Mapping[str, Any],
    *,
    today: dt.date | None = None,
) -> dict[str, tuple[Any, Any]]:
    instance = _load(session, kind, record_id, expected_version)
    _live_enterprise(session, instance.enterprise_id)
    current = {k: getattr(instance, k) for k in kind.keys}
    merged = {**current, **_prepare(kind, values)}
    problems = validate_record(session, kind, instance.enterprise_id, merged, record_id=record_id, today=today)
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems)
    changes = {k: (current[k], merged[k]) for k in kind.keys if current[k] != merged[k]}
    if not changes:
        return {}
    for key, (_, new) in changes.items():
        setattr(instance, key, new)
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionConflict(f"这条{kind.label}刚刚被别处修改，本次未保存。") from exc
    record(
        session,
        actor,
        "update",
        kind.entity,
        str(record_id),
        before=_jsonable({k: old for k, (old, _) in changes.items()}),
        after=_jsonable({k: new for k, (_, new) in changes.items()}),
        enterprise_id=instance.enterprise_id,
    )
    return changes


def end_cultivation(
    session: Session, actor: str, record_id: int, expected_version: int, exited_on: dt.date, reason: str
) -> dict[str, tuple[Any, Any]]:
    """End an entry (退出培育): status 已退出 with the date and reason."""
    return update_record(
        session,
        actor,
        CULTIVATION,
        record_id,
        expected_version,
        {"status": "已退出", "exited_on": exited_on, "exit_reason": reason},
    )


def delete_record(session: Session, actor: str, kind: RecordKind, record_id: int, expected_version: int) -> None:
    instance = _load(session, kind, record_id, expected_version)
    _live_enterprise(session, instance.enterprise_id)
    before = _jsonable({k: getattr(instance, k) for k in kind.keys})
    enterprise_id = instance.enterprise_id
    session.delete(instance)
    session.flush()
    record(session, actor, "delete", kind.entity, str(record_id), before=before, enterprise_id=enterprise_id)
