"""年度监测 aggregates: per unit and year, the reporting count, sums of the main figures and 亩均/研发 ratios
from the sums (GROUP BY unit, year in SQL), a unit's trend across years, and the trend chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from zjtx_desktop.models import AnnualReport, Enterprise, Region
from zjtx_desktop.monitoring_grid import check_year, cultivated_during
from zjtx_desktop.settings import CITY_CODE

SUMMED = ("revenue", "main_revenue", "value_added", "tax_paid", "rd_expense", "land_area", "energy_use")
RULE_NOTE = (
    "合计只计报送了该项数据的企业；亩均税收 = 税收实际贡献合计 ÷ 用地面积合计，亩均增加值 = 工业增加值合计 ÷ "
    "用地面积合计，研发投入强度 = 研发费用合计 ÷ 主营业务收入合计，均只计两项都已报送（分母大于 0）的企业。"
)


@dataclass(frozen=True)
class UnitYear:
    """One unit's annual monitoring in one year: counts and sums (万元, 亩, 吨标煤), ratios from the sums."""

    unit_code: str
    unit: str
    year: int
    enterprises: int  # enterprises in scope (outside the recycle bin; in a pool during the year if cultivated only)
    reporting: int  # of them, with a report for the year
    revenue: float = 0.0
    main_revenue: float = 0.0
    value_added: float = 0.0
    tax_paid: float = 0.0
    rd_expense: float = 0.0
    land_area: float = 0.0
    energy_use: float = 0.0
    # Numerators and denominators over the enterprises that reported both (denominator > 0).
    tax_on_land: float = 0.0
    land_for_tax: float = 0.0
    va_on_land: float = 0.0
    land_for_va: float = 0.0
    rd_on_revenue: float = 0.0
    revenue_for_rd: float = 0.0

    @property
    def tax_per_mu(self) -> float | None:
        """亩均税收 (万元/亩)."""
        return self.tax_on_land / self.land_for_tax if self.land_for_tax > 0 else None

    @property
    def va_per_mu(self) -> float | None:
        """亩均增加值 (万元/亩)."""
        return self.va_on_land / self.land_for_va if self.land_for_va > 0 else None

    @property
    def rd_intensity(self) -> float | None:
        """研发投入强度 (%)."""
        return self.rd_on_revenue / self.revenue_for_rd * 100.0 if self.revenue_for_rd > 0 else None

    @property
    def reporting_rate(self) -> float | None:
        return self.reporting / self.enterprises * 100.0 if self.enterprises else None


_ADDED = tuple(f.name for f in fields(UnitYear) if f.name not in ("unit_code", "unit", "year"))


def total(rows: Sequence[UnitYear], label: str = "合计", year: int | None = None) -> UnitYear:
    """The rows added up; the ratios follow from the summed numerators and denominators, never averaged."""
    sums: dict[str, Any] = {name: sum(getattr(row, name) for row in rows) for name in _ADDED}
    return UnitYear("", label, year if year is not None else (rows[0].year if rows else 0), **sums)


def _paired(numerator: str, denominator: str) -> tuple[Any, Any]:
    num, den = getattr(AnnualReport, numerator), getattr(AnnualReport, denominator)
    both = and_(num.is_not(None), den > 0)
    return func.sum(num).filter(both), func.sum(den).filter(both)


def _aggregate_columns() -> list[Any]:
    columns: list[Any] = [func.count(AnnualReport.id)]
    columns += [func.sum(getattr(AnnualReport, key)) for key in SUMMED]
    for numerator, denominator in (
        ("tax_paid", "land_area"),
        ("value_added", "land_area"),
        ("rd_expense", "main_revenue"),
    ):
        columns += list(_paired(numerator, denominator))
    return columns


def _unit_names(session: Session, unit_codes: Sequence[str] | None) -> dict[str, str]:
    query = select(Region.code, Region.name).order_by(Region.sort_order, Region.code)
    if unit_codes is not None:
        query = query.where(Region.code.in_(list(unit_codes)))
    return {code: ("市本级" if code == CITY_CODE else name) for code, name in session.execute(query)}


