"""审计日志: the audit trail read back — filtered, narrowed to the viewer's units, paged, put in words, exported.

Entries are shown newest first. Each becomes an `AuditRow` of display texts: local time, actor, the action
and the kind of object in Chinese, the enterprise's name and credit code when the entry concerns one, and
the change as "字段：旧值 → 新值". The queries lean on the indexes of migration 0006 (time; actor, action
and object kind each with time), so a page of a million-entry trail and its count take milliseconds.

`unit_codes` is the viewer's scope (None: every entry; else entries about those units' enterprises). The
signed-in account's own limit is applied here as well, whatever the caller passes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, Text, cast, func, or_, select, union_all
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.clock import local_time, utcnow
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange.sheets import SHEET_BY_KIND, TARGET_FIELDS
from zjtx_desktop.fields import ANNUAL_FIELDS, CULTIVATION_FIELDS, ENTERPRISE_FIELDS, VISIT_FIELDS
from zjtx_desktop.models import AuditEntry, Enterprise, Industry, Program, Region
from zjtx_desktop.permissions import narrowed
from zjtx_desktop.principal import ROLE_LABELS
from zjtx_desktop.registry import ACTION_LABELS as RECORD_ACTION_LABELS
from zjtx_desktop.registry import ENTITY_LABELS as RECORD_ENTITY_LABELS
from zjtx_desktop.registry import FIELD_LABELS, display_value

ProgressCallback = Callable[[int, int, str], None]  # (done, total, message)
CancelCallback = Callable[[], bool]  # True: stop now

PAGE_SIZE = 200
_SUMMARY_VALUE_LIMIT = 80  # characters of one value in the one-line summary; the details show all
_CHUNK = 500  # ids per query when reading rows by id (SQL variable limits)

# --- the vocabulary: every action and object kind the program records, in Chinese -----------------------

ACTION_LABELS: dict[str, str] = {
    **RECORD_ACTION_LABELS,
    "restore": "恢复",  # from the recycle bin or from a backup: _ACTION_ON says which
    "export": "导出",
    "report": "生成报表",
    "configure": "设置本机单位",
    "demo": "生成演示数据",
    "login": "登录",
    "login_failed": "登录失败",
    "lock": "账户锁定",
    "unlock": "解锁账户",
    "reset_password": "重置密码",
    "change_password": "修改密码",
}
_ACTION_ON: dict[tuple[str, str], str] = {
    ("restore", "enterprise"): "从回收站恢复",
    ("restore", "database"): "从备份恢复数据库",
}
ENTITY_LABELS: dict[str, str] = {
    **RECORD_ENTITY_LABELS,
    "target": "目标任务",
    "target_plan": "目标轮次",
    "indicator_value": "规划指标",
    "rule_set": "评价规则",
    "policy_task": "政策任务",
    "task_progress": "任务进展",
    "database": "数据库",
    "installation": "本机单位",
    "user_account": "账户",
    "audit_entry": "审计日志",
}
# An export or a report records what it wrote in the object column: a sheet kind or a report kind.
EXPORT_LABELS: dict[str, str] = {
    **{kind: sheet.name for kind, sheet in SHEET_BY_KIND.items()},
    "progress": "目标完成情况",
    "package": "报送包",
    "template": "导入模板",
    "templates": "导入模板",
    "audit_entry": "审计日志",
}
REPORT_LABELS: dict[str, str] = {
    "roster": "培育名单",
    "progress": "目标完成情况表",
    "profile": "企业档案",
    "annual": "年度发展报告",
    "monitoring": "监测分析",
    "evaluation": "县域综合评价",
    "supervision": "政策任务督查表",
}
_COMMON_FIELDS = {
    "rows": "行数",
    "digest": "内容校验",
    "pages": "页数",
    "safety_copy": "恢复前备份",
    "seed": "随机种子",
    "unit": "单位",
    "organisation": "报表署名",
    "filter": "筛选条件",
}
# Keys are shared between kinds of object (status, kind, note, count): each kind's own labels come first.
_ENTITY_FIELDS: dict[str, dict[str, str]] = {
    "enterprise": {spec.key: spec.label for spec in ENTERPRISE_FIELDS},
    "cultivation": {spec.key: spec.label for spec in CULTIVATION_FIELDS},
    "annual_report": {spec.key: spec.label for spec in ANNUAL_FIELDS},
    "help_visit": {spec.key: spec.label for spec in VISIT_FIELDS},
    "target": {spec.key: spec.label for spec in TARGET_FIELDS},
    "target_plan": {
        **{spec.key: spec.label for spec in TARGET_FIELDS},
        "title": "表述",
        "issued_on": "印发日期",
        "stated_total": "文件所列合计",
    },
    "rule_set": {
        "kind": "类别",
        "code": "代码",
        "name": "名称",
        "year": "年度",
        "active": "启用",
        "note": "备注",
        "definition": "规则内容",
        "version": "版本",
    },
    "policy_task": {"status": "状态", "deadline": "完成时限"},
    "task_progress": {
        "task": "任务序号",
        "period": "期间",
        "recorded_on": "记录日期",
        "status": "状态",
        "note": "进展情况",
        "evidence_file": "佐证材料",
        "evidence_source": "佐证材料原文件",
        "evidence_sha256": "佐证材料校验值（SHA-256）",
        "recorded_by": "记录人",
    },
    "database": {"count": "企业数"},
    "user_account": {
        "username": "用户名",
        "display_name": "姓名",
        "role": "角色",
        "region_code": "所属单位",
        "active": "启用",
        "failed_attempts": "连续输错次数",
        "reason": "原因",
    },
}
_LOGIN_REASONS = {"unknown": "没有这个用户名", "inactive": "账户已停用"}
_REGION_KEYS = frozenset({"region_code", "unit", "单位"})


def action_label(action: str, entity: str = "") -> str:
    return _ACTION_ON.get((action, entity)) or ACTION_LABELS.get(action, action)


def entity_label(entity: str, action: str = "") -> str:
    """The kind of object in words; exports and reports name what they wrote."""
    if action == "export":
        return EXPORT_LABELS.get(entity, entity)
    if action == "report":
        return REPORT_LABELS.get(entity, entity)
    return ENTITY_LABELS.get(entity) or EXPORT_LABELS.get(entity) or REPORT_LABELS.get(entity) or entity


def field_label(entity: str, key: str) -> str:
    return _ENTITY_FIELDS.get(entity, {}).get(key) or _COMMON_FIELDS.get(key) or FIELD_LABELS.get(key, key)


# --- filters ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer narrows the trail to; every part optional. Dates are local calendar days, inclusive."""

    actor: str | None = None
    actions: tuple[str, ...] = ()  # empty: every action
    entity: str | None = None  # the kind of object (AuditEntry.entity)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    enterprise: str = ""  # a credit code, or part of the name or code
    text: str = ""  # anywhere in the changed values, the object's number or file name, or the actor

    def describe(self) -> str:
        """The filter in words, for the export's title line."""
        parts: list[str] = []
        if self.actor:
            parts.append(f"操作人 {self.actor}")
        if self.actions:
            parts.append("操作 " + "、".join(action_label(a) for a in self.actions))
        if self.entity:
            parts.append(f"对象 {entity_label(self.entity)}")
        if self.date_from and self.date_to:
            parts.append(f"日期 {self.date_from.isoformat()} 至 {self.date_to.isoformat()}")
        elif self.date_from:
            parts.append(f"日期 {self.date_from.isoformat()} 起")
        elif self.date_to:
            parts.append(f"日期 截至 {self.date_to.isoformat()}")
        if self.enterprise.strip():
            parts.append(f"企业 “{self.enterprise.strip()}”")
        if self.text.strip():
            parts.append(f"关键词 “{self.text.strip()}”")
        return "；".join(parts) if parts else "全部记录"


