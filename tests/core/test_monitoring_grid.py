"""年度监测 grid: a unit's enterprises with their figures for a year, saved all or nothing with versions and audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AnnualReport, AuditEntry, Cultivation, Enterprise
from zjtx_desktop.monitoring_grid import (
    GridConflict,
    GridEdit,
    GridRejected,
    save_grid,
    unit_year_grid,
)
from zjtx_desktop.registry import PermissionDenied
from zjtx_desktop.settings import configure_installation

QINGTIAN = "331121"
LIANDU = "331102"
TODAY = dt.date(2024, 5, 20)


@dataclass(frozen=True)
class Firms:
    valve: int  # cultivated, reported 2022 and 2023
    shoes: int  # not cultivated, nothing reported
    recycled: int
    elsewhere: int  # 莲都区
    report_2023: int


def _firm(session: object, n: int, name: str, unit: str = QINGTIAN, **values: object) -> Enterprise:
    firm = Enterprise(uscc=uscc.make("9", "1", unit, f"MA2A0B{n:02d}"), name=name, region_code=unit, **values)
    session.add(firm)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    return firm


@pytest.fixture
def firms(ctx: AppContext) -> Firms:
    with transaction(ctx.sessions) as session:
        valve = _firm(session, 1, "青田县瓯江阀门有限公司")
        shoes = _firm(session, 2, "青田县石门鞋业有限公司")
        recycled = _firm(session, 3, "青田县已注销石雕厂", deleted_at=dt.datetime(2024, 1, 5), deleted_by="张科员")
        elsewhere = _firm(session, 4, "丽水市莲都区精密机械有限公司", unit=LIANDU)
        session.add(Cultivation(enterprise_id=valve.id, program_code="ZJTX_POOL", year=2018))
        session.add(AnnualReport(enterprise_id=valve.id, year=2022, revenue=1000.0, tax_paid=40.0, value_added=200.0))
        report = AnnualReport(enterprise_id=valve.id, year=2023, revenue=1200.0, tax_paid=50.0, land_area=10.0)
        session.add(report)
        session.flush()
        return Firms(valve.id, shoes.id, recycled.id, elsewhere.id, report.id)


def test_the_grid_lists_the_units_enterprises_cultivated_first_with_their_figures(
    ctx: AppContext, firms: Firms
) -> None:
    with ctx.sessions() as session:
        rows = unit_year_grid(session, QINGTIAN, 2023)
    assert [row.name for row in rows] == ["青田县瓯江阀门有限公司", "青田县石门鞋业有限公司"]
    valve, shoes = rows
    assert valve.cultivated and not shoes.cultivated
    assert valve.report_id == firms.report_2023 and valve.version == 1
    assert valve.values["revenue"] == 1200.0 and valve.values["land_area"] == 10.0 and valve.values["cod"] is None
    assert "year" not in valve.values
    assert valve.previous == {"revenue": 1000.0, "tax_paid": 40.0, "value_added": 200.0}
    assert shoes.report_id is None and shoes.version is None and shoes.previous is None
    assert all(value is None for value in shoes.values.values())


def test_cultivated_means_in_a_pool_during_that_year(ctx: AppContext, firms: Firms) -> None:
    with transaction(ctx.sessions) as session:
        # 2019 entry that exited in June 2021: in the pool in 2021, not in 2022.
        session.add(
            Cultivation(
                enterprise_id=firms.shoes,
                program_code="ZJTX_POOL",
                year=2019,
                status="已退出",
                exited_on=dt.date(2021, 6, 30),
                exit_reason="迁出本市",
            )
        )
    with ctx.sessions() as session:
        by_year = {
            year: {r.name: r.cultivated for r in unit_year_grid(session, QINGTIAN, year)} for year in (2017, 2021, 2022)
        }
    assert by_year[2017] == {"青田县瓯江阀门有限公司": False, "青田县石门鞋业有限公司": False}  # entered 2018, 2019
    assert by_year[2021]["青田县石门鞋业有限公司"] is True
    assert by_year[2022]["青田县石门鞋业有限公司"] is False
    assert by_year[2022]["青田县瓯江阀门有限公司"] is True


def test_saving_creates_and_updates_reports_with_audit_entries(ctx: AppContext, firms: Firms) -> None:
    edits = [
        GridEdit(firms.shoes, None, None, {"revenue": 800.0, "employees_avg": 35, "land_area": 6.5}),
        (firms.valve, firms.report_2023, 1, {"revenue": 1250.0, "tax_paid": None}),
    ]
    with transaction(ctx.sessions) as session:
        result = save_grid(session, "张科员", QINGTIAN, 2023, edits, today=TODAY)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert "新增 1 条、修改 1 条" in result.summary
    with ctx.sessions() as session:
        shoes = session.scalars(select(AnnualReport).where(AnnualReport.enterprise_id == firms.shoes)).one()
        valve = session.get(AnnualReport, firms.report_2023)
        assert valve is not None
        assert (shoes.year, shoes.revenue, shoes.employees_avg, shoes.land_area) == (2023, 800.0, 35, 6.5)
        assert (valve.revenue, valve.tax_paid, valve.land_area, valve.version) == (1250.0, None, 10.0, 2)
        assert result.saved == {firms.shoes: (shoes.id, 1), firms.valve: (valve.id, 2)}
        audit = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.enterprise_id, AuditEntry.after).where(
                AuditEntry.entity == "annual_report"
            )
        ).all()
    assert ("create", "张科员", firms.shoes) in [(a, b, c) for a, b, c, _ in audit]
    update = next(after for action, _, _, after in audit if action == "update")
    assert update == {"revenue": 1250.0, "tax_paid": None}


def test_unchanged_rows_and_empty_new_rows_write_nothing(ctx: AppContext, firms: Firms) -> None:
    edits = [
        GridEdit(firms.shoes, None, None, {"revenue": None, "tax_paid": None}),
        GridEdit(firms.valve, firms.report_2023, 1, {"revenue": 1200.0}),
    ]
    with transaction(ctx.sessions) as session:
        result = save_grid(session, "张科员", QINGTIAN, 2023, edits, today=TODAY)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AnnualReport)) == 2
        assert (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "annual_report"))
            == 0
        )


def test_a_bad_value_rejects_the_whole_save_naming_row_and_field(ctx: AppContext, firms: Firms) -> None:
    edits = [
        GridEdit(firms.shoes, None, None, {"revenue": 800.0, "employees_avg": 10, "rd_staff": 12}),
        GridEdit(firms.valve, firms.report_2023, 1, {"revenue": 1300.0, "tax_paid": -5.0}),
    ]
    with pytest.raises(GridRejected) as raised, transaction(ctx.sessions) as session:
        save_grid(session, "张科员", QINGTIAN, 2023, edits, today=TODAY)
    problems = raised.value.row_problems
    assert [(p.enterprise, p.field, p.label) for p in problems] == [
        ("青田县石门鞋业有限公司", "rd_staff", "研发人员"),
        ("青田县瓯江阀门有限公司", "tax_paid", "税收实际贡献"),
    ]
    assert problems[1].text == "青田县瓯江阀门有限公司（税收实际贡献）：税收实际贡献不能为负数"
    assert "有 2 处数据未通过校验，本次全部未保存" in str(raised.value)
    assert "研发人员（12人）多于从业人员（10人）" in str(raised.value)
    with ctx.sessions() as session:
        assert session.scalars(select(AnnualReport).where(AnnualReport.enterprise_id == firms.shoes)).first() is None
        valve = session.get(AnnualReport, firms.report_2023)
        assert valve is not None and (valve.revenue, valve.version) == (1200.0, 1)
        assert (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "annual_report"))
            == 0
        )


def test_a_good_row_before_a_bad_one_is_rolled_back_too(ctx: AppContext, firms: Firms) -> None:
    edits = [
        GridEdit(firms.valve, firms.report_2023, 1, {"revenue": 1300.0}),
        GridEdit(firms.shoes, None, None, {"nc_rate": 130.0}),
    ]
    with pytest.raises(GridRejected, match="装备数控化率不能大于 100%"), transaction(ctx.sessions) as session:
        save_grid(session, "张科员", QINGTIAN, 2023, edits, today=TODAY)
    with ctx.sessions() as session:
        valve = session.get(AnnualReport, firms.report_2023)
        assert valve is not None and (valve.revenue, valve.version) == (1200.0, 1)


def test_a_row_saved_elsewhere_meanwhile_is_a_conflict_and_nothing_is_saved(ctx: AppContext, firms: Firms) -> None:
    with transaction(ctx.sessions) as session:  # another clerk saves the valve maker's 2023 figures
        save_grid(session, "李科员", QINGTIAN, 2023, [GridEdit(firms.valve, firms.report_2023, 1, {"revenue": 1210.0})])
        # … and enters the shoe maker's
        save_grid(session, "李科员", QINGTIAN, 2023, [GridEdit(firms.shoes, None, None, {"revenue": 500.0})])
    stale = [
        GridEdit(firms.valve, firms.report_2023, 1, {"revenue": 1300.0}),
        GridEdit(firms.shoes, None, None, {"revenue": 600.0}),
    ]
    with pytest.raises(GridConflict) as raised, transaction(ctx.sessions) as session:
        save_grid(session, "张科员", QINGTIAN, 2023, stale, today=TODAY)
    assert raised.value.enterprise_ids == [firms.valve, firms.shoes]
    assert "已在别处被修改" in str(raised.value) and "已在别处录入" in str(raised.value)
    with ctx.sessions() as session:
        valve = session.get(AnnualReport, firms.report_2023)
        shoes = session.scalars(select(AnnualReport).where(AnnualReport.enterprise_id == firms.shoes)).one()
        assert (valve.revenue if valve else None, shoes.revenue) == (1210.0, 500.0)


def test_rows_outside_the_unit_or_in_the_recycle_bin_are_refused(ctx: AppContext, firms: Firms) -> None:
    edits = [
        GridEdit(firms.elsewhere, None, None, {"revenue": 1.0}),
        GridEdit(firms.recycled, None, None, {"revenue": 1.0}),
    ]
    with pytest.raises(GridRejected) as raised, transaction(ctx.sessions) as session:
        save_grid(session, "张科员", QINGTIAN, 2023, edits, today=TODAY)
    assert [p.enterprise for p in raised.value.row_problems] == ["丽水市莲都区精密机械有限公司", "青田县已注销石雕厂"]
    assert "不属于青田县，或已移入回收站" in raised.value.row_problems[0].message


def test_a_county_installation_sees_and_saves_its_own_unit_only(ctx: AppContext, firms: Firms) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, QINGTIAN, None, "2024-01-02T03:04:05")
    with ctx.sessions() as session:
        assert len(unit_year_grid(session, QINGTIAN, 2023)) == 2
        with pytest.raises(PermissionDenied, match="只能查看和填报本单位"):
            unit_year_grid(session, LIANDU, 2023)
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        save_grid(session, "张科员", LIANDU, 2023, [GridEdit(firms.elsewhere, None, None, {"revenue": 10.0})])
    with ctx.sessions() as session:
        assert (
            session.scalars(select(AnnualReport).where(AnnualReport.enterprise_id == firms.elsewhere)).first() is None
        )


def test_unknown_unit_and_year_out_of_range_are_user_errors(ctx: AppContext, firms: Firms) -> None:
    with ctx.sessions() as session:
        with pytest.raises(UserError, match="未知的单位"):
            unit_year_grid(session, "999999", 2023)
        with pytest.raises(UserError, match="年度不能小于 2000"):
            unit_year_grid(session, QINGTIAN, 1999)