def _scope(unit_codes: Sequence[str] | None) -> ColumnElement[bool]:
    in_units = Enterprise.region_code.in_(list(unit_codes)) if unit_codes is not None else true()
    return and_(Enterprise.deleted_at.is_(None), in_units)


def unit_year_figures(
    session: Session,
    unit_codes: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    *,
    cultivated_only: bool = False,
) -> list[UnitYear]:
    """The aggregates of every (unit, year) with reports, by unit (annex order) then year: one GROUP BY query.

    `enterprises` counts the unit's enterprises outside the recycle bin (cultivated only: those in a pool
    during that year) — with the reports, so that a year reads as "reporting of enterprises".
    """
    names = _unit_names(session, unit_codes)
    condition = _scope(unit_codes)
    if cultivated_only:
        condition = and_(condition, cultivated_during(Enterprise.id, AnnualReport.year))
    if years is not None:
        condition = and_(condition, AnnualReport.year.in_(list(years)))
    statement = (
        select(Enterprise.region_code, AnnualReport.year, *_aggregate_columns())
        .join(Enterprise, Enterprise.id == AnnualReport.enterprise_id)
        .where(condition)
        .group_by(Enterprise.region_code, AnnualReport.year)
    )
    found = {(row[0], row[1]): row[2:] for row in session.execute(statement)}
    counts = _enterprise_counts(session, unit_codes, sorted({year for _, year in found}), cultivated_only)
    result: list[UnitYear] = []
    order = {code: position for position, code in enumerate(names)}
    for (code, year), values in sorted(found.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1])):
        if code in names:
            result.append(_unit_year(code, names[code], year, counts.get((code, year), 0), values))
    return result


def _unit_year(code: str, name: str, year: int, enterprises: int, values: Sequence[Any]) -> UnitYear:
    reporting, *sums = values
    numbers = [float(value or 0.0) for value in sums]
    return UnitYear(code, name, year, max(enterprises, int(reporting or 0)), int(reporting or 0), *numbers)


def _enterprise_counts(
    session: Session, unit_codes: Sequence[str] | None, years: Sequence[int], cultivated_only: bool
) -> dict[tuple[str, int], int]:
    """Enterprises per (unit, year): all of the unit's, or those in a pool during each year."""
    counts: dict[tuple[str, int], int] = {}
    if not cultivated_only:
        statement = (
            select(Enterprise.region_code, func.count()).where(_scope(unit_codes)).group_by(Enterprise.region_code)
        )
        per_unit: dict[str, int] = {code: count for code, count in session.execute(statement)}
        return {(code, year): count for code, count in per_unit.items() for year in years}
    for year in years:
        statement = (
            select(Enterprise.region_code, func.count())
            .where(_scope(unit_codes), cultivated_during(Enterprise.id, year))
            .group_by(Enterprise.region_code)
        )
        counts.update(((code, year), count) for code, count in session.execute(statement))
    return counts


def year_aggregates(
    session: Session, year: int, unit_codes: Sequence[str] | None = None, *, cultivated_only: bool = False
) -> list[UnitYear]:
    """Every unit in scope for one year, in the annex order, with zeros where nothing was reported
    (市本级 only when it has enterprises)."""
    check_year(year)
    names = _unit_names(session, unit_codes)
    found = {
        row.unit_code: row for row in unit_year_figures(session, unit_codes, [year], cultivated_only=cultivated_only)
    }
    counts = _enterprise_counts(session, unit_codes, [year], cultivated_only)
    rows: list[UnitYear] = []
    for code, name in names.items():
        if code in found:
            rows.append(found[code])
        elif counts.get((code, year)) or code != CITY_CODE:
            rows.append(UnitYear(code, name, year, counts.get((code, year), 0), 0))
    return rows


def unit_trend(session: Session, unit_code: str, *, cultivated_only: bool = False) -> list[UnitYear]:
    """One unit's aggregates for every year with reports, oldest first."""
    return unit_year_figures(session, [unit_code], cultivated_only=cultivated_only)


