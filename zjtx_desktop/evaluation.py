"""县域综合评价: each county's "专精特新" development scored on weighted indicators, ranked, laggards named.

The policy (三(四)) asks the city to evaluate every county regularly, publish the ranking and report on
those lagging behind; it names no indicators, so the scheme is data (db/seeds/evaluation.json): which
indicators, their weights, how raw values become scores, how many laggards to name.

Method. Each indicator's raw value is computed per unit with SQL aggregates for one year, then
normalised across the units evaluated:
- ``best`` (default): score = value ÷ the best unit's value × 100 — proportional to the leader, so the
  gaps between units keep their size; when the best value is 0 or less every unit scores 0;
- ``minmax``: score = (value − lowest) ÷ (highest − lowest) × 100; when all units with data have the
  same value they all score 100.
Scores are clipped to 0–100. A unit with no data for an indicator (no target, no cultivated enterprise,
no figure filed) scores 0 for it: missing data must not look better than poor data. The composite is
Σ(weight × score) ÷ Σ weight, 0–100. Units are ranked by the composite rounded to two decimals;
equal composites share a rank (1, 2, 2, 4). The laggards are the last `laggards` places, with every unit
tied with the last of them; a unit tied with the leader is never a laggard.

This module also offers what the annual report reads for a year: the enterprises in the pools at
the year's end and target progress as it stood then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from zjtx_desktop.errors import UserError
from zjtx_desktop.indicators import EXITED
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, Region, Target
from zjtx_desktop.progress import ProgressReport, ProgressRow, progress_by_unit
from zjtx_desktop.seeds import load_seed
from zjtx_desktop.settings import CITY_CODE
from zjtx_desktop.standing import Standing, Thresholds, standings

CULTIVATED_AT_YEAR_END_RULE = (
    "年底在库培育企业：有入库年份不晚于该年、且到该年12月31日尚未退出的培育记录，不在回收站中的企业。"
)
NORMALISATIONS = {
    "best": "各项得分 = 原值 ÷ 参评单位中的最好值 × 100（最好值不大于 0 时均为 0 分）",
    "minmax": "各项得分 = (原值 − 最低值) ÷ (最高值 − 最低值) × 100（有数据的单位原值都相同时均为 100 分）",
}


def unit_label(code: str, name: str) -> str:
    """How tables name a unit: the city's own enterprises are 市本级."""
    return "市本级" if code == CITY_CODE else name


# --- the year's pools and progress ----------------------------------------------------------------


def cultivated_at_year_end(year: int) -> Subquery:
    """Ids of enterprises in a pool on 31 December of `year` (see CULTIVATED_AT_YEAR_END_RULE).

    An exited entry without an exit date counts as exited all along. The recycle bin is the caller's
    filter (on Enterprise.deleted_at)."""
    end = dt.date(year, 12, 31)
    still_in = or_(Cultivation.status != EXITED, and_(Cultivation.exited_on.is_not(None), Cultivation.exited_on > end))
    return (
        select(Cultivation.enterprise_id.label("enterprise_id"))
        .where(Cultivation.year <= year, still_in)
        .distinct()
        .subquery()
    )