def _utc_start(day: dt.date) -> dt.datetime:
    """Local midnight at the start of `day` as a stored (naive UTC) stamp."""
    return dt.datetime.combine(day, dt.time()).astimezone(dt.UTC).replace(tzinfo=None)


def _purged(*criteria: ColumnElement[bool]) -> Select[Any]:
    """Enterprises deleted for good: gone from the enterprise table, named only in their purge entry's snapshot.

    Only enterprises are purged, so the action alone picks their entries: a term on the object kind as
    well would tempt SQLite into the far longer index range of every enterprise entry.
    """
    return select(AuditEntry.enterprise_id).where(AuditEntry.action == "purge", *criteria)


def _enterprise_ids_in(units: Sequence[str]) -> CompoundSelect[Any]:
    snapshot_unit = AuditEntry.before["region_code"].as_string()
    return union_all(select(Enterprise.id).where(Enterprise.region_code.in_(units)), _purged(snapshot_unit.in_(units)))


def _enterprise_ids_like(text: str) -> CompoundSelect[Any]:
    code = uscc.normalize(text)
    if len(code) == 18 and code.isalnum():
        own: ColumnElement[bool] = Enterprise.uscc == code
        gone: ColumnElement[bool] = AuditEntry.before["uscc"].as_string() == code
    else:
        own = or_(Enterprise.name.contains(text, autoescape=True), Enterprise.uscc.contains(code, autoescape=True))
        gone = AuditEntry.before["name"].as_string().contains(text, autoescape=True)
    return union_all(select(Enterprise.id).where(own), _purged(gone))


