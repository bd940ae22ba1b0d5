"""认定条件: criteria rule sets kept as data, one enterprise checked against them, and the 推荐名单 screening.

A rule set (table `rule_set`, kind "criteria", seeded from db/seeds/rules/criteria.json) says when an
enterprise qualifies for a tier. Its definition holds
- `requirements`: conditions that must all hold (基本条件);
- `routes`: direct routes, any one of which qualifies (直接认定条件);
- `groups`: scored groups of rules with a minimum each and `total_min` for the sum (评价得分);
- `score_alternatives`: conditions any one of which stands in for a score that falls short.
The enterprise qualifies when every requirement holds and — if there are routes or groups — a route
holds or the score (or an alternative) passes.

A condition reads one indicator and compares it with a threshold `{op, value}`, or combines
conditions (`any_of`, `all_of`), or asks for a title already held (`holds`: program codes). A scored
rule reads one indicator (or the best of several, `best_of`) and gives the points of its band; bands
`{min, max, points}` include both ends, and a value on the edge between two bands gets the band with
more points ("band boundaries take the higher band": ≥5% → 20 and 3–5% → 15 give 5% twenty points,
≤55% → 10 and 55–75% → 5 give 55% ten).

Indicators are a fixed vocabulary (`INDICATORS`), each reading the enterprise record and its annual
reports of the evaluation year and the two years before (growth over two years needs three). Some
figures are not recorded anywhere in the program (science awards, equity raised, 高新技术企业 and other
titles, high-value IP, the province's 特色化 indicators): their rules always show 缺少数据, score
`missing_points` (default 0) and count as unmet, so a clerk checks them by hand.

Verdicts: 符合 (qualifies with what is recorded), 数据不全 (does not qualify now, but might once the
empty fields that can be filled in are filled), 不符合 (would not qualify even then).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop.audit import record
from zjtx_desktop.clock import format_local
from zjtx_desktop.errors import UserError
from zjtx_desktop.fields import ANNUAL_FIELDS, DIGITAL_LEVELS, ENTERPRISE_FIELDS, RD_INSTITUTION_LEVELS, FieldSpec
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, Program, Region, RuleSet
from zjtx_desktop.permissions import narrowed, require_city
from zjtx_desktop.registry import NotFound, Problem, ValidationFailed, VersionConflict

KIND = "criteria"
EXITED = "已退出"
CITY_ONLY = "认定条件由市局维护，县级安装只能查看，不能修改。"
Verdict = Literal["符合", "不符合", "数据不全"]
VERDICTS: tuple[Verdict, ...] = ("符合", "数据不全", "不符合")
RulePath = tuple[str | int, ...]
ProgressCallback = Callable[[int, int, str], None]
CancelCallback = Callable[[], bool]

# Status words of one condition or scored rule, and the tone the GUI colours them with.
PASSED, FAILED, MISSING = "通过", "未通过", "缺少数据"
FULL_MARKS, PART_MARKS, NO_MARKS = "满分", "部分得分", "未得分"
TONES = {PASSED: "good", FULL_MARKS: "good", PART_MARKS: "neutral", NO_MARKS: "bad", FAILED: "bad", MISSING: "warn"}

SECTION_REQUIREMENTS = "基本条件"
SECTION_ROUTES = "直接认定"
SECTION_ALTERNATIVES = "替代条件"
SECTION_SCORE = "评价得分"
SECTION_HINTS = {
    SECTION_REQUIREMENTS: "基本条件须全部满足",
    SECTION_ROUTES: "直接认定条件满足其一即可，不看评价得分",
    SECTION_ALTERNATIVES: "评价得分不足时，满足其中一项也可",
    SECTION_SCORE: "各分组得分之和，且每组不低于该组最低分",
}
UNRECORDED = "（系统未记录，请人工核实）"

_TICK = 2000  # enterprises between progress reports and cancel checks
_PRECISION = 6  # indicator values are compared at six decimals: 30 ÷ 1000 × 100 is exactly 3%


class ScreeningCancelled(UserError):
    def __init__(self) -> None:
        super().__init__("已取消筛选。")


# --- what the indicators read ---------------------------------------------------------------------

ENTERPRISE_COLUMNS = (
    "registered_on",
    "size_class",
    "employees",
    "rd_staff",
    "main_products",
    "market_share",
    "market_rank",
    "own_trademark",
    "zhejiang_made",
    "certifications",
    "rd_institution_level",
    "digital_level",
)
ANNUAL_COLUMNS = (
    "revenue",
    "main_revenue",
    "net_profit",
    "tax_paid",
    "total_assets",
    "total_liabilities",
    "rd_expense",
    "employees_avg",
    "rd_staff",
    "patents_invention",
    "patents_utility",
    "patents_design",
    "software_copyrights",
    "standards_led",
)
_ANNUAL_LABELS = {spec.key: spec.label for spec in ANNUAL_FIELDS}
_ENTERPRISE_LABELS = {spec.key: spec.label for spec in ENTERPRISE_FIELDS}
YEARS_READ = 3  # the evaluation year and the two before it


@dataclass(frozen=True)
class Facts:
    """One enterprise as the indicators see it: its record, its last three years' figures, its titles."""

    enterprise_id: int
    name: str
    year: int | None  # the evaluation year (上年度); None when no annual report exists
    enterprise: Mapping[str, Any]  # ENTERPRISE_COLUMNS → value
    annual: Mapping[int, Mapping[str, Any]]  # year → ANNUAL_COLUMNS → value
    titles: frozenset[str] = frozenset()  # programs with an entry that has not exited
    as_of: dt.date = field(default_factory=dt.date.today)  # for the years since registration
    uscc: str = ""
    unit_code: str = ""
    unit: str = ""


