"""监测分析: the annual figures of cultivated enterprises summed per unit, with 亩均 ratios and year-on-year changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak
from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session, aliased

from zjtx_desktop.clock import utcnow
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, Region
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest, Scope, resolve_scope
from zjtx_desktop.settings import CITY_CODE

EXITED = "已退出"


@dataclass(frozen=True)
class Total:
    """A figure summed over the enterprises that reported it."""

    key: str  # the AnnualReport column
    label: str
    unit: str


@dataclass(frozen=True)
class Ratio:
    """Σ numerator ÷ Σ denominator over the enterprises that reported both (denominator > 0)."""

    key: str
    label: str
    unit: str
    numerator: str
    denominator: str
    scale: float = 1.0
    change: Literal["percent", "points"] = "percent"  # year-on-year as a growth rate, or in percentage points


TOTALS = (
    Total("revenue", "营业收入", "万元"),
    Total("value_added", "工业增加值", "万元"),
    Total("tax_paid", "税收实际贡献", "万元"),
    Total("rd_expense", "研发费用", "万元"),
    Total("land_area", "用地面积", "亩"),
    Total("energy_use", "综合能耗", "吨标煤"),
)
RATIOS = (
    Ratio("tax_per_mu", "亩均税收", "万元/亩", "tax_paid", "land_area"),
    Ratio("va_per_mu", "亩均增加值", "万元/亩", "value_added", "land_area"),
    Ratio("rd_intensity", "研发投入强度", "%", "rd_expense", "main_revenue", 100.0, "points"),
)
TOTAL_BY_KEY = {total.key: total for total in TOTALS}
RATIO_BY_KEY = {ratio.key: ratio for ratio in RATIOS}
# What each printed table shows, left to right.
SCALE_TABLE = ("revenue", "value_added", "tax_paid")
EFFICIENCY_TABLE = ("rd_expense", "land_area", "energy_use", "tax_per_mu", "va_per_mu", "rd_intensity")
VALUE_ADDED_KEYS = ("value_added", "va_per_mu")
RULE_NOTE = (
    "统计范围：目前有未退出的培育记录、未移入回收站的企业（“培育企业”）在该年度报送的年度监测数据（“报送企业”）。"
    "各项合计只计报送了该项数据的企业；亩均税收 = 税收实际贡献合计 ÷ 用地面积合计，亩均增加值 = 工业增加值合计 ÷ "
    "用地面积合计，研发投入强度 = 研发费用合计 ÷ 主营业务收入合计，均只计两项数据都已报送（用地面积、主营业务收入大于 0）的企业。"
    "同比按可比口径：只比较本年和上年都报送了该项数据的同一批企业（“可比企业”为两年都有报送的企业数），"
    "研发投入强度为增减的百分点；没有可比数据时为“—”。"
)


@dataclass
class UnitFigures:
    """One unit's aggregates: counts, and raw sums keyed as in _aggregate_columns."""

    code: str
    name: str
    cultivated: int = 0
    reporting: int = 0
    comparable: int = 0
    sums: dict[str, float] = field(default_factory=dict)

    def add(self, other: UnitFigures) -> None:
        self.cultivated += other.cultivated
        self.reporting += other.reporting
        self.comparable += other.comparable
        for key, value in other.sums.items():
            self.sums[key] = self.sums.get(key, 0.0) + value

    def _sum(self, key: str) -> float:
        return self.sums.get(key, 0.0)

    def total(self, key: str) -> float:
        return self._sum(key)

    def growth(self, key: str) -> float | None:
        """Year-on-year growth (%) of a total over the comparable enterprises."""
        return _growth(self._sum(f"{key}:now"), self._sum(f"{key}:before"))

    def ratio(self, ratio: Ratio, which: str = "") -> float | None:
        numerator, denominator = self._sum(f"{ratio.key}:num{which}"), self._sum(f"{ratio.key}:den{which}")
        return numerator / denominator * ratio.scale if denominator > 0 else None

    def ratio_change(self, ratio: Ratio) -> float | None:
        """Year-on-year change over the comparable enterprises: % growth, or percentage points."""
        now, before = self.ratio(ratio, ":now"), self.ratio(ratio, ":before")
        if now is None or before is None:
            return None
        return now - before if ratio.change == "points" else _growth(now, before)


