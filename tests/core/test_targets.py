"""目标设置: rounds and unit targets listed with the 合计 check, edited by the city only, versioned, audited,
counted by progress, and exchanged through the workbook (a new period brings its round)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.enterprise_records import CULTIVATION, add_record
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange.export import write_workbook
from zjtx_desktop.exchange.importer import commit_plan, plan_import, undo_batch
from zjtx_desktop.exchange.package import FIRST_DATA_ROW
from zjtx_desktop.models import AuditEntry, Target, TargetPlan
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.registry import PermissionDenied, ValidationFailed, VersionConflict, create_enterprise
from zjtx_desktop.settings import configure_installation
from zjtx_desktop.targets import (
    AUTO_PLAN_NOTE,
    COUNTY_READ_ONLY,
    PlanView,
    delete_plan,
    delete_target,
    ensure_plans,
    list_plans,
    save_plan,
    set_target,
)

ACTOR = "市局张科员"
LIANDU = "331102"
QINGTIAN = "331121"
ANNEX = "丽政办发〔2018〕61号"
NEW_ROUND = {
    "program_code": "ZJTX_SME",
    "start_year": 2021,
    "end_year": 2025,
    "title": "到2025年",
    "document_no": "丽经信〔2021〕12号",
    "issued_on": dt.date(2021, 4, 6),
    "stated_total": 120,
    "note": None,
}


def plans(ctx: AppContext, unit_codes: list[str] | None = None) -> dict[tuple[str, int, int], PlanView]:
    with transaction(ctx.sessions) as session:
        return {plan.key: plan for plan in list_plans(session, unit_codes)}


def pool_2020(ctx: AppContext) -> PlanView:
    return plans(ctx)[("ZJTX_POOL", 2017, 2020)]


def unit_row(plan: PlanView, region_code: str) -> Any:
    [row] = [row for row in plan.units if row.region_code == region_code]
    return row


def snapshot(ctx: AppContext) -> tuple[list[Any], list[Any], int]:
    """Everything a target write could touch: plans, targets and the number of audit entries."""
    with transaction(ctx.sessions) as session:
        plan_rows = [
            tuple(row)
            for row in session.execute(
                select(
                    TargetPlan.id,
                    TargetPlan.program_code,
                    TargetPlan.start_year,
                    TargetPlan.end_year,
                    TargetPlan.stated_total,
                    TargetPlan.title,
                    TargetPlan.version,
                ).order_by(TargetPlan.id)
            )
        ]
        target_rows = [
            tuple(row)
            for row in session.execute(
                select(Target.id, Target.region_code, Target.count, Target.document_no, Target.version).order_by(
                    Target.id
                )
            )
        ]
        audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return plan_rows, target_rows, audits


def audit_entries(ctx: AppContext, entity: str) -> list[AuditEntry]:
    with transaction(ctx.sessions) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)))


def set_count(session: Session, region_code: str, count: int, **options: Any) -> int:
    return set_target(
        session,
        ACTOR,
        program_code="ZJTX_POOL",
        start_year=2017,
        end_year=2020,
        region_code=region_code,
        count=count,
        **options,
    )


# --- listing and the 合计 check -------------------------------------------------------------------


def test_the_annex_rounds_are_listed_with_sums_that_match_the_document(ctx: AppContext) -> None:
    listed = plans(ctx)
    assert list(listed) == [
        ("ZJTX_POOL", 2017, 2020),
        ("ZJTX_POOL", 2018, 2018),
        ("YXGJ_PROV_POOL", 2017, 2020),
        ("YXGJ_PROV_POOL", 2018, 2018),
    ]
    assert [(p.units_sum, p.stated_total) for p in listed.values()] == [(900, 900), (210, 210), (21, 21), (7, 7)]
    assert all(p.total_matches and p.total_message is None and p.complete for p in listed.values())
    pool = listed[("ZJTX_POOL", 2017, 2020)]
    assert pool.id is not None and pool.document_no == ANNEX and pool.issued_on == dt.date(2018, 6, 15)
    assert pool.title == "到2020年（含2017年已入库）" and pool.program_name == "省“专精特新”培育库企业"
    # Units in the annex's order (开发区 first), each row with the document it came from.
    assert [row.region_name for row in pool.units][:3] == ["丽水经济技术开发区", "莲都区", "龙泉市"]
    assert len(pool.units) == 10 and {row.document_no for row in pool.units} == {ANNEX}
    assert len(listed[("YXGJ_PROV_POOL", 2018, 2018)].units) == 7  # blank cells are no target


def test_a_changed_unit_count_makes_the_total_check_fail_with_the_difference(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        set_count(session, LIANDU, 79)
    pool = pool_2020(ctx)
    assert pool.units_sum == 899 and unit_row(pool, LIANDU).count == 79
    assert not pool.total_matches
    assert pool.total_message == "各单位合计 899，与文件所列合计 900 不符（少 1）"
    # The other rounds are untouched and still match.
    assert plans(ctx)[("ZJTX_POOL", 2018, 2018)].total_matches


def test_a_county_sees_its_own_rows_and_no_sum_check(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        set_count(session, LIANDU, 79)
    listed = plans(ctx, [QINGTIAN])
    assert len(listed) == 4
    pool = listed[("ZJTX_POOL", 2017, 2020)]
    assert [(row.region_code, row.count) for row in pool.units] == [(QINGTIAN, 150)]
    assert pool.units_sum == 150 and not pool.complete and pool.total_matches and pool.total_message is None


# --- a new round ------------------------------------------------------------------------------------


def test_a_new_round_with_unit_targets_is_listed_and_counted_by_progress(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        plan_id = save_plan(session, ACTOR, **NEW_ROUND)
        for region, count in ((LIANDU, 70), (QINGTIAN, 49)):
            set_target(
                session, ACTOR, program_code="ZJTX_SME", start_year=2021, end_year=2025, region_code=region, count=count
            )
        firm = create_enterprise(
            session,
            ACTOR,
            {
                "name": "莲都区南明精密机械有限公司",
                "uscc": uscc.make("9", "1", LIANDU, "MA2B3C4D"),
                "region_code": LIANDU,
            },
        ).id
        add_record(session, ACTOR, CULTIVATION, firm, {"program_code": "ZJTX_SME", "year": 2022})

    new = plans(ctx)[("ZJTX_SME", 2021, 2025)]
    assert new.id == plan_id and new.title == "到2025年" and new.document_no == "丽经信〔2021〕12号"
    # A new unit row takes the round's document number.
    assert [(row.region_code, row.count, row.document_no) for row in new.units] == [
        (LIANDU, 70, "丽经信〔2021〕12号"),
        (QINGTIAN, 49, "丽经信〔2021〕12号"),
    ]
    assert new.units_sum == 119 and new.total_message == "各单位合计 119，与文件所列合计 120 不符（少 1）"
    with transaction(ctx.sessions) as session:
        report = progress_by_unit(session, program_code="ZJTX_SME")
    assert [(r.unit_code, r.target, r.done) for r in report.rows] == [(LIANDU, 70, 1), (QINGTIAN, 49, 0)]
    assert [(t.start_year, t.end_year, t.target, t.done) for t in report.totals] == [(2021, 2025, 119, 1)]


def test_a_unit_target_for_a_period_without_a_round_gets_one(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        set_target(
            session,
            ACTOR,
            program_code="CXX_SME",
            start_year=2023,
            end_year=2023,
            region_code="331100",  # the city's own firms: 市本级
            count=5,
            document_no="丽经信〔2023〕3号",
        )
    new = plans(ctx)[("CXX_SME", 2023, 2023)]
    assert new.id is not None and new.document_no == "丽经信〔2023〕3号" and new.note == AUTO_PLAN_NOTE
    assert [(row.region_name, row.count) for row in new.units] == [("市本级", 5)]
    assert new.stated_total is None and new.total_matches  # nothing stated, nothing to check


def test_updating_a_round_and_a_unit_row(ctx: AppContext) -> None:
    pool = pool_2020(ctx)
    assert pool.id is not None and pool.version is not None
    row = unit_row(pool, LIANDU)
    with transaction(ctx.sessions) as session:
        save_plan(
            session, ACTOR, plan_id=pool.id, expected_version=pool.version, **{**pool.values(), "stated_total": 899}
        )
        set_count(session, LIANDU, 79, note="2019年调整", expected_version=row.version)
    after = pool_2020(ctx)
    assert after.stated_total == 899 and after.version == pool.version + 1 and after.total_matches
    changed = unit_row(after, LIANDU)
    # document_no not given: kept; the note given: set.
    assert (changed.count, changed.document_no, changed.note) == (79, ANNEX, "2019年调整")
    with transaction(ctx.sessions) as session:
        set_count(session, LIANDU, 79, document_no="", expected_version=changed.version)  # "" clears
    assert unit_row(pool_2020(ctx), LIANDU).document_no is None


# --- refusals change nothing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"program_code": "NOPE"}, "未知的培育层级“NOPE”"),
        ({"start_year": 1999}, "起始年份不能小于 2000"),
        ({"end_year": 2101}, "截止年份不能大于 2100"),
        ({"start_year": 2026}, "截止年份 2025 早于起始年份 2026"),
        ({"stated_total": -1}, "文件所列合计不能为负数"),
        ({"stated_total": 12.5}, "文件所列合计应为整数"),
        ({"document_no": "文" * 61}, "文号过长"),
        (
            {"program_code": "ZJTX_POOL", "start_year": 2017, "end_year": 2020},
            "的目标轮次已经存在（到2020年（含2017年已入库））",
        ),
    ],
)
def test_a_round_with_bad_values_is_refused_and_nothing_changes(
    ctx: AppContext, values: dict[str, Any], message: str
) -> None:
    before = snapshot(ctx)
    with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
        save_plan(session, ACTOR, **{**NEW_ROUND, **values})
    assert message in str(refused.value)
    assert snapshot(ctx) == before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"count": -3}, "目标数不能为负数"),
        ({"count": 2.5}, "目标数应为整数"),
        ({"count": True}, "目标数应为数字"),
        ({"region_code": "330100"}, "未知的单位“330100”"),
        ({"program_code": "NOPE"}, "未知的培育层级“NOPE”"),
        ({"start_year": 2021}, "截止年份 2020 早于起始年份 2021"),
    ],
)
def test_a_unit_target_with_bad_values_is_refused_and_nothing_changes(
    ctx: AppContext, values: dict[str, Any], message: str
) -> None:
    before = snapshot(ctx)
    arguments = {"program_code": "ZJTX_POOL", "start_year": 2017, "end_year": 2020, "region_code": LIANDU, "count": 80}
    with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
        set_target(session, ACTOR, **{**arguments, **values})
    assert message in str(refused.value)
    assert snapshot(ctx) == before


def test_moving_a_round_with_unit_targets_to_another_period_is_refused(ctx: AppContext) -> None:
    pool = pool_2020(ctx)
    assert pool.id is not None
    before = snapshot(ctx)
    with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
        save_plan(session, ACTOR, plan_id=pool.id, **{**pool.values(), "start_year": 2018})
    assert "已录入 10 个单位的目标，不能再改培育层级或期间" in str(refused.value)
    assert snapshot(ctx) == before
    # A round without unit rows may still be moved (a typo in a new round).
    with transaction(ctx.sessions) as session:
        plan_id = save_plan(session, ACTOR, **NEW_ROUND)
        save_plan(session, ACTOR, plan_id=plan_id, **{**NEW_ROUND, "start_year": 2022})
    assert ("ZJTX_SME", 2022, 2025) in plans(ctx) and ("ZJTX_SME", 2021, 2025) not in plans(ctx)


def test_a_county_installation_may_not_change_targets(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, QINGTIAN, None, "2024-01-02T03:04:05")
    pool = pool_2020(ctx)
    assert pool.id is not None and pool.version is not None
    row = unit_row(pool, QINGTIAN)
    before = snapshot(ctx)
    writes = [
        lambda session: set_count(session, QINGTIAN, 151),
        lambda session: save_plan(session, ACTOR, **NEW_ROUND),
        lambda session: save_plan(session, ACTOR, plan_id=pool.id, **pool.values()),
        lambda session: delete_target(session, ACTOR, row.id, row.version),
        lambda session: delete_plan(session, ACTOR, pool.id, pool.version, with_targets=True),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied) as refused, transaction(ctx.sessions) as session:
            write(session)
        assert str(refused.value) == COUNTY_READ_ONLY
    assert snapshot(ctx) == before


def test_a_stale_version_is_a_conflict_and_overwrites_nothing(ctx: AppContext) -> None:
    pool = pool_2020(ctx)
    assert pool.id is not None and pool.version is not None
    seen = unit_row(pool, LIANDU)
    with transaction(ctx.sessions) as session:  # another clerk saves first
        set_count(session, LIANDU, 85, expected_version=seen.version)
        save_plan(session, ACTOR, plan_id=pool.id, expected_version=pool.version, **{**pool.values(), "note": "改"})
    with pytest.raises(VersionConflict, match="已在别处被修改"), transaction(ctx.sessions) as session:
        set_count(session, LIANDU, 79, expected_version=seen.version)
    with pytest.raises(VersionConflict), transaction(ctx.sessions) as session:
        save_plan(session, ACTOR, plan_id=pool.id, expected_version=pool.version, **pool.values())
    with pytest.raises(VersionConflict), transaction(ctx.sessions) as session:
        delete_target(session, ACTOR, seen.id, seen.version)
    after = pool_2020(ctx)
    assert unit_row(after, LIANDU).count == 85 and after.note == "改"
    # A row deleted meanwhile: saving the count seen before is a conflict, not a silent re-creation.
    current = unit_row(after, LIANDU)
    with transaction(ctx.sessions) as session:
        delete_target(session, ACTOR, current.id, current.version)
    with pytest.raises(VersionConflict, match="已在别处被删除"), transaction(ctx.sessions) as session:
        set_count(session, LIANDU, 79, expected_version=current.version)


# --- deleting ----------------------------------------------------------------------------------------


def test_deleting_a_round_with_unit_targets_needs_consent(ctx: AppContext) -> None:
    plan = plans(ctx)[("YXGJ_PROV_POOL", 2018, 2018)]
    assert plan.id is not None and plan.version is not None
    before = snapshot(ctx)
    with pytest.raises(UserError, match="还有 7 个单位的目标（合计 7）"), transaction(ctx.sessions) as session:
        delete_plan(session, ACTOR, plan.id, plan.version)
    assert snapshot(ctx) == before
    with transaction(ctx.sessions) as session:
        assert delete_plan(session, ACTOR, plan.id, plan.version, with_targets=True) == 7
    assert ("YXGJ_PROV_POOL", 2018, 2018) not in plans(ctx)
    with transaction(ctx.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Target)) == 30
    deleted = [e for e in audit_entries(ctx, "target") if e.action == "delete"]
    assert len(deleted) == 7 and all(e.before and e.before["program_code"] == "YXGJ_PROV_POOL" for e in deleted)
    [plan_entry] = [e for e in audit_entries(ctx, "target_plan") if e.action == "delete"]
    assert plan_entry.before is not None and plan_entry.before["单位目标"] == 7


def test_deleting_a_unit_target_leaves_the_unit_without_one(ctx: AppContext) -> None:
    row = unit_row(pool_2020(ctx), LIANDU)
    with transaction(ctx.sessions) as session:
        delete_target(session, ACTOR, row.id, row.version)
    pool = pool_2020(ctx)
    assert LIANDU not in {r.region_code for r in pool.units}
    assert pool.total_message == "各单位合计 820，与文件所列合计 900 不符（少 80）"


# --- the audit trail ---------------------------------------------------------------------------------


def test_every_write_is_audited_with_before_and_after(ctx: AppContext) -> None:
    pool = pool_2020(ctx)
    row = unit_row(pool, LIANDU)
    with transaction(ctx.sessions) as session:
        plan_id = save_plan(session, ACTOR, **NEW_ROUND)
        save_plan(session, ACTOR, plan_id=plan_id, **{**NEW_ROUND, "stated_total": 119})
        set_count(session, LIANDU, 79, expected_version=row.version)
        new_id = set_target(
            session, ACTOR, program_code="ZJTX_SME", start_year=2021, end_year=2025, region_code=LIANDU, count=70
        )
        set_count(session, LIANDU, 79)  # the same value again: nothing to record
    plan_entries = audit_entries(ctx, "target_plan")
    assert [(e.action, e.entity_id, e.actor) for e in plan_entries] == [
        ("create", str(plan_id), ACTOR),
        ("update", str(plan_id), ACTOR),
    ]
    assert plan_entries[0].after is not None and plan_entries[0].after["issued_on"] == "2021-04-06"
    assert (plan_entries[1].before, plan_entries[1].after) == ({"stated_total": 120}, {"stated_total": 119})
    target_entries = audit_entries(ctx, "target")
    assert [(e.action, e.entity_id) for e in target_entries] == [("update", str(row.id)), ("create", str(new_id))]
    assert (target_entries[0].before, target_entries[0].after) == ({"count": 80}, {"count": 79})
    assert target_entries[1].after is not None and target_entries[1].after["count"] == 70


# --- the exchange workbook ---------------------------------------------------------------------------


def export_targets(ctx: AppContext, path: Path) -> None:
    with transaction(ctx.sessions) as session:
        write_workbook(path, session, ["targets"])


def import_file(ctx: AppContext, path: Path) -> Any:
    with transaction(ctx.sessions) as session:
        plan = plan_import(session, path)
        return commit_plan(session, ACTOR, plan)


def test_a_count_edited_in_the_exported_workbook_is_imported(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "目标任务.xlsx"
    export_targets(ctx, path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["目标任务"]
    headers = [cell.value for cell in sheet[FIRST_DATA_ROW - 1]]
    unit, start, end, count = (headers.index(h) + 1 for h in ("所属单位", "起始年份", "截止年份", "目标数(家)"))
    [row] = [
        r
        for r in range(FIRST_DATA_ROW, sheet.max_row + 1)
        if (sheet.cell(r, unit).value, sheet.cell(r, start).value, sheet.cell(r, end).value) == ("莲都区", 2017, 2020)
        and sheet.cell(r, count).value == 80
    ]
    sheet.cell(row, count).value = 82
    workbook.save(path)

    result = import_file(ctx, path)
    assert result.committed and (result.created, result.updated) == (0, 1)
    pool = pool_2020(ctx)
    assert unit_row(pool, LIANDU).count == 82
    assert pool.total_message == "各单位合计 902，与文件所列合计 900 不符（多 2）"
    assert len(plans(ctx)) == 4  # no new round for an existing period


def test_targets_imported_for_a_new_period_bring_their_round(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "2021-2025目标.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "目标任务"
    sheet.append(["所属单位", "培育层级", "起始年份", "截止年份", "目标数(家)", "文件依据", "说明"])
    for unit, count in (("莲都区", 30), ("青田县", 40), ("开发区", 25)):
        sheet.append([unit, "专精特新中小企业", 2021, 2025, count, "丽经信〔2021〕12号", None])
    workbook.save(path)

    result = import_file(ctx, path)
    assert result.committed and result.created == 3
    new = plans(ctx)[("ZJTX_SME", 2021, 2025)]
    assert new.id is not None and new.document_no == "丽经信〔2021〕12号" and new.note == AUTO_PLAN_NOTE
    assert [(row.region_name, row.count) for row in new.units] == [
        ("丽水经济技术开发区", 25),
        ("莲都区", 30),
        ("青田县", 40),
    ]
    assert new.units_sum == 95 and new.stated_total is None and new.total_matches
    created = [e for e in audit_entries(ctx, "target_plan") if e.action == "create"]
    assert [(e.entity_id, e.actor) for e in created] == [(str(new.id), ACTOR)]
    with transaction(ctx.sessions) as session:
        assert ensure_plans(session) == []  # every period has its round now

    # Undoing the import removes the unit targets; the round stays, empty, for the bureau to delete or fill.
    with transaction(ctx.sessions) as session:
        undo_batch(session, ACTOR, result.batch_id)
    emptied = plans(ctx)[("ZJTX_SME", 2021, 2025)]
    assert emptied.id == new.id and emptied.units == [] and emptied.units_sum == 0