class Reader:
    """Reads the facts for one indicator and notes what is missing (can be filled in) or cannot be computed."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.missing: list[str] = []
        self.undefined: str | None = None
        # The evaluation year's row and those before it, looked up once: screening reads them ~10⁶ times.
        base = facts.year
        self._rows = [None if base is None else facts.annual.get(base - back) for back in range(YEARS_READ)]

    def reset(self) -> None:
        """Ready for the next indicator of the same enterprise."""
        self.missing = []
        self.undefined = None

    def year(self, back: int = 0) -> int | None:
        return None if self.facts.year is None else self.facts.year - back

    def peek(self, column: str, back: int = 0) -> float | None:
        """An annual figure without noting its absence."""
        row = self._rows[back]
        value = row.get(column) if row is not None else None
        return None if value is None else float(value)

    def annual(self, column: str, back: int = 0) -> float | None:
        row = self._rows[back]
        value = row.get(column) if row is not None else None
        if value is not None:
            return float(value)
        year = self.year(back)
        if year is None:
            self.missing.append("年度监测数据（尚未填报任何年度）")
            return None
        if row is None:
            self.missing.append(f"{year}年度监测数据")
        else:
            self.missing.append(f"{year}年{_ANNUAL_LABELS[column]}")
        return None

    def revenue(self, back: int = 0) -> float | None:
        """营业收入, or 主营业务收入 when 营业收入 was left empty (the base of the ratios to revenue)."""
        value = self.peek("revenue", back)
        if value is None:
            value = self.peek("main_revenue", back)
        return value if value is not None else self.annual("revenue", back)

    def enterprise(self, column: str) -> Any:
        value = self.facts.enterprise.get(column)
        if value is None or value == "":
            self.missing.append(f"企业信息“{_ENTERPRISE_LABELS[column]}”")
            return None
        return value

    def cannot(self, reason: str) -> None:
        self.undefined = reason


IndicatorKind = Literal["percent", "amount", "years", "count", "bool", "level", "score"]


@dataclass(frozen=True)
class Indicator:
    """One entry of the vocabulary: what it is called, how it reads the data, how its values read."""

    code: str
    label: str  # short, as the explanations use it: 研发费用占比
    kind: IndicatorKind
    reads: str  # 取数方式, for the rule table and the documentation
    read: Callable[[Reader], float | None] | None = None  # None: the program does not record it
    unit: str = ""  # counts: 件, 项, 个, 名
    levels: tuple[str, ...] = ()  # bool and level values 0, 1, 2 … by name
    # The annual columns it reads and how many years (the evaluation year and those before): screening
    # reads only these, since fetching 300,000 wide rows is most of its time.
    needs: tuple[str, ...] = ()
    years: int = 1

    @property
    def recorded(self) -> bool:
        return self.read is not None

    @property
    def discrete(self) -> bool:
        return self.kind in ("bool", "level")

    def number(self, value: float, edges: Iterable[float | None] = ()) -> str:
        """A value or threshold with its unit: 2.1%, 850万元, 3年, 2件; names for levels.

        Two decimals, or more when two would show a value just short of an edge as the edge itself
        (14.9991% is not 15%, and must not read like it).
        """
        if self.discrete:
            index = int(value)
            return self.levels[index] if 0 <= index < len(self.levels) and index == value else _num(value)
        suffix = {"percent": "%", "amount": "万元", "years": "年", "score": "分"}.get(self.kind, self.unit)
        decimals = 2
        while decimals < _PRECISION and any(
            edge is not None and edge != value and _num(edge, decimals) == _num(value, decimals) for edge in edges
        ):
            decimals += 2
        return f"{_num(value, decimals)}{suffix}"

    def difference(self, amount: float) -> str:
        """A gap between a value and a threshold: 0.9 个百分点, 150万元."""
        if self.kind == "percent":
            return f"{_num(amount)} 个百分点"
        return self.number(amount)


def _num(value: float, decimals: int = 2) -> str:
    """A number as people write it: at most two decimals, no trailing zeros, no exponent."""
    text = f"{round(value, decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _percent(numerator: float | None, denominator: float | None, reader: Reader, what: str) -> float | None:
    if numerator is None or denominator is None:
        return None
    if denominator <= 0:
        reader.cannot(f"{what}不大于 0，无法计算")
        return None
    return numerator * 100 / denominator


def _growth(reader: Reader, column: str, back: int = 0) -> float | None:
    current = reader.annual(column, back)
    previous = reader.annual(column, back + 1)
    if current is None or previous is None:
        return None
    if previous <= 0:
        reader.cannot(f"{reader.year(back + 1)}年{_ANNUAL_LABELS[column]}不大于 0，无法计算增长率")
        return None
    return (current - previous) * 100 / previous


def _rd_ratio(reader: Reader, back: int = 0) -> float | None:
    rd = reader.annual("rd_expense", back)
    base = reader.revenue(back)
    return _percent(rd, base, reader, f"{reader.year(back)}年营业收入")


def _min_rd_ratio(reader: Reader) -> float | None:
    latest, previous = _rd_ratio(reader), _rd_ratio(reader, 1)
    return None if latest is None or previous is None else min(latest, previous)


def _two_year_growth(reader: Reader) -> float | None:
    latest, previous = _growth(reader, "main_revenue"), _growth(reader, "main_revenue", 1)
    return None if latest is None or previous is None else (latest + previous) / 2


def _sum_of(reader: Reader, column: str) -> float | None:
    latest, previous = reader.annual(column), reader.annual(column, 1)
    return None if latest is None or previous is None else latest + previous


def _rd_average(reader: Reader) -> float | None:
    total = _sum_of(reader, "rd_expense")
    return None if total is None else total / 2


def _debt_ratio(reader: Reader) -> float | None:
    return _percent(
        reader.annual("total_liabilities"), reader.annual("total_assets"), reader, f"{reader.year()}年资产总额"
    )


def _main_share(reader: Reader) -> float | None:
    return _percent(reader.annual("main_revenue"), reader.annual("revenue"), reader, f"{reader.year()}年营业收入")


def _net_margin(reader: Reader) -> float | None:
    return _percent(reader.annual("net_profit"), reader.revenue(), reader, f"{reader.year()}年营业收入")


def _rd_staff_share(reader: Reader) -> float | None:
    """The year's 研发人员 ÷ 从业人员年平均数; the enterprise record's head counts when the year lacks them."""
    staff, people = reader.peek("rd_staff"), reader.peek("employees_avg")
    if staff is None or people is None:
        record_staff, record_people = reader.facts.enterprise.get("rd_staff"), reader.facts.enterprise.get("employees")
        if record_staff is not None and record_people is not None:
            staff, people = float(record_staff), float(record_people)
        else:
            staff, people = reader.annual("rd_staff"), reader.annual("employees_avg")
    return _percent(staff, people, reader, "从业人员")


_OTHER_IP = ("patents_utility", "patents_design", "software_copyrights")


def _ip_counts(reader: Reader) -> tuple[float, float] | None:
    """(发明专利, 其他知识产权) of the year; an empty count is taken as none, all empty as missing."""
    values = {column: reader.peek(column) for column in ("patents_invention", *_OTHER_IP)}
    if all(value is None for value in values.values()):
        reader.annual("patents_invention")  # notes the missing figures
        return None
    return values["patents_invention"] or 0.0, sum(values[column] or 0.0 for column in _OTHER_IP)


def _ip_grade(reader: Reader) -> float | None:
    counts = _ip_counts(reader)
    if counts is None:
        return None
    inventions, others = counts
    return 2.0 if inventions >= 1 else 1.0 if others >= 1 else 0.0


def _other_ip(reader: Reader) -> float | None:
    counts = _ip_counts(reader)
    return None if counts is None else counts[1]


def _years_since_registration(reader: Reader) -> float | None:
    registered = reader.enterprise("registered_on")
    if registered is None:
        return None
    today = reader.facts.as_of
    years = today.year - registered.year - ((today.month, today.day) < (registered.month, registered.day))
    return float(max(years, 0))


def _sme(reader: Reader) -> float | None:
    """企业规模 when filled in; otherwise 从业人员 < 1000 or 营业收入 < 40000万元 (工信部联企业〔2011〕300号)."""
    size = reader.facts.enterprise.get("size_class")
    if size:
        return 0.0 if size == "大型" else 1.0
    people = reader.facts.enterprise.get("employees")
    revenue = reader.peek("revenue")
    if (people is not None and people < 1000) or (revenue is not None and revenue < 40000):
        return 1.0
    if people is not None and revenue is not None:
        return 0.0
    reader.enterprise("size_class")
    return None


def _level(reader: Reader, column: str, names: Sequence[str], offset: int = 0) -> float | None:
    value = reader.enterprise(column)
    if value is None:
        return None
    if value not in names:
        reader.cannot(f"企业信息“{_ENTERPRISE_LABELS[column]}”填写为“{value}”，无法识别")
        return None
    return float(list(names).index(value) + offset)


def _flag(reader: Reader, column: str) -> float | None:
    value = reader.enterprise(column)
    return None if value is None else 1.0 if value else 0.0


def _main_products_count(reader: Reader) -> float | None:
    text = reader.enterprise("main_products")
    if text is None:
        return None
    return float(len([item for item in re.split(r"[、，,；;/\s]+", str(text)) if item]))


_INTERNATIONAL = re.compile(r"ISO|IATF|\bCE\b|\bUL\b|\bGS\b|FDA|API|OHSAS|国际", re.IGNORECASE)


def _international_certification(reader: Reader) -> float | None:
    text = reader.enterprise("certifications")
    return None if text is None else 1.0 if _INTERNATIONAL.search(str(text)) else 0.0


def _quality_items(reader: Reader) -> float | None:
    """质量管理体系认证, 自主品牌, 主导制定标准: how many hold (质量奖 is not recorded)."""
    certifications = reader.facts.enterprise.get("certifications")
    brand = reader.facts.enterprise.get("own_trademark")
    standards = reader.peek("standards_led")
    if not certifications and brand is None and standards is None:
        reader.enterprise("certifications")
        reader.enterprise("own_trademark")
        return None
    certified = bool(certifications) and ("9001" in str(certifications) or "质量管理" in str(certifications))
    return float(certified + bool(brand) + bool(standards and standards >= 1))


def _column(column: str, back: int = 0) -> Callable[[Reader], float | None]:
    return lambda reader: reader.annual(column, back)


def _enterprise_number(column: str) -> Callable[[Reader], float | None]:
    def read(reader: Reader) -> float | None:
        value = reader.enterprise(column)
        return None if value is None else float(value)

    return read


_YES_NO = ("否", "是")
_HAS = ("无", "有")

INDICATORS: dict[str, Indicator] = {
    item.code: item
    for item in (
        # Scale
        Indicator("sme", "是否中小企业", "bool", "企业规模（大型以外为中小企业）；未填时按从业人员 < 1000 人或营业收入 < 4 亿元判断", _sme, levels=_YES_NO, needs=("revenue",)),
        Indicator("revenue", "营业收入", "amount", "评价年度营业收入", _column("revenue"), needs=("revenue",)),
        Indicator("main_revenue", "主营业务收入", "amount", "评价年度主营业务收入", _column("main_revenue"), needs=("main_revenue",)),
        Indicator("net_profit", "净利润", "amount", "评价年度净利润", _column("net_profit"), needs=("net_profit",)),
        Indicator("tax_paid", "实缴税金", "amount", "评价年度税收实际贡献", _column("tax_paid"), needs=("tax_paid",)),
        Indicator("employees", "从业人员", "count", "企业信息中的从业人员", _enterprise_number("employees"), unit="人"),
        # Growth and finance
        Indicator("revenue_growth", "营业收入增长率", "percent", "评价年度营业收入比上年增长", lambda r: _growth(r, "revenue"), needs=("revenue",), years=2),
        Indicator("main_revenue_growth", "主营业务收入增长率", "percent", "评价年度主营业务收入比上年增长", lambda r: _growth(r, "main_revenue"), needs=("main_revenue",), years=2),
        Indicator("growth_2y_avg", "近2年主营业务收入平均增长率", "percent", "评价年度和上一年主营业务收入增长率的算术平均（需连续三年数据）", _two_year_growth, needs=("main_revenue",), years=3),
        Indicator("net_profit_growth", "净利润增长率", "percent", "评价年度净利润比上年增长（上年净利润须大于 0）", lambda r: _growth(r, "net_profit"), needs=("net_profit",), years=2),
        Indicator("debt_ratio", "资产负债率", "percent", "评价年度负债总额 ÷ 资产总额", _debt_ratio, needs=("total_assets", "total_liabilities")),
        Indicator("main_share", "主营业务收入占比", "percent", "评价年度主营业务收入 ÷ 营业收入", _main_share, needs=("revenue", "main_revenue")),
        Indicator("net_margin", "净利润率", "percent", "评价年度净利润 ÷ 营业收入", _net_margin, needs=("net_profit", "revenue", "main_revenue")),
        # R&D
        Indicator("rd_amount", "研发费用", "amount", "评价年度研发费用", _column("rd_expense"), needs=("rd_expense",)),
        Indicator("rd_amount_2y_avg", "近2年研发费用均值", "amount", "评价年度和上一年研发费用的平均", _rd_average, needs=("rd_expense",), years=2),
        Indicator("rd_amount_2y_total", "近2年研发费用总额", "amount", "评价年度和上一年研发费用之和", lambda r: _sum_of(r, "rd_expense"), needs=("rd_expense",), years=2),
        Indicator("rd_ratio", "研发费用占比", "percent", "评价年度研发费用 ÷ 营业收入（营业收入未填时用主营业务收入）", _rd_ratio, needs=("rd_expense", "revenue", "main_revenue")),
        Indicator("rd_ratio_min_2y", "近2年研发费用占比（较低一年）", "percent", "评价年度和上一年研发费用占比中较低的一年", _min_rd_ratio, needs=("rd_expense", "revenue", "main_revenue"), years=2),
        Indicator("rd_staff_share", "研发人员占比", "percent", "评价年度研发人员 ÷ 从业人员年平均数（年度未填时用企业信息中的人数）", _rd_staff_share, needs=("rd_staff", "employees_avg")),
        Indicator("rd_institution", "研发机构级别", "level", "企业信息中的研发机构级别", lambda r: _level(r, "rd_institution_level", RD_INSTITUTION_LEVELS), levels=RD_INSTITUTION_LEVELS),
        # Intellectual property, standards, brand
        Indicator("invention_patents", "发明专利", "count", "评价年度发明专利件数", _column("patents_invention"), unit="件", needs=("patents_invention",)),
        Indicator("class_one_ip", "Ⅰ类知识产权", "count", "按评价年度发明专利件数计", _column("patents_invention"), unit="件", needs=("patents_invention",)),
        Indicator("other_ip", "其他知识产权", "count", "评价年度实用新型、外观设计专利和软件著作权件数之和（未填的按 0 计）", _other_ip, unit="件", needs=("patents_invention", "patents_utility", "patents_design", "software_copyrights")),
        Indicator("ip_grade", "知识产权类别", "level", "有发明专利按Ⅰ类，仅有实用新型、外观设计或软件著作权按Ⅱ类；“自主研发”“高价值”未记录", _ip_grade, levels=("无", "Ⅱ类", "Ⅰ类", "自主研发Ⅰ类", "Ⅰ类高价值"), needs=("patents_invention", "patents_utility", "patents_design", "software_copyrights")),
        Indicator("standards_led", "主导制定标准", "count", "评价年度主导制定标准项数", _column("standards_led"), unit="项", needs=("standards_led",)),
        Indicator("own_brand", "自主品牌", "bool", "企业信息中的自主商标", lambda r: _flag(r, "own_trademark"), levels=_HAS),
        Indicator("zhejiang_made", "“浙江制造”认证", "bool", "企业信息中的“浙江制造”认证", lambda r: _flag(r, "zhejiang_made"), levels=_HAS),
        Indicator("intl_certification", "国际标准认证", "bool", "企业信息中的管理体系认证含 ISO、IATF 等国际标准认证", _international_certification, levels=_HAS),
        Indicator("quality_items", "质量管理满足项数", "count", "质量管理体系认证、自主品牌、主导制定标准，满足几项（质量奖未记录）", _quality_items, unit="项", needs=("standards_led",)),
        Indicator("digital_level", "数字化水平", "level", "企业信息中的数字化水平等级", lambda r: _level(r, "digital_level", DIGITAL_LEVELS, 1), levels=("—", *DIGITAL_LEVELS)),
        # Market
        Indicator("years_in_niche", "从事细分市场年限", "years", "按成立日期估算的整年数（未记录进入细分市场的时间）", _years_since_registration),
        Indicator("years_operating", "经营年限", "years", "自成立日期起的整年数", _years_since_registration),
        Indicator("main_products_count", "主导产品个数", "count", "企业信息中主导产品的个数（按顿号、逗号分隔）", _main_products_count, unit="个"),
        Indicator("market_share", "细分市场占有率", "percent", "企业信息中的细分市场占有率", _enterprise_number("market_share")),
        Indicator("market_rank", "细分市场排名", "count", "企业信息中的细分市场排名（按全国排名理解）", _enterprise_number("market_rank"), unit="名"),
        # Not recorded anywhere in the program: a clerk checks these by hand.
        Indicator("science_award", "省级以上科技奖励", "bool", "系统未记录", levels=_HAS),
        Indicator("high_tech_title", "高新技术企业等荣誉", "bool", "系统未记录", levels=_HAS),
        Indicator("equity_raised", "新增股权融资", "amount", "系统未记录"),
        Indicator("chuangke_top500", "“创客中国”全国500强", "bool", "系统未记录", levels=_YES_NO),
        Indicator("strategic_industry", "主导产品属重点领域", "bool", "系统未记录", levels=_YES_NO),
        Indicator("feature_score", "特色化指标得分", "score", "系统未记录（各省自定）"),
        Indicator("global_top10", "细分市场全球前十", "bool", "系统未记录", levels=_YES_NO),
    )
}  # fmt: skip


# --- rule sets as parsed from their definitions -----------------------------------------------------

OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}
OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


@dataclass(frozen=True)
class Band:
    min: float | None
    max: float | None
    points: float
    label: str | None = None

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class Scale:
    """One indicator and its bands: a scored rule has one, or several of which the best counts."""

    indicator: Indicator
    bands: tuple[Band, ...]
    path: RulePath

    @functools.cached_property
    def max_points(self) -> float:
        return max(band.points for band in self.bands)

    def band_for(self, value: float) -> Band | None:
        """The band holding the value; on a shared edge the one with more points (the later one on a tie)."""
        best: Band | None = None
        for band in self.bands:
            if band.contains(value) and (best is None or band.points >= best.points):
                best = band
        return best

    def band_text(self, band: Band) -> str:
        """How a band reads: 3%–5%, ≥ 5%, < 1%, 省级 — the open ends say whether the edge belongs to it."""
        if band.label:
            return band.label
        unit = self.indicator
        if unit.discrete:
            names = [unit.levels[v] for v in range(len(unit.levels)) if self.band_for(float(v)) is band]
            return "、".join(name for name in names if name != "—") or "—"
        if band.min is not None and band.max is not None:
            low = unit.number(band.min) if unit.kind == "percent" else _num(band.min)
            return f"{low}–{unit.number(band.max)}"
        if band.min is not None:
            below = next((other for other in self.bands if other.max == band.min), None)
            return ("≥ " if below is None or band.points >= below.points else "> ") + unit.number(band.min)
        if band.max is not None:
            above = next((other for other in self.bands if other.min == band.max), None)
            return ("≤ " if above is None or band.points > above.points else "< ") + unit.number(band.max)
        return "全部"

    def bands_text(self) -> str:
        ordered = sorted(self.bands, key=lambda band: -band.points)
        return "；".join(f"{self.band_text(band)}：{_num(band.points)}分" for band in ordered)


@dataclass(frozen=True)
class ScoredRule:
    label: str
    scales: tuple[Scale, ...]
    path: RulePath
    missing_points: float = 0.0
    note: str = ""

    @functools.cached_property
    def max_points(self) -> float:
        return max(scale.max_points for scale in self.scales)


@dataclass(frozen=True)
class Group:
    name: str
    max_points: float
    min_points: float
    rules: tuple[ScoredRule, ...]
    path: RulePath


@dataclass(frozen=True)
class Condition:
    """A threshold on an indicator, a title held (`holds`), or any/all of other conditions."""

    label: str
    path: RulePath
    indicator: Indicator | None = None
    op: str = ">="
    value: float = 0.0
    holds: tuple[str, ...] = ()
    any_of: tuple[Condition, ...] = ()
    all_of: tuple[Condition, ...] = ()
    note: str = ""

    @property
    def children(self) -> tuple[Condition, ...]:
        return self.any_of or self.all_of

    def requirement(self, program_names: Mapping[str, str]) -> str:
        """What it asks for, in words: ≥ 3%, 有, 省级及以上, 已列入 创新型中小企业."""
        if self.holds:
            return "已列入" + "或".join(program_names.get(code, code) for code in self.holds)
        if self.children:
            joiner = "；或 " if self.any_of else "，且 "
            return joiner.join(child.requirement(program_names) for child in self.children)
        assert self.indicator is not None
        return threshold_text(self.indicator, self.op, self.value)

    def leaves(self) -> Iterable[Condition]:
        if self.children:
            for child in self.children:
                yield from child.leaves()
        else:
            yield self


def threshold_text(indicator: Indicator, op: str, value: float) -> str:
    if indicator.discrete:
        name = indicator.number(value)
        if op == "==":
            return name
        if op in (">=", ">"):
            start = value if op == ">=" else value + 1
            return f"{indicator.number(start)}及以上" if start < len(indicator.levels) - 1 else indicator.number(start)
        end = value if op == "<=" else value - 1
        return f"{indicator.number(end)}及以下" if end > 0 else indicator.number(end)
    return f"{OP_TEXT[op]} {indicator.number(value)}"


@dataclass(frozen=True)
class Criteria:
    """A rule set's definition, parsed and checked."""

    program: str
    higher: tuple[str, ...]
    requirements: tuple[Condition, ...]
    routes: tuple[Condition, ...]
    groups: tuple[Group, ...]
    total_min: float | None
    alternatives: tuple[Condition, ...]
    program_names: Mapping[str, str] = field(default_factory=dict)

    @functools.cached_property
    def total_max(self) -> float:
        return sum(group.max_points for group in self.groups)

    @property
    def scored(self) -> bool:
        return bool(self.groups)

    def all_conditions(self) -> Iterable[Condition]:
        for condition in (*self.requirements, *self.routes, *self.alternatives):
            yield from condition.leaves()

    @property
    def held_programs(self) -> set[str]:
        """Programs whose holders the `holds` conditions ask about."""
        return {code for leaf in self.all_conditions() for code in leaf.holds}

    def indicators(self) -> set[Indicator]:
        used = {leaf.indicator for leaf in self.all_conditions() if leaf.indicator is not None}
        return used | {scale.indicator for group in self.groups for rule in group.rules for scale in rule.scales}

    def annual_needs(self) -> tuple[tuple[str, ...], int]:
        """The annual columns the rules read, and over how many years."""
        indicators = self.indicators()
        columns = tuple(column for column in ANNUAL_COLUMNS if any(column in i.needs for i in indicators))
        return columns, max((i.years for i in indicators if i.needs), default=0)