@dataclass(frozen=True)
class YearProgress:
    """Target progress as it stood at the end of `year`: done counts entries up to that year only."""

    year: int
    report: ProgressReport  # done: by the end of `year`; done_before: by the end of the year before
    units: list[Standing]
    totals: list[Standing]
    current: bool  # True: these periods contain the year; False: the latest periods that ended before it

    @property
    def reference_day(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    @property
    def explanation(self) -> str:
        if not self.report.totals:
            return f"没有包含{self.year}年的目标期间。"
        periods = "、".join(dict.fromkeys(row.period_label for row in self.report.totals))
        if self.current:
            return f"目标期间 {periods}，完成数计至{self.year}年年底。"
        return f"没有包含{self.year}年的目标期间，列出此前最近结束的期间（{periods}）的最终完成情况。"


def year_progress(
    session: Session,
    year: int,
    *,
    unit_codes: list[str] | None = None,
    thresholds: Thresholds | None = None,
    latest_before: bool = True,
) -> YearProgress:
    """Progress against the target periods containing `year` (or, when none does and `latest_before`, the
    periods that ended most recently before it), counted to 31 December of `year`, with pace, status and
    rank on that day."""
    current = session.scalar(select(func.count()).where(Target.start_year <= year, Target.end_year >= year))
    period_year = year
    if not current and latest_before:
        latest_end = session.scalar(select(func.max(Target.end_year)).where(Target.end_year < year))
        period_year = latest_end if latest_end is not None else year
    at_end = progress_by_unit(session, year=period_year, unit_codes=unit_codes, previous_year_end=year)
    year_before = progress_by_unit(session, year=period_year, unit_codes=unit_codes, previous_year_end=year - 1)

    def key(row: ProgressRow) -> tuple[str | None, str, int, int]:
        return (row.unit_code, row.program_code, row.start_year, row.end_year)

    before = {key(row): row.done_before for row in [*year_before.rows, *year_before.totals]}

    def as_of_year_end(row: ProgressRow) -> ProgressRow:
        return ProgressRow(
            row.unit_code,
            row.unit,
            row.program_code,
            row.program,
            row.start_year,
            row.end_year,
            row.target,
            row.done_before or 0,
            before.get(key(row)),
        )

    report = ProgressReport([as_of_year_end(r) for r in at_end.rows], [as_of_year_end(r) for r in at_end.totals])
    units, totals = standings(report, dt.date(year, 12, 31), thresholds)
    return YearProgress(year, report, units, totals, bool(current))


# --- the scheme -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitAggregates:
    """One unit's sums for one year, from which every measure is derived."""

    target_rates: list[float] = field(default_factory=list)  # each target row's done ÷ target
    entries: int = 0
    cultivated: int = 0
    trademarks: int = 0
    nc_count: int = 0
    nc_sum: float = 0.0
    tax: float = 0.0
    land: float = 0.0
    rd: float = 0.0
    main_revenue: float = 0.0


def _target_rate(a: UnitAggregates) -> float | None:
    if not a.target_rates:
        return None
    return sum(min(rate, 1.0) for rate in a.target_rates) / len(a.target_rates) * 100


@dataclass(frozen=True)
class Measure:
    definition: str  # 口径, printed in the report's note
    value: Callable[[UnitAggregates], float | None]


MEASURES: dict[str, Measure] = {
    "target_rate": Measure(
        "包含该年的目标期间内本单位各项目标完成率的平均，完成数计至该年年底，单项超过 100% 按 100% 计"
        "（没有包含该年的目标期间时各单位均无此项数据）",
        _target_rate,
    ),
    "entries": Measure("该年有入库记录的企业数（各培育层级合计，每家企业计一次）", lambda a: float(a.entries)),
    "trademark_share": Measure(
        "年底在库培育企业中拥有自主商标的比例（未填按无计）",
        lambda a: a.trademarks / a.cultivated * 100 if a.cultivated else None,
    ),
    "nc_rate": Measure(
        "年底在库培育企业该年装备数控化率的平均（只计填报了的企业）",
        lambda a: a.nc_sum / a.nc_count if a.nc_count else None,
    ),
    "tax_per_mu": Measure(
        "年底在库培育企业该年税收合计 ÷ 用地面积合计（只计两项都有、用地大于 0 的企业）",
        lambda a: a.tax / a.land if a.land > 0 else None,
    ),
    "rd_intensity": Measure(
        "年底在库培育企业该年研发费用合计 ÷ 主营业务收入合计 × 100%（只计两项都有、收入大于 0 的企业）",
        lambda a: a.rd / a.main_revenue * 100 if a.main_revenue > 0 else None,
    ),
}


@dataclass(frozen=True)
class EvaluationIndicator:
    code: str
    name: str
    unit: str
    weight: float

    @property
    def definition(self) -> str:
        return MEASURES[self.code].definition


@dataclass(frozen=True)
class Scheme:
    indicators: tuple[EvaluationIndicator, ...]
    normalisation: str = "best"
    laggards: int = 3
    exclude_kinds: tuple[str, ...] = ("city",)

    @property
    def total_weight(self) -> float:
        return sum(item.weight for item in self.indicators)

    @property
    def method_text(self) -> str:
        weights = "、".join(f"{item.name} {item.weight:g}" for item in self.indicators)
        return (
            f"{NORMALISATIONS[self.normalisation]}；没有数据的单位该项得 0 分；"
            f"综合得分 = Σ(权重 × 得分) ÷ Σ权重（权重：{weights}，合计 {self.total_weight:g}）；"
            "综合得分相同的单位名次并列。"
        )


def load_scheme(data: Mapping[str, Any] | None = None) -> Scheme:
    """The scheme from db/seeds/evaluation.json (or `data`), checked: known indicators, positive weights."""
    raw = dict(data) if data is not None else load_seed("evaluation")
    try:
        indicators = tuple(
            EvaluationIndicator(str(item["code"]), str(item["name"]), str(item.get("unit", "")), float(item["weight"]))
            for item in raw["indicators"]
        )
        scheme = Scheme(
            indicators,
            str(raw.get("normalisation", "best")),
            int(raw.get("laggards", 3)),
            tuple(str(kind) for kind in raw.get("exclude_kinds", ("city",))),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"综合评价方案格式有误：{error}") from error
    unknown = [item.code for item in scheme.indicators if item.code not in MEASURES]
    if unknown:
        raise UserError(f"综合评价方案中有程序不认识的指标：{'、'.join(unknown)}（可用：{'、'.join(MEASURES)}）")
    if not scheme.indicators or any(item.weight <= 0 for item in scheme.indicators):
        raise UserError("综合评价方案至少要有一项指标，且各项权重应大于 0")
    if len({item.code for item in scheme.indicators}) != len(scheme.indicators):
        raise UserError("综合评价方案中有重复的指标")
    if scheme.normalisation not in NORMALISATIONS:
        raise UserError(f"未知的得分换算方法“{scheme.normalisation}”，可用：{'、'.join(NORMALISATIONS)}")
    if scheme.laggards < 0:
        raise UserError("通报的后列单位数不能为负数")
    return scheme


# --- scoring (pure) -----------------------------------------------------------------------------


def normalise(values: Mapping[str, float | None], method: str = "best") -> dict[str, float]:
    """Scores 0–100 for one indicator across units (see the module docstring); None scores 0."""
    known = [value for value in values.values() if value is not None]
    scores: dict[str, float] = {}
    for unit, value in values.items():
        if value is None or not known:
            score = 0.0
        elif method == "minmax":
            low, high = min(known), max(known)
            score = 100.0 if high == low else (value - low) / (high - low) * 100
        elif method == "best":
            best = max(known)
            score = value / best * 100 if best > 0 else 0.0
        else:
            raise UserError(f"未知的得分换算方法“{method}”")
        scores[unit] = min(max(score, 0.0), 100.0)
    return scores


@dataclass(frozen=True)
class UnitFigures:
    """One unit's raw values, indicator code → value (None: no data)."""

    unit_code: str
    unit: str
    values: dict[str, float | None]


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    value: float | None
    score: float


@dataclass(frozen=True)
class UnitScore:
    unit_code: str
    unit: str
    scores: tuple[IndicatorScore, ...]  # in the scheme's order
    composite: float  # 0–100, rounded to two decimals
    rank: int


def score_units(figures: Sequence[UnitFigures], scheme: Scheme) -> list[UnitScore]:
    """Every unit's scores, composite and rank, best first (ties in the order given)."""
    by_indicator = {
        item.code: normalise({f.unit_code: f.values.get(item.code) for f in figures}, scheme.normalisation)
        for item in scheme.indicators
    }
    total_weight = scheme.total_weight
    scored: list[tuple[float, int, UnitFigures, tuple[IndicatorScore, ...]]] = []
    for position, unit in enumerate(figures):
        scores = tuple(
            IndicatorScore(item.code, unit.values.get(item.code), by_indicator[item.code][unit.unit_code])
            for item in scheme.indicators
        )
        composite = sum(item.weight * s.score for item, s in zip(scheme.indicators, scores, strict=True))
        scored.append((round(composite / total_weight, 2), position, unit, scores))
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    ranked: list[UnitScore] = []
    for place, (composite, _, unit, scores) in enumerate(scored, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].composite == composite else place
        ranked.append(UnitScore(unit.unit_code, unit.unit, scores, composite, rank))
    return ranked


def laggards(ranked: Sequence[UnitScore], count: int) -> list[UnitScore]:
    """The last `count` places of a ranking (best first), widened to every unit tied with the last of
    them; a unit tied with the leader is not lagging."""
    if count <= 0 or len(ranked) < 2:
        return []
    cut = ranked[max(len(ranked) - count, 0)].rank
    return [unit for unit in ranked if unit.rank >= cut and unit.composite < ranked[0].composite]


# --- the figures from the database ------------------------------------------------------------------


def evaluated_units(session: Session, scheme: Scheme, unit_codes: list[str] | None = None) -> list[tuple[str, str]]:
    """(code, name) of the units taking part, in the usual order."""
    query = select(Region.code, Region.name).where(Region.kind.not_in(scheme.exclude_kinds)).order_by(Region.sort_order)
    if unit_codes is not None:
        query = query.where(Region.code.in_(unit_codes))
    return [(code, name) for code, name in session.execute(query)]


def unit_aggregates(
    session: Session, year: int, progress: YearProgress, unit_codes: list[str] | None = None
) -> dict[str, UnitAggregates]:
    """unit code → its sums for `year`: three aggregate queries and the year's progress."""
    live = Enterprise.deleted_at.is_(None)
    scoped = [Enterprise.region_code.in_(unit_codes)] if unit_codes is not None else []
    cultivated = cultivated_at_year_end(year)
    sums: dict[str, dict[str, Any]] = {}

    entries = (
        select(Enterprise.region_code, func.count(func.distinct(Cultivation.enterprise_id)))
        .join(Enterprise, Enterprise.id == Cultivation.enterprise_id)
        .where(Cultivation.year == year, live, *scoped)
        .group_by(Enterprise.region_code)
    )
    for code, n in session.execute(entries):
        sums.setdefault(code, {})["entries"] = int(n)

    flags = (
        select(Enterprise.region_code, func.count(), func.sum(case((Enterprise.own_trademark.is_(True), 1), else_=0)))
        .join(cultivated, cultivated.c.enterprise_id == Enterprise.id)
        .where(live, *scoped)
        .group_by(Enterprise.region_code)
    )
    for code, n, trademarks in session.execute(flags):
        sums.setdefault(code, {}).update(cultivated=int(n), trademarks=int(trademarks or 0))

    a = AnnualReport
    has_land = and_(a.tax_paid.is_not(None), a.land_area > 0)
    has_revenue = and_(a.rd_expense.is_not(None), a.main_revenue > 0)
    figures = (
        select(
            Enterprise.region_code,
            func.count(a.nc_rate),
            func.sum(a.nc_rate),
            func.sum(case((has_land, a.tax_paid))),
            func.sum(case((has_land, a.land_area))),
            func.sum(case((has_revenue, a.rd_expense))),
            func.sum(case((has_revenue, a.main_revenue))),
        )
        .join(Enterprise, Enterprise.id == a.enterprise_id)
        .join(cultivated, cultivated.c.enterprise_id == a.enterprise_id)
        .where(a.year == year, live, *scoped)
        .group_by(Enterprise.region_code)
    )
    for code, nc_count, nc_sum, tax, land, rd, revenue in session.execute(figures):
        sums.setdefault(code, {}).update(
            nc_count=int(nc_count),
            nc_sum=float(nc_sum or 0),
            tax=float(tax or 0),
            land=float(land or 0),
            rd=float(rd or 0),
            main_revenue=float(revenue or 0),
        )

    for row in progress.report.rows:
        if row.unit_code is not None and row.target > 0:
            sums.setdefault(row.unit_code, {}).setdefault("target_rates", []).append(row.done / row.target)
    return {code: UnitAggregates(**values) for code, values in sums.items()}


@dataclass(frozen=True)
class Evaluation:
    year: int
    scheme: Scheme
    progress: YearProgress
    ranked: list[UnitScore]  # best first
    laggards: list[UnitScore]

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "scheme": [[i.code, i.weight] for i in self.scheme.indicators],
            "normalisation": self.scheme.normalisation,
            "units": [
                {
                    "unit": u.unit_code,
                    "rank": u.rank,
                    "composite": u.composite,
                    "scores": [[s.code, s.value, round(s.score, 4)] for s in u.scores],
                }
                for u in self.ranked
            ],
            "laggards": [u.unit_code for u in self.laggards],
        }


def evaluate(
    session: Session, year: int, *, unit_codes: list[str] | None = None, scheme: Scheme | None = None
) -> Evaluation:
    """Score and rank the units for `year` (unit_codes: the installation's units; None: all)."""
    scheme = scheme or load_scheme()
    units = evaluated_units(session, scheme, unit_codes)
    codes = [code for code, _ in units]
    # Only targets running in the year judge it: a period that ended earlier was judged in its own years.
    progress = year_progress(session, year, unit_codes=codes, latest_before=False)
    aggregates = unit_aggregates(session, year, progress, codes)
    figures = [
        UnitFigures(
            code,
            unit_label(code, name),
            {
                item.code: MEASURES[item.code].value(aggregates.get(code, UnitAggregates()))
                for item in scheme.indicators
            },
        )
        for code, name in units
    ]
    ranked = score_units(figures, scheme)
    return Evaluation(year, scheme, progress, ranked, laggards(ranked, scheme.laggards))