def _growth(now: float, before: float) -> float | None:
    return (now / before - 1.0) * 100.0 if before > 0 else None


def _aggregate_columns(current: Any, previous: Any) -> list[Any]:
    """SUM(CASE …) columns for every total and ratio: all reporters this year, and the comparable pairs."""

    def given(report: Any, key: str) -> ColumnElement[bool]:
        return getattr(report, key).is_not(None)  # type: ignore[no-any-return]

    def positive(report: Any, key: str) -> ColumnElement[bool]:
        return getattr(report, key) > 0  # type: ignore[no-any-return]

    columns: list[Any] = [func.count(current.id).label("reporting"), func.count(previous.id).label("comparable")]
    for total in TOTALS:
        now, before = getattr(current, total.key), getattr(previous, total.key)
        both = and_(given(current, total.key), given(previous, total.key))
        columns += [
            func.sum(now).label(total.key),
            func.sum(case((both, now))).label(f"{total.key}:now"),
            func.sum(case((both, before))).label(f"{total.key}:before"),
        ]
    for ratio in RATIOS:
        own = and_(given(current, ratio.numerator), positive(current, ratio.denominator))
        both = and_(own, given(previous, ratio.numerator), positive(previous, ratio.denominator))
        pairs = (
            ("", own, current),
            (":now", both, current),
            (":before", both, previous),
        )
        for suffix, condition, report in pairs:
            columns += [
                func.sum(case((condition, getattr(report, ratio.numerator)))).label(f"{ratio.key}:num{suffix}"),
                func.sum(case((condition, getattr(report, ratio.denominator)))).label(f"{ratio.key}:den{suffix}"),
            ]
    return columns


def _cultivated() -> ColumnElement[bool]:
    """The enterprise has a cultivation entry that has not exited."""
    return (
        select(Cultivation.id).where(Cultivation.enterprise_id == Enterprise.id, Cultivation.status != EXITED).exists()
    )


def latest_year(session: Session, unit_codes: list[str] | None) -> int | None:
    """The newest year with annual reports of cultivated enterprises in these units."""
    query = (
        select(func.max(AnnualReport.year))
        .join(Enterprise, Enterprise.id == AnnualReport.enterprise_id)
        .where(Enterprise.deleted_at.is_(None), _cultivated())
    )
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    return session.scalar(query)


def unit_figures(session: Session, year: int, unit_codes: list[str] | None) -> list[UnitFigures]:
    """Per-unit aggregates for `year` (GROUP BY in the database), in the annex's unit order.

    Every unit in scope is listed (zeros where nothing was reported); 市本级 only when it has enterprises.
    """
    current = aliased(AnnualReport, name="current")
    previous = aliased(AnnualReport, name="previous")
    live = and_(Enterprise.deleted_at.is_(None), _cultivated())
    in_scope = Enterprise.region_code.in_(unit_codes) if unit_codes is not None else true()

    figures_query = (
        select(Enterprise.region_code, *_aggregate_columns(current, previous))
        .select_from(current)
        .join(Enterprise, Enterprise.id == current.enterprise_id)
        .outerjoin(previous, and_(previous.enterprise_id == current.enterprise_id, previous.year == year - 1))
        .where(current.year == year, live, in_scope)
        .group_by(Enterprise.region_code)
    )
    cultivated_query = (
        select(Enterprise.region_code, func.count(Enterprise.id)).where(live, in_scope).group_by(Enterprise.region_code)
    )
    cultivated = {code: count for code, count in session.execute(cultivated_query)}
    sums: dict[str, dict[str, Any]] = {
        row["region_code"]: dict(row) for row in session.execute(figures_query).mappings()
    }

    regions = session.execute(select(Region.code, Region.name).order_by(Region.sort_order, Region.code)).all()
    result: list[UnitFigures] = []
    for code, name in regions:
        if unit_codes is not None and code not in unit_codes:
            continue
        if code == CITY_CODE and code not in cultivated and code not in sums:
            continue
        row = sums.get(code, {})
        unit = UnitFigures(
            code,
            "市本级" if code == CITY_CODE else name,
            cultivated=cultivated.get(code, 0),
            reporting=int(row.get("reporting") or 0),
            comparable=int(row.get("comparable") or 0),
            sums={
                key: float(value or 0.0)
                for key, value in row.items()
                if key not in ("region_code", "reporting", "comparable")
            },
        )
        result.append(unit)
    return result


