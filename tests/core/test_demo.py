"""Tests for zjtx_desktop.demo: deterministic, realistic demo data that leaves the annex targets partly met."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.demo import DemoSummary, generate_demo, size_class
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AnnualReport, Base, Cultivation, Enterprise, HelpVisit, Region
from zjtx_desktop.pinyin import initials
from zjtx_desktop.progress import progress_by_unit

CITY_COUNT = 3000
# USCC positions 3–8 a unit's firms may carry; the development zone has no code of its own.
AREAS = {"LSKFQ": {"331100", "331102"}}


@contextmanager
def database(path: Path) -> Iterator[AppContext]:
    ctx = open_database(resolve_location(str(path)))
    try:
        yield ctx
    finally:
        ctx.close()


def generate(ctx: AppContext, count: int, seed: int, **options: Any) -> DemoSummary:
    with transaction(ctx.sessions) as session:
        return generate_demo(session, count, seed, **options)


def dump(session: Session, model: type[Base]) -> list[tuple[Any, ...]]:
    table = model.__table__
    return [tuple(row) for row in session.execute(select(table).order_by(table.c.id))]


def dump_all(ctx: AppContext) -> dict[str, list[tuple[Any, ...]]]:
    with transaction(ctx.sessions) as session:
        return {model.__name__: dump(session, model) for model in (Enterprise, Cultivation, AnnualReport, HelpVisit)}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, DemoSummary]]:
    """A city-wide demo database at a moderate size, shared by the read-only tests."""
    with database(tmp_path_factory.mktemp("demo") / "city.sqlite3") as ctx:
        yield ctx, generate(ctx, CITY_COUNT, 2018)


def test_same_seed_gives_identical_rows_and_another_seed_different_ones(tmp_path: Path) -> None:
    dumps = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        with database(tmp_path / f"{name}.sqlite3") as ctx:
            generate(ctx, 300, seed)
            dumps.append(dump_all(ctx))
    first, again, other = dumps
    assert first == again
    assert all(first[name] for name in first)
    assert first["Enterprise"] != other["Enterprise"]
    assert first["AnnualReport"] != other["AnnualReport"]


def test_counts_match_the_request_and_the_summary(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, summary = city
    with transaction(ctx.sessions) as session:
        counted = {
            model: session.scalar(select(func.count()).select_from(model))
            for model in (Enterprise, Cultivation, AnnualReport, HelpVisit)
        }
        versions = {session.scalar(select(func.max(model.version))) for model in counted}
    assert summary.enterprises == CITY_COUNT == counted[Enterprise]
    assert summary.cultivations == counted[Cultivation]
    assert summary.annual_reports == counted[AnnualReport]
    assert summary.help_visits == counted[HelpVisit]
    # Province-scale proportions: about 1.2 cultivation rows and 5 report years per enterprise.
    assert 1.1 * CITY_COUNT <= summary.cultivations <= 1.3 * CITY_COUNT
    assert 4.5 * CITY_COUNT <= summary.annual_reports <= 5 * CITY_COUNT
    assert summary.help_visits > 0
    assert versions == {1}


def test_codes_are_valid_unique_and_from_the_unit(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, _summary = city
    with transaction(ctx.sessions) as session:
        rows = session.execute(select(Enterprise.uscc, Enterprise.region_code, Enterprise.scale_type)).all()
    codes = [code for code, _region, _scale in rows]
    assert len(set(codes)) == len(codes)
    assert all(uscc.is_valid(code) and code == uscc.normalize(code) for code in codes)
    assert all(code[2:8] in AREAS.get(region, {region}) for code, region, _scale in rows)
    kinds = Counter(code[:2] for code in codes)
    assert set(kinds) == {"91", "92"} and kinds["91"] > 5 * kinds["92"]
    assert all(code.startswith("91") for code, _region, scale in rows if scale != "个体工业")


def test_names_are_unique_local_and_include_the_real_firms(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, _summary = city
    with transaction(ctx.sessions) as session:
        rows = session.execute(
            select(Enterprise.name, Enterprise.name_initials, Enterprise.region_code, Enterprise.address)
        ).all()
    names = {name: region for name, _initials, region, _address in rows}
    assert len(names) == len(rows)
    assert all(initials_ == initials(name) for name, initials_, _region, _address in rows)
    assert names["浙江晨龙锯床股份有限公司"] == "331122"
    assert names["浙江三田汽车空调压缩机有限公司"] == "331181"
    assert names["双枪科技股份有限公司"] == "331126"
    assert any(name.startswith("浙江龙泉") and "汽车空调" in name for name in names)
    assert any("木制玩具" in name or "木玩" in name for name, region in names.items() if region == "331125")
    assert all(address.startswith("浙江省") for _name, _initials, _region, address in rows)


def test_units_are_spread_like_lishui(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, _summary = city
    with transaction(ctx.sessions) as session:
        per_unit = dict(
            session.execute(select(Enterprise.region_code, func.count()).group_by(Enterprise.region_code)).all()
        )
        scales = Counter(session.scalars(select(Enterprise.scale_type)))
        all_units = set(session.scalars(select(Region.code)))
    assert set(per_unit) == all_units
    assert max(per_unit, key=lambda code: per_unit[code]) == "LSKFQ"
    counties = {code: n for code, n in per_unit.items() if code != "331100"}
    assert min(counties, key=lambda code: counties[code]) == "331127"
    assert 0 < per_unit["331100"] < counties["331127"]
    assert 0.20 <= scales["规上"] / CITY_COUNT <= 0.25
    assert scales["个体工业"] > 0


def test_monitoring_figures_are_consistent(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, _summary = city
    with transaction(ctx.sessions) as session:
        reports = session.execute(
            select(AnnualReport, Enterprise.scale_type, Enterprise.employees, Enterprise.size_class).join(
                Enterprise, Enterprise.id == AnnualReport.enterprise_id
            )
        ).all()
    taxes: Counter[int] = Counter()
    land: Counter[int] = Counter()
    for report, scale, employees, size in reports:
        assert report.main_revenue <= report.revenue
        assert 0.15 <= report.value_added / report.gross_output <= 0.35
        assert report.total_liabilities <= report.total_assets
        assert 0 <= report.rd_expense <= 0.06 * report.revenue
        assert report.tax_paid < 0.1 * report.revenue
        assert 0 <= report.nc_rate <= 95 and report.land_area > 0 and report.electricity > 0
        assert 2019 <= report.year <= 2023
        if report.year == 2023:  # the enterprise's size and scale follow its latest figures
            assert report.employees_avg == employees
            assert size == size_class(employees, report.revenue)
            assert (report.main_revenue >= 2000) == (scale == "规上")
        if scale == "规上":
            taxes[report.year] += report.tax_paid
            land[report.year] += report.land_area
    # City 亩均税收 of above-scale firms, 万元/亩 (DOMAIN §10: 18.9 in 2019).
    assert all(15 <= taxes[year] / land[year] <= 25 for year in range(2019, 2024))


def test_cultivation_entries_have_documents_and_consistent_exits(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, _summary = city
    with transaction(ctx.sessions) as session:
        entries = session.scalars(select(Cultivation)).all()
        scale_of = dict(session.execute(select(Enterprise.id, Enterprise.scale_type)).all())
    assert {entry.status for entry in entries} == {"培育中", "已认定", "已升级", "已退出"}
    for entry in entries:
        assert 2017 <= entry.year <= 2025 and entry.batch in ("第一批", "第二批")
        assert entry.document_no and entry.document_no.endswith("号") and f"〔{entry.year}〕" in entry.document_no
        assert entry.entered_on is not None and entry.entered_on.year == entry.year
        assert (entry.status == "已退出") == (entry.exited_on is not None) == (entry.exit_reason is not None)
        if entry.exited_on is not None:
            assert entry.exited_on > entry.entered_on
        assert entry.created_at <= entry.updated_at
    programs = Counter(entry.program_code for entry in entries)
    assert 0 < programs["XJR"] < programs["ZJTX_SME"] < programs["CXX_SME"]
    pool_scales = Counter(scale_of[entry.enterprise_id] for entry in entries if entry.program_code == "ZJTX_POOL")
    assert pool_scales["规下"] + pool_scales["个体工业"] > 4 * pool_scales["规上"]
    assert all(scale_of[entry.enterprise_id] == "规上" for entry in entries if entry.program_code == "YXGJ_PROV")


def test_help_visits_are_some_open_some_closed(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, _summary = city
    with transaction(ctx.sessions) as session:
        visits = session.scalars(select(HelpVisit)).all()
    statuses = Counter(visit.status for visit in visits)
    assert statuses["已办结"] > statuses["办理中"] > 0
    for visit in visits:
        assert (visit.status == "已办结") == (visit.closed_on is not None)
        assert visit.closed_on is None or visit.closed_on >= visit.visited_on
        assert visit.officer


def test_annex_targets_are_partly_met_in_every_unit(city: tuple[AppContext, DemoSummary]) -> None:
    ctx, _summary = city
    with transaction(ctx.sessions) as session:
        report = progress_by_unit(session, program_code="ZJTX_POOL")
    rows = [row for row in report.rows if (row.start_year, row.end_year) == (2017, 2020)]
    assert len(rows) == 10
    for row in rows:
        assert 0.4 * row.target <= row.done < row.target, row


def test_one_unit_only(tmp_path: Path) -> None:
    with database(tmp_path / "county.sqlite3") as ctx:
        summary = generate(ctx, 150, 3, unit_code="331127")
        with transaction(ctx.sessions) as session:
            rows = session.execute(select(Enterprise.region_code, Enterprise.uscc)).all()
    assert summary.enterprises == len(rows) == 150
    assert {region for region, _code in rows} == {"331127"}
    assert {code[2:8] for _region, code in rows} == {"331127"}
    with database(tmp_path / "zone.sqlite3") as ctx:
        generate(ctx, 60, 3, unit_code="LSKFQ")
        with transaction(ctx.sessions) as session:
            codes = session.scalars(select(Enterprise.uscc)).all()
    assert {code[2:8] for code in codes} == {"331100", "331102"}


def test_refuses_a_database_with_enterprises_and_unknown_units(tmp_path: Path) -> None:
    with database(tmp_path / "t.sqlite3") as ctx:
        with pytest.raises(UserError, match="未知的单位"):
            generate(ctx, 10, 1, unit_code="999999")
        generate(ctx, 20, 1)
        before = dump_all(ctx)
        with pytest.raises(UserError, match="已有 20 家企业"):
            generate(ctx, 20, 2)
        assert dump_all(ctx) == before


def test_reports_progress_up_to_done(tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    with database(tmp_path / "t.sqlite3") as ctx:
        generate(ctx, 50, 1, progress=lambda done, total, message: calls.append((done, total, message)))
    done = [call[0] for call in calls]
    assert done == sorted(done) and calls[-1][:2] == (100, 100)
    assert all(total == 100 and message for _done, total, message in calls)