# --- validation -----------------------------------------------------------------------------------

_TOP_KEYS = {"program", "higher", "requirements", "routes", "groups", "total_min", "score_alternatives", "note"}
_CONDITION_KEYS = {"label", "indicator", "threshold", "holds", "any_of", "all_of", "note"}
_RULE_KEYS = {"label", "indicator", "bands", "best_of", "missing_points", "note"}
_BAND_KEYS = {"min", "max", "points", "label"}
_SECTION_NAMES = {"requirements": "基本条件", "routes": "直接认定条件", "score_alternatives": "替代条件"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: Any) -> float | None:
    """The value as a float when it is a finite number (not a truth value), else None."""
    return float(value) if _is_number(value) else None


class _Checker:
    """Walks a definition, collecting every problem in Chinese with where it is."""

    def __init__(self, programs: Collection[str] | None) -> None:
        self.programs = programs
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}：{message}" if where else message)

    def unknown_keys(self, node: Mapping[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(node) - allowed)
        if extra:
            self.add(where, f"不认识的设置项 {'、'.join(extra)}")

    def program(self, code: Any, where: str) -> None:
        if not isinstance(code, str) or not code:
            self.add(where, "应填写培育层级代码")
        elif self.programs is not None and code not in self.programs:
            self.add(where, f"未知的培育层级“{code}”")

    def indicator(self, code: Any, where: str) -> Indicator | None:
        if not isinstance(code, str) or code not in INDICATORS:
            self.add(where, f"未知的指标“{code}”")
            return None
        return INDICATORS[code]

    def condition(self, node: Any, where: str, depth: int = 0) -> None:
        if not isinstance(node, Mapping):
            self.add(where, "应为一个条件")
            return
        where = f"{where}“{node['label']}”" if isinstance(node.get("label"), str) and node.get("label") else where
        self.unknown_keys(node, _CONDITION_KEYS, where)
        forms = [key for key in ("indicator", "holds", "any_of", "all_of") if key in node]
        if len(forms) != 1:
            self.add(
                where,
                "每个条件须且只能是指标阈值（indicator）、已有称号（holds）、满足其一（any_of）或全部满足（all_of）之一",
            )
            return
        form = forms[0]
        if form in ("any_of", "all_of"):
            children = node[form]
            if depth >= 3:
                self.add(where, "条件嵌套过深（最多三层）")
            elif not isinstance(children, list) or not children:
                self.add(where, "组合条件至少要有一项")
            else:
                for number, child in enumerate(children, 1):
                    self.condition(child, f"{where}第{number}项", depth + 1)
            return
        if form == "holds":
            codes = node["holds"]
            if not isinstance(codes, list) or not codes:
                self.add(where, "应列出至少一个培育层级")
            else:
                for code in codes:
                    self.program(code, where)
            return
        indicator = self.indicator(node["indicator"], where)
        threshold = node.get("threshold")
        if not isinstance(threshold, Mapping) or set(threshold) != {"op", "value"}:
            self.add(where, "阈值应写成 {op, value}")
            return
        op, value = threshold["op"], threshold["value"]
        if op not in OPS:
            self.add(where, f"比较方式“{op}”无效（可用 ≥ >= 、> 、≤ <= 、< 、==）")
        if not _is_number(value):
            self.add(where, f"阈值“{value}”不是数字")
        elif (
            indicator is not None
            and indicator.discrete
            and (value != int(value) or not 0 <= value < len(indicator.levels))
        ):
            choices = "、".join(f"{number} = {name}" for number, name in enumerate(indicator.levels))
            self.add(where, f"“{indicator.label}”的阈值只能是 {choices}")

    def bands(self, bands: Any, where: str, group_max: float | None) -> float | None:
        """Check a band list; return its highest points (None when unusable)."""
        if not isinstance(bands, list) or not bands:
            self.add(where, "至少要有一个分档")
            return None
        usable = True
        for number, band in enumerate(bands, 1):
            here = f"{where}第{number}档"
            if not isinstance(band, Mapping):
                self.add(here, "应写成 {min, max, points}")
                usable = False
                continue
            self.unknown_keys(band, _BAND_KEYS, here)
            points = _number(band.get("points"))
            if points is None:
                self.add(here, "分值应为数字")
                usable = False
            elif points < 0:
                self.add(here, "分值不能为负数")
            elif group_max is not None and points > group_max:
                self.add(here, f"分值 {_num(points)} 超过所在分组满分 {_num(group_max)}")
            for key in ("min", "max"):
                if key in band and not _is_number(band[key]):
                    self.add(here, f"{'下限' if key == 'min' else '上限'}应为数字")
                    usable = False
            if "label" in band and not isinstance(band["label"], str):
                self.add(here, "名称应为文字")
            low, high = _number(band.get("min")), _number(band.get("max"))
            if usable and low is not None and high is not None and low >= high:
                self.add(here, f"下限 {_num(low)} 应小于上限 {_num(high)}")
        if not usable:
            return None
        for number, (before, after) in enumerate(itertools.pairwise(bands), 2):
            here = f"{where}第{number}档"
            previous_max, low = _number(before.get("max")), _number(after.get("min"))
            if previous_max is None:
                self.add(f"{where}第{number - 1}档", "只有最后一档可以不设上限")
            elif low is None:
                self.add(here, "只有第一档可以不设下限")
            elif low < previous_max:
                self.add(here, f"下限 {_num(low)} 小于上一档上限 {_num(previous_max)}，档位重叠（应从低到高排列）")
            elif low > previous_max:
                self.add(here, f"下限 {_num(low)} 与上一档上限 {_num(previous_max)} 之间有空档")
        return max(float(band["points"]) for band in bands)

    def scored_rule(self, node: Any, where: str, group_max: float | None) -> float:
        if not isinstance(node, Mapping):
            self.add(where, "应为一条评分规则")
            return 0.0
        if isinstance(node.get("label"), str) and node["label"]:
            where = f"{where}“{node['label']}”"
        self.unknown_keys(node, _RULE_KEYS, where)
        best = 0.0
        if "best_of" in node:
            if "indicator" in node or "bands" in node:
                self.add(where, "“取高者”（best_of）规则不能同时直接写指标和分档")
            options = node["best_of"]
            if not isinstance(options, list) or not options:
                self.add(where, "“取高者”至少要有一个指标")
                return 0.0
            for number, option in enumerate(options, 1):
                here = f"{where}第{number}个指标"
                if not isinstance(option, Mapping) or set(option) != {"indicator", "bands"}:
                    self.add(here, "应写成 {indicator, bands}")
                    continue
                self.indicator(option["indicator"], here)
                best = max(best, self.bands(option["bands"], here, group_max) or 0.0)
        else:
            self.indicator(node.get("indicator"), where)
            best = self.bands(node.get("bands"), where, group_max) or 0.0
        missing = _number(node.get("missing_points", 0))
        if missing is None or missing < 0:
            self.add(where, "缺少数据时的分值应为不小于 0 的数字")
        elif missing > best:
            self.add(where, f"缺少数据时的分值 {_num(missing)} 超过该项最高分 {_num(best)}")
        return best

    def definition(self, definition: Any) -> None:
        if not isinstance(definition, Mapping):
            self.add("", "规则集定义应为一个 JSON 对象")
            return
        self.unknown_keys(definition, _TOP_KEYS, "规则集")
        self.program(definition.get("program"), "推荐层级")
        higher = definition.get("higher", [])
        if not isinstance(higher, list):
            self.add("更高层级", "应为层级代码的列表")
        else:
            for code in higher:
                self.program(code, "更高层级")
        for key, name in _SECTION_NAMES.items():
            conditions = definition.get(key, [])
            if not isinstance(conditions, list):
                self.add(name, "应为条件的列表")
                continue
            for number, node in enumerate(conditions, 1):
                self.condition(node, f"{name}第{number}条")
        groups = definition.get("groups", [])
        total_max = 0.0
        names: set[str] = set()
        if not isinstance(groups, list):
            self.add("评分分组", "应为分组的列表")
            groups = []
        for number, group in enumerate(groups, 1):
            where = f"第{number}个评分分组"
            if not isinstance(group, Mapping):
                self.add(where, "应写成 {name, max, min, rules}")
                continue
            self.unknown_keys(group, {"name", "max", "min", "rules"}, where)
            group_name = group.get("name")
            if not isinstance(group_name, str) or not group_name.strip():
                self.add(where, "应填写分组名称")
            else:
                where = f"分组“{group_name}”"
                if group_name in names:
                    self.add(where, "分组名称重复")
                names.add(group_name)
            group_max, group_min = _number(group.get("max")), _number(group.get("min", 0))
            if group_max is None or group_max <= 0:
                self.add(where, "满分应为大于 0 的数字")
                group_max = None
            if group_min is None or group_min < 0:
                self.add(where, "最低分应为不小于 0 的数字")
            elif group_max is not None and group_min > group_max:
                self.add(where, f"最低分 {_num(group_min)} 超过满分 {_num(group_max)}")
            rules = group.get("rules")
            if not isinstance(rules, list) or not rules:
                self.add(where, "至少要有一条评分规则")
                continue
            rules_max = sum(self.scored_rule(rule, f"{where}第{n}条", group_max) for n, rule in enumerate(rules, 1))
            if group_max is not None:
                total_max += group_max
                if rules_max > group_max:
                    self.add(where, f"各项最高分合计 {_num(rules_max)} 分，超过分组满分 {_num(group_max)} 分")
        total_min = _number(definition.get("total_min"))
        if groups:
            if total_min is None or total_min < 0:
                self.add("总分要求", "有评分分组时应填写不小于 0 的总分要求")
            elif total_min > total_max:
                self.add("总分要求", f"{_num(total_min)} 分超过各分组满分之和 {_num(total_max)} 分")
        elif definition.get("total_min") is not None:
            self.add("总分要求", "没有评分分组，不能设总分要求")
        if definition.get("score_alternatives") and not groups:
            self.add("替代条件", "没有评分分组，替代条件无从替代")
        if not any(definition.get(key) for key in ("requirements", "routes", "groups")):
            self.add("规则集", "至少要有一条基本条件、直接认定条件或评分分组")


def validate_definition(definition: Any, programs: Collection[str] | None = None) -> list[str]:
    """Every problem with a rule set's definition, in Chinese with where it is; empty when it is usable.

    `programs` are the known program codes (None: not checked).
    """
    checker = _Checker(programs)
    checker.definition(definition)
    return checker.problems


def _condition(node: Mapping[str, Any], path: RulePath) -> Condition:
    label = str(node.get("label") or "")
    note = str(node.get("note") or "")
    if "holds" in node:
        return Condition(label or "已有称号", path, holds=tuple(node["holds"]), note=note)
    for key in ("any_of", "all_of"):
        if key in node:
            children = tuple(_condition(child, (*path, key, n)) for n, child in enumerate(node[key]))
            if key == "any_of":
                return Condition(label, path, note=note, any_of=children)
            return Condition(label, path, note=note, all_of=children)
    indicator = INDICATORS[node["indicator"]]
    threshold = node["threshold"]
    return Condition(label or indicator.label, path, indicator, threshold["op"], float(threshold["value"]), note=note)


def _scale(node: Mapping[str, Any], path: RulePath) -> Scale:
    bands = tuple(
        Band(
            None if band.get("min") is None else float(band["min"]),
            None if band.get("max") is None else float(band["max"]),
            float(band["points"]),
            band.get("label"),
        )
        for band in node["bands"]
    )
    return Scale(INDICATORS[node["indicator"]], bands, path)


def parse_definition(
    definition: Any, *, programs: Collection[str] | None = None, program_names: Mapping[str, str] | None = None
) -> Criteria:
    """The definition as a Criteria; raises ValidationFailed listing every problem."""
    problems = validate_definition(definition, programs)
    if problems:
        raise ValidationFailed([Problem(None, message) for message in problems])
    groups = []
    for g, group in enumerate(definition.get("groups", [])):
        rules = []
        for r, rule in enumerate(group["rules"]):
            path: RulePath = ("groups", g, "rules", r)
            if "best_of" in rule:
                scales = tuple(_scale(option, (*path, "best_of", n)) for n, option in enumerate(rule["best_of"]))
            else:
                scales = (_scale(rule, path),)
            label = str(rule.get("label") or scales[0].indicator.label)
            rules.append(
                ScoredRule(label, scales, path, float(rule.get("missing_points", 0)), str(rule.get("note") or ""))
            )
        groups.append(
            Group(group["name"], float(group["max"]), float(group.get("min", 0)), tuple(rules), ("groups", g))
        )

    def conditions(key: str) -> tuple[Condition, ...]:
        return tuple(_condition(node, (key, n)) for n, node in enumerate(definition.get(key, [])))

    total_min = definition.get("total_min")
    return Criteria(
        program=definition["program"],
        higher=tuple(definition.get("higher", [])),
        requirements=conditions("requirements"),
        routes=conditions("routes"),
        groups=tuple(groups),
        total_min=None if total_min is None else float(total_min),
        alternatives=conditions("score_alternatives"),
        program_names=dict(program_names or {}),
    )


# --- checking one enterprise ------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    """One line of the explanation: a condition or a scored rule, how it went and why, in words."""

    section: str
    label: str
    status: str  # 通过 / 未通过 / 缺少数据, or for a scored rule 满分 / 部分得分 / 未得分 / 缺少数据
    text: str  # 研发费用占比 2.1%，要求 ≥ 3%，差 0.9 个百分点
    points: float | None = None
    max_points: float | None = None
    note: str = ""
    path: RulePath = ()
    optional: bool = False  # one of several ways (直接认定, 替代条件): not meeting it is no failure

    @property
    def tone(self) -> str:
        if self.optional and self.status == FAILED:
            return "neutral"
        return TONES[self.status]


@dataclass(frozen=True)
class GroupScore:
    name: str
    points: float
    max_points: float
    min_points: float

    @property
    def passed(self) -> bool:
        return self.points >= self.min_points

    def text(self) -> str:
        floor = f"，最低 {_num(self.min_points)}" if self.min_points else ""
        return f"{self.name} {_num(self.points)}/{_num(self.max_points)} 分{floor}"


@dataclass(frozen=True)
class CheckResult:
    """An enterprise against one rule set: the verdict, the scores, every condition, the missing data."""

    code: str
    rule_set: str  # its name
    program: str  # the program code it recommends for
    enterprise_id: int
    enterprise: str
    year: int | None  # the evaluation year
    verdict: Verdict
    summary: str  # one sentence: why
    groups: tuple[GroupScore, ...]
    total: float | None  # None: the rule set has no score
    total_max: float | None
    total_min: float | None
    conditions: tuple[ConditionResult, ...]
    missing: tuple[str, ...]  # data that can be filled in first, then what the program does not record
    fillable: tuple[str, ...] = ()  # the data that can be filled in: 2023年研发费用, 企业信息“成立日期”
    unrecorded: tuple[str, ...] = ()  # what the program does not record: 省级以上科技奖励

    @property
    def passed(self) -> bool:
        return self.verdict == "符合"

    def score_text(self) -> str:
        if self.total is None:
            return "—"
        return f"{_num(self.total)}/{_num(self.total_max or 0)}"


@dataclass
class _Reading:
    value: float | None
    missing: tuple[str, ...]  # what can be filled in
    undefined: str | None  # why it cannot be computed
    recorded: bool


@dataclass
class _Outcome:
    passed: bool  # with the missing data as unmet
    could_pass: bool  # were the data that can be filled in favourable
    missing: bool  # some data it needs is absent (or not recorded)
    text: str


class _Evaluation:
    """One enterprise against one Criteria: readings cached per indicator, texts only when explaining."""

    def __init__(self, criteria: Criteria, facts: Facts, explain: bool) -> None:
        self.criteria = criteria
        self.facts = facts
        self.explain = explain
        self.readings: dict[str, _Reading] = {}
        self.reader = Reader(facts)
        self.fillable: dict[str, None] = {}  # ordered set of missing data that can be filled in
        self.unrecorded: dict[str, None] = {}
        self.rows: list[ConditionResult] = []

    def reading(self, indicator: Indicator) -> _Reading:
        cached = self.readings.get(indicator.code)
        if cached is not None:
            return cached
        if indicator.read is None:
            reading = _Reading(None, (), None, False)
        else:
            reader = self.reader
            reader.reset()
            value = indicator.read(reader)
            if value is not None:
                value = round(value, _PRECISION)
            reading = _Reading(value, tuple(reader.missing), reader.undefined, True)
        self.readings[indicator.code] = reading
        return reading

    def note_missing(self, indicator: Indicator, reading: _Reading) -> None:
        if not reading.recorded:
            self.unrecorded[indicator.label] = None
        for item in reading.missing:
            self.fillable[item] = None

    # conditions

    def condition(self, condition: Condition) -> _Outcome:
        if condition.holds:
            held = bool(self.facts.titles & set(condition.holds))
            text = ""
            if self.explain:
                names = "或".join(self.criteria.program_names.get(code, code) for code in condition.holds)
                text = f"已列入{names}" if held else f"尚未列入{names}"
            return _Outcome(held, held, False, text)
        if condition.children:
            outcomes = [self.condition(child) for child in condition.children]
            if condition.any_of:
                passed = any(o.passed for o in outcomes)
                could = any(o.could_pass for o in outcomes)
                joiner = "；或 "
            else:
                passed = all(o.passed for o in outcomes)
                could = all(o.could_pass for o in outcomes)
                joiner = "，且 "
            # Missing when it is not met and nothing recorded rules it out: any_of has a branch still open,
            # all_of has no member that failed on recorded data.
            if condition.any_of:
                missing = not passed and any(o.missing for o in outcomes)
            else:
                missing = not passed and all(o.passed or o.missing for o in outcomes)
            return _Outcome(passed, could, missing, joiner.join(o.text for o in outcomes) if self.explain else "")
        indicator = condition.indicator
        assert indicator is not None
        reading = self.reading(indicator)
        value = reading.value
        if value is None:
            if reading.undefined is not None:
                text = (
                    f"{indicator.label}：{reading.undefined}，要求 {self.requirement(condition)}"
                    if self.explain
                    else ""
                )
                return _Outcome(False, False, False, text)
            self.note_missing(indicator, reading)
            text = ""
            if self.explain:
                requirement = self.requirement(condition)
                if reading.recorded:
                    text = f"{indicator.label}：缺少{'、'.join(reading.missing)}，要求 {requirement}"
                else:
                    text = f"{indicator.label}：系统未记录，请人工核实（要求 {requirement}）"
            return _Outcome(False, reading.recorded, True, text)
        passed = OPS[condition.op](value, condition.value)
        text = self.threshold_text(indicator, condition, value, passed) if self.explain else ""
        return _Outcome(passed, passed, False, text)

    def requirement(self, condition: Condition) -> str:
        return condition.requirement(self.criteria.program_names)

    @staticmethod
    def threshold_text(indicator: Indicator, condition: Condition, value: float, passed: bool) -> str:
        shown = indicator.number(value, (condition.value,))
        text = f"{indicator.label} {shown}，要求 {threshold_text(indicator, condition.op, condition.value)}"
        if passed or indicator.discrete or condition.op == "==":
            return text
        gap = abs(condition.value - value)
        if gap == 0:  # a strict comparison missed by a hair
            return text
        word = "差" if condition.op in (">=", ">") else "高出"
        return f"{text}，{word} {indicator.difference(gap)}"

    # scored rules

    def scored(self, rule: ScoredRule) -> tuple[float, float, str, str]:
        """(points, points were the fillable data favourable, status, text)."""
        best = rule.max_points
        results = [self.scale(scale, rule) for scale in rule.scales]
        known = [r for r in results if r[0] is not None]
        if known:
            points = max(r[0] for r in known if r[0] is not None)
            could = max(points, max((best if r[1] else 0.0) for r in results))
            status = FULL_MARKS if points >= best else PART_MARKS if points > 0 else NO_MARKS
        else:
            points = rule.missing_points
            could = best if any(r[1] for r in results) else points
            status = MISSING
        text = ""
        if self.explain:
            text = "；".join(r[2] for r in results)
            if len(results) > 1:
                text += f"，取高者 {_num(points)} 分（满分 {_num(best)}）"
        return points, could, status, text

    def scale(self, scale: Scale, rule: ScoredRule) -> tuple[float | None, bool, str]:
        """(points or None when unknown, whether filling data in could raise it, text)."""
        indicator = scale.indicator
        reading = self.reading(indicator)
        value = reading.value
        single = len(rule.scales) == 1
        full = ""
        if self.explain:
            full = f"满分 {_num(rule.max_points)}" if single else f"此项最高 {_num(scale.max_points)}"
        if value is None:
            if reading.undefined is not None:
                text = (
                    f"{indicator.label}：{reading.undefined}，计 {_num(rule.missing_points)} 分" if self.explain else ""
                )
                return rule.missing_points, False, text
            self.note_missing(indicator, reading)
            text = ""
            if self.explain:
                counted = f"计 {_num(rule.missing_points)} 分（{full}）" if single else "不计分"
                why = f"缺少{'、'.join(reading.missing)}" if reading.recorded else "系统未记录，请人工核实"
                text = f"{indicator.label}：{why}，{counted}"
            return None, reading.recorded, text
        band = scale.band_for(value)
        points = band.points if band is not None else 0.0
        text = ""
        if self.explain:
            where = f"{scale.band_text(band)} 档" if band is not None else "不在任何分档内"
            edges = [edge for b in scale.bands for edge in (b.min, b.max)]
            text = f"{indicator.label} {indicator.number(value, edges)}，得 {_num(points)} 分（{where}，{full}）"
            better = self.next_band(scale, value, points)
            if better is not None:
                text += f"；{better}"
        return points, False, text

    @staticmethod
    def next_band(scale: Scale, value: float, points: float) -> str | None:
        """How to reach the nearest band with more points: 达到 5% 可得 20 分, 降至 55% 可得 10 分."""
        options = [band for band in scale.bands if band.points > points]
        if not options:
            return None
        band = min(options, key=lambda b: (b.points, _distance(b, value)))
        indicator = scale.indicator
        gain = f"可得 {_num(band.points)} 分"
        if indicator.discrete:
            return f"达到“{scale.band_text(band)}”{gain}"
        if band.min is not None and band.min > value:
            return f"达到 {indicator.number(band.min)} {gain}"
        if band.max is not None and band.max < value:
            return f"降至 {indicator.number(band.max)} {gain}"
        return None

    # the whole rule set

    def run(self) -> tuple[Verdict, str, tuple[GroupScore, ...], float | None, list[ConditionResult]]:
        criteria = self.criteria
        rows = self.rows

        def section(conditions: Sequence[Condition], name: str, required: bool) -> list[_Outcome]:
            outcomes = []
            for condition in conditions:
                outcome = self.condition(condition)
                outcomes.append(outcome)
                if required and not self.explain and not outcome.could_pass:
                    break  # screening: one requirement out of reach settles it
                if self.explain:
                    status = PASSED if outcome.passed else MISSING if outcome.missing else FAILED
                    rows.append(
                        ConditionResult(
                            name,
                            condition.label,
                            status,
                            outcome.text,
                            note=condition.note,
                            path=condition.path,
                            optional=not required,
                        )
                    )
            return outcomes

        requirements = section(criteria.requirements, SECTION_REQUIREMENTS, True)
        if not self.explain and not all(o.could_pass for o in requirements):
            return "不符合", "", (), None, rows  # screening: nothing else can change the verdict
        routes = section(criteria.routes, SECTION_ROUTES, False)
        groups: list[GroupScore] = []
        could_groups: list[tuple[float, float]] = []
        for group in criteria.groups:
            points = could = 0.0
            for rule in group.rules:
                rule_points, rule_could, status, text = self.scored(rule)
                points += rule_points
                could += rule_could
                if self.explain:
                    rows.append(
                        ConditionResult(
                            group.name, rule.label, status, text, rule_points, rule.max_points, rule.note, rule.path
                        )
                    )
            groups.append(GroupScore(group.name, points, group.max_points, group.min_points))
            could_groups.append((could, group.min_points))
        alternatives = section(criteria.alternatives, SECTION_ALTERNATIVES, False)

        total = sum(g.points for g in groups) if groups else None
        could_total = sum(c for c, _ in could_groups)
        score_ok = total is not None and total >= (criteria.total_min or 0) and all(g.passed for g in groups)
        could_score = bool(groups) and could_total >= (criteria.total_min or 0) and all(c >= m for c, m in could_groups)

        def decide(optimistic: bool) -> bool:
            def ok(outcome: _Outcome) -> bool:
                return outcome.could_pass if optimistic else outcome.passed

            if not all(ok(o) for o in requirements):
                return False
            ways = []
            if criteria.routes:
                ways.append(any(ok(o) for o in routes))
            if criteria.groups:
                ways.append((could_score if optimistic else score_ok) or any(ok(o) for o in alternatives))
            return not ways or any(ways)

        verdict: Verdict = "符合" if decide(False) else "数据不全" if decide(True) else "不符合"
        # Screening needs the reason of those it lists, not of the many that do not qualify.
        wanted = self.explain or verdict != "不符合"
        summary = self.summary(verdict, requirements, routes, alternatives, groups, total, score_ok) if wanted else ""
        return verdict, summary, tuple(groups), total, rows

    def summary(
        self,
        verdict: Verdict,
        requirements: list[_Outcome],
        routes: list[_Outcome],
        alternatives: list[_Outcome],
        groups: list[GroupScore],
        total: float | None,
        score_ok: bool,
    ) -> str:
        criteria = self.criteria
        if verdict == "符合":
            route = next((c for c, o in zip(criteria.routes, routes, strict=True) if o.passed), None)
            if route is not None:
                return f"满足直接认定条件“{route.label}”"
            if score_ok and total is not None:
                return f"评价得分 {_num(total)} 分（≥ {_num(criteria.total_min or 0)}），各组均达最低分"
            alternative = next((c for c, o in zip(criteria.alternatives, alternatives, strict=True) if o.passed), None)
            if alternative is not None:
                return f"满足替代条件“{alternative.label}”"
            return f"全部 {len(criteria.requirements)} 项基本条件均满足"
        if verdict == "数据不全":
            items = list(self.fillable)
            more = f"等 {len(items)} 项" if len(items) > 4 else ""
            return f"补齐数据后可能符合：缺少{'、'.join(items[:4])}{more}"
        reasons = [o.text for o in requirements if not o.passed and not o.missing]
        if criteria.groups and not score_ok and total is not None:
            low = [g for g in groups if not g.passed]
            if total < (criteria.total_min or 0):
                reasons.append(f"评价得分 {_num(total)} 分，低于 {_num(criteria.total_min or 0)} 分")
            for group in low:
                reasons.append(f"{group.name} {_num(group.points)} 分，低于最低 {_num(group.min_points)} 分")
        if not reasons:
            reasons = [o.text for o in requirements if not o.passed]
        if criteria.routes and not any(o.passed for o in routes) and criteria.groups:
            reasons.append("也不满足任何一项直接认定条件")
        return "；".join(reasons[:3]) + ("等" if len(reasons) > 3 else "")


def _distance(band: Band, value: float) -> float:
    if band.min is not None and value < band.min:
        return band.min - value
    if band.max is not None and value > band.max:
        return value - band.max
    return 0.0


@dataclass(frozen=True)
class RuleSetInfo:
    """A stored criteria rule set as plain values (what crosses to the GUI), with its parsed rules."""

    id: int
    code: str
    name: str
    year: int | None
    program: str
    program_name: str
    active: bool
    version: int
    note: str
    definition: dict[str, Any]
    updated_at: dt.datetime
    criteria: Criteria | None  # None when the stored definition is unusable
    problem: str = ""  # why it is unusable

    @functools.cached_property
    def title(self) -> str:
        return self.name if self.year is None or str(self.year) in self.name else f"{self.name}（{self.year}）"


def evaluate(
    criteria: Criteria, facts: Facts, *, rule_set: RuleSetInfo | None = None, explain: bool = True
) -> CheckResult:
    """Check the facts against the criteria (no database needed)."""
    evaluation = _Evaluation(criteria, facts, explain)
    verdict, summary, groups, total, rows = evaluation.run()
    return CheckResult(
        code=rule_set.code if rule_set else criteria.program,
        rule_set=rule_set.title if rule_set else criteria.program_names.get(criteria.program, criteria.program),
        program=criteria.program,
        enterprise_id=facts.enterprise_id,
        enterprise=facts.name,
        year=facts.year,
        verdict=verdict,
        summary=summary,
        groups=groups,
        total=total,
        total_max=criteria.total_max if criteria.scored else None,
        total_min=criteria.total_min,
        conditions=tuple(rows),
        missing=(*evaluation.fillable, *(f"{label}{UNRECORDED}" for label in evaluation.unrecorded)),
        fillable=tuple(evaluation.fillable),
        unrecorded=tuple(evaluation.unrecorded),
    )


# --- rule sets in the database -------------------------------------------------------------------


def _program_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Program.code, Program.name))}


