"""An enterprise's cultivation entries, annual figures and help visits: rules, audit and versions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.enterprise_records import (
    ANNUAL,
    CULTIVATION,
    VISIT,
    RecordKind,
    add_record,
    delete_record,
    end_cultivation,
    list_records,
    update_record,
    validate_record,
)
from zjtx_desktop.errors import UserError
from zjtx_desktop.metrics import derived_metrics
from zjtx_desktop.models import AuditEntry
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.registry import (
    ValidationFailed,
    VersionConflict,
    create_enterprise,
    enterprise_history,
    recycle_enterprise,
)

TODAY = dt.date(2024, 5, 20)


@pytest.fixture
def firm(ctx: AppContext) -> int:
    with transaction(ctx.sessions) as session:
        record = create_enterprise(
            session,
            "张科员",
            {
                "name": "青田县瓯江阀门有限公司",
                "uscc": "91331121MA2A0B1C4A",
                "region_code": "331121",
                "scale_type": "规下",
            },
        )
    return record.id


def messages(ctx: AppContext, record_kind: RecordKind, firm: int, **values: object) -> list[str]:
    with transaction(ctx.sessions) as session:
        problems = validate_record(session, record_kind, firm, values, today=TODAY)
    return [p.message for p in problems if p.severity == "error"]


def test_an_entry_moves_the_target_counter(ctx: AppContext, firm: int) -> None:
    with transaction(ctx.sessions) as session:
        add_record(
            session,
            "张科员",
            CULTIVATION,
            firm,
            {"program_code": "ZJTX_POOL", "year": 2018, "document_no": "丽经信〔2018〕45号"},
        )
    with transaction(ctx.sessions) as session:
        report = progress_by_unit(session, program_code="ZJTX_POOL", unit_codes=["331121"])
        [entry] = list_records(session, CULTIVATION, firm)
    assert [row.done for row in report.rows] == [1, 1]
    assert entry.values["status"] == "培育中"


def test_cultivation_rules(ctx: AppContext, firm: int) -> None:
    assert messages(ctx, CULTIVATION, firm, program_code="NOPE", year=2018, status="培育中") == ["未知的培育层级“NOPE”"]
    assert messages(ctx, CULTIVATION, firm, program_code="ZJTX_POOL", year=2018, status="已退出") == [
        "状态为“已退出”时，请填写退出日期"
    ]
    assert messages(
        ctx, CULTIVATION, firm, program_code="ZJTX_POOL", year=2018, status="培育中", exit_reason="迁出"
    ) == ["填写了退出日期或原因，状态应为“已退出”"]
    assert messages(ctx, CULTIVATION, firm, program_code="ZJTX_POOL", year=None, status="培育中") == [
        "入库年份不能为空"
    ]
    with transaction(ctx.sessions) as session:
        add_record(session, "张科员", CULTIVATION, firm, {"program_code": "ZJTX_POOL", "year": 2018})
    assert messages(ctx, CULTIVATION, firm, program_code="ZJTX_POOL", year=2018, status="培育中") == [
        "该企业已有 2018 年的这一层级培育记录"
    ]


def test_ending_an_entry_is_audited(ctx: AppContext, firm: int) -> None:
    with transaction(ctx.sessions) as session:
        entry = add_record(
            session,
            "张科员",
            CULTIVATION,
            firm,
            {"program_code": "ZJTX_POOL", "year": 2018, "entered_on": dt.date(2018, 9, 1)},
        )
    with transaction(ctx.sessions) as session:
        end_cultivation(session, "李科长", entry.id, entry.version, dt.date(2021, 3, 1), "企业迁出本市")
    with transaction(ctx.sessions) as session:
        [ended] = list_records(session, CULTIVATION, firm)
        history = enterprise_history(session, firm)
    assert (ended.values["status"], ended.values["exit_reason"]) == ("已退出", "企业迁出本市")
    assert ("培育记录", "状态", "培育中", "已退出") in {(h.entity, h.field, h.old, h.new) for h in history}


def test_one_annual_row_per_year_and_derived_metrics(ctx: AppContext, firm: int) -> None:
    figures = {"year": 2023, "revenue": 2600.0, "main_revenue": 2500.0, "tax_paid": 120.0, "land_area": 8.0, "value_added": 700.0,
               "energy_use": 560.0, "employees_avg": 70, "rd_expense": 90.0, "total_assets": 3000.0, "total_liabilities": 1500.0}  # fmt: skip
    with transaction(ctx.sessions) as session:
        add_record(session, "张科员", ANNUAL, firm, figures)
        with pytest.raises(ValidationFailed, match="已有 2023 年度"):
            add_record(session, "张科员", ANNUAL, firm, {"year": 2023})
    metrics = {m.key: m.value for m in derived_metrics(figures, {"revenue": 2000.0})}
    assert metrics["tax_per_mu"] == 15.0
    assert metrics["va_per_energy"] == 1.25
    assert metrics["productivity"] == 10.0
    assert metrics["rd_intensity"] == 3.6
    assert metrics["debt_ratio"] == 50.0
    assert metrics["revenue_growth"] == 30.0
    assert metrics["va_per_emission"] is None  # no emission figures: missing, not zero


def test_annual_rules(ctx: AppContext, firm: int) -> None:
    assert messages(ctx, ANNUAL, firm, year=2023, nc_rate=135.0) == ["装备数控化率不能大于 100%"]
    assert messages(ctx, ANNUAL, firm, year=2023, tax_paid=-5.0) == ["税收实际贡献不能为负数"]
    assert messages(ctx, ANNUAL, firm, year=2023, employees_avg=10, rd_staff=12) == [
        "研发人员（12人）多于从业人员（10人）"
    ]


def test_help_visit_flow(ctx: AppContext, firm: int) -> None:
    with transaction(ctx.sessions) as session:
        visit = add_record(
            session, "张科员", VISIT, firm,
            {"visited_on": dt.date(2024, 3, 5), "officer": "王芳", "kind": "走访", "problem": "用地指标不足", "deadline": dt.date(2024, 12, 31)},
        )  # fmt: skip
    assert visit.values["status"] == "办理中"
    assert messages(ctx, VISIT, firm, visited_on=dt.date(2024, 3, 5), officer="王芳", kind="走访", status="已办结") == [
        "状态为“已办结”时，请填写办结日期"
    ]
    with transaction(ctx.sessions) as session:
        update_record(
            session,
            "王芳",
            VISIT,
            visit.id,
            visit.version,
            {"status": "已办结", "closed_on": dt.date(2024, 4, 1), "action": "协调新增用地5亩"},
        )
    with transaction(ctx.sessions) as session:
        with pytest.raises(VersionConflict):
            update_record(session, "张科员", VISIT, visit.id, visit.version, {"action": "另一种说法"})
        [closed] = list_records(session, VISIT, firm)
    assert closed.values["status"] == "已办结" and closed.version == visit.version + 1


def test_delete_is_audited_and_recycled_enterprises_are_read_only(ctx: AppContext, firm: int) -> None:
    with transaction(ctx.sessions) as session:
        entry = add_record(session, "张科员", ANNUAL, firm, {"year": 2022, "revenue": 1000.0})
    with transaction(ctx.sessions) as session:
        delete_record(session, "张科员", ANNUAL, entry.id, entry.version)
        assert list_records(session, ANNUAL, firm) == []
        deleted = session.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).one()
        assert deleted.before is not None and deleted.before["revenue"] == 1000.0
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, "张科员", firm)
    with pytest.raises(UserError, match="回收站"), transaction(ctx.sessions) as session:
        add_record(session, "张科员", ANNUAL, firm, {"year": 2023})
