"""帮扶记录 page: the help-visit flow (a visit with a problem and deadline added through the page, listed,
overdue once its deadline has passed, closed, gone from the overdue list, the workload updated), assigning
officers, a county's own unit, filters, refusals and version conflicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import ui.pages.visits as visits_page
from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.pages.visits import (
    C_LAST,
    C_OFFICER,
    L_OFFICER,
    L_OPEN,
    L_OVERDUE,
    L_VISITS,
    O_DAYS,
    TAB_CONTACTS,
    TAB_OVERDUE,
    TAB_VISITS,
    TAB_WORKLOAD,
    V_NAME,
    V_OFFICER,
    V_PROBLEM,
    V_STATUS,
    VisitsPage,
)
from ui.widgets import PageState
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.enterprise_records import CULTIVATION, VISIT, add_record
from zjtx_desktop.models import AuditEntry, Enterprise, HelpVisit
from zjtx_desktop.registry import create_enterprise

REAL_TODAY = dt.date.today()
VALVE = "青田县瓯江阀门有限公司"
STONE = "青田县石门石雕工艺品有限公司"
SHOE = "丽水市莲都鞋业有限公司"


class Clock:
    """The page's today, moved by the tests to let deadlines pass."""

    def __init__(self) -> None:
        self.day = REAL_TODAY


