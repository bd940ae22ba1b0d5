"""联系帮扶: the visit list and its filters, overdue problems at the deadline edge, officers' workload,
assigning officers (audited, county-scoped) and closing problems (audited, versioned)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.enterprise_records import CULTIVATION, VISIT, add_record, end_cultivation, list_records
from zjtx_desktop.help_visits import (
    OfficerLoad,
    assign_officer,
    close_problem,
    close_problems,
    contact_count,
    contact_list,
    enterprises_without_visit,
    officer_names,
    officer_workload,
    overdue_items,
    visit_count,
    visit_list,
)
from zjtx_desktop.models import AuditEntry, Enterprise, HelpVisit
from zjtx_desktop.registry import (
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
    create_enterprise,
    enterprise_history,
    recycle_enterprise,
)
from zjtx_desktop.settings import configure_installation

TODAY = dt.date(2024, 5, 20)
QINGTIAN, LIANDU = "331121", "331102"
ACTOR = "张科员"


def add_firm(ctx: AppContext, name: str, unit: str, org8: str, officer: str | None = None) -> int:
    with transaction(ctx.sessions) as session:
        values: dict[str, Any] = {
            "name": name,
            "uscc": uscc.make("9", "1", unit, org8),
            "region_code": unit,
            "scale_type": "规下",
        }
        if officer:
            values["help_officer"] = officer
        return create_enterprise(session, ACTOR, values, today=TODAY).id


def enter_pool(ctx: AppContext, enterprise_id: int, year: int = 2019) -> int:
    with transaction(ctx.sessions) as session:
        row = add_record(session, ACTOR, CULTIVATION, enterprise_id, {"program_code": "ZJTX_POOL", "year": year})
    return row.id


def visit(
    ctx: AppContext,
    enterprise_id: int,
    visited_on: dt.date,
    officer: str,
    *,
    problem: str | None = None,
    deadline: dt.date | None = None,
    closed_on: dt.date | None = None,
    kind: str = "走访",
) -> int:
    values: dict[str, Any] = {"visited_on": visited_on, "officer": officer, "kind": kind, "problem": problem}
    values["deadline"] = deadline
    if closed_on is not None:
        values.update(status="已办结", closed_on=closed_on, action="已协调解决")
    with transaction(ctx.sessions) as session:
        return add_record(session, ACTOR, VISIT, enterprise_id, values, today=TODAY).id


@pytest.fixture
def firms(ctx: AppContext) -> dict[str, int]:
    """Three enterprises in two units: two in pools (one of them 青田's), one that left its pool."""
    ids = {
        "valve": add_firm(ctx, "青田县瓯江阀门有限公司", QINGTIAN, "MA2A0B1C", "王芳"),
        "stone": add_firm(ctx, "青田县石门石雕工艺品有限公司", QINGTIAN, "MA2A0B2D", "王芳"),
        "shoe": add_firm(ctx, "丽水市莲都鞋业有限公司", LIANDU, "MA2A0B3E", "李强"),
    }
    enter_pool(ctx, ids["valve"])
    enter_pool(ctx, ids["shoe"])
    entry = enter_pool(ctx, ids["stone"], 2018)
    with transaction(ctx.sessions) as session:
        end_cultivation(session, ACTOR, entry, 1, dt.date(2021, 12, 31), "企业迁出")
    return ids


@pytest.fixture
def visits(ctx: AppContext, firms: dict[str, int]) -> dict[str, int]:
    """Visits with problems on time, at the deadline, overdue and closed."""
    return {
        "old_closed": visit(
            ctx,
            firms["valve"],
            dt.date(2023, 3, 1),
            "王芳",
            problem="用地指标不足",
            deadline=dt.date(2023, 6, 30),
            closed_on=dt.date(2023, 6, 1),
        ),
        "overdue": visit(
            ctx, firms["valve"], dt.date(2024, 1, 10), "王芳", problem="技术工人招工难", deadline=dt.date(2024, 3, 31)
        ),
        "due_today": visit(
            ctx, firms["stone"], dt.date(2024, 4, 2), "王芳", problem="环评审批慢", deadline=TODAY, kind="电话"
        ),
        "just_late": visit(
            ctx, firms["shoe"], dt.date(2024, 4, 20), "李强", problem="融资难", deadline=TODAY - dt.timedelta(days=1)
        ),
        "no_problem": visit(ctx, firms["shoe"], dt.date(2024, 5, 6), "赵敏", closed_on=dt.date(2024, 5, 6)),
    }


def officer_changes(session: Session) -> int:
    """Audit entries of enterprises updated (the fixtures create enterprises but never update them)."""
    statement = select(func.count()).select_from(AuditEntry)
    return int(session.scalar(statement.where(AuditEntry.entity == "enterprise", AuditEntry.action == "update")) or 0)


def ids_of(rows: list[Any]) -> list[int]:
    return [row.id for row in rows]


# --- the list ---------------------------------------------------------------------------------------


def test_visit_list_filters_and_counts(ctx: AppContext, firms: dict[str, int], visits: dict[str, int]) -> None:
    with ctx.sessions() as session:

        def listed(**filters: Any) -> list[int]:
            rows = visit_list(session, today=TODAY, **{"unit_codes": None, **filters})
            count = visit_count(session, today=TODAY, **{"unit_codes": None, **filters})
            assert count == len(rows)
            return ids_of(rows)

        # Newest first, every unit.
        assert listed() == [
            visits["no_problem"],
            visits["just_late"],
            visits["due_today"],
            visits["overdue"],
            visits["old_closed"],
        ]
        assert listed(unit_codes=[QINGTIAN]) == [visits["due_today"], visits["overdue"], visits["old_closed"]]
        assert listed(officer="李强") == [visits["just_late"]]
        assert listed(status="已办结") == [visits["no_problem"], visits["old_closed"]]
        # Both ends of the period included.
        assert listed(since=dt.date(2024, 1, 10), until=dt.date(2024, 4, 20)) == [
            visits["just_late"],
            visits["due_today"],
            visits["overdue"],
        ]
        # Search: name, credit code, pinyin initials.
        assert listed(search="瓯江") == [visits["overdue"], visits["old_closed"]]
        assert listed(search=uscc.make("9", "1", LIANDU, "MA2A0B3E")) == [visits["no_problem"], visits["just_late"]]
        assert listed(search="qtxsm") == [visits["due_today"]]
        assert listed(search="没有这家") == []
        # Paging.
        page = visit_list(session, unit_codes=None, today=TODAY, limit=2, offset=2)
        assert ids_of(page) == [visits["due_today"], visits["overdue"]]

        [row] = visit_list(session, unit_codes=None, today=TODAY, officer="李强")
        assert (row.enterprise, row.unit, row.kind, row.problem, row.status) == (
            "丽水市莲都鞋业有限公司",
            "莲都区",
            "走访",
            "融资难",
            "办理中",
        )
        assert row.action == "" and row.closed_on is None and row.version == 1


def test_overdue_starts_the_day_after_the_deadline(
    ctx: AppContext, firms: dict[str, int], visits: dict[str, int]
) -> None:
    with ctx.sessions() as session:
        items = overdue_items(session, TODAY, None)
        # On its deadline a problem is on time; closed problems are never overdue, whatever the deadline.
        assert ids_of(items) == [visits["overdue"], visits["just_late"]]  # the latest first
        assert [item.days_overdue for item in items] == [50, 1]
        assert all(item.overdue for item in items)
        assert ids_of(overdue_items(session, TODAY, [QINGTIAN])) == [visits["overdue"]]
        # The next day, the one due today joins them.
        tomorrow = overdue_items(session, TODAY + dt.timedelta(days=1), None)
        assert visits["due_today"] in ids_of(tomorrow)
        assert visit_count(session, unit_codes=None, today=TODAY, overdue_only=True) == 2
        [on_time] = visit_list(session, unit_codes=None, today=TODAY, search="石雕")
        assert not on_time.overdue and on_time.days_overdue == 0

    # An enterprise in the recycle bin takes its visits out of every list.
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, ACTOR, firms["shoe"])
    with ctx.sessions() as session:
        assert ids_of(overdue_items(session, TODAY, None)) == [visits["overdue"]]
        assert visit_count(session, unit_codes=None, today=TODAY) == 3


