"""Plausibility flags on annual monitoring figures (tenfold jumps, 元 typed for 万元, missing and absurd figures),
found in SQL and listed per unit so that the clerk can call the enterprise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, false, or_, select, true
from sqlalchemy.orm import Session, aliased

from zjtx_desktop.metrics import derived_metrics
from zjtx_desktop.models import AnnualReport, Enterprise, Region
from zjtx_desktop.monitoring_grid import FIELD_BY_KEY, check_year, cultivated_ids
from zjtx_desktop.settings import CITY_CODE

Severity = Literal["error", "warning"]
FlagKind = Literal["yuan", "jump", "ratio", "missing", "no_report"]
SEVERITY_LABELS: dict[str, str] = {"error": "很可能有误", "warning": "请核实"}

# --- the documented thresholds ------------------------------------------------------------------

# A figure more than this many times the year before (or less than its tenth) is a jump …
JUMP_FACTOR = 10.0
# … unless the larger of the two years stays below the field's floor: small figures swing naturally
# (a workshop's tax going from 3 to 40 万元 is no reason to call). Both years must be above zero.
JUMP_FLOORS: dict[str, float] = {
    "revenue": 50.0,
    "main_revenue": 50.0,
    "gross_output": 50.0,
    "value_added": 50.0,
    "tax_paid": 50.0,
    "export_value": 50.0,
    "total_assets": 50.0,
    "total_liabilities": 50.0,
    "rd_expense": 50.0,
    "employees_avg": 20.0,  # 人
    "land_area": 5.0,  # 亩
    "energy_use": 50.0,  # 吨标煤
    "electricity": 20.0,  # 万千瓦时
}
# A money figure at least this many times the year before was almost surely typed in 元, not 万元. Typing 元
# multiplies by 10,000, but times the year's real change: a figure that fell by a tenth arrives at 9,000×,
# and genuine growth of 1,000× on a figure above the jump floor does not happen.
YUAN_FACTOR = 1_000.0
# Without a usable figure the year before: output per employee above this (万元 per person) means 元.
# The busiest firms of the province database stay below 350 万元 per person.
YUAN_OUTPUT_PER_EMPLOYEE = 5_000.0
YUAN_OUTPUT_KEYS = ("revenue", "main_revenue", "gross_output", "value_added")
# Without a usable figure the year before: tax, R&D or exports at least this many times the revenue.
YUAN_SHARE_OF_REVENUE = 100.0
YUAN_SHARE_KEYS = ("tax_paid", "rd_expense", "export_value")
# Any money figure from 1000 亿元 up (more than the whole city's output) is 元.
YUAN_ABSOLUTE = 10_000_000.0
MONEY_KEYS: tuple[str, ...] = tuple(key for key, spec in FIELD_BY_KEY.items() if spec.unit == "万元")
# What an enterprise in a cultivation pool must report each year: the figures behind 亩均税收, 亩均增加值,
# 单位能耗增加值, 全员劳动生产率 and 研发投入强度, and its size.
REQUIRED_FOR_CULTIVATED = (
    "revenue",
    "main_revenue",
    "value_added",
    "tax_paid",
    "rd_expense",
    "employees_avg",
    "land_area",
    "energy_use",
)


@dataclass(frozen=True)
class RatioBound:
    """A derived ratio outside [low, high] (numerator ÷ denominator × scale, denominator > 0) is flagged."""

    metric: str  # the key in metrics.derived_metrics
    numerator: str
    denominator: str
    scale: float
    low: float | None
    high: float | None
    severity: Severity
    check: str  # what to check, for the reason


RATIO_BOUNDS = (
    RatioBound("rd_intensity", "rd_expense", "main_revenue", 100.0, None, 50.0, "warning", "研发费用和主营业务收入"),
    RatioBound("debt_ratio", "total_liabilities", "total_assets", 100.0, 0.0, 100.0, "warning", "负债总额和资产总额"),
    RatioBound("tax_per_mu", "tax_paid", "land_area", 1.0, None, 1_000.0, "error", "税收实际贡献和用地面积"),
    RatioBound("va_per_mu", "value_added", "land_area", 1.0, None, 5_000.0, "error", "工业增加值和用地面积"),
    RatioBound("productivity", "value_added", "employees_avg", 1.0, None, 1_000.0, "warning", "工业增加值和从业人员"),
)
NC_RATE_RANGE = (0.0, 100.0)
THRESHOLDS_NOTE = (
    f"同比跳变：某项数据超过上年的 {JUMP_FACTOR:g} 倍或不到上年的 1/{JUMP_FACTOR:g}（两年都大于 0，且较大的一年不低于起点："
    "金额 50 万元、从业人员 20 人、用地 5 亩、能耗 50 吨标煤、用电 20 万千瓦时）；"
    f"疑似按元填报：金额是上年的 {YUAN_FACTOR:,.0f} 倍以上，或没有上年数据时人均营业收入（产值、增加值）超过 "
    f"{YUAN_OUTPUT_PER_EMPLOYEE:,.0f} 万元、税收（研发费用、出口额）是营业收入的 {YUAN_SHARE_OF_REVENUE:g} 倍以上，"
    "或任一金额达到 1000 亿元；"
    "培育企业必填：营业收入、主营业务收入、工业增加值、税收实际贡献、研发费用、从业人员、用地面积、综合能耗；"
    "比值超出范围：研发投入强度超过 50%，资产负债率超过 100% 或小于 0，亩均税收超过 1000 万元/亩，"
    "亩均增加值超过 5000 万元/亩，全员劳动生产率超过 1000 万元/人，装备数控化率不在 0～100% 之间。"
)


@dataclass(frozen=True)
class Flag:
    """One figure (or one enterprise-year) worth a phone call, with the reason in Chinese."""

    enterprise_id: int
    enterprise: str
    uscc: str
    unit_code: str
    unit: str
    year: int
    kind: FlagKind
    field: str | None  # the annual field, None when the flag is about several fields or the whole year
    field_label: str
    value: float | None  # the figure, or the derived ratio for a "ratio" flag
    value_unit: str  # of the value: 万元, %, 万元/亩 …
    reason: str  # why it is flagged; with a value, the figure itself is not repeated (see `text`)
    severity: Severity
    contact_person: str | None
    phone: str | None
    cultivated: bool

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def value_text(self) -> str:
        return "" if self.value is None else _joined(_number(self.value), self.value_unit)

    @property
    def text(self) -> str:
        """The whole finding in one sentence: 营业收入 6,300,000 万元，是上年（600 万元）的 10,500 倍，…"""
        return f"{self.field_label} {self.value_text}，{self.reason}" if self.value is not None else self.reason


# --- rules as SQL conditions --------------------------------------------------------------------

Row = dict[str, Any]


@dataclass(frozen=True)
class _Rule:
    """A condition evaluated in SQL for each report and how a match is described."""

    name: str
    kind: FlagKind
    field: str
    condition: ColumnElement[bool]
    describe: Callable[[Row], tuple[float | None, str]]  # (value shown, reason)
    severity: Severity
    inputs: tuple[str, ...]  # the figures it reads: a 元 suspicion on one of them explains the match
    label: str  # what the clerk checks: the field's label, or the ratio's
    unit: str  # of the value shown


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _joined(number: str, unit: str) -> str:
    return f"{number}{unit}" if unit in ("%", "") else f"{number} {unit}"


def _with_unit(key: str, value: float | None) -> str:
    return _joined(_number(value), FIELD_BY_KEY[key].unit or "")


def _jump_rule(key: str, current: Any, previous: Any) -> _Rule:
    now, before = getattr(current, key), getattr(previous, key)
    spec = FIELD_BY_KEY[key]
    floor = JUMP_FLOORS[key]
    condition = and_(
        now > 0,
        before > 0,
        or_(now >= floor, before >= floor),
        or_(now > before * JUMP_FACTOR, before > now * JUMP_FACTOR),
    )

    def describe(row: Row) -> tuple[float | None, str]:
        value, last = float(row[f"c_{key}"]), float(row[f"p_{key}"])
        if value > last:
            change = f"是上年（{_with_unit(key, last)}）的 {value / last:,.1f} 倍"
        else:
            change = f"只有上年（{_with_unit(key, last)}）的 1/{last / value:,.1f}"
        return value, f"{change}，同比变化超过 {JUMP_FACTOR:g} 倍"

    return _Rule(f"jump_{key}", "jump", key, condition, describe, "warning", (key,), spec.label, spec.unit or "")


def _yuan_rules(key: str, current: Any, previous: Any) -> list[_Rule]:
    now, before = getattr(current, key), getattr(previous, key)
    label = FIELD_BY_KEY[key].label
    tail = "，疑似按“元”填报（应为万元）"  # the figure itself is the flag's value: not repeated here
    no_previous = or_(before.is_(None), before <= 0)

    def against_previous(row: Row) -> tuple[float | None, str]:
        value, last = float(row[f"c_{key}"]), float(row[f"p_{key}"])
        return value, f"是上年（{_with_unit(key, last)}）的 {value / last:,.0f} 倍{tail}"

    def absolute(row: Row) -> tuple[float | None, str]:
        value = float(row[f"c_{key}"])
        return value, f"达到 1000 亿元以上{tail}"

    rules = [
        _Rule(
            f"yuan_prev_{key}",
            "yuan",
            key,
            and_(before > 0, now >= before * YUAN_FACTOR),
            against_previous,
            "error",
            (key,),
            label,
            "万元",
        ),
        _Rule(f"yuan_abs_{key}", "yuan", key, now >= YUAN_ABSOLUTE, absolute, "error", (key,), label, "万元"),
    ]
    if key in YUAN_OUTPUT_KEYS:
        employees = current.employees_avg

        def per_employee(row: Row) -> tuple[float | None, str]:
            value, people = float(row[f"c_{key}"]), int(row["c_employees_avg"])
            return value, (
                f"按从业人员 {people} 人计人均 {_number(value / people)} 万元，"
                f"超过 {YUAN_OUTPUT_PER_EMPLOYEE:,.0f} 万元/人{tail}"
            )

        condition = and_(no_previous, employees > 0, now > employees * YUAN_OUTPUT_PER_EMPLOYEE)
        rules.append(_Rule(f"yuan_staff_{key}", "yuan", key, condition, per_employee, "error", (key,), label, "万元"))
    if key in YUAN_SHARE_KEYS:
        revenue = current.revenue

        def against_revenue(row: Row) -> tuple[float | None, str]:
            value, income = float(row[f"c_{key}"]), float(row["c_revenue"])
            return value, (f"是营业收入（{_with_unit('revenue', income)}）的 {value / income:,.0f} 倍{tail}")

        condition = and_(no_previous, revenue > 0, now >= revenue * YUAN_SHARE_OF_REVENUE)
        rules.append(
            _Rule(f"yuan_share_{key}", "yuan", key, condition, against_revenue, "error", (key,), label, "万元")
        )
    return rules


def _ratio_rule(bound: RatioBound, current: Any) -> _Rule:
    numerator, denominator = getattr(current, bound.numerator), getattr(current, bound.denominator)
    outside: list[ColumnElement[bool]] = []
    if bound.high is not None:
        outside.append(numerator * bound.scale > denominator * bound.high)
    if bound.low is not None:
        outside.append(numerator * bound.scale < denominator * bound.low)
    condition = and_(numerator.is_not(None), denominator > 0, or_(*outside))
    metric = next(m for m in derived_metrics({}) if m.key == bound.metric)

    def describe(row: Row) -> tuple[float | None, str]:
        value = float(row[f"c_{bound.numerator}"]) / float(row[f"c_{bound.denominator}"]) * bound.scale
        if bound.high is not None and value > bound.high:
            limit = f"超过 {_joined(f'{bound.high:,.0f}', metric.unit)}"
        else:
            limit = f"小于 {_joined(f'{bound.low or 0:g}', metric.unit)}"
        return value, f"{limit}，请核对{bound.check}"

    inputs = (bound.numerator, bound.denominator)
    return _Rule(
        f"ratio_{bound.metric}",
        "ratio",
        bound.numerator,
        condition,
        describe,
        bound.severity,
        inputs,
        metric.label,
        metric.unit,
    )


def _nc_rule(current: Any) -> _Rule:
    low, high = NC_RATE_RANGE

    def describe(row: Row) -> tuple[float | None, str]:
        value = float(row["c_nc_rate"])
        return value, f"不在 {low:g}%～{high:g}% 之间"

    condition = or_(current.nc_rate > high, current.nc_rate < low)
    spec = FIELD_BY_KEY["nc_rate"]
    return _Rule("ratio_nc_rate", "ratio", "nc_rate", condition, describe, "error", ("nc_rate",), spec.label, "%")


def _rules(current: Any, previous: Any) -> list[_Rule]:
    rules: list[_Rule] = []
    for key in MONEY_KEYS:
        rules += _yuan_rules(key, current, previous)
    rules += [_jump_rule(key, current, previous) for key in JUMP_FLOORS]
    rules += [_ratio_rule(bound, current) for bound in RATIO_BOUNDS]
    rules.append(_nc_rule(current))
    return rules


# --- finding the flags --------------------------------------------------------------------------

_ORDER = {"yuan": 0, "ratio": 1, "jump": 2, "missing": 3, "no_report": 4}
_FIELD_ORDER = {key: position for position, key in enumerate(FIELD_BY_KEY)}


def _units(session: Session, unit_codes: Sequence[str] | None) -> dict[str, str]:
    """Unit code → name, in the annex order."""
    query = select(Region.code, Region.name).order_by(Region.sort_order, Region.code)
    if unit_codes is not None:
        query = query.where(Region.code.in_(list(unit_codes)))
    return {code: ("市本级" if code == CITY_CODE else name) for code, name in session.execute(query)}


def flags_by_unit(session: Session, year: int, unit_codes: Sequence[str] | None = None) -> dict[str, list[Flag]]:
    """Every flag of `year` for the enterprises (outside the recycle bin) of these units (None: all units).

    The conditions run in SQL — the previous year outer-joined on (enterprise, year) — and only reports
    that break one come back to Python to be described. Keys are the units in the annex order, each with
    its flags (possibly none): most serious first, then by enterprise.
    """
    check_year(year)
    units = _units(session, unit_codes)
    current = aliased(AnnualReport, name="c")
    previous = aliased(AnnualReport, name="p")
    rules = _rules(current, previous)
    pool = cultivated_ids(year).subquery()
    cultivated = pool.c.enterprise_id.is_not(None)
    missing = {key: and_(cultivated, getattr(current, key).is_(None)) for key in REQUIRED_FOR_CULTIVATED}
    wanted = {*MONEY_KEYS, *JUMP_FLOORS, "employees_avg", "nc_rate", *REQUIRED_FOR_CULTIVATED}
    wanted |= {key for bound in RATIO_BOUNDS for key in (bound.numerator, bound.denominator)}
    in_scope = Enterprise.region_code.in_(list(units)) if unit_codes is not None else true()
    conditions = [rule.condition for rule in rules] + list(missing.values())

    base = (
        Enterprise.id.label("enterprise_id"),
        Enterprise.name.label("name"),
        Enterprise.uscc.label("uscc"),
        Enterprise.region_code.label("unit_code"),
        Enterprise.contact_person.label("contact_person"),
        Enterprise.phone.label("phone"),
    )
    statement = (
        select(
            *base,
            *(getattr(current, key).label(f"c_{key}") for key in sorted(wanted)),
            *(getattr(previous, key).label(f"p_{key}") for key in sorted(wanted)),
            *(case((rule.condition, 1), else_=0).label(rule.name) for rule in rules),
            *(case((condition, 1), else_=0).label(f"missing_{key}") for key, condition in missing.items()),
            case((cultivated, 1), else_=0).label("cultivated"),
        )
        .select_from(current)
        .join(Enterprise, Enterprise.id == current.enterprise_id)
        .outerjoin(previous, and_(previous.enterprise_id == current.enterprise_id, previous.year == year - 1))
        .outerjoin(pool, pool.c.enterprise_id == current.enterprise_id)
        .where(current.year == year, Enterprise.deleted_at.is_(None), in_scope, or_(false(), *conditions))
    )

    result: dict[str, list[Flag]] = {code: [] for code in units}

    def add(
        row: Row,
        kind: FlagKind,
        key: str | None,
        label: str,
        value: tuple[float | None, str],
        reason: str,
        sev: Severity,
    ) -> None:
        code = row["unit_code"]
        if code not in result:
            return
        result[code].append(
            Flag(
                row["enterprise_id"],
                row["name"],
                row["uscc"],
                code,
                units[code],
                year,
                kind,
                key,
                label,
                value[0],
                value[1],
                reason,
                sev,
                row["contact_person"],
                row["phone"],
                bool(row["cultivated"]),
            )
        )

    for mapping in session.execute(statement).mappings():
        row = dict(mapping)
        yuan_fields: set[str] = set()
        for rule in rules:
            if not row[rule.name]:
                continue
            if rule.kind == "yuan":
                if rule.field in yuan_fields:
                    continue  # one 元 suspicion per figure is enough
                yuan_fields.add(rule.field)
            elif yuan_fields.intersection(rule.inputs):
                continue  # the 元 suspicion (rules come first) already explains the jump or the ratio
            value, reason = rule.describe(row)
            add(row, rule.kind, rule.field, rule.label, (value, rule.unit), reason, rule.severity)
        absent = [key for key in REQUIRED_FOR_CULTIVATED if row[f"missing_{key}"]]
        if absent:
            labels = "、".join(FIELD_BY_KEY[key].label for key in absent)
            add(
                row,
                "missing",
                absent[0] if len(absent) == 1 else None,
                labels,
                (None, ""),
                f"培育企业缺少必填数据：{labels}",
                "warning",
            )

    no_report = (
        select(*base)
        .join(pool, pool.c.enterprise_id == Enterprise.id)
        .where(
            Enterprise.deleted_at.is_(None),
            in_scope,
            ~select(AnnualReport.id)
            .where(AnnualReport.enterprise_id == Enterprise.id, AnnualReport.year == year)
            .exists(),
        )
        .order_by(Enterprise.name)
    )
    for mapping in session.execute(no_report).mappings():
        add(
            {**mapping, "cultivated": 1},
            "no_report",
            None,
            "（全年）",
            (None, ""),
            f"培育企业未报送 {year} 年度监测数据",
            "warning",
        )

    for flags in result.values():
        flags.sort(
            key=lambda f: (
                f.severity != "error",
                f.enterprise,
                f.enterprise_id,
                _ORDER[f.kind],
                _FIELD_ORDER.get(f.field or "", 99),
            )
        )
    return result
