"""目标设置: target rounds (TargetPlan) and each unit's target (Target) — listed, checked against the 合计, edited by the city."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop.audit import record
from zjtx_desktop.clock import format_local
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange.sheets import TARGET_FIELDS
from zjtx_desktop.fields import FieldSpec, check_value, clean_text
from zjtx_desktop.models import Program, Region, Target, TargetPlan
from zjtx_desktop.permissions import require_city
from zjtx_desktop.progress import period_label
from zjtx_desktop.registry import NotFound, Problem, ValidationFailed, VersionConflict

PeriodKey = tuple[str, int, int]  # program code, start year, end year

COUNTY_READ_ONLY = "目标由市局下达，县级安装只能查看，不能修改。"
CITY_UNIT_LABEL = "市本级"
AUTO_PLAN_NOTE = "导入或录入单位目标时自动建立：请补充标题、发文日期和文件所列合计。"

# The fields of a round as the plan dialog shows them and save_plan checks them.
PLAN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("program_code", "培育层级", kind="program", required=True),
    FieldSpec("start_year", "起始年份", kind="int", required=True, min_value=2000, max_value=2100),
    FieldSpec(
        "end_year",
        "截止年份",
        kind="int",
        required=True,
        min_value=2000,
        max_value=2100,
        hint="只有一年的目标（如“其中2018年”）起止年份相同",
    ),
    FieldSpec("title", "标题", max_length=60, hint="按文件的写法，如“到2025年”“其中2021年”"),
    FieldSpec("document_no", "文号", max_length=60, hint="如 丽政办发〔2018〕61号；新录入的单位目标默认用此文号"),
    FieldSpec("issued_on", "发文日期", kind="date"),
    FieldSpec(
        "stated_total",
        "文件所列合计",
        kind="int",
        unit="家",
        min_value=0,
        max_value=100_000,
        hint="文件“合计”一行的数字，用来核对各单位目标之和；留空则不核对",
    ),
    FieldSpec("note", "备注", max_length=2000),
)
PLAN_KEYS = tuple(spec.key for spec in PLAN_FIELDS)
_TARGET_SPECS = {spec.key: spec for spec in TARGET_FIELDS}
_INT_KEYS = {"start_year", "end_year", "stated_total", "count"}


@dataclass(frozen=True)
class UnitTarget:
    """One unit's target within a round."""

    id: int
    version: int
    region_code: str
    region_name: str  # 市本级 for the city's own row
    count: int
    document_no: str | None
    note: str | None


@dataclass(frozen=True)
class PlanView:
    """A round of targets with its unit rows and the check of their sum against the document's 合计.

    `id` and `version` are None for a period that has unit targets but no plan row yet.
    `complete` is False when only some units were asked for (a county): the sum is then not checked.
    """

    id: int | None
    version: int | None
    program_code: str
    program_name: str
    start_year: int
    end_year: int
    title: str | None
    document_no: str | None
    issued_on: dt.date | None
    stated_total: int | None
    note: str | None
    units: list[UnitTarget]
    units_sum: int
    complete: bool
    total_matches: bool
    total_message: str | None

    @property
    def key(self) -> PeriodKey:
        return (self.program_code, self.start_year, self.end_year)

    @property
    def period_label(self) -> str:
        return period_label(self.start_year, self.end_year)

    def values(self) -> dict[str, Any]:
        """The round's own fields, as the plan dialog edits them."""
        return {key: getattr(self, key) for key in PLAN_KEYS}


# --- reading --------------------------------------------------------------------------------


def unit_label(region: Region) -> str:
    return CITY_UNIT_LABEL if region.is_city else region.name


def mismatch_message(units_sum: int, stated_total: int | None) -> str | None:
    """Why the units' sum and the document's 合计 disagree, or None when they agree (or nothing is stated)."""
    if stated_total is None or units_sum == stated_total:
        return None
    difference = units_sum - stated_total
    side = f"多 {difference}" if difference > 0 else f"少 {-difference}"
    return f"各单位合计 {units_sum}，与文件所列合计 {stated_total} 不符（{side}）"