class Prompts:
    """Stand-ins for message boxes: confirmations answered in advance, warnings recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.confirm_answer = True
        self.officer_answer: str | None = None
        self.asked: list[str] = []
        self.warnings: list[str] = []
        monkeypatch.setattr(prompts, "confirm", self.confirm)
        monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: self.warnings.append(text))
        monkeypatch.setattr(prompts, "inform", lambda _parent, _title, text: self.warnings.append(text))
        monkeypatch.setattr(visits_page, "ask_officer", self.ask_officer)

    def confirm(self, _parent: Any, _title: str, text: str, **_buttons: str) -> bool:
        self.asked.append(text)
        return self.confirm_answer

    def ask_officer(self, _parent: Any, names: list[str], current: str, count: int) -> str | None:
        self.asked.append(f"{count}:{current}:{'、'.join(names)}")
        return self.officer_answer


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    return Prompts(monkeypatch)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(visits_page, "today", lambda: moved.day)
    return moved


def add_firm(ctx: AppContext, name: str, unit: str, org8: str, officer: str | None) -> int:
    with transaction(ctx.sessions) as session:
        values: dict[str, Any] = {"name": name, "uscc": uscc.make("9", "1", unit, org8), "region_code": unit}
        if officer:
            values["help_officer"] = officer
        enterprise_id = create_enterprise(session, "张科员", values).id
        add_record(session, "张科员", CULTIVATION, enterprise_id, {"program_code": "ZJTX_POOL", "year": 2019})
    return enterprise_id


def add_visit(ctx: AppContext, enterprise_id: int, officer: str, problem: str, deadline: dt.date | None) -> int:
    values = {"visited_on": REAL_TODAY - dt.timedelta(days=30), "officer": officer, "kind": "走访"}
    with transaction(ctx.sessions) as session:
        return add_record(
            session, "张科员", VISIT, enterprise_id, {**values, "problem": problem, "deadline": deadline}
        ).id


@pytest.fixture
def firms(ctx: AppContext) -> dict[str, int]:
    return {
        "valve": add_firm(ctx, VALVE, "331121", "MA2A0B1C", "王芳"),
        "stone": add_firm(ctx, STONE, "331121", "MA2A0B2D", None),
        "shoe": add_firm(ctx, SHOE, "331102", "MA2A0B3E", "李强"),
    }


def settle(qtbot: QtBot, page: VisitsPage) -> None:
    qtbot.waitUntil(lambda: page.state is not PageState.LOADING and not page.is_busy(), timeout=10_000)
    assert page.state is PageState.READY, page.error_message


def open_page(qtbot: QtBot, jobs: JobRunner, ctx: AppContext) -> VisitsPage:
    page = VisitsPage(jobs)
    qtbot.addWidget(page)
    page.resize(1190, 700)
    page.set_context(ctx)
    page.show()
    page.activate()
    settle(qtbot, page)
    return page


def reload(qtbot: QtBot, page: VisitsPage) -> None:
    page.refresh()
    settle(qtbot, page)


def workload(page: VisitsPage, officer: str) -> dict[int, str]:
    model = page.workload_model
    [row] = [row for row in range(model.rowCount()) if model.text(row, L_OFFICER) == officer]
    return {column: model.text(row, column) for column in (L_VISITS, L_OPEN, L_OVERDUE)}


# --- the help-visit flow ------------------------------------------------------------------------------


def test_help_visit_flow(qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: dict[str, int], clock: Clock) -> None:
    page = open_page(qtbot, jobs, ctx)
    assert page.title == "帮扶记录"
    assert page.visit_model.rowCount() == 0 and page.visit_count.text() == "没有符合条件的走访记录"
    assert "1 家培育企业未指定联系干部" in page.subtitle_label.text()

    # 新增走访: find the enterprise by its pinyin initials, then fill in the visit.
    picker = page.new_visit()
    assert picker is not None
    picker.search_box.setText("qtxoj")
    qtbot.waitUntil(lambda: not picker.is_searching() and picker.model.rowCount() == 1)
    assert picker.model.text(0, 0) == VALVE and picker.next_button.isEnabled()
    picker.next_button.click()
    dialog = page.record_dialog
    assert dialog is not None and dialog.isVisible() and not picker.isVisible()
    assert dialog.windowTitle() == f"新增帮扶记录 — {VALVE}"
    # The enterprise's own officer, today, 走访 and 办理中 are filled in already.
    assert dialog.form.values()["officer"] == "王芳"
    assert (dialog.form.values()["visited_on"], dialog.form.values()["status"]) == (REAL_TODAY, "办理中")
    deadline = REAL_TODAY + dt.timedelta(days=10)
    dialog.form.editor("problem").set_value("技术工人招工难，希望对接职业院校")
    dialog.form.editor("deadline").set_value(deadline.isoformat())
    dialog.validate_now()
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    settle(qtbot, page)

    # Listed, on time, and in the officer's workload.
    assert page.visit_model.rowCount() == 1
    assert page.visit_model.text(0, V_NAME) == VALVE
    assert page.visit_model.text(0, V_PROBLEM) == "技术工人招工难，希望对接职业院校"
    assert (page.visit_model.text(0, V_OFFICER), page.visit_model.text(0, V_STATUS)) == ("王芳", "办理中")
    assert page.overdue_model.rowCount() == 0 and page.tabs.tabText(TAB_OVERDUE) == "逾期事项"
    assert workload(page, "王芳") == {L_VISITS: "1", L_OPEN: "1", L_OVERDUE: "0"}

    # On the deadline itself the problem is still on time…
    clock.day = deadline
    reload(qtbot, page)
    assert page.overdue_model.rowCount() == 0
    # …the day after, it is overdue: in 逾期事项, marked in the list, counted in the workload.
    clock.day = deadline + dt.timedelta(days=1)
    reload(qtbot, page)
    assert page.overdue_model.rowCount() == 1 and page.overdue_model.text(0, O_DAYS) == "1 天"
    assert page.tabs.tabText(TAB_OVERDUE) == "逾期事项（1）"
    assert page.visit_model.text(0, V_STATUS) == "逾期 1 天"
    assert workload(page, "王芳")[L_OVERDUE] == "1"
    assert "办理中 1 项，其中逾期 1 项" in page.subtitle_label.text()

    # 办结 from the overdue list: the date (today) and what was done.
    page.tabs.setCurrentIndex(TAB_OVERDUE)
    page.overdue_table.selectRow(0)
    assert page.overdue_close_button.isEnabled()
    page.overdue_close_button.click()
    closing = page.close_dialog
    assert closing is not None and closing.isVisible()
    assert closing.form.values() == {"closed_on": clock.day, "action": None}
    closing.form.editor("action").set_value("联系县人社局在人才市场专场招聘，已招到12人")
    closing.validate_now()
    qtbot.waitUntil(lambda: not closing.validation_pending() and closing.save_button.isEnabled())
    with qtbot.waitSignal(closing.saved):
        closing.save_button.click()
    settle(qtbot, page)

    assert page.overdue_model.rowCount() == 0 and page.overdue_count.text() == "没有逾期未办结的帮扶事项。"
    assert page.visit_model.text(0, V_STATUS) == "已办结"
    assert workload(page, "王芳") == {L_VISITS: "1", L_OPEN: "0", L_OVERDUE: "0"}
    with ctx.sessions() as session:
        visit = session.scalars(select(HelpVisit)).one()
        assert (visit.status, visit.closed_on, visit.version) == ("已办结", clock.day, 2)
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "help_visit")).all()
        assert actions == ["create", "update"]


def test_closing_asks_for_what_was_done_and_detects_conflicts(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: dict[str, int], clock: Clock, answers: Prompts
) -> None:
    visit_id = add_visit(ctx, firms["shoe"], "李强", "融资难", REAL_TODAY - dt.timedelta(days=3))
    page = open_page(qtbot, jobs, ctx)
    page.visit_table.selectRow(0)
    dialog = page.close_selected(page.visit_table, page.visit_model)
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    dialog.form.touched.add("action")
    dialog.validate_now()
    qtbot.waitUntil(lambda: dialog.form.message("action") == "办理情况不能为空")
    assert not dialog.save_button.isEnabled()

    # Someone corrects the visit elsewhere meanwhile: the close is refused, nothing is overwritten.
    with transaction(ctx.sessions) as session:
        session.get(HelpVisit, visit_id).problem = "融资难，需要担保"  # type: ignore[union-attr]
    dialog.form.editor("action").set_value("推荐参加政银企对接会")
    dialog.validate_now()
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(answers.warnings))
    assert "已在别处被修改" in answers.warnings[0]
    assert dialog.isVisible()
    with ctx.sessions() as session:
        assert session.get(HelpVisit, visit_id).status == "办理中"  # type: ignore[union-attr]


# --- officers ---------------------------------------------------------------------------------------


def test_assigning_an_officer_to_selected_enterprises(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: dict[str, int], answers: Prompts
) -> None:
    page = open_page(qtbot, jobs, ctx)
    page.tabs.setCurrentIndex(TAB_CONTACTS)
    model = page.contact_model
    names = [model.text(row, 0) for row in range(model.rowCount())]
    assert names == sorted([VALVE, STONE, SHOE])
    officers = {model.text(row, 0): model.text(row, C_OFFICER) for row in range(model.rowCount())}
    assert officers[STONE] == "（未指定）"
    assert {model.text(row, C_LAST) for row in range(model.rowCount())} == {"从未走访"}
    assert not page.assign_button.isEnabled()

    # Select the two 青田 enterprises and assign 陈静.
    page.contact_table.selectRow(names.index(VALVE))
    page.contact_table.selectionModel().select(
        model.index(names.index(STONE), 0),
        page.contact_table.selectionModel().SelectionFlag.Select
        | page.contact_table.selectionModel().SelectionFlag.Rows,
    )
    assert page.assign_button.isEnabled()
    answers.officer_answer = " 陈静 "
    page.assign_button.click()
    settle(qtbot, page)
    assert answers.asked[0] == "2::李强、王芳"  # two enterprises, different officers: nothing proposed
    officers = {model.text(row, 0): model.text(row, C_OFFICER) for row in range(model.rowCount())}
    assert officers == {VALVE: "陈静", STONE: "陈静", SHOE: "李强"}
    assert page.contact_notice.text() == "已为 2 家企业指定联系干部“陈静”"
    assert "未指定联系干部" not in page.subtitle_label.text()
    assert page.officer_combo.findData("陈静") >= 0  # the new name is offered in the filters
    with ctx.sessions() as session:
        changes = session.scalars(
            select(AuditEntry.enterprise_id).where(AuditEntry.entity == "enterprise", AuditEntry.action == "update")
        ).all()
        assert sorted(changes) == sorted([firms["valve"], firms["stone"]])

    # Only the enterprises without an officer; then clearing one (asked first).
    page.contact_officer_combo.setCurrentIndex(page.contact_officer_combo.findData(""))
    settle(qtbot, page)
    assert model.rowCount() == 0 and page.contact_count.text() == "没有符合条件的培育企业"
    page.contact_officer_combo.setCurrentIndex(page.contact_officer_combo.findData("李强"))
    settle(qtbot, page)
    assert [model.text(row, 0) for row in range(model.rowCount())] == [SHOE]
    page.contact_table.selectRow(0)
    answers.officer_answer = ""
    answers.confirm_answer = False
    page.assign_button.click()
    assert "取消所选 1 家企业的联系干部吗" in answers.asked[-1] and page.write_job is None
    answers.confirm_answer = True
    page.assign_button.click()
    settle(qtbot, page)
    assert page.contact_notice.text() == "已取消 1 家企业的联系干部"
    with ctx.sessions() as session:
        assert session.get(Enterprise, firms["shoe"]).help_officer is None  # type: ignore[union-attr]


def test_a_county_sees_and_assigns_its_own_unit(
    qtbot: QtBot, jobs: JobRunner, county_ctx: AppContext, firms: dict[str, int], answers: Prompts
) -> None:
    add_visit(county_ctx, firms["valve"], "王芳", "用地指标不足", None)
    add_visit(county_ctx, firms["shoe"], "李强", "融资难", None)
    page = open_page(qtbot, jobs, county_ctx)
    assert not page.unit_combo.isVisible()
    assert page.subtitle_label.text().startswith("青田县")
    assert [page.visit_model.text(row, V_NAME) for row in range(page.visit_model.rowCount())] == [VALVE]
    assert page.visit_table.isColumnHidden(visits_page.V_UNIT)
    contacts = [page.contact_model.text(row, 0) for row in range(page.contact_model.rowCount())]
    assert sorted(contacts) == sorted([VALVE, STONE])
    assert [page.workload_model.text(row, L_OFFICER) for row in range(page.workload_model.rowCount())] == ["王芳"]

    # The picker offers the county's own enterprises only.
    picker = page.new_visit()
    assert picker is not None
    picker.search_box.setText("有限公司")
    qtbot.waitUntil(lambda: not picker.is_searching())
    assert sorted(picker.model.column_texts(0)) == sorted([VALVE, STONE])
    picker.reject()


# --- filters ------------------------------------------------------------------------------------------


def test_filters_and_the_way_from_workload_to_visits(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: dict[str, int], clock: Clock
) -> None:
    add_visit(ctx, firms["valve"], "王芳", "用地指标不足", REAL_TODAY - dt.timedelta(days=5))
    add_visit(ctx, firms["shoe"], "李强", "融资难", REAL_TODAY + dt.timedelta(days=5))
    add_visit(ctx, firms["stone"], "王芳", "环评审批慢", None)
    page = open_page(qtbot, jobs, ctx)
    assert page.visit_model.rowCount() == 3 and page.visit_count.text() == "共 3 条走访记录"

    page.status_combo.setCurrentIndex(page.status_combo.findData(visits_page.OVERDUE))
    settle(qtbot, page)
    assert page.visit_model.column_texts(V_NAME) == [VALVE]
    page.status_combo.setCurrentIndex(0)
    page.search_box.setText("鞋业")
    settle(qtbot, page)
    assert page.visit_model.column_texts(V_NAME) == [SHOE]
    page.search_box.clear()
    page.unit_combo.setCurrentIndex(page.unit_combo.findData("331102"))
    settle(qtbot, page)
    assert page.visit_model.column_texts(V_NAME) == [SHOE]
    assert page.visit_table.isColumnHidden(visits_page.V_UNIT)
    page.unit_combo.setCurrentIndex(0)
    settle(qtbot, page)

    # Double-clicking an officer's workload shows that officer's visits.
    page.tabs.setCurrentIndex(TAB_WORKLOAD)
    officers = page.workload_model.column_texts(L_OFFICER)
    assert officers[0] == "王芳"
    page.show_officer_visits(0)
    settle(qtbot, page)
    assert page.tabs.currentIndex() == TAB_VISITS and page.officer_combo.currentData() == "王芳"
    assert sorted(page.visit_model.column_texts(V_NAME)) == sorted([VALVE, STONE])

    # Opening an enterprise from the list.
    with qtbot.waitSignal(page.open_enterprise) as opened:
        page.visit_table.selectRow(0)
        page.open_button.click()
    assert opened.args[0] in (firms["valve"], firms["stone"])