# --- officers ---------------------------------------------------------------------------------------


def test_workload_per_officer(ctx: AppContext, firms: dict[str, int], visits: dict[str, int]) -> None:
    with ctx.sessions() as session:
        loads = {load.officer: load for load in officer_workload(session, TODAY, None)}
        assert loads["王芳"] == OfficerLoad("王芳", 2, 3, 2, 2, 1, dt.date(2024, 4, 2))
        assert loads["李强"] == OfficerLoad("李强", 1, 1, 1, 1, 1, dt.date(2024, 4, 20))
        # Visiting without being assigned to anyone.
        assert loads["赵敏"] == OfficerLoad("赵敏", 0, 1, 1, 0, 0, dt.date(2024, 5, 6))
        # Most enterprises first.
        assert next(load.officer for load in officer_workload(session, TODAY, None)) == "王芳"

        # A period counts its visits only; open and overdue problems and the last visit stay whole.
        this_year = {load.officer: load for load in officer_workload(session, TODAY, None, dt.date(2024, 1, 1))}
        assert this_year["王芳"] == OfficerLoad("王芳", 2, 2, 2, 2, 1, dt.date(2024, 4, 2))
        spring = officer_workload(session, TODAY, None, dt.date(2024, 2, 1), until=dt.date(2024, 3, 31))
        assert {load.officer: load.visits for load in spring} == {"王芳": 0, "李强": 0, "赵敏": 0}

        # A county sees its own officers' work on its own enterprises.
        county = officer_workload(session, TODAY, [QINGTIAN])
        assert [load.officer for load in county] == ["王芳"]
        # The next day the problem due today is overdue too.
        [later] = officer_workload(session, TODAY + dt.timedelta(days=1), [QINGTIAN])
        assert later.overdue_problems == 2
        assert officer_names(session, None) == ["李强", "王芳", "赵敏"]
        assert officer_names(session, [LIANDU]) == ["李强", "赵敏"]