def city_total(units: Sequence[UnitFigures], label: str) -> UnitFigures:
    """The units' sums added up; ratios and changes are recomputed from the sums, never averaged."""
    total = UnitFigures("", label)
    for unit in units:
        total.add(unit)
    return total


def _amount(value: float) -> str:
    return f"{value:,.0f}"


def _change(value: float | None, points: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if points else f"{value:+.1f}"


def _ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _cells(unit: UnitFigures, column: Total | Ratio) -> tuple[str, str]:
    """A figure and its year-on-year change, as printed."""
    if isinstance(column, Total):
        return _amount(unit.total(column.key)), _change(unit.growth(column.key))
    return _ratio_text(unit.ratio(column)), _change(unit.ratio_change(column), column.change == "points")


def _indicator_table(
    writer: ReportWriter, rows: Sequence[UnitFigures], columns: Sequence[Total | Ratio], *, counts: bool, total: bool
) -> list[list[str]]:
    """One row per unit (and the total), each indicator followed by its year-on-year change."""
    headers = ["单位"]
    if counts:
        headers += ["培育企业\n(家)", "报送企业\n(家)", "可比企业\n(家)"]
    for column in columns:
        change = "增减\n(百分点)" if isinstance(column, Ratio) and column.change == "points" else "同比\n(%)"
        headers += [f"{column.label}\n({column.unit})", change]
    table: list[list[str]] = []
    for unit in rows:
        line = [unit.name]
        if counts:
            line += [f"{unit.cultivated:,}", f"{unit.reporting:,}", f"{unit.comparable:,}"]
        for column in columns:
            line += _cells(unit, column)
        table.append(line)
    widths = [36] + ([16] * 3 if counts else []) + [22, 15] * len(columns)
    writer.table(headers, table, widths, numeric=range(1, len(headers)), total_rows=(len(table) - 1,) if total else ())
    return table


def short_names(session: Session) -> dict[str, str]:
    """Units as a chart's axis names them: 开发区, 莲都, 青田 …"""
    return {code: name for code, name in session.execute(select(Region.code, Region.short_name))}


def _chart(units: Sequence[UnitFigures], total: UnitFigures, names: dict[str, str]) -> Any:
    """亩均税收 and revenue growth by unit, each with the total's value as a dashed line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from zjtx_desktop.charts import DONE_FILL, GRID, PACE_MARK, TARGET_EDGE, TARGET_FILL, TEXT, TEXT_MUTED
    from zjtx_desktop.fonts import configure_matplotlib

    configure_matplotlib()
    figure = Figure(figsize=(9.6, 2.9))
    FigureCanvasAgg(figure)
    labels = [names.get(unit.code, unit.name) for unit in units]
    positions = list(range(len(units)))
    tax_per_mu = RATIO_BY_KEY["tax_per_mu"]
    panels = (
        (
            "亩均税收（万元/亩）",
            [unit.ratio(tax_per_mu) for unit in units],
            total.ratio(tax_per_mu),
            DONE_FILL,
            DONE_FILL,
        ),
        (
            "营业收入同比（%，可比口径）",
            [unit.growth("revenue") for unit in units],
            total.growth("revenue"),
            TARGET_FILL,
            TARGET_EDGE,
        ),
    )
    for index, (title, values, reference, fill, edge) in enumerate(panels):
        axes = figure.add_subplot(1, 2, index + 1)
        heights = [value or 0.0 for value in values]
        axes.bar(positions, heights, width=0.62, color=fill, edgecolor=edge, linewidth=0.8)
        span = max([abs(h) for h in heights] + [abs(reference or 0.0), 1.0])
        for position, value in zip(positions, values, strict=True):
            below = value is not None and value < 0
            axes.text(
                position,
                (value or 0.0) + (-span if below else span) * 0.03,
                "—" if value is None else f"{value:.1f}",
                ha="center",
                va="top" if below else "bottom",
                fontsize=7,
                color=TEXT,
            )
        if reference is not None:
            axes.axhline(reference, color=PACE_MARK, linewidth=0.9, linestyle="--")
            title += f"　虚线：{total.name} {reference:.1f}"
        low = min([*heights, 0.0])
        axes.set_ylim(low - span * 0.15 if low < 0 else 0, max([*heights, reference or 0.0, 0.0]) + span * 0.15)
        axes.set_xticks(positions, labels, fontsize=7.5)
        axes.set_title(title, loc="left", fontsize=9, color=TEXT)
        axes.axhline(0, color="#b8c0cc", linewidth=0.8)
        axes.yaxis.grid(True, color=GRID, linewidth=0.8)
        axes.tick_params(axis="y", labelsize=7, colors=TEXT_MUTED, length=0)
        axes.tick_params(axis="x", colors=TEXT_MUTED, length=0)
        axes.set_axisbelow(True)
        for side in ("top", "right", "bottom"):
            axes.spines[side].set_visible(False)
    figure.tight_layout()
    return figure


def build_monitoring(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    scope: Scope = resolve_scope(session, request.unit)
    year = request.year or latest_year(session, scope.unit_codes)
    info = ReportInfo(
        title="“专精特新”培育企业监测分析",
        organisation=scope.organisation,
        as_of=utcnow(),
        landscape=True,
        subtitle=f"{scope.label}　{year}年度" if year else scope.label,
        prepared_by=request.prepared_by,
    )
    writer = ReportWriter(info)
    writer.title_block()
    data: dict[str, Any] = {"year": year, "units": scope.unit_codes}
    if year is None:
        writer.paragraph("还没有培育企业的年度监测数据。")
    else:
        units = unit_figures(session, year, scope.unit_codes)
        total = city_total(units, "全市合计" if scope.unit_codes is None else "合计")
        several = len(units) > 1
        rows = [*units, total] if several else units
        # 工业增加值 and 亩均增加值 only when value added was reported at all.
        skip = () if total.sums.get("value_added") else VALUE_ADDED_KEYS
        lookup: dict[str, Total | Ratio] = {**TOTAL_BY_KEY, **RATIO_BY_KEY}
        scale = [lookup[key] for key in SCALE_TABLE if key not in skip]
        efficiency = [lookup[key] for key in EFFICIENCY_TABLE if key not in skip]
        sections = iter(("一", "二", "三"))
        if several:  # one unit's figures are its table row: no summary, no comparison chart
            writer.heading(f"{next(sections)}、总体情况")
            writer.big_numbers(
                [
                    ("报送企业（家）", f"{total.reporting:,}"),
                    ("营业收入（亿元）", f"{total.total('revenue') / 10000:,.2f}"),
                    ("税收实际贡献（亿元）", f"{total.total('tax_paid') / 10000:,.2f}"),
                    ("亩均税收（万元/亩）", _ratio_text(total.ratio(RATIO_BY_KEY["tax_per_mu"]))),
                    ("研发投入强度（%）", _ratio_text(total.ratio(RATIO_BY_KEY["rd_intensity"]))),
                ]
            )
            writer.figure(_chart(units, total, short_names(session)), width_mm=225)
        # Each table whole on one page when it fits: a total row alone on the next page reads badly.
        room = (len(rows) * 6.2 + 30) * mm
        writer.story.append(CondPageBreak(room))
        writer.heading(f"{next(sections)}、报送情况与经营规模")
        data["scale"] = _indicator_table(writer, rows, scale, counts=True, total=several)
        writer.story.append(CondPageBreak(room))
        writer.heading(f"{next(sections)}、研发投入、资源消耗与亩均效益")
        data["efficiency"] = _indicator_table(writer, rows, efficiency, counts=False, total=several)
        writer.paragraph(RULE_NOTE, note=True)
    writer.signatures(request.today)
    return writer.write(out, data)