def _text_matches(text: str) -> ColumnElement[bool]:
    # JSON is stored with non-ASCII characters escaped (\u4e3d…): look for the text as it is stored there.
    stored = json.dumps(text)[1:-1]
    return or_(
        AuditEntry.actor.contains(text, autoescape=True),
        AuditEntry.entity_id.contains(text, autoescape=True),
        cast(AuditEntry.before, Text).contains(stored, autoescape=True),
        cast(AuditEntry.after, Text).contains(stored, autoescape=True),
    )


def _conditions(
    audit_filter: AuditFilter, unit_codes: Sequence[str] | None, *, time_order: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE terms, written to steer SQLite's choice of index: a term on `enterprise_id + 0` cannot use
    the enterprise index, so the query walks another one (time, or actor, action, kind with time) and checks
    the term row by row. With time_order every enterprise term is written so: right when matches are dense.
    The scope (a county's thousands of firms) is written so as well whenever a narrower indexed filter is
    set: planner statistics would otherwise favour the enterprise index and sort a whole county's entries."""
    conditions: list[ColumnElement[bool]] = []
    plain: Any = AuditEntry.enterprise_id
    walked: Any = AuditEntry.enterprise_id + 0
    enterprise_id = walked if time_order else plain
    narrower = bool(
        audit_filter.actor
        or audit_filter.actions
        or audit_filter.entity
        or audit_filter.date_from
        or audit_filter.date_to
        or audit_filter.enterprise.strip()
    )
    if unit_codes is not None:
        conditions.append((walked if narrower else enterprise_id).in_(_enterprise_ids_in(unit_codes)))
    if audit_filter.enterprise.strip():
        conditions.append(enterprise_id.in_(_enterprise_ids_like(audit_filter.enterprise.strip())))
    if audit_filter.actor:
        conditions.append(AuditEntry.actor == audit_filter.actor)
    if len(audit_filter.actions) == 1:
        conditions.append(AuditEntry.action == audit_filter.actions[0])
    elif audit_filter.actions:
        conditions.append(AuditEntry.action.in_(audit_filter.actions))
    if audit_filter.entity:
        conditions.append(AuditEntry.entity == audit_filter.entity)
    if audit_filter.date_from is not None:
        conditions.append(AuditEntry.at >= _utc_start(audit_filter.date_from))
    if audit_filter.date_to is not None:
        conditions.append(AuditEntry.at < _utc_start(audit_filter.date_to + dt.timedelta(days=1)))
    if audit_filter.text.strip():
        conditions.append(_text_matches(audit_filter.text.strip()))
    return conditions


def _has_enterprise_terms(audit_filter: AuditFilter, unit_codes: Sequence[str] | None) -> bool:
    return unit_codes is not None or bool(audit_filter.enterprise.strip())


_NEWEST_FIRST = (AuditEntry.at.desc(), AuditEntry.id.desc())


def count_entries(session: Session, audit_filter: AuditFilter, unit_codes: Sequence[str] | None) -> int:
    unit_codes = narrowed(session, unit_codes)
    statement = select(func.count()).select_from(AuditEntry).where(*_conditions(audit_filter, unit_codes))
    return int(session.scalar(statement) or 0)


def _prefer_time_order(session: Session, matching: int, end: int) -> bool:
    """Walk the time index (stopping at `end` matches) rather than collect and sort every match?

    Walking reads about end × all / matching entries; collecting reads and sorts `matching` ones. A
    county's share of a big trail pages fastest by walking; one enterprise's entries by collecting.
    """
    if matching == 0:
        return False
    everything = int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    return end * everything < 6 * matching * matching


def _ordered_ids(
    session: Session,
    audit_filter: AuditFilter,
    unit_codes: Sequence[str] | None,
    matching: int,
    offset: int,
    limit: int | None,
) -> list[int]:
    end = matching if limit is None else min(matching, offset + limit)
    time_order = _has_enterprise_terms(audit_filter, unit_codes) and _prefer_time_order(session, matching, end)
    statement = (
        select(AuditEntry.id)
        .where(*_conditions(audit_filter, unit_codes, time_order=time_order))
        .order_by(*_NEWEST_FIRST)
        .offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


# --- rows in words ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field of an entry: its label and its value before and after (None: the entry has no such side)."""

    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as the viewer and the export show it (plain data, safe to hand across threads)."""

    id: int
    at: dt.datetime  # as stored (naive UTC)
    time: str  # local time with seconds
    actor: str
    action: str
    action_label: str
    entity: str
    entity_label: str
    object_label: str  # the enterprise "名称（代码）", or what the object is (a unit's target, a file …)
    enterprise_id: int | None
    enterprise_name: str | None
    uscc: str | None
    summary: str  # the change in one line: "字段：旧值 → 新值；…"
    changes: tuple[Change, ...]
    prev_hash: str | None
    hash: str | None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int  # entries matching the filter
    offset: int
    page_size: int

    @property
    def page(self) -> int:
        """1-based."""
        return self.offset // self.page_size + 1

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class AuditChoices:
    """What the filter combos offer: only values that occur in the viewer's part of the trail."""

    actors: list[str] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)  # (code, label)
    entities: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Lookups:
    regions: dict[str, str]
    programs: dict[str, str]
    industries: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> _Lookups:
        return cls(
            dict(session.execute(select(Region.code, Region.name)).all()),
            dict(session.execute(select(Program.code, Program.name)).all()),
            {code: f"{code} {name}" for code, name in session.execute(select(Industry.code, Industry.name))},
        )


def _value_text(key: str, value: Any, lookups: _Lookups) -> str:
    if isinstance(value, str):
        if key in _REGION_KEYS:
            return lookups.regions.get(value, value)
        if key == "program_code":
            return lookups.programs.get(value, value)
        if key == "industry_code":
            return lookups.industries.get(value, value)
        if key == "role":
            return ROLE_LABELS.get(value, value)
        if key == "reason":
            return _LOGIN_REASONS.get(value, value)
    if key == "rows" and isinstance(value, dict):  # an export's rows per sheet
        return "、".join(f"{EXPORT_LABELS.get(kind, kind)} {count} 行" for kind, count in value.items())
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return display_value(value)


def _changes(
    entity: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, lookups: _Lookups
) -> tuple[Change, ...]:
    old, new = before or {}, after or {}
    keys = [*new, *(key for key in old if key not in new)]
    return tuple(
        Change(
            field_label(entity, key),
            _value_text(key, old[key], lookups) if key in old else None,
            _value_text(key, new[key], lookups) if key in new else None,
        )
        for key in keys
    )


def _short(text: str, limit: int | None) -> str:
    if limit is None:
        return text
    text = " ".join(text.split())  # one line
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarise(changes: Sequence[Change], *, limit: int | None = _SUMMARY_VALUE_LIMIT) -> str:
    """The change in one line: "字段：旧值 → 新值" for a field the entry has before and after, else "字段：值";
    each value cut to `limit` characters (None: whole)."""
    parts: list[str] = []
    for change in changes:
        if change.old is not None and change.new is not None:
            if change.old != change.new:
                parts.append(
                    f"{change.label}：{_short(change.old, limit) or '（空）'} → {_short(change.new, limit) or '（空）'}"
                )
        elif change.new or change.old:
            parts.append(f"{change.label}：{_short(change.new or change.old or '', limit)}")
    return "；".join(parts)


def _object_text(
    entity: str, entity_id: str | None, before: Mapping[str, Any], after: Mapping[str, Any], lookups: _Lookups
) -> str:
    """What an object that is not an enterprise's is: a unit's target, a rule set, a task's note, a file."""
    values = {**before, **after}
    if entity == "user_account":  # the account by its user name (and the person, where the entry names them)
        person = values.get("display_name")
        return f"{entity_id}（{person}）" if person and entity_id else entity_id or ""
    parts: list[str] = []
    if isinstance(values.get("region_code"), str):
        parts.append(lookups.regions.get(values["region_code"], values["region_code"]))
    if isinstance(values.get("program_code"), str):
        parts.append(lookups.programs.get(values["program_code"], values["program_code"]))
    if values.get("start_year") and values.get("end_year"):
        parts.append(f"{values['start_year']}—{values['end_year']}年")
    if entity == "rule_set" and values.get("name"):
        parts.append(str(values["name"]))
    elif entity == "rule_set" and "year" in values:
        parts.append(f"{values['year']}年度" if values["year"] is not None else "默认方案")
    if entity == "task_progress" and values.get("task"):
        parts.append(f"任务{values['task']}" + (f" {values['period']}" if values.get("period") else ""))
    if entity == "installation" and entity_id:
        parts.append(lookups.regions.get(entity_id, entity_id))
    if parts:
        return " · ".join(parts)
    if entity_id and entity_id.isdigit():
        return f"编号 {entity_id}"
    return entity_id or ""


_ROW_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.enterprise_id,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.prev_hash,
    AuditEntry.hash,
    Enterprise.name,
    Enterprise.uscc,
)


def _read_rows(session: Session, ids: Sequence[int], lookups: _Lookups) -> list[AuditRow]:
    """The rows of these entries, in this order."""
    found: dict[int, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        statement = (
            select(*_ROW_COLUMNS)
            .outerjoin(Enterprise, Enterprise.id == AuditEntry.enterprise_id)
            .where(AuditEntry.id.in_(chunk))
        )
        found.update((row.id, row) for row in session.execute(statement))
    gone = {row.enterprise_id for row in found.values() if row.enterprise_id is not None and row.name is None}
    snapshots = _purge_snapshots(session, gone) if gone else {}
    return [_to_row(found[entry_id], snapshots, lookups) for entry_id in ids if entry_id in found]


def _purge_snapshots(session: Session, enterprise_ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
    """enterprise id → (name, code) from the purge entries of enterprises deleted for good."""
    names: dict[int, tuple[str | None, str | None]] = {}
    wanted = sorted(enterprise_ids)
    for start in range(0, len(wanted), _CHUNK):
        statement = select(AuditEntry.enterprise_id, AuditEntry.before).where(
            AuditEntry.action == "purge",
            AuditEntry.entity == "enterprise",
            AuditEntry.enterprise_id.in_(wanted[start : start + _CHUNK]),
        )
        for enterprise_id, before in session.execute(statement):
            snapshot = before or {}
            names[enterprise_id] = (snapshot.get("name"), snapshot.get("uscc"))
    return names


def _to_row(row: Any, snapshots: Mapping[int, tuple[str | None, str | None]], lookups: _Lookups) -> AuditRow:
    before: dict[str, Any] = row.before if isinstance(row.before, dict) else {}
    after: dict[str, Any] = row.after if isinstance(row.after, dict) else {}
    name, code = row.name, row.uscc
    if row.enterprise_id is not None and name is None:
        # Deleted for good: the purge entry, or this entry itself, still names the firm.
        name, code = snapshots.get(row.enterprise_id, (None, None))
        name = name or before.get("name") or after.get("name")
        code = code or before.get("uscc") or after.get("uscc")
    if row.enterprise_id is not None:
        shown = name or f"已不存在的企业（编号 {row.enterprise_id}）"
        object_label = f"{shown}（{code}）" if code else shown
    else:
        object_label = _object_text(row.entity, row.entity_id, before, after, lookups)
    changes = _changes(row.entity, row.before, row.after, lookups)
    return AuditRow(
        id=row.id,
        at=row.at,
        time=local_time(row.at).strftime("%Y-%m-%d %H:%M:%S"),
        actor=row.actor,
        action=row.action,
        action_label=action_label(row.action, row.entity),
        entity=row.entity,
        entity_label=entity_label(row.entity, row.action),
        object_label=object_label,
        enterprise_id=row.enterprise_id,
        enterprise_name=name,
        uscc=code,
        summary=summarise(changes),
        changes=changes,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


# --- reading ------------------------------------------------------------------------------------------------


def audit_page(
    session: Session,
    audit_filter: AuditFilter,
    unit_codes: Sequence[str] | None,
    *,
    offset: int = 0,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the entries matching the filter, newest first, with how many match in all.

    `unit_codes` is the viewer's scope: None sees every entry; a list sees only entries about enterprises
    of those units (including firms since deleted for good). An offset past the end shows the last page.
    """
    unit_codes = narrowed(session, unit_codes)
    total = count_entries(session, audit_filter, unit_codes)
    last_page_offset = max(0, (total - 1) // page_size * page_size)
    offset = max(0, min(offset - offset % page_size, last_page_offset))
    ids = _ordered_ids(session, audit_filter, unit_codes, total, offset, page_size) if total else []
    rows = _read_rows(session, ids, _Lookups.load(session)) if ids else []
    return AuditPage(rows, total, offset, page_size)


def _distinct(session: Session, column: Any, unit_codes: Sequence[str] | None) -> list[str]:
    """The column's distinct values, read by hopping along its index (a handful of lookups, not a scan of
    the trail); in a scope, only values that occur in it."""
    values: list[str] = []
    # `+ 0`: check each value's own entries (its index, newest first) rather than every entry of the scope.
    scope = [(AuditEntry.enterprise_id + 0).in_(_enterprise_ids_in(unit_codes))] if unit_codes is not None else []
    current = session.scalar(select(func.min(column)))
    while current is not None:
        if not scope or session.scalar(select(AuditEntry.id).where(column == current, *scope).limit(1)) is not None:
            values.append(current)
        current = session.scalar(select(func.min(column)).where(column > current))
    return values


def audit_choices(session: Session, unit_codes: Sequence[str] | None) -> AuditChoices:
    unit_codes = narrowed(session, unit_codes)
    actors = _distinct(session, AuditEntry.actor, unit_codes)
    actions = _distinct(session, AuditEntry.action, unit_codes)
    entities = _distinct(session, AuditEntry.entity, unit_codes)
    return AuditChoices(
        actors,
        sorted(((a, action_label(a)) for a in actions), key=lambda pair: _order(ACTION_LABELS, pair[0])),
        sorted(((e, entity_label(e)) for e in entities), key=lambda pair: _order(ENTITY_LABELS, pair[0])),
    )


def _order(known: Mapping[str, str], code: str) -> tuple[int, str]:
    """Known codes in their vocabulary's order, the rest after them by code."""
    keys = list(known)
    return (keys.index(code), "") if code in known else (len(keys), code)


def iter_rows(
    session: Session,
    audit_filter: AuditFilter,
    unit_codes: Sequence[str] | None,
    *,
    total: int | None = None,
) -> Iterator[AuditRow]:
    """Every matching entry, newest first, read in chunks (memory stays flat for a million entries)."""
    unit_codes = narrowed(session, unit_codes)
    if total is None:
        total = count_entries(session, audit_filter, unit_codes)
    if not total:
        return
    ids = _ordered_ids(session, audit_filter, unit_codes, total, 0, None)
    lookups = _Lookups.load(session)
    for start in range(0, len(ids), _CHUNK):
        yield from _read_rows(session, ids[start : start + _CHUNK], lookups)


# --- export -------------------------------------------------------------------------------------------------

EXPORT_HEADERS = (
    "序号",
    "时间",
    "操作人",
    "操作",
    "对象类别",
    "对象",
    "企业名称",
    "统一社会信用代码",
    "变更内容",
    "校验值（SHA-256）",
    "前一条的校验值",
)
_EXPORT_WIDTHS = (9, 20, 22, 14, 12, 40, 34, 22, 80, 66, 66)
_SHEET_ROWS = 1_048_576 - 2  # Excel's rows per sheet, less the title and header
_TICK = 1000


def _scope_text(session: Session, unit_codes: Sequence[str] | None) -> str:
    if unit_codes is None:
        return "全部单位"
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(unit_codes))).all())
    return "、".join(names.get(code, code) for code in unit_codes)


def export_audit_log(
    session: Session,
    path: str | os.PathLike[str],
    audit_filter: AuditFilter,
    unit_codes: Sequence[str] | None,
    *,
    exported_by: str,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> int:
    """Write the matching entries to an .xlsx workbook; returns how many were written.

    A title line names the scope, the filter, the export time and who exported; the hash columns let an
    auditor compare the file with the database (or with a later export). Text is stored as text: what a
    clerk typed that a spreadsheet would run as a formula (= + - @ …) carries a quote prefix. Written to a
    temporary file that replaces `path` only when complete, so a cancelled or failed export leaves nothing.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from zjtx_desktop.exchange.export import (
        ExportCancelled,
        clean_text,
        discard_workbook,
        is_risky_text,
        temporary_path,
    )

    target = Path(path)
    unit_codes = narrowed(session, unit_codes)
    total = count_entries(session, audit_filter, unit_codes)
    stamp = local_time(utcnow()).strftime("%Y-%m-%d %H:%M:%S")
    title = (
        f"审计日志（{_scope_text(session, unit_codes)}；筛选条件：{audit_filter.describe()}）"
        f"　导出时间 {stamp}　导出人 {exported_by}　共 {total:,} 条"
    )
    workbook = Workbook(write_only=True)
    probe_sheet = workbook.create_sheet("审计日志")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DCE6F1")

    def text_cell(sheet: Any, value: str | None, *, font: Font | None = None, fill: PatternFill | None = None) -> Any:
        cell = WriteOnlyCell(sheet, clean_text(value))
        if cell.value is not None:
            cell.data_type = "s"  # stored as text whatever it looks like
            if is_risky_text(cell.value):
                cell.quotePrefix = True  # Excel and WPS keep it text when the cell is edited, too
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        return cell

    def start(sheet: Any) -> None:
        for index, width in enumerate(_EXPORT_WIDTHS, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "C3"
        title_cell = text_cell(sheet, title, font=Font(bold=True, size=13))
        title_cell.alignment = Alignment(vertical="center")
        sheet.append([title_cell])
        sheet.append([text_cell(sheet, header, font=bold, fill=header_fill) for header in EXPORT_HEADERS])

    sheet = probe_sheet
    start(sheet)
    temporary = temporary_path(target)
    written = 0
    try:
        for row in iter_rows(session, audit_filter, unit_codes, total=total):
            if written % _TICK == 0:
                if cancel is not None and cancel():
                    raise ExportCancelled()
                if progress is not None:
                    progress(written, total, f"正在导出审计日志：{written:,} / {total:,} 条")
            if written and written % _SHEET_ROWS == 0:
                sheet = workbook.create_sheet(f"审计日志{written // _SHEET_ROWS + 1}")
                start(sheet)
            sheet.append(
                [
                    row.id,
                    row.time,
                    text_cell(sheet, row.actor),
                    row.action_label,
                    row.entity_label,
                    text_cell(sheet, row.object_label),
                    text_cell(sheet, row.enterprise_name),
                    text_cell(sheet, row.uscc),
                    text_cell(sheet, summarise(row.changes, limit=None)),
                    row.hash,
                    row.prev_hash,
                ]
            )
            written += 1
        if progress is not None:
            progress(written, max(total, written), "正在保存文件…")
        workbook.save(temporary)
        os.replace(temporary, target)
    except BaseException as exc:
        discard_workbook(workbook)
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, PermissionError):
            raise UserError(f"无法写入 {target.name}：文件可能正在 Excel 或 WPS 中打开，请关闭后重试。") from exc
        if isinstance(exc, OSError):
            raise UserError(f"无法写入 {target}：{exc.strerror or exc}") from exc
        raise
    return written