def test_assign_officer_is_audited_per_enterprise(ctx: AppContext, firms: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        changed = assign_officer(session, ACTOR, [firms["valve"], firms["stone"], firms["shoe"]], "  陈静 ")
    assert changed == 3
    with ctx.sessions() as session:
        officers = dict(session.execute(select(Enterprise.id, Enterprise.help_officer)).all())
        assert {officers[firms[key]] for key in ("valve", "stone", "shoe")} == {"陈静"}
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity == "enterprise")
        ).all()
        assert sorted(entry.enterprise_id or 0 for entry in entries) == sorted(firms.values())
        valve = next(entry for entry in entries if entry.enterprise_id == firms["valve"])
        assert (valve.actor, valve.before, valve.after) == (ACTOR, {"help_officer": "王芳"}, {"help_officer": "陈静"})
        assert session.get(Enterprise, firms["valve"]).version == 2  # type: ignore[union-attr]
        # The enterprise's 变更历史 shows who changed the officer, from whom to whom.
        latest = enterprise_history(session, firms["valve"])[0]
        assert (latest.actor, latest.field, latest.old, latest.new) == (ACTOR, "联系干部", "王芳", "陈静")

    # Assigning the same officer again changes and records nothing; None clears the assignment.
    with transaction(ctx.sessions) as session:
        assert assign_officer(session, ACTOR, [firms["valve"]], "陈静") == 0
        assert assign_officer(session, ACTOR, [firms["valve"]], None) == 1
    with ctx.sessions() as session:
        assert session.get(Enterprise, firms["valve"]).help_officer is None  # type: ignore[union-attr]
        assert (
            session.query(AuditEntry).filter(AuditEntry.entity == "enterprise", AuditEntry.action == "update").count()
            == 4
        )