def _info(row: RuleSet, names: Mapping[str, str]) -> RuleSetInfo:
    definition = copy.deepcopy(row.definition)
    program = str(definition.get("program", row.code)) if isinstance(definition, dict) else row.code
    criteria: Criteria | None = None
    problem = ""
    try:
        criteria = parse_definition(definition, programs=names.keys(), program_names=names)
    except ValidationFailed as error:
        problem = str(error)
    return RuleSetInfo(
        row.id,
        row.code,
        row.name,
        row.year,
        program,
        names.get(program, program),
        row.active,
        row.version,
        row.note or "",
        definition if isinstance(definition, dict) else {},
        row.updated_at,
        criteria,
        problem,
    )


def list_rule_sets(session: Session, *, active_only: bool = False) -> list[RuleSetInfo]:
    """The criteria rule sets: the newest scheme's tiers first (创新型 → 专精特新 → 小巨人), then the older
    scheme's, in tier order, newest year first within a tier."""
    names = _program_names(session)
    programs = session.execute(select(Program.code).order_by(Program.scheme.desc(), Program.sort_order))
    order = {code: n for n, (code,) in enumerate(programs)}
    query = select(RuleSet).where(RuleSet.kind == KIND)
    if active_only:
        query = query.where(RuleSet.active.is_(True))
    infos = [_info(row, names) for row in session.scalars(query)]
    return sorted(infos, key=lambda i: (order.get(i.program, len(order)), -(i.year or 0), i.code))


