"""年度监测 aggregates per unit and year: equal to sums taken independently over the ORM rows, ratios from sums."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.demo import generate_demo
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise
from zjtx_desktop.monitoring_stats import (
    SUMMED,
    draw_trend,
    report_years,
    total,
    unit_trend,
    unit_year_figures,
    year_aggregates,
)

QINGTIAN = "331121"


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    with transaction(ctx.sessions) as session:
        generate_demo(session, 240, 5)
        # One enterprise in the recycle bin: its figures must not count.
        recycled = session.scalars(select(Enterprise).where(Enterprise.region_code == QINGTIAN)).first()
        assert recycled is not None
        recycled.deleted_at = dt.datetime(2024, 1, 1)
    return ctx


def independent_sums(ctx: AppContext, year: int, cultivated_only: bool = False) -> dict[str, dict[str, Any]]:
    """Per unit, straight from the ORM rows, without any of the module's SQL."""
    by_unit: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    with ctx.sessions() as session:
        pool: set[int] = set()
        for entry in session.scalars(select(Cultivation)):
            exited_before = entry.status == "已退出" and (entry.exited_on is None or entry.exited_on.year < year)
            if entry.year <= year and not exited_before:
                pool.add(entry.enterprise_id)
        rows = session.execute(
            select(AnnualReport, Enterprise.region_code)
            .join(Enterprise, Enterprise.id == AnnualReport.enterprise_id)
            .where(AnnualReport.year == year, Enterprise.deleted_at.is_(None))
        ).all()
        for report, unit in rows:
            if cultivated_only and report.enterprise_id not in pool:
                continue
            sums = by_unit[unit]
            sums["reporting"] += 1
            for key in SUMMED:
                sums[key] += getattr(report, key) or 0.0
            if report.tax_paid is not None and (report.land_area or 0) > 0:
                sums["tax_num"] += report.tax_paid
                sums["tax_den"] += report.land_area
            if report.rd_expense is not None and (report.main_revenue or 0) > 0:
                sums["rd_num"] += report.rd_expense
                sums["rd_den"] += report.main_revenue
    return by_unit


def test_year_aggregates_equal_independent_sums(demo: AppContext) -> None:
    expected = independent_sums(demo, 2023)
    with demo.sessions() as session:
        rows = year_aggregates(session, 2023)
    assert len(rows) >= 10 and {"市本级", "丽水经济技术开发区", "青田县"} <= {row.unit for row in rows}
    checked = 0
    for row in rows:
        sums = expected.get(row.unit_code)
        if sums is None:
            assert row.reporting == 0 and row.revenue == 0 and row.tax_per_mu is None
            continue
        checked += 1
        assert row.reporting == sums["reporting"]
        for key in SUMMED:
            assert getattr(row, key) == pytest.approx(sums[key]), key
        assert row.tax_per_mu == pytest.approx(sums["tax_num"] / sums["tax_den"])
        assert row.rd_intensity == pytest.approx(sums["rd_num"] / sums["rd_den"] * 100)
        assert row.enterprises >= row.reporting
    assert checked >= 8
    city = total(rows)
    assert city.reporting == sum(s["reporting"] for s in expected.values())
    assert city.revenue == pytest.approx(sum(s["revenue"] for s in expected.values()))
    # The total's ratio comes from the summed parts, not from averaging the units' ratios.
    tax = sum(s["tax_num"] for s in expected.values()) / sum(s["tax_den"] for s in expected.values())
    assert city.tax_per_mu == pytest.approx(tax)


def test_cultivated_only_counts_the_enterprises_in_a_pool_that_year(demo: AppContext) -> None:
    expected = independent_sums(demo, 2021, cultivated_only=True)
    with demo.sessions() as session:
        rows = {row.unit_code: row for row in year_aggregates(session, 2021, cultivated_only=True)}
    assert sum(s["reporting"] for s in expected.values()) > 0
    for unit, sums in expected.items():
        assert rows[unit].reporting == sums["reporting"]
        assert rows[unit].revenue == pytest.approx(sums["revenue"])
        assert rows[unit].value_added == pytest.approx(sums["value_added"])


def test_trend_lists_every_year_of_one_unit(demo: AppContext) -> None:
    with demo.sessions() as session:
        trend = unit_trend(session, QINGTIAN)
        years = report_years(session, [QINGTIAN])
        both = unit_year_figures(session, [QINGTIAN], years)
    assert [row.year for row in trend] == years == [2019, 2020, 2021, 2022, 2023]
    assert trend == both
    for row in trend:
        assert row.reporting == independent_sums(demo, row.year)[QINGTIAN]["reporting"]


def test_a_county_without_reports_still_appears_with_zeros(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        firm = Enterprise(
            uscc=uscc.make("9", "1", QINGTIAN, "MA2A0B1C"), name="青田县瓯江阀门有限公司", region_code=QINGTIAN
        )
        session.add(firm)
        session.flush()
        session.add(AnnualReport(enterprise_id=firm.id, year=2023, tax_paid=30.0, land_area=None, rd_expense=5.0))
    with ctx.sessions() as session:
        rows = {row.unit_code: row for row in year_aggregates(session, 2023, [QINGTIAN, "331102"])}
    assert rows[QINGTIAN].reporting == 1 and rows[QINGTIAN].tax_paid == 30.0
    assert rows[QINGTIAN].tax_per_mu is None and rows[QINGTIAN].rd_intensity is None  # no land, no main revenue
    assert (rows["331102"].reporting, rows["331102"].enterprises, rows["331102"].reporting_rate) == (0, 0, None)


def test_the_trend_chart_draws_both_panels(demo: AppContext) -> None:
    from matplotlib.figure import Figure

    from zjtx_desktop.fonts import configure_matplotlib

    configure_matplotlib()
    with demo.sessions() as session:
        trend = unit_trend(session, QINGTIAN)
    figure = Figure(figsize=(9, 3))
    draw_trend(figure, trend, "青田县年度监测趋势")
    left, right = figure.axes
    assert len(left.patches) == 3 * len(trend)  # three columns a year
    assert [line.get_label() for line in right.get_lines()] == ["亩均税收", "亩均增加值"]
    empty = Figure()
    draw_trend(empty, [])
    assert "还没有年度监测数据" in [text.get_text() for text in empty.axes[0].texts]