def test_assign_officer_refuses_bad_input_and_changes_nothing(ctx: AppContext, firms: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, ACTOR, firms["shoe"])
    cases: list[tuple[list[int], str, type[Exception], str]] = [
        ([firms["valve"]], "王" * 41, ValidationFailed, "联系干部过长（最多 40 字，现为 41 字）"),
        ([], "陈静", ValidationFailed, "请先选择要指定联系干部的企业"),
        (
            [firms["valve"], firms["shoe"]],
            "陈静",
            ValidationFailed,
            "“丽水市莲都鞋业有限公司”在回收站中，请先恢复再指定联系干部",
        ),
        ([firms["valve"], 999_999], "陈静", NotFound, "所选企业中有的已不存在"),
    ]
    for ids, officer, error, message in cases:
        with pytest.raises(error) as raised, transaction(ctx.sessions) as session:
            assign_officer(session, ACTOR, ids, officer)
        assert message in str(raised.value)
    with ctx.sessions() as session:
        assert session.get(Enterprise, firms["valve"]).help_officer == "王芳"  # type: ignore[union-attr]


def test_a_county_assigns_officers_to_its_own_enterprises_only(ctx: AppContext, firms: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, QINGTIAN, None, "2024-01-02T03:04:05")
    with pytest.raises(PermissionDenied) as raised, transaction(ctx.sessions) as session:
        assign_officer(session, ACTOR, [firms["valve"], firms["shoe"]], "陈静")
    assert str(raised.value) == (
        "本机为青田县的县级安装，只能为本单位的企业指定联系干部（丽水市莲都鞋业有限公司不属于本单位）"
    )
    with ctx.sessions() as session:
        # All or nothing: 青田's own enterprise kept its officer too, and nothing was recorded.
        assert session.get(Enterprise, firms["valve"]).help_officer == "王芳"  # type: ignore[union-attr]
        assert officer_changes(session) == 0
    with transaction(ctx.sessions) as session:
        assert assign_officer(session, ACTOR, [firms["valve"], firms["stone"]], "陈静") == 2


# --- closing problems ---------------------------------------------------------------------------------


def test_closing_a_problem(ctx: AppContext, firms: dict[str, int], visits: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        row = close_problem(
            session,
            ACTOR,
            visits["overdue"],
            closed_on=dt.date(2024, 5, 18),
            action=" 联系人社局在县人才市场专场招聘 ",
            expected_version=1,
            today=TODAY,
        )
    assert (row.status, row.closed_on, row.action, row.version, row.overdue) == (
        "已办结",
        dt.date(2024, 5, 18),
        "联系人社局在县人才市场专场招聘",
        2,
        False,
    )
    with ctx.sessions() as session:
        assert ids_of(overdue_items(session, TODAY, None)) == [visits["just_late"]]
        [load] = [load for load in officer_workload(session, TODAY, None) if load.officer == "王芳"]
        assert (load.open_problems, load.overdue_problems) == (1, 0)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "help_visit", AuditEntry.action == "update")
        ).one()
        assert entry.entity_id == str(visits["overdue"]) and entry.enterprise_id == firms["valve"]
        assert entry.after == {
            "status": "已办结",
            "closed_on": "2024-05-18",
            "action": "联系人社局在县人才市场专场招聘",
        }
        assert entry.before == {"status": "办理中", "closed_on": None, "action": None}