def get_rule_set(session: Session, code: str, year: int | None = None) -> RuleSetInfo:
    """A rule set by code (and year); without a year the newest active one with that code."""
    query = select(RuleSet).where(RuleSet.kind == KIND, RuleSet.code == code)
    if year is not None:
        query = query.where(RuleSet.year == year)
    rows = sorted(session.scalars(query), key=lambda r: (r.active, r.year or 0), reverse=True)
    if not rows:
        raise NotFound(f"找不到代码为“{code}”{f'、年份为 {year} ' if year is not None else ''}的认定条件规则集")
    return _info(rows[0], _program_names(session))


def rule_set_by_id(session: Session, rule_set_id: int) -> RuleSetInfo:
    row = session.get(RuleSet, rule_set_id)
    if row is None or row.kind != KIND:
        raise NotFound(f"找不到编号为 {rule_set_id} 的认定条件规则集，可能已被删除")
    return _info(row, _program_names(session))


def _usable(info: RuleSetInfo) -> Criteria:
    if info.criteria is None:
        raise UserError(f"规则集“{info.title}”的设置有误，无法使用：{info.problem}")
    return info.criteria


# --- facts from the database ------------------------------------------------------------------------


def load_facts(session: Session, enterprise_id: int, year: int | None = None, *, today: dt.date | None = None) -> Facts:
    """One enterprise's facts; without a year, its latest year with an annual report."""
    enterprise_columns = [getattr(Enterprise, column) for column in ENTERPRISE_COLUMNS]
    row = session.execute(
        select(
            Enterprise.id, Enterprise.name, Enterprise.uscc, Enterprise.region_code, Region.name, *enterprise_columns
        )
        .join(Region, Region.code == Enterprise.region_code)
        .where(Enterprise.id == enterprise_id)
    ).first()
    if row is None:
        raise NotFound(f"找不到编号为 {enterprise_id} 的企业，可能已被彻底删除")
    if year is None:
        year = session.scalar(select(func.max(AnnualReport.year)).where(AnnualReport.enterprise_id == enterprise_id))
    annual: dict[int, dict[str, Any]] = {}
    if year is not None:
        columns = [getattr(AnnualReport, column) for column in ANNUAL_COLUMNS]
        for report in session.execute(
            select(AnnualReport.year, *columns).where(
                AnnualReport.enterprise_id == enterprise_id,
                AnnualReport.year.between(year - YEARS_READ + 1, year),
            )
        ):
            annual[report[0]] = dict(zip(ANNUAL_COLUMNS, report[1:], strict=True))
    titles = frozenset(
        session.scalars(
            select(Cultivation.program_code).where(
                Cultivation.enterprise_id == enterprise_id, Cultivation.status != EXITED
            )
        )
    )
    return Facts(
        enterprise_id=row[0],
        name=row[1],
        year=year,
        enterprise=dict(zip(ENTERPRISE_COLUMNS, row[5:], strict=True)),
        annual=annual,
        titles=titles,
        as_of=today or dt.date.today(),
        uscc=row[2],
        unit_code=row[3],
        unit=row[4],
    )


