"""年度“专精特新”企业发展报告 (policy 三(四)): one year's pools, entries, targets, industries, leading
enterprises, plan indicators and the fifteen tasks, with charts — for the city or one unit.

The figures are read with SQL aggregates (about a dozen queries, whatever the size of the database);
`annual_figures` gathers them and the builder only lays them out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Paragraph
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from zjtx_desktop.clock import utcnow
from zjtx_desktop.evaluation import (
    CULTIVATED_AT_YEAR_END_RULE,
    UnitAggregates,
    YearProgress,
    cultivated_at_year_end,
    unit_aggregates,
    unit_label,
    year_progress,
)
from zjtx_desktop.indicators import CULTIVATED_RULE, IndicatorResult, plan_indicators
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, Industry, Program, Region
from zjtx_desktop.progress import COUNTING_RULE, entries_by_year
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest, resolve_scope
from zjtx_desktop.settings import CITY_CODE
from zjtx_desktop.standing import STATUS_EXPLANATION, Standing, load_thresholds
from zjtx_desktop.supervision import TaskRow, task_overview

TITLE = "年度“专精特新”企业发展报告"
LEADERS = 10
# DOMAIN §10: below-scale firms are evaluated for 亩均 from 3 亩 of land; below that a small plot makes
# the ratio meaningless.
MIN_LAND_MU = 3.0
# Growth from a tiny base says little: only firms with at least this revenue the year before
# (万元; the revenue threshold of the 专精特新中小企业 criteria) are ranked by growth.
MIN_PREVIOUS_REVENUE = 1000.0
TREND_PROGRAMS = 2
TOP_INDUSTRIES = 10


@dataclass(frozen=True)
class Leader:
    name: str
    unit: str
    figures: tuple[float, float, float]  # tax, land, tax per mu — or revenue before, revenue, growth %


@dataclass(frozen=True)
class AnnualFigures:
    """Everything the annual report shows, for one year and scope."""

    year: int
    units: list[tuple[str, str]]  # (code, label) of the units shown, in the usual order
    aggregates: dict[str, UnitAggregates]  # unit → entries, cultivated, tax and land … of the year
    programs: list[tuple[str, str]]  # (code, short name) of the programs with entries in the year
    short_names: dict[str, str]  # every program's short name, by code
    entries: dict[tuple[str, str], int]  # (unit, program) → enterprises entering in the year
    progress: YearProgress
    trends: list[tuple[str, list[tuple[int, int]], tuple[int, int] | None]]  # program, per year, target period
    industries: list[tuple[str, int]]  # (industry, cultivated enterprises), most first
    industry_count: int  # divisions with at least one cultivated enterprise
    no_industry: int  # cultivated enterprises without an industry code
    tax_leaders: list[Leader]
    growth_leaders: list[Leader]
    indicators: list[IndicatorResult]
    tasks: list[TaskRow]

    @property
    def entries_total(self) -> int:
        return sum(a.entries for a in self.aggregates.values())

    @property
    def cultivated_total(self) -> int:
        return sum(a.cultivated for a in self.aggregates.values())

    @property
    def tax_per_mu(self) -> float | None:
        land = sum(a.land for a in self.aggregates.values())
        return sum(a.tax for a in self.aggregates.values()) / land if land > 0 else None

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "units": {code: vars(self.aggregates.get(code, UnitAggregates())) for code, _ in self.units},
            "entries": sorted([*key, n] for key, n in self.entries.items()),
            "progress": self.progress.report.as_json(),
            "trends": self.trends,
            "industries": self.industries,
            "tax_leaders": [vars(leader) for leader in self.tax_leaders],
            "growth_leaders": [vars(leader) for leader in self.growth_leaders],
            "indicators": [[r.definition.code, r.total.value] for r in self.indicators],
            "tasks": [[t.number, t.status, t.overdue] for t in self.tasks],
        }


def _scoped(unit_codes: list[str] | None) -> list[Any]:
    return [Enterprise.region_code.in_(unit_codes)] if unit_codes is not None else []


def entries_by_program(session: Session, year: int, unit_codes: list[str] | None) -> dict[tuple[str, str], int]:
    """(unit, program) → enterprises with an entry of that program in `year` (recycle bin left out)."""
    query = (
        select(Enterprise.region_code, Cultivation.program_code, func.count(func.distinct(Cultivation.enterprise_id)))
        .join(Enterprise, Enterprise.id == Cultivation.enterprise_id)
        .where(Cultivation.year == year, Enterprise.deleted_at.is_(None), *_scoped(unit_codes))
        .group_by(Enterprise.region_code, Cultivation.program_code)
    )
    return {(unit, program): int(n) for unit, program, n in session.execute(query)}


def top_industries(
    session: Session, year: int, unit_codes: list[str] | None, limit: int = TOP_INDUSTRIES
) -> tuple[list[tuple[str, int]], int, int]:
    """(the `limit` industries with most enterprises in the pools at the year's end, industries with
    any, enterprises without an industry code)."""
    cultivated = cultivated_at_year_end(year)
    query = (
        select(Enterprise.industry_code, Industry.name, func.count())
        .join(cultivated, cultivated.c.enterprise_id == Enterprise.id)
        .outerjoin(Industry, Industry.code == Enterprise.industry_code)
        .where(Enterprise.deleted_at.is_(None), *_scoped(unit_codes))
        .group_by(Enterprise.industry_code, Industry.name)
    )
    counted = [(code, name, int(n)) for code, name, n in session.execute(query)]
    known = sorted((c for c in counted if c[0] is not None), key=lambda c: (-c[2], c[0]))
    missing = sum(n for code, _, n in counted if code is None)
    return [(name or code or "", n) for code, name, n in known[:limit]], len(known), missing


def tax_leaders(session: Session, year: int, unit_codes: list[str] | None, limit: int = LEADERS) -> list[Leader]:
    """The enterprises in the pools with the highest 亩均税收 (tax ÷ land) in `year`, land ≥ MIN_LAND_MU."""
    cultivated = cultivated_at_year_end(year)
    a = AnnualReport
    per_mu = a.tax_paid / a.land_area
    query = (
        select(Enterprise.name, Region.code, Region.name, a.tax_paid, a.land_area, per_mu)
        .join(Enterprise, Enterprise.id == a.enterprise_id)
        .join(cultivated, cultivated.c.enterprise_id == a.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(a.year == year, a.tax_paid.is_not(None), a.land_area >= MIN_LAND_MU)
        .where(Enterprise.deleted_at.is_(None), *_scoped(unit_codes))
        .order_by(per_mu.desc(), Enterprise.name)
        .limit(limit)
    )
    return [
        Leader(name, unit_label(code, unit), (float(tax or 0), float(land or 0), float(ratio or 0)))
        for name, code, unit, tax, land, ratio in session.execute(query)
    ]


def growth_leaders(session: Session, year: int, unit_codes: list[str] | None, limit: int = LEADERS) -> list[Leader]:
    """The enterprises in the pools with the fastest revenue growth into `year` (previous revenue ≥
    MIN_PREVIOUS_REVENUE 万元)."""
    cultivated = cultivated_at_year_end(year)
    now, before = aliased(AnnualReport), aliased(AnnualReport)
    growth = (now.revenue / before.revenue - 1) * 100
    query = (
        select(Enterprise.name, Region.code, Region.name, before.revenue, now.revenue, growth)
        .join(Enterprise, Enterprise.id == now.enterprise_id)
        .join(before, (before.enterprise_id == now.enterprise_id) & (before.year == year - 1))
        .join(cultivated, cultivated.c.enterprise_id == now.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(now.year == year, now.revenue.is_not(None), before.revenue >= MIN_PREVIOUS_REVENUE)
        .where(Enterprise.deleted_at.is_(None), *_scoped(unit_codes))
        .order_by(growth.desc(), Enterprise.name)
        .limit(limit)
    )
    return [
        Leader(name, unit_label(code, unit), (float(previous or 0), float(current or 0), float(rate or 0)))
        for name, code, unit, previous, current, rate in session.execute(query)
    ]


def annual_figures(
    session: Session, year: int, *, unit_codes: list[str] | None = None, today: dt.date | None = None
) -> AnnualFigures:
    thresholds = load_thresholds(session)
    progress = year_progress(session, year, unit_codes=unit_codes, thresholds=thresholds)
    aggregates = unit_aggregates(session, year, progress, unit_codes)
    entries = entries_by_program(session, year, unit_codes)

    regions = select(Region.code, Region.name).order_by(Region.sort_order)
    if unit_codes is not None:
        regions = regions.where(Region.code.in_(unit_codes))
    # The city's own enterprises (市本级) have no annex target: shown only when it has some.
    units = [
        (code, unit_label(code, name))
        for code, name in session.execute(regions)
        if code != CITY_CODE or code in aggregates or unit_codes is not None
    ]

    per_program = Counter[str]()
    for (_, program), n in entries.items():
        per_program[program] += n
    names = {
        code: short for code, short, _ in session.execute(select(Program.code, Program.short_name, Program.sort_order))
    }
    order = {code: place for code, _, place in session.execute(select(Program.code, Program.name, Program.sort_order))}
    programs = [(code, names[code]) for code in sorted(per_program, key=lambda c: order[c])]

    # The trend of the programs with most entries in the year (else those with targets), up to the year.
    periods = {t.row.program_code: (t.row.start_year, t.row.end_year) for t in reversed(progress.totals)}
    candidates = sorted(per_program, key=lambda c: (-per_program[c], order[c])) + list(periods)
    trends = []
    for code in list(dict.fromkeys(candidates))[:TREND_PROGRAMS]:
        counts = dict(entries_by_year(session, code, unit_codes=unit_codes))
        first = min([*counts, year])
        series = [(y, counts.get(y, 0)) for y in range(first, year + 1)]
        trends.append((names[code], series, periods.get(code)))

    industries, industry_count, no_industry = top_industries(session, year, unit_codes)
    return AnnualFigures(
        year=year,
        units=units,
        aggregates=aggregates,
        programs=programs,
        short_names=names,
        entries=entries,
        progress=progress,
        trends=trends,
        industries=industries,
        industry_count=industry_count,
        no_industry=no_industry,
        tax_leaders=tax_leaders(session, year, unit_codes),
        growth_leaders=growth_leaders(session, year, unit_codes),
        indicators=plan_indicators(session, unit_codes=unit_codes, thresholds=thresholds),
        tasks=task_overview(session, today),
    )


# --- charts -------------------------------------------------------------------------------------


def _figure(width_in: float, height_in: float) -> Any:
    from matplotlib.figure import Figure

    from zjtx_desktop.fonts import configure_matplotlib

    configure_matplotlib()
    return Figure(figsize=(width_in, height_in), facecolor="white")


def _draw_counts(axes: Any, labels: list[str], values: list[int], title: str) -> None:
    """Horizontal bars, largest first from the top, each with its number."""
    from zjtx_desktop import charts

    positions = list(range(len(labels)))
    axes.barh(positions, values, height=0.62, color=charts.DONE_FILL)
    axes.set_yticks(positions, labels, fontsize=8, color=charts.TEXT)
    axes.set_ylim(max(len(labels), charts.MIN_SLOTS) - 0.5, -0.5)
    highest = max([*values, 1])
    axes.set_xlim(0, highest * 1.15)
    for position, value in enumerate(values):
        axes.text(value + highest * 0.01, position, str(value), va="center", fontsize=7.5, color=charts.TEXT)
    axes.xaxis.grid(True, color=charts.GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    axes.tick_params(axis="x", labelsize=7.5, colors=charts.TEXT_MUTED)
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color("#b8c0cc")
    axes.set_title(title, loc="left", fontsize=9, color=charts.TEXT)


def trend_figure(figures: AnnualFigures) -> Any:
    from zjtx_desktop.charts import draw_entries_trend

    figure = _figure(6.1, 2.3)
    for index, (program, series, period) in enumerate(figures.trends):
        axes = figure.add_subplot(1, len(figures.trends), index + 1)
        draw_entries_trend(axes, series, period=period, title=f"{program}：历年入库企业数")
    figure.subplots_adjust(left=0.06, right=0.99, top=0.88, bottom=0.12, wspace=0.18)
    return figure


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars_figure(labels: list[str], values: list[int], title: str) -> Any:
    width = 6.1
    figure = _figure(width, 0.5 + 0.2 * max(len(labels), 6))
    axes = figure.add_subplot(1, 1, 1)
    shown = [_short(label) for label in labels]
    # Room on the left for the longest label (8-point CJK characters are about 8 points wide).
    left = min(0.4, (max(map(len, shown), default=4) * 8.2 + 10) / (width * 72))
    _draw_counts(axes, shown, values, title)
    figure.subplots_adjust(left=left, right=0.98, top=0.9, bottom=0.08)
    return figure


# --- the PDF ------------------------------------------------------------------------------------


def _room(writer: ReportWriter, rows: int) -> None:
    """Start a new page unless a table of about `rows` one-line rows (a heading and a note included) fits
    below, so that a short table is not split; on a fresh page it just starts."""
    writer.story.append(CondPageBreak((rows + 4) * 6.6 * mm))


def _centred(writer: ReportWriter, text: str) -> None:
    writer.story.append(Paragraph(escape(writer.safe(text)), writer.styles.subtitle))


def _percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _number(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _main_total(progress: YearProgress) -> Standing | None:
    """The first (widest) period of the first program: the headline target."""
    return progress.totals[0] if progress.totals else None


def _period(standing: Standing) -> tuple[str, int, int]:
    return (standing.row.program_code, standing.row.start_year, standing.row.end_year)


def _units_met(progress: YearProgress, total: Standing) -> tuple[int, int]:
    rows = [s.row for s in progress.units if _period(s) == _period(total)]
    with_target = [row for row in rows if row.target > 0]
    return sum(1 for row in with_target if row.done >= row.target), len(with_target)


def key_figures(figures: AnnualFigures) -> list[tuple[str, str]]:
    """The big numbers on the first page: (label, value)."""
    year = figures.year
    items = [
        (f"{year}年底\n在库培育企业（家）", f"{figures.cultivated_total:,}"),
        (f"{year}年\n新入库企业（家）", f"{figures.entries_total:,}"),
    ]
    total = _main_total(figures.progress)
    if total is not None:
        met, with_target = _units_met(figures.progress, total)
        program = figures.short_names.get(total.row.program_code, total.row.program)
        items += [
            (f"{program}\n{total.row.period_label}目标完成率", _percent(total.row.rate)),
            ("完成该目标的单位\n（个）", f"{met} / {with_target}"),
        ]
    else:
        tax = figures.tax_per_mu
        items.append((f"培育企业{year}年\n亩均税收（万元/亩）", "—" if tax is None else f"{tax:.1f}"))
    return items


def _summary(figures: AnnualFigures, scope_label: str) -> str:
    year = figures.year
    parts = [f"{year}年，{scope_label}新入库培育企业 {figures.entries_total} 家"]
    by_program = Counter[str]()
    for (_, program), n in figures.entries.items():
        by_program[program] += n
    if figures.programs:
        parts[0] += "（" + "、".join(f"{short} {by_program[code]} 家" for code, short in figures.programs) + "）"
    parts.append(f"年底在库培育企业 {figures.cultivated_total} 家，分布在 {figures.industry_count} 个行业大类")
    entered = [(label, figures.aggregates[code].entries) for code, label in figures.units if code in figures.aggregates]
    leading = sorted((unit for unit in entered if unit[1]), key=lambda unit: -unit[1])[:3]
    if len(figures.units) > 1 and leading:
        parts.append(f"新入库企业最多的是{'、'.join(f'{label}（{n} 家）' for label, n in leading)}")
    total = _main_total(figures.progress)
    if total is not None:
        met, with_target = _units_met(figures.progress, total)
        parts.append(
            f"{total.row.program}目标（{total.row.period_label}）{total.row.target} 家，"
            f"至年底完成 {total.row.done} 家，完成率 {_percent(total.row.rate)}，{with_target} 个单位中 {met} 个完成目标"
        )
    tax = figures.tax_per_mu
    if tax is not None:
        parts.append(f"培育企业亩均税收 {tax:.1f} 万元/亩")
    return "；".join(parts) + "。各单位明细见附表。"


def _cover(writer: ReportWriter, figures: AnnualFigures, organisation: str, today: dt.date) -> None:
    writer.spacer(45)
    writer.title_block()
    writer.spacer(75)
    _centred(writer, f"统计年度：{figures.year}年")
    _centred(writer, organisation)
    _centred(writer, today.strftime("%Y年%m月%d日"))
    writer.spacer(30)
    writer.paragraph(
        "统计口径：" + CULTIVATED_AT_YEAR_END_RULE + "入库数按培育记录的入库年份统计，每家企业每年计一次，"
        "回收站中的企业不计。金额单位为万元，用地为亩。规划指标和政策任务为报告生成时的情况。",
        note=True,
    )
    writer.page_break()


def _overview(writer: ReportWriter, figures: AnnualFigures, scope_label: str) -> None:
    writer.heading("一、总体情况")
    writer.big_numbers(key_figures(figures))
    writer.paragraph(_summary(figures, scope_label))
    if figures.trends and any(n for _, series, _ in figures.trends for _, n in series):
        writer.figure(trend_figure(figures))
        writer.paragraph("浅色背景为目标期间。", note=True)
    if len(figures.units) > 1 and figures.entries_total:
        ranked = sorted(figures.units, key=lambda u: -figures.aggregates.get(u[0], UnitAggregates()).entries)
        labels = [label for _, label in ranked]
        values = [figures.aggregates.get(code, UnitAggregates()).entries for code, _ in ranked]
        writer.figure(bars_figure(labels, values, f"各单位{figures.year}年新入库企业数（家）"))


def _industries(writer: ReportWriter, figures: AnnualFigures) -> None:
    writer.heading("二、行业分布")
    if not figures.industries:
        writer.paragraph(f"{figures.year}年底没有在库培育企业。")
        return
    labels = [name for name, _ in figures.industries]
    values = [n for _, n in figures.industries]
    writer.figure(bars_figure(labels, values, f"{figures.year}年底在库培育企业最多的行业（家）"))
    shown = sum(values)
    share = shown / figures.cultivated_total if figures.cultivated_total else None
    text = (
        f"在库培育企业分布在 {figures.industry_count} 个行业大类，前 {len(values)} 个行业合计 {shown} 家，"
        f"占 {_percent(share)}"
    )
    if figures.no_industry:
        text += f"；另有 {figures.no_industry} 家未填所属行业"
    writer.paragraph(text + "。")


def _leaders(writer: ReportWriter, figures: AnnualFigures) -> None:
    year = figures.year
    writer.heading("三、领先企业")
    _room(writer, len(figures.tax_leaders) + 1)
    writer.paragraph(f"（一）{year}年亩均税收前 {LEADERS} 位")
    if figures.tax_leaders:
        rows = [
            [i, leader.name, leader.unit, _number(tax), _number(land), _number(ratio, 2)]
            for i, leader in enumerate(figures.tax_leaders, start=1)
            for tax, land, ratio in [leader.figures]
        ]
        headers = ("序号", "企业名称", "所属单位", "税收(万元)", "用地(亩)", "亩均税收(万元/亩)")
        writer.table(headers, rows, (11, 52, 37, 20, 16, 20), numeric=(3, 4, 5), centred=(0,))
    else:
        writer.paragraph(f"没有在库培育企业填报{year}年的税收和用地面积。")
    _room(writer, len(figures.growth_leaders) + 1)
    writer.paragraph(f"（二）{year}年营业收入增长率前 {LEADERS} 位")
    if figures.growth_leaders:
        rows = [
            [i, leader.name, leader.unit, _number(before), _number(now), f"{rate:.1f}%"]
            for i, leader in enumerate(figures.growth_leaders, start=1)
            for before, now, rate in [leader.figures]
        ]
        headers = ("序号", "企业名称", "所属单位", f"{year - 1}年营收(万元)", f"{year}年营收(万元)", "增长率")
        writer.table(headers, rows, (11, 52, 37, 20, 20, 16), numeric=(3, 4, 5), centred=(0,))
    else:
        writer.paragraph(f"没有在库培育企业同时填报{year - 1}年和{year}年的营业收入。")
    writer.paragraph(
        f"范围为{year}年底在库的培育企业。亩均税收 = 税收实际贡献 ÷ 用地面积，只排用地 {MIN_LAND_MU:g} 亩及以上的企业；"
        f"增长率只排上年营业收入 {MIN_PREVIOUS_REVENUE:g} 万元及以上的企业。",
        note=True,
    )


def _entries_table(writer: ReportWriter, figures: AnnualFigures) -> None:
    writer.heading(f"附表1　各单位{figures.year}年入库情况")
    if not figures.entries:
        writer.paragraph(f"{figures.year}年没有入库记录。")
        return
    headers = ["单位", *[short for _, short in figures.programs], "入库企业合计", "年底在库培育企业"]
    rows: list[list[object]] = []
    for code, label in figures.units:
        aggregate = figures.aggregates.get(code, UnitAggregates())
        counts = [figures.entries.get((code, program), 0) for program, _ in figures.programs]
        rows.append([label, *counts, aggregate.entries, aggregate.cultivated])
    if len(figures.units) > 1:
        program_totals = [
            sum(n for (_, p), n in figures.entries.items() if p == program) for program, _ in figures.programs
        ]
        rows.append(["合计", *program_totals, figures.entries_total, figures.cultivated_total])
    widths = (34, *[20] * len(figures.programs), 22, 24)
    numeric = tuple(range(1, len(headers)))
    writer.table(headers, rows, widths, numeric=numeric, total_rows=(len(rows) - 1,) if len(figures.units) > 1 else ())
    writer.paragraph(
        "各层级列为当年进入该层级的企业数；“入库企业合计”每家企业计一次（同一年进入两个层级的只计一次）。", note=True
    )


def _progress(writer: ReportWriter, figures: AnnualFigures) -> None:
    progress = figures.progress
    first = [s for s in progress.units if progress.totals and _period(s) == _period(progress.totals[0])]
    _room(writer, len(first) + 2)
    writer.heading("附表2　各单位目标任务完成情况")
    writer.paragraph(progress.explanation)
    headers = ("单位", "目标数", "已完成", "完成率", "时间进度", "还差", "状态", "排名", "进度")
    for total in progress.totals:
        rows = [s for s in progress.units if _period(s) == _period(total)]
        _room(writer, len(rows) + 2)
        writer.paragraph(f"{total.row.program}（{total.row.period_label}，年底时间进度 {total.pace * 100:.0f}%）")
        table: list[list[object]] = []
        for item in [*rows, total]:
            rank = "" if item.rank is None else str(item.rank)
            if item.rank_change:
                rank += f"（{'↑' if item.rank_change > 0 else '↓'}{abs(item.rank_change)}）"
            table.append(
                [
                    "合计" if item is total else unit_label(item.row.unit_code or "", item.row.unit or ""),
                    item.row.target,
                    item.row.done,
                    _percent(item.row.rate),
                    f"{item.pace * 100:.0f}%",
                    item.gap,
                    item.status.label,
                    rank,
                    writer.bar(item.row.rate, item.pace, width_mm=50),
                ]
            )
        writer.table(
            headers,
            table,
            (34, 16, 16, 17, 17, 14, 16, 16, 58),
            numeric=(1, 2, 3, 4, 5),
            centred=(6, 7),
            total_rows=(len(table) - 1,),
        )
    if progress.totals:
        writer.paragraph(
            f"统计口径：{COUNTING_RULE}完成数计至{figures.year}年12月31日，状态和时间进度按该日判断。"
            f"{STATUS_EXPLANATION}排名按完成率，括号内为与上年年底相比的名次变化。",
            note=True,
        )


def _indicators(writer: ReportWriter, figures: AnnualFigures) -> None:
    _room(writer, len(figures.indicators) + 2)
    writer.heading("四、规划指标完成情况")
    if not figures.indicators:
        writer.paragraph("没有设置规划指标。")
        return
    rows: list[list[object]] = [
        [
            r.definition.name,
            r.definition.goal_text,
            r.total.text(r.definition),
            r.status.label if r.status else "—",
            r.detail,
        ]
        for r in figures.indicators
    ]
    writer.table(("指标", "目标", "实际", "状态", "说明"), rows, (46, 18, 18, 14, 60), numeric=(2,), centred=(1, 3))
    if len(figures.units) > 1:
        _room(writer, len(figures.units) + 2)
        headers = ["单位", *[r.definition.name for r in figures.indicators]]
        by_unit = [{v.unit_code: v for v in r.by_unit} for r in figures.indicators]
        unit_rows: list[list[object]] = []
        for code, label in figures.units:
            cells: list[object] = [label]
            for result, values in zip(figures.indicators, by_unit, strict=True):
                value = values.get(code)
                cells.append(value.text(result.definition) if value else "—")
            unit_rows.append(cells)
        unit_rows.append(["合计", *[r.total.text(r.definition) for r in figures.indicators]])
        widths = (38, *[30] * len(figures.indicators))
        writer.table(
            headers,
            unit_rows,
            widths,
            numeric=tuple(range(1, len(headers))),
            total_rows=(len(unit_rows) - 1,),
        )
    writer.paragraph(
        f"{CULTIVATED_RULE}数控化率取每家培育企业最近一年的填报数；新建小微企业园为各单位填报数。"
        "规划指标为报告生成时的情况；“浙江制造”认证和新建园区为全市目标，不对单位判断状态。",
        note=True,
    )


def _tasks(writer: ReportWriter, figures: AnnualFigures) -> None:
    _room(writer, len(figures.tasks) + 2)
    writer.heading("附表3　十五项政策任务落实情况")
    if not figures.tasks:
        writer.paragraph("没有政策任务。")
        return
    statuses = Counter(task.status for task in figures.tasks)
    overdue = sum(1 for task in figures.tasks if task.overdue)
    summary = "、".join(f"{status} {n} 项" for status, n in statuses.most_common())
    writer.paragraph(
        f"共 {len(figures.tasks)} 项任务：{summary}" + (f"；其中逾期 {overdue} 项" if overdue else "") + "。"
    )
    rows = [
        [
            task.numeral,
            task.title,
            task.lead_unit,
            f"{task.status}（逾期）" if task.overdue else task.status,
            task.deadline.isoformat() if task.deadline else "",
            task.latest_text or "—",
        ]
        for task in figures.tasks
    ]
    headers = ("序号", "任务", "牵头单位", "状态", "完成时限", "最新进展")
    writer.table(headers, rows, (12, 54, 26, 22, 22, 107), centred=(0, 3, 4))
    writer.paragraph("配合单位、全部进展记录和证明材料见政策任务督查表。", note=True)


def build_annual(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    scope = resolve_scope(session, request.unit)
    year = request.year or request.today.year - 1
    figures = annual_figures(session, year, unit_codes=scope.unit_codes, today=request.today)
    info = ReportInfo(
        title=f"{year}{TITLE}",
        organisation=scope.organisation,
        as_of=utcnow(),
        subtitle=scope.label,
        prepared_by=request.prepared_by,
    )
    writer = ReportWriter(info)
    _cover(writer, figures, scope.organisation, request.today)
    _overview(writer, figures, scope.label)
    _industries(writer, figures)
    _leaders(writer, figures)
    _indicators(writer, figures)
    writer.switch_orientation(True)  # the tables by unit, as annexes: wide
    _entries_table(writer, figures)
    _progress(writer, figures)
    _tasks(writer, figures)
    writer.signatures(request.today)
    return writer.write(out, {"scope": scope.unit_codes, **figures.as_json()})