def list_plans(session: Session, unit_codes: list[str] | None = None) -> list[PlanView]:
    """Every round (and every period that has unit targets but no round yet) with its unit rows in unit order.

    With `unit_codes` only those units' rows are listed (a county sees its own) and the sum is not checked.
    """
    programs = {program.code: program for program in session.scalars(select(Program))}
    plans: dict[PeriodKey, TargetPlan] = {
        (plan.program_code, plan.start_year, plan.end_year): plan for plan in session.scalars(select(TargetPlan))
    }
    query = (
        select(Target, Region).join(Region, Region.code == Target.region_code).order_by(Region.sort_order, Region.code)
    )
    if unit_codes is not None:
        query = query.where(Target.region_code.in_(unit_codes))
    units: dict[PeriodKey, list[UnitTarget]] = {}
    for target, region in session.execute(query):
        units.setdefault((target.program_code, target.start_year, target.end_year), []).append(
            UnitTarget(
                target.id,
                target.version,
                region.code,
                unit_label(region),
                target.count,
                target.document_no,
                target.note,
            )
        )
    keys = set(plans) | set(units)  # with unit_codes: periods without a round only where those units have rows

    def order(key: PeriodKey) -> tuple[int, str, int, int]:
        program = programs.get(key[0])
        return (program.sort_order if program else 0, key[0], key[1], -key[2])

    complete = unit_codes is None
    views: list[PlanView] = []
    for key in sorted(keys, key=order):
        plan = plans.get(key)
        rows = units.get(key, [])
        units_sum = sum(row.count for row in rows)
        stated = plan.stated_total if plan else None
        message = mismatch_message(units_sum, stated) if complete else None
        program = programs.get(key[0])
        views.append(
            PlanView(
                id=plan.id if plan else None,
                version=plan.version if plan else None,
                program_code=key[0],
                program_name=program.name if program else key[0],
                start_year=key[1],
                end_year=key[2],
                title=plan.title if plan else None,
                document_no=plan.document_no if plan else _common_document(rows),
                issued_on=plan.issued_on if plan else None,
                stated_total=stated,
                note=plan.note if plan else None,
                units=rows,
                units_sum=units_sum,
                complete=complete,
                total_matches=message is None,
                total_message=message,
            )
        )
    return views


def _common_document(rows: list[UnitTarget]) -> str | None:
    documents = Counter(row.document_no for row in rows if row.document_no)
    return documents.most_common(1)[0][0] if documents else None


# --- checks shared by the writers -------------------------------------------------------------


def _tidy(values: Mapping[str, Any]) -> dict[str, Any]:
    """Trim text (empty → None) and take 12.0 for 12 in whole-number fields."""
    tidy: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = (value.strip() if key == "note" else clean_text(value)) or None
        if key in _INT_KEYS and isinstance(value, float) and value.is_integer():
            value = int(value)
        tidy[key] = value
    return tidy


def _raise_on_errors(problems: list[Problem]) -> None:
    if any(problem.severity == "error" for problem in problems):
        raise ValidationFailed(problems)


def _period_name(session: Session, key: PeriodKey) -> str:
    program = session.get(Program, key[0])
    return f"{program.name if program else key[0]} {period_label(key[1], key[2])}"


def _check_version(what: str, version: int, expected: int, updated_at: dt.datetime) -> None:
    if version != expected:
        raise VersionConflict(
            f"{what}已在别处被修改（{format_local(updated_at)}），为避免覆盖他人的修改，本次未保存。请刷新后核对再修改。"
        )