def check(
    source: Session | Facts,
    rule_set: RuleSetInfo | Criteria | str,
    enterprise_id: int | None = None,
    *,
    year: int | None = None,
    today: dt.date | None = None,
) -> CheckResult:
    """An enterprise against a rule set, explained.

    `source` is a session (the enterprise is read by `enterprise_id`, its latest year unless `year`
    says otherwise) or facts already loaded; `rule_set` a stored rule set, its code, or parsed criteria.
    """
    info: RuleSetInfo | None = None
    if isinstance(source, Session):
        if isinstance(rule_set, str):
            rule_set = get_rule_set(source, rule_set)
        if enterprise_id is None:
            raise ValueError("check needs enterprise_id with a session")
        facts = load_facts(source, enterprise_id, year, today=today)
    else:
        if isinstance(rule_set, str):
            raise ValueError("check needs a RuleSetInfo or Criteria with facts")
        facts = source
    if isinstance(rule_set, RuleSetInfo):
        info = rule_set
        criteria = _usable(rule_set)
    else:
        criteria = rule_set
    return evaluate(criteria, facts, rule_set=info)


# --- 推荐名单 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An enterprise that meets a rule set and does not hold its tier yet, with the figures that matter."""

    enterprise_id: int
    name: str
    uscc: str
    unit_code: str
    unit: str
    verdict: Verdict
    total: float | None
    summary: str
    revenue: float | None
    rd_ratio: float | None
    growth: float | None
    debt_ratio: float | None
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Screening:
    """The outcome of screening a scope against one rule set."""

    rule_set: RuleSetInfo
    year: int | None  # the evaluation year
    unit_codes: list[str] | None
    screened: int  # enterprises looked at (not deleted, not holding the tier or a higher one)
    candidates: list[Candidate]  # 符合 first by score, then (when asked) 数据不全
    qualified: int
    incomplete: int