def report_years(session: Session, unit_codes: Sequence[str] | None = None) -> list[int]:
    """The years with annual reports in these units (None: anywhere, read from the year index), oldest first."""
    if unit_codes is None:
        return list(session.scalars(select(AnnualReport.year).group_by(AnnualReport.year).order_by(AnnualReport.year)))
    statement = (
        select(AnnualReport.year)
        .join(Enterprise, Enterprise.id == AnnualReport.enterprise_id)
        .where(_scope(unit_codes))
        .group_by(AnnualReport.year)
        .order_by(AnnualReport.year)
    )
    return list(session.scalars(statement))


# --- the chart ------------------------------------------------------------------------------------


def draw_trend(figure: Any, trend: Sequence[UnitYear], title: str = "") -> None:
    """Two panels on a matplotlib Figure: 营业收入, 工业增加值 and 税收 per year (亿元, grouped columns), and
    亩均税收 and 亩均增加值 per year (万元/亩, lines), each point labelled. Readable in greyscale."""
    from zjtx_desktop.charts import DONE_FILL, GRID, TARGET_EDGE, TARGET_FILL, TEXT, TEXT_MUTED

    years = [row.year for row in trend]
    left = figure.add_subplot(1, 2, 1)
    right = figure.add_subplot(1, 2, 2)
    series = (
        ("营业收入", [row.revenue / 10_000 for row in trend], TARGET_FILL, TARGET_EDGE),
        ("工业增加值", [row.value_added / 10_000 for row in trend], "#7f9cc4", "#4f6f9c"),
        ("税收实际贡献", [row.tax_paid / 10_000 for row in trend], DONE_FILL, DONE_FILL),
    )
    width = 0.26
    top = max([value for _, values, _, _ in series for value in values] + [0.0])
    for index, (label, values, fill, edge) in enumerate(series):
        positions = [year + (index - 1) * width for year in years]
        left.bar(positions, values, width=width, color=fill, edgecolor=edge, linewidth=0.8, label=label)
        for position, value in zip(positions, values, strict=True):
            left.text(position, value + top * 0.015, _short(value), ha="center", va="bottom", fontsize=6.5, color=TEXT)
    left.set_ylim(0, top * 1.18 if top > 0 else 1)
    left.set_title("规模（亿元）", loc="left", fontsize=9, color=TEXT)
    left.legend(loc="upper left", fontsize=7.5, frameon=False, ncols=3)

    ratios = (
        ("亩均税收", [row.tax_per_mu for row in trend], DONE_FILL, "o", "-"),
        ("亩均增加值", [row.va_per_mu for row in trend], TARGET_EDGE, "s", "--"),
    )
    high = 0.0
    for label, ratio_values, colour, marker, style in ratios:
        shown = [(year, value) for year, value in zip(years, ratio_values, strict=True) if value is not None]
        if not shown:
            continue
        xs, ys = [x for x, _ in shown], [y for _, y in shown]
        high = max(high, *ys)
        right.plot(xs, ys, marker=marker, linestyle=style, color=colour, linewidth=1.4, markersize=4, label=label)
        for x, y in shown:
            right.annotate(
                f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=6.5, color=TEXT
            )
    right.set_ylim(0, high * 1.25 if high > 0 else 1)
    right.set_title("亩均效益（万元/亩）", loc="left", fontsize=9, color=TEXT)
    if high > 0:
        right.legend(loc="upper left", fontsize=7.5, frameon=False, ncols=2)

    for axes in (left, right):
        if years:
            axes.set_xticks(years, [str(year) for year in years], fontsize=8)
            axes.set_xlim(min(years) - 0.6, max(years) + 0.6)
        axes.tick_params(axis="y", labelsize=7.5, colors=TEXT_MUTED, length=0)
        axes.tick_params(axis="x", colors=TEXT_MUTED)
        axes.yaxis.grid(True, color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            axes.spines[side].set_color("#b8c0cc")
        if not years:
            axes.text(0.5, 0.5, "还没有年度监测数据", transform=axes.transAxes, ha="center", color=TEXT_MUTED)
    if title:
        figure.suptitle(title, x=0.01, ha="left", fontsize=10, color=TEXT)


def _short(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"