def _flush_versioned(session: Session, what: str) -> None:
    """Flush with the version in the UPDATE or DELETE itself, which catches a save between read and write."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionConflict(f"{what}刚刚被别处修改，本次未保存，请刷新后再修改。") from exc


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in values.items()}


def _targets_of(session: Session, key: PeriodKey) -> list[Target]:
    program_code, start_year, end_year = key
    return list(
        session.scalars(
            select(Target).where(
                Target.program_code == program_code, Target.start_year == start_year, Target.end_year == end_year
            )
        )
    )


def _plan_of(session: Session, key: PeriodKey) -> TargetPlan | None:
    program_code, start_year, end_year = key
    return session.scalars(
        select(TargetPlan).where(
            TargetPlan.program_code == program_code,
            TargetPlan.start_year == start_year,
            TargetPlan.end_year == end_year,
        )
    ).first()


# --- rounds -----------------------------------------------------------------------------------


def validate_plan(
    session: Session, values: Mapping[str, Any], *, plan_id: int | None = None, today: dt.date | None = None
) -> list[Problem]:
    """Every problem with a round's values (all PLAN_KEYS): field rules, unknown tier, order of years,
    a second round for the same tier and period, and a move of a round that already has unit targets."""
    today = today or dt.date.today()
    values = _tidy(values)
    problems: list[Problem] = []
    for spec in PLAN_FIELDS:
        message = check_value(spec, values.get(spec.key), today=today)
        if message:
            problems.append(Problem(spec.key, message))
    program_code, start, end = values.get("program_code"), values.get("start_year"), values.get("end_year")
    if isinstance(program_code, str) and session.get(Program, program_code) is None:
        problems.append(Problem("program_code", f"未知的培育层级“{program_code}”"))
    if isinstance(start, int) and isinstance(end, int) and start > end:
        problems.append(Problem("end_year", f"截止年份 {end} 早于起始年份 {start}"))
    if any(p.field in ("program_code", "start_year", "end_year") for p in problems):
        return problems
    if not (isinstance(program_code, str) and isinstance(start, int) and isinstance(end, int)):
        return problems  # cannot happen after the checks above; keeps the types exact
    key: PeriodKey = (program_code, start, end)
    existing = _plan_of(session, key)
    if existing is not None and existing.id != plan_id:
        wording = f"（{existing.title}）" if existing.title else ""
        problems.append(Problem(None, f"{_period_name(session, key)}的目标轮次已经存在{wording}，请直接修改该轮次"))
    plan = session.get(TargetPlan, plan_id) if plan_id is not None else None
    if plan is not None:
        old: PeriodKey = (plan.program_code, plan.start_year, plan.end_year)
        moved = _targets_of(session, old) if old != key else []
        if moved:
            problems.append(
                Problem(
                    None,
                    f"该轮次已录入 {len(moved)} 个单位的目标，不能再改培育层级或期间（各单位目标会与文件脱节）。"
                    "如是另一期间的目标，请新增目标轮次。",
                )
            )
    return problems


def save_plan(
    session: Session,
    actor: str,
    *,
    plan_id: int | None = None,
    program_code: str,
    start_year: int,
    end_year: int,
    title: str | None = None,
    document_no: str | None = None,
    issued_on: dt.date | None = None,
    stated_total: int | None = None,
    note: str | None = None,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> int:
    """Create a round (plan_id None) or replace an existing round's fields; returns its id.

    Changing the tier or period of a round that has unit targets is refused: the unit rows belong to
    the document's period, and moving them silently would change what progress counts.
    Raises ValidationFailed (every problem), VersionConflict, NotFound or PermissionDenied.
    """
    require_city(session, COUNTY_READ_ONLY)
    values = _tidy(
        {
            "program_code": program_code,
            "start_year": start_year,
            "end_year": end_year,
            "title": title,
            "document_no": document_no,
            "issued_on": issued_on,
            "stated_total": stated_total,
            "note": note,
        }
    )
    plan = _load_plan(session, plan_id) if plan_id is not None else None
    if plan is not None and expected_version is not None:
        _check_version("该目标轮次", plan.version, expected_version, plan.updated_at)
    _raise_on_errors(validate_plan(session, values, plan_id=plan_id, today=today))
    if plan is None:
        plan = TargetPlan(**values)
        session.add(plan)
        session.flush()
        after = _jsonable({key: value for key, value in values.items() if value is not None})
        record(session, actor, "create", "target_plan", str(plan.id), after=after)
        return plan.id
    changes = {key: (getattr(plan, key), value) for key, value in values.items() if getattr(plan, key) != value}
    if not changes:
        return plan.id
    for key, (_old, new) in changes.items():
        setattr(plan, key, new)
    _flush_versioned(session, "该目标轮次")
    record(
        session,
        actor,
        "update",
        "target_plan",
        str(plan.id),
        before=_jsonable({key: old for key, (old, _new) in changes.items()}),
        after=_jsonable({key: new for key, (_old, new) in changes.items()}),
    )
    return plan.id


def _load_plan(session: Session, plan_id: int) -> TargetPlan:
    plan = session.get(TargetPlan, plan_id)
    if plan is None:
        raise NotFound("该目标轮次已被删除，请刷新后再操作")
    return plan


def delete_plan(
    session: Session, actor: str, plan_id: int, expected_version: int | None = None, *, with_targets: bool = False
) -> int:
    """Delete a round; returns how many unit targets went with it.

    A round with unit targets is refused unless `with_targets` (the GUI asks first): deleting them
    takes the period out of every progress table, so it must be a deliberate choice.
    """
    require_city(session, COUNTY_READ_ONLY)
    plan = _load_plan(session, plan_id)
    if expected_version is not None:
        _check_version("该目标轮次", plan.version, expected_version, plan.updated_at)
    key: PeriodKey = (plan.program_code, plan.start_year, plan.end_year)
    targets = _targets_of(session, key)
    if targets and not with_targets:
        raise UserError(
            f"{_period_name(session, key)}还有 {len(targets)} 个单位的目标（合计 {sum(t.count for t in targets)}），"
            "删除轮次会一并删除这些目标，完成情况中也不再统计该期间。确需删除请确认后再删。"
        )
    for target in targets:
        record(session, actor, "delete", "target", str(target.id), before=_target_snapshot(target))
        session.delete(target)
    snapshot = _jsonable({key: getattr(plan, key) for key in PLAN_KEYS})
    record(session, actor, "delete", "target_plan", str(plan.id), before={**snapshot, "单位目标": len(targets)})
    session.delete(plan)
    _flush_versioned(session, "该目标轮次")
    return len(targets)


def ensure_plans(session: Session, actor: str | None = None) -> list[int]:
    """A round for every tier × period that has unit targets but none yet (after an import brought a new
    period); the document number is the one most unit rows carry. Audited when an actor is given."""
    planned: set[PeriodKey] = {
        (code, start, end)
        for code, start, end in session.execute(
            select(TargetPlan.program_code, TargetPlan.start_year, TargetPlan.end_year)
        )
    }
    documents: dict[PeriodKey, Counter[str]] = {}
    periods = session.execute(
        select(Target.program_code, Target.start_year, Target.end_year, Target.document_no).order_by(Target.id)
    )
    for program_code, start_year, end_year, document_no in periods:
        key = (program_code, start_year, end_year)
        if key not in planned:
            documents.setdefault(key, Counter()).update([document_no] if document_no else [])
    return [
        _new_plan(session, actor, key, counter.most_common(1)[0][0] if counter else None).id
        for key, counter in documents.items()
    ]


def _new_plan(session: Session, actor: str | None, key: PeriodKey, document_no: str | None) -> TargetPlan:
    """A round for a period that has (or is about to have) unit targets but no round."""
    plan = TargetPlan(
        program_code=key[0], start_year=key[1], end_year=key[2], document_no=document_no, note=AUTO_PLAN_NOTE
    )
    session.add(plan)
    session.flush()
    if actor is not None:
        after = {"program_code": key[0], "start_year": key[1], "end_year": key[2], "document_no": document_no}
        record(session, actor, "create", "target_plan", str(plan.id), after=after)
    return plan


# --- unit targets -----------------------------------------------------------------------------


def _target_snapshot(target: Target) -> dict[str, Any]:
    return {
        "region_code": target.region_code,
        "program_code": target.program_code,
        "start_year": target.start_year,
        "end_year": target.end_year,
        "count": target.count,
        "document_no": target.document_no,
        "note": target.note,
    }


def validate_target(session: Session, values: Mapping[str, Any]) -> list[Problem]:
    """Every problem with one unit's target (the exchange sheet's column rules, unknown unit or tier, years)."""
    values = _tidy(values)
    problems: list[Problem] = []
    for key, value in values.items():
        spec = _TARGET_SPECS.get(key)
        message = check_value(spec, value, today=dt.date.today()) if spec is not None else None
        if message:
            problems.append(Problem(key, message))
    region_code, program_code = values.get("region_code"), values.get("program_code")
    if isinstance(region_code, str) and session.get(Region, region_code) is None:
        problems.append(Problem("region_code", f"未知的单位“{region_code}”"))
    if isinstance(program_code, str) and session.get(Program, program_code) is None:
        problems.append(Problem("program_code", f"未知的培育层级“{program_code}”"))
    start, end = values.get("start_year"), values.get("end_year")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        problems.append(Problem("end_year", f"截止年份 {end} 早于起始年份 {start}"))
    return problems


def set_target(
    session: Session,
    actor: str,
    *,
    program_code: str,
    start_year: int,
    end_year: int,
    region_code: str,
    count: int,
    document_no: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Create or update one unit's target in a round; returns the target's id.

    `document_no` and `note`: None keeps what is stored (a new row takes the round's document number),
    an empty string clears. `expected_version` is the version the clerk saw (None for a new row); a row
    changed or deleted meanwhile raises VersionConflict. A period without a round gets one.
    """
    require_city(session, COUNTY_READ_ONLY)
    values: dict[str, Any] = {
        "region_code": region_code,
        "program_code": program_code,
        "start_year": start_year,
        "end_year": end_year,
        "count": count,
    }
    if document_no is not None:
        values["document_no"] = document_no
    if note is not None:
        values["note"] = note
    values = _tidy(values)
    _raise_on_errors(validate_target(session, values))
    region_code = values["region_code"]
    key: PeriodKey = (values["program_code"], values["start_year"], values["end_year"])
    region = session.get(Region, region_code)
    assert region is not None  # validated above
    what = f"{unit_label(region)}{_period_name(session, key)}的目标"
    target = session.scalars(
        select(Target).where(
            Target.region_code == region_code,
            Target.program_code == key[0],
            Target.start_year == key[1],
            Target.end_year == key[2],
        )
    ).first()
    if target is None:
        if expected_version is not None:
            raise VersionConflict(f"{what}已在别处被删除，本次未保存。请刷新后再录入。")
        plan = _plan_of(session, key) or _new_plan(session, actor, key, values.get("document_no"))
        fields = {"document_no": plan.document_no, "note": None}
        fields.update({k: v for k, v in values.items() if k in ("document_no", "note")})
        target = Target(
            region_code=region_code,
            program_code=key[0],
            start_year=key[1],
            end_year=key[2],
            count=values["count"],
            **fields,
        )
        session.add(target)
        session.flush()
        record(session, actor, "create", "target", str(target.id), after=_jsonable(_target_snapshot(target)))
        return target.id
    if expected_version is not None:
        _check_version(what, target.version, expected_version, target.updated_at)
    wanted = {k: v for k, v in values.items() if k in ("count", "document_no", "note")}
    changes = {k: (getattr(target, k), v) for k, v in wanted.items() if getattr(target, k) != v}
    if not changes:
        return target.id
    for k, (_old, new) in changes.items():
        setattr(target, k, new)
    _flush_versioned(session, what)
    record(
        session,
        actor,
        "update",
        "target",
        str(target.id),
        before={k: old for k, (old, _new) in changes.items()},
        after={k: new for k, (_old, new) in changes.items()},
    )
    return target.id


def delete_target(session: Session, actor: str, target_id: int, expected_version: int) -> None:
    """Remove one unit's target (the unit then has no target in that round)."""
    require_city(session, COUNTY_READ_ONLY)
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound("该单位目标已被删除，请刷新")
    region = session.get(Region, target.region_code)
    key: PeriodKey = (target.program_code, target.start_year, target.end_year)
    what = f"{unit_label(region) if region else target.region_code}{_period_name(session, key)}的目标"
    _check_version(what, target.version, expected_version, target.updated_at)
    record(session, actor, "delete", "target", str(target.id), before=_target_snapshot(target))
    session.delete(target)
    _flush_versioned(session, what)
