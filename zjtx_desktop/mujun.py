"""亩均效益评价 (亩均论英雄): yearly schemes as rule sets, enterprise scores, A/B/C/D classes and their distribution.

Method (浙政发〔2018〕5号 as practised by the counties; the weights are data, see db/seeds/rules/mujun.json):
- Enterprises are split into scale groups (default: 规上; 规下 with 个体工业). An enterprise takes part when it
  filed the year's monitoring figures and its land is above 0 and at least the group's minimum (规下: 3 亩).
- Each indicator is a ratio of two figures (亩均税收 = 税收 ÷ 用地 …). Its reference value is the pool's
  aggregate ratio that year — Σ numerator ÷ Σ denominator over the pool's eligible enterprises that have
  both figures — where the pool is the enterprise's own unit (or the whole city, a setting), unless the
  scheme fixes a reference value for the indicator.
- Indicator score = weight × (value ÷ reference), clipped to 0 … cap (default 3: one outlier must not
  outweigh every other indicator). An indicator whose figures are missing (or whose divisor is 0) scores 0
  and is named as lacking data: missing data must not look better than poor data. A reference that cannot
  be computed (no enterprise has the figures, or the aggregate is not above 0) gives every enterprise 0.
- Total = Σ indicator scores (two decimals). Enterprises are ranked by total within their unit and scale group
  (or city-wide and scale group); equal totals share a rank (1, 2, 2, 4). Rank r of n falls into the first
  class whose cumulative share s satisfies r ≤ s × n (A 25%, B 70%, C 95%); the rest are the last class.
  So 4 enterprises give one of each class, and a single enterprise is D (as with "D 类不低于 5%").
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, null, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop.audit import record
from zjtx_desktop.clock import format_local
from zjtx_desktop.errors import UserError
from zjtx_desktop.evaluation import unit_label
from zjtx_desktop.fields import SCALE_TYPES, FieldSpec, check_value
from zjtx_desktop.models import AnnualReport, Enterprise, Region, RuleSet
from zjtx_desktop.paths import seeds_path
from zjtx_desktop.permissions import ALL_UNITS, narrowed
from zjtx_desktop.registry import Problem, ValidationFailed, VersionConflict

KIND = "mujun"
DEFAULT_CODE = "default"
SCOPES = {"unit": "本单位", "city": "全市"}
REFERENCE_CHOICES = {"unit": "本单位当年平均水平", "city": "全市当年平均水平"}
RANKING_CHOICES = {"unit": "在本单位内排名", "city": "全市统一排名"}
NOT_EVALUATED = "未参评"
_BATCH = 5000  # rows fetched at a time
# Ranks compare r ≤ share × n; the tolerance absorbs 0.7 × 10 = 7.000000000000001.
_SHARE_TOLERANCE = 1e-9


# --- the indicators -------------------------------------------------------------------------------

# Figures an indicator may divide: AnnualReport column (or the emissions sum) → label for messages.
FIGURE_LABELS = {
    "tax_paid": "税收实际贡献",
    "value_added": "工业增加值",
    "land_area": "用地面积",
    "energy_use": "综合能耗",
    "emissions": "主要污染物排放量",
    "employees_avg": "年平均从业人员",
    "rd_expense": "研发费用",
    "main_revenue": "主营业务收入",
    "electricity": "用电量",
}
_EMISSION_COLUMNS = ("cod", "so2", "nh3n", "nox")


@dataclass(frozen=True)
class Indicator:
    """A ratio of two annual figures; `scale` turns a fraction into a percentage."""

    code: str
    name: str
    unit: str
    numerator: str
    denominator: str
    scale: float = 1.0

    @property
    def definition(self) -> str:
        percent = " × 100%" if self.scale == 100 else ""
        return f"{FIGURE_LABELS[self.numerator]} ÷ {FIGURE_LABELS[self.denominator]}{percent}"


# Same keys, names and units as zjtx_desktop.metrics, so the detail view's figures and these agree.
INDICATORS: dict[str, Indicator] = {
    item.code: item
    for item in (
        Indicator("tax_per_mu", "亩均税收", "万元/亩", "tax_paid", "land_area"),
        Indicator("va_per_mu", "亩均增加值", "万元/亩", "value_added", "land_area"),
        Indicator("va_per_energy", "单位能耗增加值", "万元/吨标煤", "value_added", "energy_use"),
        Indicator("va_per_emission", "单位排放增加值", "万元/吨", "value_added", "emissions"),
        Indicator("productivity", "全员劳动生产率", "万元/人", "value_added", "employees_avg"),
        Indicator("rd_intensity", "研发投入强度", "%", "rd_expense", "main_revenue", 100.0),
        Indicator("tax_per_electricity", "单位电耗税收", "万元/万千瓦时", "tax_paid", "electricity"),
    )
}
_FIGURES = tuple(FIGURE_LABELS)


def _figure_column(figure: str) -> ColumnElement[Any]:
    if figure != "emissions":
        column: ColumnElement[Any] = getattr(AnnualReport, figure)
        return column
    # The pollutants filed, summed; NULL when none was filed (as zjtx_desktop.metrics counts them).
    columns = [getattr(AnnualReport, name) for name in _EMISSION_COLUMNS]
    return case(
        (and_(*(column.is_(None) for column in columns)), null()),
        else_=sum((func.coalesce(column, 0.0) for column in columns), literal(0.0)),
    )


def _ratio(numerator: float | None, denominator: float | None, scale: float) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator * scale


# --- the scheme -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightedIndicator:
    indicator: Indicator
    weight: float
    reference: float | None  # a fixed reference value; None: the pool's aggregate that year


@dataclass(frozen=True)
class ScaleGroup:
    code: str
    name: str
    scale_types: tuple[str, ...]
    min_land: float  # 亩; the land must also be above 0
    indicators: tuple[WeightedIndicator, ...]

    @property
    def total_weight(self) -> float:
        return sum(item.weight for item in self.indicators)


@dataclass(frozen=True)
class ClassRule:
    code: str  # A / B / C / D
    name: str  # 优先发展类 …
    share: float  # cumulative share of the ranking at which the class ends (the last class: the rest)

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class MujunScheme:
    """A checked scheme and where it came from (a year's own rule set, the default, or the shipped file)."""

    groups: tuple[ScaleGroup, ...]
    classes: tuple[ClassRule, ...]
    reference_scope: str  # unit / city
    ranking_scope: str  # unit / city
    cap: float | None  # an indicator scores at most cap × its weight; None: no cap
    definition: dict[str, Any]
    year: int | None = None  # the rule set's year; None: the default scheme
    rule_set_id: int | None = None
    version: int | None = None
    name: str = "亩均效益评价方案"
    note: str | None = None

    @property
    def source_label(self) -> str:
        return f"{self.year}年度方案" if self.year is not None else "默认方案"

    def group(self, code: str) -> ScaleGroup:
        return next(group for group in self.groups if group.code == code)

    def group_of(self, scale_type: str | None) -> ScaleGroup | None:
        return next((group for group in self.groups if scale_type in group.scale_types), None)

    def class_rule(self, code: str) -> ClassRule:
        return next(rule for rule in self.classes if rule.code == code)

    def eligibility_lines(self) -> list[str]:
        """Who takes part, in words: each group's scale types and land minimum."""
        lines = []
        for group in self.groups:
            land = f"用地 {group.min_land:g} 亩及以上" if group.min_land > 0 else "用地大于 0"
            lines.append(f"{group.name}（{'、'.join(group.scale_types)}）：填报了该年监测数据且{land}")
        return lines

    def method_lines(self) -> list[str]:
        """The method in words, for the panel, the summary and printed notes."""
        lines = []
        for group in self.groups:
            weights = "、".join(f"{item.indicator.name} {item.weight:g}" for item in group.indicators)
            land = f"用地 {group.min_land:g} 亩及以上" if group.min_land > 0 else "用地大于 0"
            lines.append(f"{group.name}（{'、'.join(group.scale_types)}，{land}）：{weights}")
        fixed = [
            f"{item.indicator.name} {item.reference:g}{item.indicator.unit}"
            for group in self.groups
            for item in group.indicators
            if item.reference is not None
        ]
        reference = f"基准值为{REFERENCE_CHOICES[self.reference_scope]}（参评企业合计之比）"
        if fixed:
            reference += f"，固定基准值：{'、'.join(fixed)}"
        cap = f"，单项得分不超过权重的 {self.cap:g} 倍" if self.cap is not None else "，单项得分不设上限"
        lines.append(f"单项得分 = 权重 × 企业值 ÷ 基准值；{reference}{cap}；缺数据的指标得 0 分")
        cuts = "、".join(f"{rule.code} 类前 {rule.share * 100:g}%" for rule in self.classes[:-1])
        scope = "本单位内" if self.ranking_scope == "unit" else "全市"
        lines.append(f"按总分在{scope}分规模排名：{cuts}，其余为 {self.classes[-1].code} 类；总分相同名次并列")
        return lines


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def validate_scheme(definition: Mapping[str, Any]) -> list[Problem]:
    """Every problem with a scheme's definition, keyed as the 评价方案 form's fields (see scheme_fields)."""
    problems: list[Problem] = []
    groups = definition.get("groups")
    if not isinstance(groups, list) or not groups:
        return [Problem(None, "评价方案至少要有一个企业规模分组")]
    seen_types: dict[str, str] = {}
    seen_groups: set[str] = set()
    for group in groups:
        if not isinstance(group, Mapping) or not isinstance(group.get("code"), str):
            problems.append(Problem(None, "评价方案的规模分组格式有误"))
            continue
        code = group["code"]
        name = str(group.get("name") or code)
        if code in seen_groups:
            problems.append(Problem(None, f"规模分组“{name}”重复"))
        seen_groups.add(code)
        scale_types = group.get("scale_types")
        if not isinstance(scale_types, list) or not scale_types:
            problems.append(Problem(None, f"{name}没有指定企业规模类型（规上/规下/个体工业）"))
            scale_types = []
        for scale_type in scale_types:
            if scale_type not in SCALE_TYPES:
                problems.append(Problem(None, f"{name}的规模类型“{scale_type}”应为{'、'.join(SCALE_TYPES)}之一"))
            elif scale_type in seen_types:
                problems.append(Problem(None, f"规模类型“{scale_type}”同时属于{seen_types[scale_type]}和{name}"))
            else:
                seen_types[scale_type] = name
        min_land = _number(group.get("min_land"))
        if min_land is None:
            problems.append(Problem(f"{code}.min_land", "参评用地下限应为数字"))
        elif min_land < 0:
            problems.append(Problem(f"{code}.min_land", "参评用地下限不能为负数"))
        indicators = group.get("indicators")
        if not isinstance(indicators, list) or not indicators:
            problems.append(Problem(None, f"{name}至少要有一项指标"))
            continue
        total = 0.0
        seen_indicators: set[str] = set()
        for item in indicators:
            item_code = item.get("code") if isinstance(item, Mapping) else None
            if item_code not in INDICATORS:
                known = "、".join(f"{key}（{value.name}）" for key, value in INDICATORS.items())
                problems.append(Problem(None, f"{name}中有程序不认识的指标“{item_code}”（可用：{known}）"))
                continue
            assert isinstance(item, Mapping) and isinstance(item_code, str)
            label = INDICATORS[item_code].name
            if item_code in seen_indicators:
                problems.append(Problem(None, f"{name}中“{label}”重复"))
            seen_indicators.add(item_code)
            weight = _number(item.get("weight"))
            if weight is None:
                problems.append(Problem(f"{code}.{item_code}.weight", f"{label}的权重应为数字"))
            elif weight < 0:
                problems.append(Problem(f"{code}.{item_code}.weight", f"{label}的权重不能为负数"))
            else:
                total += weight
            reference = item.get("reference")
            if reference is not None and (_number(reference) is None or float(reference) <= 0):
                problems.append(Problem(f"{code}.{item_code}.reference", f"{label}的固定基准值应大于 0（或留空）"))
        if total <= 0 and not any(p.field and p.field.endswith(".weight") for p in problems):
            problems.append(Problem(None, f"{name}各项指标的权重之和应大于 0"))
    problems.extend(_validate_classes(definition.get("classes")))
    cap = definition.get("cap")
    if cap is not None and (_number(cap) is None or float(cap) <= 0):
        problems.append(Problem("cap", "单项得分上限应大于 0（留空为不设上限）"))
    for key, label in (("reference_scope", "基准值"), ("ranking_scope", "排名范围")):
        if definition.get(key, "unit") not in SCOPES:
            problems.append(Problem(key, f"{label}应为“本单位”或“全市”"))
    return problems


def _validate_classes(classes: Any) -> list[Problem]:
    if not isinstance(classes, list) or len(classes) < 2:
        return [Problem(None, "评价方案至少要有两个类别")]
    problems: list[Problem] = []
    if not all(isinstance(rule, Mapping) and rule.get("code") and rule.get("name") for rule in classes):
        return [Problem(None, "评价方案的类别格式有误（每类要有代码和名称）")]
    if len({rule["code"] for rule in classes}) != len(classes):
        problems.append(Problem(None, "评价方案的类别代码重复"))
    previous: float | None = None
    previous_code = ""
    for rule in classes[:-1]:  # the last class takes the rest: its share is not used
        key = f"class.{rule['code']}.share"
        share = _number(rule.get("share"))
        if share is None:
            problems.append(Problem(key, f"{rule['code']} 类的比例应为数字"))
            continue
        if not 0 <= share <= 1:
            problems.append(Problem(key, f"{rule['code']} 类的累计比例应在 0 到 100% 之间"))
        elif previous is not None and share <= previous:
            problems.append(Problem(key, f"{rule['code']} 类的累计比例应大于 {previous_code} 类的 {previous * 100:g}%"))
        previous, previous_code = share, str(rule["code"])
    return problems


def parse_scheme(
    definition: Mapping[str, Any],
    *,
    year: int | None = None,
    rule_set_id: int | None = None,
    version: int | None = None,
    name: str = "亩均效益评价方案",
    note: str | None = None,
) -> MujunScheme:
    """A checked scheme from a definition; ValidationFailed (in Chinese) when it is not usable."""
    problems = validate_scheme(definition)
    if problems:
        raise ValidationFailed(problems)
    groups = tuple(
        ScaleGroup(
            str(group["code"]),
            str(group.get("name") or group["code"]),
            tuple(str(kind) for kind in group["scale_types"]),
            float(group["min_land"]),
            tuple(
                WeightedIndicator(
                    INDICATORS[item["code"]],
                    float(item["weight"]),
                    float(item["reference"]) if item.get("reference") is not None else None,
                )
                for item in group["indicators"]
            ),
        )
        for group in definition["groups"]
    )
    rules = definition["classes"]
    classes = tuple(
        ClassRule(str(rule["code"]), str(rule["name"]), 1.0 if index == len(rules) - 1 else float(rule["share"]))
        for index, rule in enumerate(rules)
    )
    cap = definition.get("cap")
    return MujunScheme(
        groups,
        classes,
        str(definition.get("reference_scope", "unit")),
        str(definition.get("ranking_scope", "unit")),
        float(cap) if cap is not None else None,
        json.loads(json.dumps(definition)),
        year,
        rule_set_id,
        version,
        name,
        note,
    )


def shipped_definition() -> dict[str, Any]:
    """The default scheme as shipped in db/seeds/rules/mujun.json (used when a database has none)."""
    data = json.loads((seeds_path() / "rules" / "mujun.json").read_text(encoding="utf-8"))
    row = next(r for r in data["rule_sets"] if r["kind"] == KIND and r["code"] == DEFAULT_CODE and r["year"] is None)
    definition: dict[str, Any] = row["definition"]
    return definition


def _rule_set(session: Session, year: int | None) -> RuleSet | None:
    query = select(RuleSet).where(RuleSet.kind == KIND, RuleSet.code == DEFAULT_CODE)
    query = query.where(RuleSet.year.is_(None) if year is None else RuleSet.year == year)
    return session.scalars(query).first()


def load_scheme(session: Session, year: int | None) -> MujunScheme:
    """The scheme for a year: its own rule set if it has one (and it is active), else the default one."""
    row = _rule_set(session, year) if year is not None else None
    if row is None or not row.active:
        row = _rule_set(session, None)
    if row is None:
        return parse_scheme(shipped_definition(), name="亩均效益评价默认方案")
    try:
        return parse_scheme(
            row.definition, year=row.year, rule_set_id=row.id, version=row.version, name=row.name, note=row.note
        )
    except ValidationFailed as error:
        which = f"{row.year}年度" if row.year is not None else "默认"
        raise UserError(f"{which}亩均效益评价方案有误：{error}。请在“评价方案”中更正。") from error


@dataclass(frozen=True)
class SchemeEdit:
    """What the 评价方案 dialog edits: the definition in force for a year and the version it was read at."""

    year: int
    definition: dict[str, Any]
    own: bool  # True: the year has its own rule set; False: it follows the default (saving makes a copy)
    expected_version: int | None  # pass to save_scheme: the year's rule set version, None when it has none
    updated_at: str  # when the year's own rule set was last saved ('' for the default)


def scheme_for_edit(session: Session, year: int) -> SchemeEdit:
    """The year's own scheme, or a copy of the default to start from; not validated (so a broken one can be fixed)."""
    own = _rule_set(session, year)
    if own is not None:
        return SchemeEdit(year, json.loads(json.dumps(own.definition)), True, own.version, format_local(own.updated_at))
    default = _rule_set(session, None)
    definition = default.definition if default is not None else shipped_definition()
    return SchemeEdit(year, json.loads(json.dumps(definition)), False, None, "")


def _conflict(year: int | None, row: RuleSet | None) -> VersionConflict:
    which = f"{year}年度" if year is not None else "默认"
    if row is None:
        return VersionConflict(f"{which}的评价方案已在别处被删除，本次未保存。请重新打开“评价方案”核对后再修改。")
    return VersionConflict(
        f"{which}的评价方案已在别处被修改（{format_local(row.updated_at)}），为避免覆盖他人的修改，本次未保存。"
        "请重新打开“评价方案”核对后再修改。"
    )


def _normalised(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A plain JSON copy with numbers as floats and the last class's share 1, so equal schemes compare equal."""
    copy: dict[str, Any] = json.loads(json.dumps(definition))
    for group in copy["groups"]:
        group["min_land"] = float(group["min_land"])
        for item in group["indicators"]:
            item["weight"] = float(item["weight"])
            item["reference"] = float(item["reference"]) if item.get("reference") is not None else None
    for index, rule in enumerate(copy["classes"]):
        rule["share"] = 1.0 if index == len(copy["classes"]) - 1 else float(rule["share"])
    copy["cap"] = float(copy["cap"]) if copy.get("cap") is not None else None
    copy.setdefault("reference_scope", "unit")
    copy.setdefault("ranking_scope", "unit")
    return copy


def save_scheme(
    session: Session, actor: str, year: int | None, definition: Mapping[str, Any], expected_version: int | None
) -> int:
    """Save a year's scheme (year None: the default one); returns the rule set's id.

    A year without a scheme of its own gets one (a copy made from `definition`): pass expected_version None.
    A year that has one is updated when expected_version is the version that was read; otherwise — or when
    one was created elsewhere since — VersionConflict, and nothing changes. Raises ValidationFailed with
    every problem keyed as the form's fields.
    """
    problems = validate_scheme(definition)
    if problems:
        raise ValidationFailed(problems)
    clean = _normalised(definition)
    row = _rule_set(session, year)
    if row is None:
        if expected_version is not None:
            raise _conflict(year, None)
        name = f"{year}年度亩均效益评价方案" if year is not None else "亩均效益评价默认方案"
        row = RuleSet(kind=KIND, code=DEFAULT_CODE, name=name, year=year, definition=clean, active=True)
        session.add(row)
        session.flush()
        record(
            session, actor, "create", "rule_set", str(row.id), after={"kind": KIND, "year": year, "definition": clean}
        )
        return row.id
    if expected_version is None or row.version != expected_version:
        raise _conflict(year, row)
    if row.definition == clean and row.active:
        return row.id
    before = {"definition": row.definition, "active": row.active}
    row.definition = clean  # a new object, so the JSON column is seen as changed
    row.active = True
    try:
        session.flush()
    except StaleDataError as exc:
        raise _conflict(year, None) from exc
    record(
        session, actor, "update", "rule_set", str(row.id), before=before, after={"definition": clean, "active": True}
    )
    return row.id


def reset_scheme(session: Session, actor: str, year: int, expected_version: int) -> None:
    """Delete a year's own scheme, so the year follows the default again (audited, version-checked)."""
    row = _rule_set(session, year)
    if row is None or row.version != expected_version:
        raise _conflict(year, row)
    before = {"kind": KIND, "year": year, "definition": row.definition, "version": row.version}
    session.delete(row)
    try:
        session.flush()
    except StaleDataError as exc:
        raise _conflict(year, None) from exc
    record(session, actor, "delete", "rule_set", str(row.id), before=before)


# --- the 评价方案 form: the scheme as flat fields ----------------------------------------------------------


def scheme_fields(definition: Mapping[str, Any]) -> tuple[FieldSpec, ...]:
    """One field per editable setting, keyed as validate_scheme reports problems; sections are the groups,
    then 计分与排名 and 分类比例. Weight and fixed reference of an indicator come as a pair (two columns)."""
    specs: list[FieldSpec] = []
    for group in definition.get("groups", []):
        code, name = group["code"], group.get("name") or group["code"]
        for item in group.get("indicators", []):
            indicator = INDICATORS.get(item.get("code"))
            if indicator is None:
                continue
            specs.append(
                FieldSpec(
                    f"{code}.{indicator.code}.weight",
                    f"{indicator.name} 权重",
                    kind="float",
                    unit="分",
                    required=True,
                    section=name,
                    min_value=0,
                    max_value=1000,
                    hint=indicator.definition,
                )
            )
            specs.append(
                FieldSpec(
                    f"{code}.{indicator.code}.reference",
                    "固定基准值",
                    kind="float",
                    unit=indicator.unit,
                    section=name,
                    min_value=0,
                )
            )
        land_hint = "用地大于 0 且达到此数才参评"
        specs.append(
            FieldSpec(
                f"{code}.min_land", "参评用地下限", kind="float", unit="亩", required=True, section=name, min_value=0,
                hint=land_hint,
            )
        )  # fmt: skip
    specs.append(
        FieldSpec(
            "reference_scope",
            "基准值",
            kind="choice",
            required=True,
            section="计分与排名",
            choices=tuple(REFERENCE_CHOICES.values()),
            hint="参评企业合计之比；指标填了固定基准值的按固定值",
        )
    )
    specs.append(
        FieldSpec(
            "ranking_scope",
            "分类排名",
            kind="choice",
            required=True,
            section="计分与排名",
            choices=tuple(RANKING_CHOICES.values()),
            hint="规上、规下分别排名",
        )
    )
    specs.append(
        FieldSpec(
            "cap",
            "单项得分上限",
            kind="float",
            unit="倍权重",
            section="计分与排名",
            min_value=0,
            hint="留空为不设上限",
        )
    )
    classes = definition.get("classes", [])
    for index, rule in enumerate(classes[:-1]):
        last = classes[-1]
        rest = f"；其余为 {last['code']} 类 {last['name']}" if index == len(classes) - 2 else ""
        specs.append(
            FieldSpec(
                f"class.{rule['code']}.share",
                f"{rule['code']} 类 {rule['name']}",
                kind="float",
                unit="%",
                required=True,
                section="分类比例",
                min_value=0,
                max_value=100,
                hint=f"排名前百分之几（累计）{rest}",
            )
        )
    return tuple(specs)


SCHEME_SECTIONS_AFTER_GROUPS = ("计分与排名", "分类比例")


def scheme_sections(definition: Mapping[str, Any]) -> tuple[str, ...]:
    names = tuple(str(group.get("name") or group["code"]) for group in definition.get("groups", []))
    return (*names, *SCHEME_SECTIONS_AFTER_GROUPS)


def scheme_values(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for a definition (shares in %)."""
    values: dict[str, Any] = {}
    for group in definition.get("groups", []):
        code = group["code"]
        values[f"{code}.min_land"] = group.get("min_land")
        for item in group.get("indicators", []):
            values[f"{code}.{item.get('code')}.weight"] = item.get("weight")
            values[f"{code}.{item.get('code')}.reference"] = item.get("reference")
    values["reference_scope"] = REFERENCE_CHOICES.get(definition.get("reference_scope", "unit"))
    values["ranking_scope"] = RANKING_CHOICES.get(definition.get("ranking_scope", "unit"))
    values["cap"] = definition.get("cap")
    classes = definition.get("classes", [])
    for rule in classes[:-1]:
        share = rule.get("share")
        # Anything else than a number (a scheme edited by hand) goes to the form as it is, to be corrected there.
        values[f"class.{rule['code']}.share"] = round(share * 100, 4) if isinstance(share, int | float) else share
    return values


def definition_from_values(base: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with the form's values put in (shares from % to fractions); an empty field gives None,
    which validate_scheme then reports beside the field."""
    definition: dict[str, Any] = json.loads(json.dumps(base))
    for group in definition.get("groups", []):
        code = group["code"]
        if f"{code}.min_land" in values:
            group["min_land"] = values[f"{code}.min_land"]
        for item in group.get("indicators", []):
            for part in ("weight", "reference"):
                key = f"{code}.{item.get('code')}.{part}"
                if key in values:
                    item[part] = values[key]
    by_label = {label: code for mapping in (REFERENCE_CHOICES, RANKING_CHOICES) for code, label in mapping.items()}
    for key in ("reference_scope", "ranking_scope"):
        if key in values:
            definition[key] = by_label.get(values[key], values[key])
    if "cap" in values:
        definition["cap"] = values["cap"]
    for rule in definition.get("classes", [])[:-1]:
        key = f"class.{rule['code']}.share"
        if key in values:
            share = values[key]
            rule["share"] = round(share / 100, 6) if isinstance(share, int | float) else None
    return definition


def validate_scheme_values(base: Mapping[str, Any], values: Mapping[str, Any]) -> list[Problem]:
    """The form's check: each field's own rules, then the scheme's (one message per field)."""
    problems: list[Problem] = []
    today = dt.date.today()
    for spec in scheme_fields(base):
        message = check_value(spec, values.get(spec.key), today=today)
        if message:
            problems.append(Problem(spec.key, message))
    flagged = {problem.field for problem in problems}
    scheme_problems = validate_scheme(definition_from_values(base, values))
    problems.extend(problem for problem in scheme_problems if problem.field is None or problem.field not in flagged)
    return problems


# --- evaluation -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoredEnterprise:
    """One evaluated enterprise; values and scores follow its group's indicators."""

    enterprise_id: int
    name: str
    uscc: str
    unit_code: str
    unit: str
    scale_type: str
    group: str
    land: float
    values: tuple[float | None, ...]
    scores: tuple[float, ...]
    total: float
    rank: int  # within its pool (unit or city, and group)
    pool_size: int
    class_code: str

    @property
    def lacking(self) -> tuple[int, ...]:
        """Positions of the indicators without data (they scored 0)."""
        return tuple(index for index, value in enumerate(self.values) if value is None)


@dataclass(frozen=True, slots=True)
class NotEvaluated:
    enterprise_id: int
    name: str
    uscc: str
    unit_code: str
    unit: str
    scale_type: str | None
    land: float | None
    reason: str


@dataclass(frozen=True)
class Distribution:
    """How one unit's (None: every unit's) enterprises of one group (None: all groups) fall into the classes."""

    unit_code: str | None
    unit: str
    group: str | None
    counts: tuple[int, ...]  # per class, in the scheme's order
    not_evaluated: int

    @property
    def evaluated(self) -> int:
        return sum(self.counts)

    def share(self, index: int) -> float | None:
        return self.counts[index] / self.evaluated if self.evaluated else None


@dataclass(frozen=True)
class MujunResult:
    year: int
    scheme: MujunScheme
    units: tuple[tuple[str, str], ...]  # (code, label) of the units shown, in the usual order
    enterprises: list[ScoredEnterprise]  # by unit, group, rank
    not_evaluated: list[NotEvaluated]  # by unit, name
    # (pool unit code, or None for the city; group code) → reference value per indicator of the group
    references: dict[tuple[str | None, str], tuple[float | None, ...]]
    distribution: list[Distribution]  # per unit (all groups, then each group), then the total over the units

    def pool_key(self, enterprise: ScoredEnterprise) -> tuple[str | None, str]:
        return (enterprise.unit_code if self.scheme.ranking_scope == "unit" else None, enterprise.group)

    def reference_of(self, enterprise: ScoredEnterprise) -> tuple[float | None, ...]:
        scope = enterprise.unit_code if self.scheme.reference_scope == "unit" else None
        return self.references.get((scope, enterprise.group), ())

    def find(self, enterprise_id: int) -> ScoredEnterprise | NotEvaluated | None:
        for row in self.enterprises:
            if row.enterprise_id == enterprise_id:
                return row
        return next((row for row in self.not_evaluated if row.enterprise_id == enterprise_id), None)

    def distribution_of(self, unit_code: str | None, group: str | None) -> Distribution | None:
        return next((d for d in self.distribution if d.unit_code == unit_code and d.group == group), None)


def available_years(session: Session) -> list[int]:
    """Years with annual monitoring figures, newest first."""
    return list(session.scalars(select(AnnualReport.year).distinct().order_by(AnnualReport.year.desc())))


def _units(session: Session, unit_codes: Sequence[str] | None) -> list[tuple[str, str]]:
    query = select(Region.code, Region.name).order_by(Region.sort_order, Region.code)
    if unit_codes is not None:
        query = query.where(Region.code.in_(list(unit_codes)))
    return [(code, unit_label(code, name)) for code, name in session.execute(query)]


def _eligibility(scheme: MujunScheme) -> ColumnElement[Any]:
    """The enterprise's group code when its report makes it eligible, else NULL — as `_reason` decides."""
    land = AnnualReport.land_area
    whens = [
        (and_(Enterprise.scale_type.in_(group.scale_types), land > 0, land >= group.min_land), literal(group.code))
        for group in scheme.groups
    ]
    return case(*whens, else_=null())


def _pool_sums(
    session: Session, scheme: MujunScheme, year: int, unit_codes: Sequence[str] | None
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(unit, group) → per indicator of the group (Σ numerator, Σ denominator) over the eligible enterprises
    that have both figures with a divisor above 0: one GROUP BY over the year's reports."""
    group_code = _eligibility(scheme).label("group_code")
    used = _used_indicators(scheme)
    sums: list[ColumnElement[Any]] = []
    for code in used:
        indicator = INDICATORS[code]
        numerator, denominator = _figure_column(indicator.numerator), _figure_column(indicator.denominator)
        usable = and_(numerator.is_not(None), denominator > 0)
        sums.append(func.coalesce(func.sum(case((usable, numerator), else_=0.0)), 0.0))
        sums.append(func.coalesce(func.sum(case((usable, denominator), else_=0.0)), 0.0))
    inner = (
        select(Enterprise.region_code.label("unit"), group_code, *(s.label(f"s{i}") for i, s in enumerate(sums)))
        .join(Enterprise, Enterprise.id == AnnualReport.enterprise_id)
        .where(AnnualReport.year == year, Enterprise.deleted_at.is_(None))
        .group_by(Enterprise.region_code, group_code)
    )
    if unit_codes is not None:
        inner = inner.where(Enterprise.region_code.in_(list(unit_codes)))
    result: dict[tuple[str, str], list[tuple[float, float]]] = {}
    # Sums over the pool the scheme names (maybe the whole city, for a county account too): only totals
    # leave this function, so the account's automatic narrowing is lifted here.
    for row in session.execute(inner, execution_options={ALL_UNITS: True}):
        unit, group = row[0], row[1]
        if group is None:
            continue
        pairs = {code: (float(row[2 + 2 * i]), float(row[3 + 2 * i])) for i, code in enumerate(used)}
        result[(unit, group)] = [pairs[item.indicator.code] for item in scheme.group(group).indicators]
    return result


def _references(
    scheme: MujunScheme, sums: Mapping[tuple[str, str], list[tuple[float, float]]]
) -> dict[tuple[str | None, str], tuple[float | None, ...]]:
    """Reference values per pool: each unit's aggregate ratio, and the city's (None) from the units' sums."""
    city: dict[str, list[tuple[float, float]]] = {}
    for (_unit, group), pairs in sums.items():
        totals = city.setdefault(group, [(0.0, 0.0)] * len(pairs))
        city[group] = [(a + c, b + d) for (a, b), (c, d) in zip(totals, pairs, strict=True)]
    pooled: dict[tuple[str | None, str], list[tuple[float, float]]] = dict(sums.items())
    pooled.update({(None, group): pairs for group, pairs in city.items()})
    references: dict[tuple[str | None, str], tuple[float | None, ...]] = {}
    for (unit, group), pairs in pooled.items():
        items = scheme.group(group).indicators
        references[(unit, group)] = tuple(
            item.reference
            if item.reference is not None
            else _ratio(numerator, denominator, item.indicator.scale)
            if numerator > 0
            else None
            for item, (numerator, denominator) in zip(items, pairs, strict=True)
        )
    return references


def _value_column(indicator: Indicator) -> ColumnElement[Any]:
    """The indicator's value for one report (NULL without both figures or with a divisor not above 0), as `_ratio`."""
    numerator, denominator = _figure_column(indicator.numerator), _figure_column(indicator.denominator)
    value = numerator * 1.0 / denominator
    if indicator.scale != 1:
        value = value * indicator.scale
    return case((and_(numerator.is_not(None), denominator > 0), value), else_=null())


def _used_indicators(scheme: MujunScheme) -> list[str]:
    return sorted({item.indicator.code for group in scheme.groups for item in group.indicators})


def _enterprise_rows(
    session: Session, scheme: MujunScheme, year: int, unit_codes: Sequence[str] | None
) -> Iterator[Sequence[Any]]:
    """Every enterprise in the registry (not in the recycle bin) with its eligibility (group code or NULL) and
    indicator values for the year; enterprises registered after the year are left out (they could not have filed).

    Plain rows through the connection, fetched in batches: at province scale (100,000 rows) the ORM's row
    handling doubles the time, and holding every row at once adds a third to the memory peak."""
    query = (
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.uscc,
            Enterprise.region_code,
            Enterprise.scale_type,
            AnnualReport.id.is_not(None),
            AnnualReport.land_area,
            _eligibility(scheme),
            *(_value_column(INDICATORS[code]) for code in _used_indicators(scheme)),
        )
        .outerjoin(AnnualReport, and_(AnnualReport.enterprise_id == Enterprise.id, AnnualReport.year == year))
        .where(
            Enterprise.deleted_at.is_(None),
            or_(
                AnnualReport.id.is_not(None),
                Enterprise.registered_on.is_(None),
                Enterprise.registered_on <= dt.date(year, 12, 31),
            ),
        )
    )
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(list(unit_codes)))
    for batch in session.connection().execute(query).partitions(_BATCH):
        yield from batch


def _reason(
    groups: Mapping[str | None, ScaleGroup], scale_type: str | None, filed: bool, land: float | None
) -> tuple[str | None, str]:
    """(group code, '') when eligible, else (None, why not): the rule of `_eligibility` in words.
    `groups` maps each scale type to its group."""
    if not filed:
        return None, "该年未填报监测数据"
    group = groups.get(scale_type)
    if group is None:
        if not scale_type:
            return None, "未填写规模类型（规上/规下/个体工业）"
        return None, f"规模类型“{scale_type}”不在评价范围内"
    if land is None:
        return None, "未填写用地面积"
    if land <= 0:
        return None, "用地面积为 0"
    if land < group.min_land:
        return None, f"用地 {land:g} 亩，不足 {group.min_land:g} 亩"
    return group.code, ""


def class_limits(pool_size: int, classes: Sequence[ClassRule]) -> list[float]:
    """The last rank of each class but the last in a pool of `pool_size`: rank r is in the first class with r ≤ limit."""
    return [rule.share * pool_size + _SHARE_TOLERANCE for rule in classes[:-1]]


def class_index(rank: int, pool_size: int, classes: Sequence[ClassRule]) -> int:
    """The class of rank `rank` of `pool_size`: the first whose cumulative share reaches it, else the last."""
    return next((i for i, limit in enumerate(class_limits(pool_size, classes)) if rank <= limit), len(classes) - 1)


def evaluate(
    session: Session, year: int, unit_codes: Sequence[str] | None = None, *, scheme: MujunScheme | None = None
) -> MujunResult:
    """Score, rank and class every enterprise of `unit_codes` (None: all units) for `year`.

    `unit_codes` chooses whose results are returned; when the scheme compares across the city (reference or
    ranking scope "city"), every unit's enterprises still form the pools. `scheme` defaults to the year's.
    """
    scheme = scheme or load_scheme(session, year)
    unit_codes = narrowed(session, unit_codes)  # a county account gets its own unit's results only
    city_wide = "city" in (scheme.reference_scope, scheme.ranking_scope)
    read_units = None if city_wide or unit_codes is None else list(unit_codes)
    units = _units(session, unit_codes)
    labels = dict(_units(session, read_units))
    wanted = None if unit_codes is None else set(unit_codes)
    references = _references(scheme, _pool_sums(session, scheme, year, read_units))

    # Score everyone in the pools, then rank each pool; only the wanted units are kept.
    used = _used_indicators(scheme)
    cap = scheme.cap if scheme.cap is not None else math.inf
    columns = {
        group.code: [8 + used.index(item.indicator.code) for item in group.indicators] for group in scheme.groups
    }

    def plan(pool: tuple[str | None, str]) -> list[tuple[int, float, float | None]]:
        """(row column, weight, usable reference or None) per indicator of the pool's group."""
        reference = references.get(pool) or (None,) * len(columns[pool[1]])
        items = scheme.group(pool[1]).indicators
        return [
            (column, item.weight, base if base is not None and base > 0 else None)
            for column, item, base in zip(columns[pool[1]], items, reference, strict=True)
        ]

    plans: dict[tuple[str | None, str], list[tuple[int, float, float | None]]] = {}
    by_scale: dict[str | None, ScaleGroup] = {kind: group for group in scheme.groups for kind in group.scale_types}
    pools: dict[tuple[str | None, str], list[tuple[float, str, int, tuple[Any, ...]]]] = defaultdict(list)
    not_evaluated: list[NotEvaluated] = []
    # Repeated texts (scale types, reasons such as "用地 2 亩，不足 3 亩") kept once: 100,000 rows repeat them.
    shared: dict[str, str] = {}
    for row in _enterprise_rows(session, scheme, year, read_units):
        enterprise_id, name, uscc, unit, scale_type, filed, land, group_code = row[:8]
        if scale_type is not None:
            scale_type = shared.setdefault(scale_type, scale_type)
        if group_code is None:
            if wanted is None or unit in wanted:
                why = _reason(by_scale, scale_type, bool(filed), land)[1] or "不符合参评条件"
                why = shared.setdefault(why, why)
                label = labels.get(unit, unit)
                not_evaluated.append(NotEvaluated(enterprise_id, name, uscc, unit, label, scale_type, land, why))
            continue
        reference_pool = (unit if scheme.reference_scope == "unit" else None, group_code)
        steps = plans.get(reference_pool)
        if steps is None:
            steps = plans[reference_pool] = plan(reference_pool)
        values = tuple(row[column] for column, _weight, _base in steps)
        # weight × (value ÷ reference) clipped to 0 … cap; no data or no usable reference scores 0.
        scores = tuple(
            0.0 if value is None or base is None else round(weight * min(max(value / base, 0.0), cap), 2)
            for value, (_column, weight, base) in zip(values, steps, strict=True)
        )
        total = round(sum(scores), 2)
        pool = (unit if scheme.ranking_scope == "unit" else None, group_code)
        pools[pool].append((total, name, enterprise_id, (uscc, unit, scale_type, group_code, land, values, scores)))

    # Rank each pool; equal totals share the better rank. Results go to (unit, group) buckets in rank order.
    codes = [rule.code for rule in scheme.classes]
    buckets: dict[tuple[str, str], list[ScoredEnterprise]] = defaultdict(list)
    for members in pools.values():
        members.sort(key=lambda member: (-member[0], member[1], member[2]))
        size = len(members)
        limits = class_limits(size, scheme.classes)
        rank, klass, previous = 0, 0, math.nan
        for position, (total, name, enterprise_id, (uscc, unit, scale, group_code, land, values, scores)) in enumerate(
            members, start=1
        ):
            if total != previous:
                rank, previous = position, total
                while klass < len(limits) and rank > limits[klass]:
                    klass += 1
            if wanted is not None and unit not in wanted:
                continue
            buckets[(unit, group_code)].append(
                ScoredEnterprise(
                    enterprise_id,
                    name,
                    uscc,
                    unit,
                    labels.get(unit, unit),
                    scale,
                    group_code,
                    land,
                    values,
                    scores,
                    total,
                    rank,
                    size,
                    codes[klass],
                )
            )

    scored: list[ScoredEnterprise] = []
    for code, _label in units:
        for group in scheme.groups:
            scored.extend(buckets.get((code, group.code), ()))
    order = {code: index for index, (code, _label) in enumerate(units)}
    not_evaluated.sort(key=lambda e: (order.get(e.unit_code, len(order)), e.name))
    return MujunResult(
        year,
        scheme,
        tuple(units),
        scored,
        not_evaluated,
        references,
        _distribution(scheme, units, buckets, not_evaluated),
    )


def _distribution(
    scheme: MujunScheme,
    units: Sequence[tuple[str, str]],
    buckets: Mapping[tuple[str, str], Sequence[ScoredEnterprise]],
    not_evaluated: Sequence[NotEvaluated],
) -> list[Distribution]:
    codes = [rule.code for rule in scheme.classes]
    groups: list[str | None] = [None, *(group.code for group in scheme.groups)]
    counts: dict[tuple[str | None, str | None], list[int]] = defaultdict(lambda: [0] * len(codes))
    for (unit, group), members in buckets.items():
        tally = Counter(member.class_code for member in members)
        for key in ((unit, None), (unit, group), (None, None), (None, group)):
            counts[key] = [have + tally[code] for have, code in zip(counts[key], codes, strict=True)]
    by_scale = {kind: group.code for group in scheme.groups for kind in group.scale_types}
    tally_missing = Counter((row.unit_code, by_scale.get(row.scale_type or "")) for row in not_evaluated)
    missing: Counter[tuple[str | None, str | None]] = Counter()
    for (unit_code, group_code), number in tally_missing.items():
        places: list[tuple[str | None, str | None]] = [(unit_code, None), (None, None)]
        if group_code is not None:
            places += [(unit_code, group_code), (None, group_code)]
        for place in places:
            missing[place] += number
    return [
        Distribution(code, label, group, tuple(counts[(code, group)]), missing[(code, group)])
        for code, label in [*units, (None, "合计")]
        for group in groups
    ]


# --- one enterprise ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    name: str
    unit: str
    weight: float
    value: float | None
    reference: float | None
    fixed_reference: bool
    score: float
    note: str  # why the indicator scored 0 ('' when it did not)


@dataclass(frozen=True)
class MujunBreakdown:
    """One enterprise's evaluation for a year, as the enterprise detail view shows it."""

    enterprise_id: int
    name: str
    year: int
    unit: str
    scale_type: str | None
    land: float | None
    evaluated: bool
    reason: str  # why not evaluated ('' when evaluated)
    group_name: str | None = None
    total: float | None = None
    rank: int | None = None
    pool_size: int | None = None
    pool_label: str = ""  # 青田县规上工业企业 / 全市规上工业企业
    class_code: str | None = None
    class_name: str | None = None
    class_position: int | None = None  # 0 for the best class (A)
    lines: tuple[IndicatorLine, ...] = ()
    scheme_label: str = ""
    method: tuple[str, ...] = ()
    eligibility: tuple[str, ...] = ()


def _line_note(
    item: WeightedIndicator, value: float | None, reference: float | None, figures: Mapping[str, Any]
) -> str:
    if value is None:
        indicator = item.indicator
        numerator, denominator = figures.get(indicator.numerator), figures.get(indicator.denominator)
        if numerator is None:
            return f"缺数据：未填{FIGURE_LABELS[indicator.numerator]}"
        if denominator is None:
            return f"缺数据：未填{FIGURE_LABELS[indicator.denominator]}"
        return f"缺数据：{FIGURE_LABELS[indicator.denominator]}为 0"
    if reference is None or reference <= 0:
        return "基准值无法计算（参评企业均无此项数据）"
    return ""


def latest_year(session: Session, enterprise_id: int | None = None) -> int | None:
    """The latest year with monitoring figures (of one enterprise, or of any)."""
    query = select(func.max(AnnualReport.year))
    if enterprise_id is not None:
        query = query.where(AnnualReport.enterprise_id == enterprise_id)
    year: int | None = session.scalar(query)
    return year


def enterprise_mujun(session: Session, enterprise_id: int, year: int | None = None) -> MujunBreakdown | None:
    """One enterprise's class, total, rank and indicator lines for `year` (None: its latest year with figures).

    None when the enterprise does not exist or no year can be found."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        return None
    year = year if year is not None else latest_year(session, enterprise_id) or latest_year(session)
    if year is None:
        return None
    scheme = load_scheme(session, year)
    result = evaluate(session, year, [enterprise.region_code], scheme=scheme)
    found = result.find(enterprise_id)
    unit = dict(result.units).get(enterprise.region_code, enterprise.region_code)
    report = session.scalars(
        select(AnnualReport).where(AnnualReport.enterprise_id == enterprise_id, AnnualReport.year == year)
    ).first()
    figures: dict[str, Any] = {}
    if report is not None:
        figures = {figure: getattr(report, figure) for figure in _FIGURES if figure != "emissions"}
        pollutants = [getattr(report, name) for name in _EMISSION_COLUMNS]
        filed = [p for p in pollutants if p is not None]
        figures["emissions"] = sum(filed) if filed else None
    base = MujunBreakdown(
        enterprise_id,
        enterprise.name,
        year,
        unit,
        enterprise.scale_type,
        figures.get("land_area"),
        evaluated=False,
        reason="",
        scheme_label=scheme.source_label,
        method=tuple(scheme.method_lines()),
        eligibility=tuple(scheme.eligibility_lines()),
    )
    if not isinstance(found, ScoredEnterprise):
        if isinstance(found, NotEvaluated):
            reason = found.reason
        elif enterprise.deleted_at is not None:
            reason = "企业在回收站中"
        else:
            reason = "该年未填报监测数据"
        return replace(base, reason=reason)
    group = scheme.group(found.group)
    references = result.reference_of(found)
    lines = tuple(
        IndicatorLine(
            item.indicator.code,
            item.indicator.name,
            item.indicator.unit,
            item.weight,
            value,
            references[i] if references else None,
            item.reference is not None,
            score,
            _line_note(item, value, references[i] if references else None, figures),
        )
        for i, (item, value, score) in enumerate(zip(group.indicators, found.values, found.scores, strict=True))
    )
    rule = scheme.class_rule(found.class_code)
    return replace(
        base,
        evaluated=True,
        group_name=group.name,
        total=found.total,
        rank=found.rank,
        pool_size=found.pool_size,
        pool_label=f"{unit if scheme.ranking_scope == 'unit' else '全市'}{group.name}",
        class_code=rule.code,
        class_name=rule.name,
        class_position=scheme.classes.index(rule),
        lines=lines,
    )