def screen(
    session: Session,
    rule_set_code: str | RuleSetInfo,
    unit_codes: list[str] | None,
    year: int | None = None,
    *,
    today: dt.date | None = None,
    include_incomplete: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> Screening:
    """Every enterprise of the scope that does not hold the tier (nor a higher one), checked against the rule set.

    Three queries read the columns needed for the whole scope (enterprises; their annual reports of the
    evaluation year and the two before; the titles the rules ask about); the rules run in Python.
    Without a year, the latest year with annual reports in the database is the evaluation year.
    """
    info = rule_set_code if isinstance(rule_set_code, RuleSetInfo) else get_rule_set(session, rule_set_code)
    criteria = _usable(info)
    unit_codes = narrowed(session, unit_codes)  # plain Core reads below: narrowed by hand
    today = today or dt.date.today()
    if year is None:
        year = session.scalar(select(func.max(AnnualReport.year)))
    excluded = sorted({criteria.program, *criteria.higher})
    holders = select(Cultivation.enterprise_id).where(
        Cultivation.program_code.in_(excluded), Cultivation.status != EXITED
    )
    scope = [Enterprise.deleted_at.is_(None), Enterprise.id.not_in(holders)]
    if unit_codes is not None:
        scope.append(Enterprise.region_code.in_(unit_codes))
    for requirement in criteria.requirements:
        if requirement.holds:  # a title the tier builds on: only its holders need looking at
            scope.append(
                Enterprise.id.in_(
                    select(Cultivation.enterprise_id).where(
                        Cultivation.program_code.in_(requirement.holds), Cultivation.status != EXITED
                    )
                )
            )

    units: dict[str, str] = {code: name for code, name in session.execute(select(Region.code, Region.name))}
    enterprise_columns = [getattr(Enterprise, column) for column in ENTERPRISE_COLUMNS]
    connection = session.connection()
    enterprises = _plain_rows(
        connection,
        select(Enterprise.id, Enterprise.name, Enterprise.uscc, Enterprise.region_code, *enterprise_columns)
        .where(*scope)
        .order_by(Enterprise.id),
    )
    registered = 4 + ENTERPRISE_COLUMNS.index("registered_on")
    annual: dict[int, dict[int, dict[str, Any]]] = {}
    needed, years = criteria.annual_needs()
    # The key figures shown beside each candidate come from the same rows.
    key_columns = {column for code in KEY_FIGURES for column in INDICATORS[code].needs}
    needed = tuple(column for column in ANNUAL_COLUMNS if column in needed or column in key_columns)
    years = max(years, *(INDICATORS[code].years for code in KEY_FIGURES))
    if year is not None:
        query = select(
            AnnualReport.enterprise_id, AnnualReport.year, *(getattr(AnnualReport, c) for c in needed)
        ).where(AnnualReport.year.between(year - years + 1, year))
        if unit_codes is not None:  # a few units: let the database pick their rows
            query = query.join(Enterprise, Enterprise.id == AnnualReport.enterprise_id).where(*scope)
        # City-wide, joining every row to its enterprise costs more than dropping the few not in scope here.
        wanted = {row[0] for row in enterprises}
        for row in _plain_rows(connection, query):
            if row[0] in wanted:
                annual.setdefault(row[0], {})[row[1]] = dict(zip(needed, row[2:], strict=True))
    titles: dict[int, set[str]] = {}
    held = criteria.held_programs
    if held:
        query = (
            select(Cultivation.enterprise_id, Cultivation.program_code)
            .join(Enterprise, Enterprise.id == Cultivation.enterprise_id)
            .where(Cultivation.program_code.in_(sorted(held)), Cultivation.status != EXITED, *scope)
        )
        for enterprise_id, program in connection.execute(query):
            titles.setdefault(enterprise_id, set()).add(program)

    total = len(enterprises)
    found: list[Candidate] = []
    qualified = incomplete = 0
    for number, row in enumerate(enterprises):
        if number % _TICK == 0:
            if cancel is not None and cancel():
                raise ScreeningCancelled()
            if progress is not None:
                progress(number, total, f"正在筛选：{number:,}/{total:,} 家")
        values = dict(zip(ENTERPRISE_COLUMNS, row[4:], strict=True))
        if isinstance(row[registered], str):  # SQLite hands dates over as text
            values["registered_on"] = dt.date.fromisoformat(row[registered])
        facts = Facts(
            enterprise_id=row[0],
            name=row[1],
            year=year,
            enterprise=values,
            annual=annual.get(row[0], {}),
            titles=frozenset(titles.get(row[0], ())),
            as_of=today,
            uscc=row[2],
            unit_code=row[3],
            unit=units.get(row[3]) or str(row[3]),
        )
        evaluation = _Evaluation(criteria, facts, explain=False)
        verdict, summary, _groups, score, _rows = evaluation.run()
        if verdict == "符合":
            qualified += 1
        elif verdict == "数据不全":
            incomplete += 1
        if verdict == "符合" or (include_incomplete and verdict == "数据不全"):
            missing = (*evaluation.fillable, *(f"{label}{UNRECORDED}" for label in evaluation.unrecorded))
            found.append(_candidate(facts, verdict, score, summary, missing))
    if progress is not None:
        progress(total, total, f"已筛选 {total:,} 家")
    candidates = found
    candidates.sort(key=lambda c: (VERDICTS.index(c.verdict), -(c.total or 0), c.unit_code, c.name))
    return Screening(info, year, unit_codes, total, candidates, qualified, incomplete)


def _plain_rows(connection: Connection, query: Select[Any]) -> list[Any]:
    """The query's rows as the database driver returns them (tuples; dates as SQLite's text).

    Screening reads some 400,000 rows city-wide; SQLAlchemy's row objects and type processing would
    add about a third to that time.
    """
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    parameters: Any = compiled.params
    if compiled.positiontup is not None:
        parameters = tuple(compiled.params[name] for name in compiled.positiontup)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


KEY_FIGURES = ("revenue", "rd_ratio", "main_revenue_growth", "debt_ratio")


def _candidate(
    facts: Facts, verdict: Verdict, total: float | None, summary: str, missing: tuple[str, ...]
) -> Candidate:
    revenue, rd_ratio, growth, debt_ratio = (indicator_value(INDICATORS[code], facts) for code in KEY_FIGURES)
    return Candidate(
        enterprise_id=facts.enterprise_id,
        name=facts.name,
        uscc=facts.uscc,
        unit_code=facts.unit_code,
        unit=facts.unit,
        verdict=verdict,
        total=total,
        summary=summary,
        revenue=revenue,
        rd_ratio=rd_ratio,
        growth=growth,
        debt_ratio=debt_ratio,
        missing=missing,
    )


def indicator_value(indicator: Indicator, facts: Facts) -> float | None:
    """An indicator's value for the facts (None when it cannot be read)."""
    if indicator.read is None:
        return None
    value = indicator.read(Reader(facts))
    return None if value is None else round(value, _PRECISION)


def candidates(
    session: Session,
    rule_set_code: str,
    unit_codes: list[str] | None,
    year: int | None = None,
    *,
    today: dt.date | None = None,
) -> list[Candidate]:
    """推荐名单: enterprises of the units that meet the rule set and hold neither its tier nor a higher one."""
    return screen(session, rule_set_code, unit_codes, year, today=today).candidates


# --- editing and saving rule sets -------------------------------------------------------------------

_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")

# The fields of a new rule set (复制为新规则集), for the validating form.
NEW_RULE_SET_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "名称", required=True, max_length=100, hint="如 创新型中小企业评价标准（2025）"),
    FieldSpec(
        "code", "代码", required=True, max_length=40, hint="字母开头，字母、数字或下划线；通常与推荐层级代码相同"
    ),
    FieldSpec("year", "年份", kind="int", min_value=2000, max_value=2100, hint="代码相同的规则集以年份区分"),
    FieldSpec("note", "说明", max_length=2000),
)


def _find(session: Session, code: str, year: int | None) -> RuleSet | None:
    return session.scalars(
        select(RuleSet).where(
            RuleSet.kind == KIND, RuleSet.code == code, RuleSet.year.is_(year) if year is None else RuleSet.year == year
        )
    ).first()


def validate_new_rule_set(session: Session, values: Mapping[str, Any]) -> list[Problem]:
    """Problems with the name, code and year of a rule set about to be created."""
    problems: list[Problem] = []
    name = str(values.get("name") or "").strip()
    code = str(values.get("code") or "").strip()
    year = values.get("year")
    if not name:
        problems.append(Problem("name", "请填写名称"))
    elif len(name) > 100:
        problems.append(Problem("name", "名称不能超过 100 个字"))
    if not code:
        problems.append(Problem("code", "请填写代码"))
    elif not _CODE.match(code):
        problems.append(Problem("code", "代码应以字母开头，只含字母、数字和下划线，不超过 40 个字符"))
    if year is not None and (not isinstance(year, int) or not 2000 <= year <= 2100):
        problems.append(Problem("year", "年份应在 2000—2100 之间"))
    if code and _CODE.match(code) and _find(session, code, year) is not None:
        when = f"、年份为 {year} " if year is not None else "、不分年份"
        problems.append(Problem("code", f"已有代码为 {code}{when}的规则集，请换一个代码或年份"))
    return problems