def test_closing_refuses_bad_input_and_stale_versions(
    ctx: AppContext, firms: dict[str, int], visits: dict[str, int]
) -> None:
    target = visits["just_late"]  # visited 2024-04-20

    def messages(closed_on: dt.date | None, action: str | None) -> list[str]:
        with ctx.sessions() as session:
            return [p.message for p in close_problems(session, target, closed_on=closed_on, action=action, today=TODAY)]

    assert messages(None, "  ") == ["办结日期不能为空", "办理情况不能为空"]
    assert messages(dt.date(2024, 4, 19), "已对接银行") == ["办结日期早于走访日期（2024-04-20）"]
    assert messages(TODAY + dt.timedelta(days=1), "已对接银行") == ["办结日期不能晚于今天（2024-05-20）"]
    assert messages(dt.date(2024, 4, 20), "已对接银行") == []

    with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
        close_problem(
            session, ACTOR, target, closed_on=dt.date(2024, 4, 19), action="已对接银行", expected_version=1, today=TODAY
        )
    assert str(refused.value) == "办结日期早于走访日期（2024-04-20）"

    # Someone else edited the visit after the clerk opened it: nothing is written.
    with transaction(ctx.sessions) as session:
        session.get(HelpVisit, target).problem = "融资难，需担保"  # type: ignore[union-attr]
    with pytest.raises(VersionConflict) as conflict, transaction(ctx.sessions) as session:
        close_problem(session, ACTOR, target, closed_on=TODAY, action="已对接银行", expected_version=1, today=TODAY)
    assert "已在别处被修改" in str(conflict.value)
    with ctx.sessions() as session:
        [row] = [row for row in visit_list(session, unit_codes=None, today=TODAY) if row.id == target]
        assert (row.status, row.version) == ("办理中", 2)

    # Closed once; closing again is refused with the date it was closed.
    with transaction(ctx.sessions) as session:
        close_problem(session, ACTOR, target, closed_on=TODAY, action="已对接银行", expected_version=2, today=TODAY)
    with pytest.raises(ValidationFailed) as again, transaction(ctx.sessions) as session:
        close_problem(session, ACTOR, target, closed_on=TODAY, action="已对接银行", expected_version=3, today=TODAY)
    assert str(again.value) == "这条帮扶事项已于2024-05-20办结"
    with pytest.raises(NotFound), transaction(ctx.sessions) as session:
        close_problem(session, ACTOR, 999_999, closed_on=TODAY, action="已对接银行", expected_version=1, today=TODAY)


def test_a_county_closes_its_own_problems_only(ctx: AppContext, firms: dict[str, int], visits: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, QINGTIAN, None, "2024-01-02T03:04:05")
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        close_problem(
            session, ACTOR, visits["just_late"], closed_on=TODAY, action="已对接银行", expected_version=1, today=TODAY
        )
    with ctx.sessions() as session:
        row = list_records(session, VISIT, firms["shoe"])[0]  # the open one, visited first
        assert row.values["status"] == "办理中"


# --- cultivated enterprises and regular visits -----------------------------------------------------------


def test_enterprises_not_visited_since_a_day(ctx: AppContext, firms: dict[str, int], visits: dict[str, int]) -> None:
    never = add_firm(ctx, "青田县新兴阀门有限公司", QINGTIAN, "MA2A0B4F")
    enter_pool(ctx, never)
    with ctx.sessions() as session:
        # 石雕 left its pool: not expected to be visited. Never visited first, then the longest unvisited.
        rows = enterprises_without_visit(session, dt.date(2024, 4, 21), None)
        assert [row.enterprise_id for row in rows] == [never, firms["valve"]]
        assert (rows[0].last_visit, rows[0].officer, rows[1].last_visit, rows[1].open_problems) == (
            None,
            "",
            dt.date(2024, 1, 10),
            1,
        )
        # A visit on the day itself counts.
        assert [row.enterprise_id for row in enterprises_without_visit(session, dt.date(2024, 1, 10), None)] == [never]
        assert [row.enterprise_id for row in enterprises_without_visit(session, dt.date(2024, 1, 11), [LIANDU])] == []

        # The 联系干部 list: cultivated enterprises by name, with filters and counts.
        everyone = contact_list(session, unit_codes=None)
        assert [row.name for row in everyone] == [
            "丽水市莲都鞋业有限公司",
            "青田县新兴阀门有限公司",
            "青田县瓯江阀门有限公司",
        ]
        assert everyone[0].last_visit == dt.date(2024, 5, 6) and everyone[0].open_problems == 1
        assert contact_count(session, unit_codes=None) == 3
        assert [row.enterprise_id for row in contact_list(session, unit_codes=None, officer="")] == [never]
        assert [row.enterprise_id for row in contact_list(session, unit_codes=[QINGTIAN], search="瓯江")] == [
            firms["valve"]
        ]
        assert contact_count(session, unit_codes=[QINGTIAN], not_visited_since=dt.date(2024, 1, 11)) == 2
        # The whole list at once (no page) reads the same figures.
        paged = contact_list(session, unit_codes=None, limit=2, offset=1)
        whole = contact_list(session, unit_codes=None, limit=10_000)
        assert paged == whole[1:3]