def _snapshot(row: RuleSet) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "year": row.year,
        "active": row.active,
        "note": row.note,
        "definition": copy.deepcopy(row.definition),
    }


def save_rule_set(
    session: Session,
    actor: str,
    code: str,
    definition: Mapping[str, Any],
    expected_version: int | None,
    *,
    year: int | None = None,
    name: str | None = None,
    note: str | None = None,
    active: bool | None = None,
) -> RuleSetInfo:
    """Change a rule set opened at `expected_version`, or (expected_version None) create a new one.

    The definition is checked first (bands in order and not overlapping, known indicators and programs,
    points within the group's maximum …); any problem raises ValidationFailed and nothing changes. An
    edit saved elsewhere meanwhile raises VersionConflict. The change and its audit entry commit together
    in the caller's transaction.
    """
    require_city(session, CITY_ONLY)
    names = _program_names(session)
    problems = [Problem(None, message) for message in validate_definition(definition, names.keys())]
    if expected_version is None:
        problems += validate_new_rule_set(session, {"name": name, "code": code, "year": year})
    elif name is not None and not name.strip():
        problems.append(Problem("name", "请填写名称"))
    if problems:
        raise ValidationFailed(problems)
    stored = copy.deepcopy(dict(definition))
    if expected_version is None:
        row = RuleSet(
            kind=KIND,
            code=code.strip(),
            name=str(name).strip(),
            year=year,
            definition=stored,
            active=True if active is None else active,
            note=(note or "").strip() or None,
        )
        session.add(row)
        session.flush()
        record(session, actor, "create", "rule_set", str(row.id), after=_snapshot(row))
        return _info(row, names)

    found: RuleSet | None
    if year is not None:
        found = _find(session, code, year)
    else:  # the newest with that code, as get_rule_set reads it
        rows = list(session.scalars(select(RuleSet).where(RuleSet.kind == KIND, RuleSet.code == code)))
        found = max(rows, key=lambda r: (r.active, r.year or 0)) if rows else None
    if found is None:
        raise NotFound(f"找不到代码为“{code}”的认定条件规则集，可能已被删除")
    row = found
    if row.version != expected_version:
        raise VersionConflict(
            f"规则集“{row.name}”已在别处被修改（{format_local(row.updated_at)}），为避免覆盖他人的修改，"
            "本次未保存。请刷新后核对再修改。"
        )
    before = _snapshot(row)
    row.definition = stored
    if name is not None:
        row.name = name.strip()
    if note is not None:
        row.note = note.strip() or None
    if active is not None:
        row.active = active
    after = _snapshot(row)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return _info(row, names)
    row_name = row.name  # a failed flush rolls back and expires the row: read what the message needs first
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionConflict(f"规则集“{row_name}”刚刚被别处修改，本次未保存，请刷新后再修改。") from exc
    record(
        session,
        actor,
        "update",
        "rule_set",
        str(row.id),
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )
    return _info(row, names)


def copy_rule_set(
    session: Session,
    actor: str,
    source_id: int,
    *,
    code: str,
    name: str,
    year: int | None,
    note: str | None = None,
) -> RuleSetInfo:
    """A new rule set with another's rules (复制为新规则集), to be adjusted to a new year's notice."""
    source = rule_set_by_id(session, source_id)
    return save_rule_set(session, actor, code.strip(), source.definition, None, year=year, name=name, note=note)


def node_at(definition: Mapping[str, Any], path: RulePath) -> Any:
    """The part of a definition a path points to (a condition, a scored rule, a best_of option, a group)."""
    node: Any = definition
    for step in path:
        node = node[step]
    return node


def _edited(definition: Mapping[str, Any], path: RulePath, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    copied = copy.deepcopy(dict(definition))
    node = node_at(copied, path)
    if not isinstance(node, dict):
        raise UserError("规则集中找不到要修改的条目，可能已被修改，请刷新后重试")
    change(node)
    return copied


def with_threshold(definition: Mapping[str, Any], path: RulePath, op: str, value: float) -> dict[str, Any]:
    """A copy of the definition with one condition's threshold changed."""
    return _edited(definition, path, lambda node: node.__setitem__("threshold", {"op": op, "value": value}))


def with_bands(definition: Mapping[str, Any], path: RulePath, bands: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of the definition with one scored rule's (or best_of option's) bands replaced."""
    return _edited(definition, path, lambda node: node.__setitem__("bands", [dict(band) for band in bands]))


def with_group_limits(
    definition: Mapping[str, Any], group_index: int, *, min_points: float, max_points: float
) -> dict[str, Any]:
    def change(node: dict[str, Any]) -> None:
        node["min"] = min_points
        node["max"] = max_points

    return _edited(definition, ("groups", group_index), change)


def with_total_min(definition: Mapping[str, Any], total_min: float) -> dict[str, Any]:
    copied = copy.deepcopy(dict(definition))
    copied["total_min"] = total_min
    return copied


# --- the rules as a readable table --------------------------------------------------------------------

EditKind = Literal["threshold", "bands", "group", "total", ""]


@dataclass(frozen=True)
class RuleRow:
    """One line of the 认定条件 table: where it belongs, what it asks, how it reads the data."""

    section: str
    label: str
    requirement: str  # ≥ 3%, or the bands: ≥ 5%：20分；3%–5%：15分 …
    points: str  # 满分 20
    reads: str  # 取数方式
    edit: EditKind  # how the row is edited (nothing for titles held and combinations)
    path: RulePath
    indicator: str | None = None
    recorded: bool = True


def rule_rows(criteria: Criteria) -> list[RuleRow]:
    rows: list[RuleRow] = []

    def condition(section: str, item: Condition, depth: int) -> None:
        # A combination is a row of its own, its members indented below it, so the table reads as a tree.
        label = "　" * depth + ("· " if depth else "") + item.label
        if item.children:
            joined = "满足其一" if item.any_of else "全部满足"
            rows.append(RuleRow(section, label, f"以下{joined}", "", "见下列各项", "", item.path))
            for child in item.children:
                condition(section, child, depth + 1)
        elif item.holds:
            requirement = item.requirement(criteria.program_names)
            rows.append(RuleRow(section, label, requirement, "", "培育记录中未退出的称号", "", item.path))
        else:
            indicator = item.indicator
            assert indicator is not None
            rows.append(
                RuleRow(
                    section,
                    label,
                    threshold_text(indicator, item.op, item.value),
                    "",
                    indicator.reads,
                    "threshold",
                    item.path,
                    indicator.code,
                    indicator.recorded,
                )
            )

    def conditions(section: str, items: Sequence[Condition]) -> None:
        for item in items:
            condition(section, item, 0)

    conditions(SECTION_REQUIREMENTS, criteria.requirements)
    conditions(SECTION_ROUTES, criteria.routes)
    for group in criteria.groups:
        floor = f"最低 {_num(group.min_points)} 分" if group.min_points else "不设最低分"
        rows.append(
            RuleRow(
                SECTION_SCORE,
                f"分组：{group.name}",
                floor,
                f"满分 {_num(group.max_points)}",
                "下列各项得分之和",
                "group",
                group.path,
            )
        )
        for rule in group.rules:
            for scale in rule.scales:
                label = rule.label if len(rule.scales) == 1 else f"{rule.label} › {scale.indicator.label}"
                rows.append(
                    RuleRow(
                        group.name,
                        label,
                        scale.bands_text(),
                        f"满分 {_num(scale.max_points)}",
                        scale.indicator.reads,
                        "bands",
                        scale.path,
                        scale.indicator.code,
                        scale.indicator.recorded,
                    )
                )
    if criteria.groups:
        rows.append(
            RuleRow(
                SECTION_SCORE,
                "总分",
                f"≥ {_num(criteria.total_min or 0)} 分",
                f"满分 {_num(criteria.total_max)}",
                "各分组得分之和",
                "total",
                ("total_min",),
            )
        )
    conditions(SECTION_ALTERNATIVES, criteria.alternatives)
    return rows


# --- the list as a workbook ---------------------------------------------------------------------------

EXPORT_HEADERS = (
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属单位",
    "结论",
    "评价得分",
    "营业收入(万元)",
    "研发费用占比(%)",
    "主营业务收入增长率(%)",
    "资产负债率(%)",
    "依据",
    "缺少的数据",
)
_EXPORT_WIDTHS = (6, 36, 22, 16, 10, 10, 14, 14, 18, 12, 60, 60)


def export_candidates(screening: Screening, path: Path, *, scope: str = "", exported_by: str = "") -> int:
    """Write the 推荐名单 to an .xlsx workbook (every text cell stored as text, never run as a formula).

    Returns the number of enterprises written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from zjtx_desktop.exchange.export import clean_text, is_risky_text

    def text(value: str) -> str | None:
        return clean_text(value)

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "推荐名单"
    year = f"{screening.year}年度数据" if screening.year is not None else "无年度数据"
    title = f"推荐名单：{screening.rule_set.title}（{scope or '全部单位'}，{year}）"
    sheet.append([title])
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    sheet.append(
        [
            f"筛选 {screening.screened} 家（未列入该层级及更高层级），符合 {screening.qualified} 家，"
            f"数据不全 {screening.incomplete} 家；导出时间 {stamp}" + (f"，导出人 {exported_by}" if exported_by else "")
        ]
    )
    sheet.append(list(EXPORT_HEADERS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for number, candidate in enumerate(screening.candidates, 1):
        sheet.append(
            [
                number,
                text(candidate.name),
                candidate.uscc,
                text(candidate.unit),
                candidate.verdict,
                candidate.total,
                candidate.revenue,
                None if candidate.rd_ratio is None else round(candidate.rd_ratio, 2),
                None if candidate.growth is None else round(candidate.growth, 2),
                None if candidate.debt_ratio is None else round(candidate.debt_ratio, 2),
                text(candidate.summary),
                text("；".join(candidate.missing)),
            ]
        )
        for cell in sheet[sheet.max_row]:
            # Names and reasons come from clerks' typing: text that a spreadsheet would run stays text.
            if isinstance(cell.value, str) and (cell.column == 3 or is_risky_text(cell.value)):
                cell.data_type = "s"
                cell.quotePrefix = True
                cell.number_format = "@"
    for column, width in enumerate(_EXPORT_WIDTHS, 1):
        sheet.column_dimensions[sheet.cell(3, column).column_letter].width = width
    sheet.freeze_panes = "C4"
    workbook.save(path)
    return len(screening.candidates)
