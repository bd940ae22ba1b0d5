"""企业库: the clerk's round of issue 3 — enter with a wrong code, fix it, save, find by pinyin initials,
open, correct a field, see it in 变更历史, recycle and restore — and the intake form's behaviour."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from ui.dialogs import prompts
from ui.dialogs.enterprise_detail import EnterpriseDetailDialog
from ui.dialogs.enterprise_form import EnterpriseFormDialog
from ui.main_window import MainWindow
from ui.models.enterprise_model import COL_NAME
from ui.pages.enterprises import EnterprisesPage
from ui.widgets import Page
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.principal import Principal
from zjtx_desktop.registry import create_enterprise, get_enterprise, update_enterprise

NAME = "丽水瑞丰精密机械有限公司"  # pinyin initials l s r f j m j x y x g s: "lsjm" finds it
GOOD = uscc.make("9", "1", "331102", "MA2B001Q")
ADDRESS = "莲都区南明山街道绿谷大道218号"


def wrong_check(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


class Prompts:
    """Stand-ins for the message boxes: answers given in advance, questions and notices recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.confirm_answer = True
        self.text_answer: str | None = None
        self.save_path: str | None = None
        self.asked: list[str] = []
        self.warnings: list[str] = []
        self.notices: list[str] = []
        monkeypatch.setattr(prompts, "confirm", self.confirm)
        monkeypatch.setattr(prompts, "ask_text", self.ask_text)
        monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: self.warnings.append(text))
        monkeypatch.setattr(prompts, "inform", lambda _parent, _title, text: self.notices.append(text))
        monkeypatch.setattr(prompts, "choose_save_path", lambda *_args: self.save_path)

    def confirm(self, _parent: Any, _title: str, text: str, **_buttons: str) -> bool:
        self.asked.append(text)
        return self.confirm_answer

    def ask_text(self, _parent: Any, _title: str, label: str, text: str = "") -> str | None:
        self.asked.append(label)
        return self.text_answer


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    """Every test answers the prompts: an unexpected real message box would wait forever offscreen."""
    return Prompts(monkeypatch)


@pytest.fixture
def open_page(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable[[Page], Page]
) -> Callable[[AppContext], EnterprisesPage]:
    def build(ctx: AppContext) -> EnterprisesPage:
        window = make_window(ctx)
        window.show()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)  # shortcuts only reach the active window
        page = window.show_page("enterprises")
        assert isinstance(page, EnterprisesPage)
        wait_loaded(page)
        qtbot.waitUntil(lambda: not page.is_counting())
        return page

    return build


def add_enterprise(ctx: AppContext, name: str, code: str, unit: str = "331102", **values: Any) -> int:
    with transaction(ctx.sessions) as session:
        return create_enterprise(session, "张科员", {"name": name, "uscc": code, "region_code": unit, **values}).id


def new_form(qtbot: QtBot, page: EnterprisesPage) -> EnterpriseFormDialog:
    form = page.new_enterprise()
    assert form is not None
    qtbot.waitUntil(lambda: not form.validation_pending())
    return form


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type as a clerk does: letters and digits key by key, Chinese committed by the input method."""
    for part in re.findall(r"[\x20-\x7e]+|[^\x20-\x7e]+", text):
        if part.isascii():
            qtbot.keyClicks(widget, part)  # QTest types ASCII only
        else:
            event = QInputMethodEvent("", [])
            event.setCommitString(part)
            QApplication.sendEvent(widget, event)


def type_into(qtbot: QtBot, form: EnterpriseFormDialog, key: str, text: str) -> None:
    widget = form.form.editor(key).focus_widget
    widget.setFocus()
    clear = getattr(widget, "clear", None)
    if clear is not None:
        clear()
    type_text(qtbot, widget, text)


def choose(form: EnterpriseFormDialog, key: str, data: Any) -> None:
    combo = form.form.editor(key).widget
    index = combo.findData(data)  # type: ignore[attr-defined]
    assert index >= 0, data
    combo.setCurrentIndex(index)  # type: ignore[attr-defined]


def settle(qtbot: QtBot, page: EnterprisesPage) -> None:
    qtbot.waitUntil(lambda: not page.is_counting())


def wait_detail(qtbot: QtBot, page: EnterprisesPage, enterprise_id: int) -> EnterpriseDetailDialog:
    qtbot.waitUntil(lambda: enterprise_id in page.detail_dialogs)
    detail = page.detail_dialogs[enterprise_id]
    qtbot.waitUntil(lambda: detail.data is not None and not detail.is_busy())
    return detail


# --- the round ----------------------------------------------------------------------------------


def test_the_round_of_issue_3(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext, answers: Prompts
) -> None:
    page = open_page(ctx)
    assert page.count == 0
    assert page.table_stack.currentWidget() is page.empty_label

    # A new enterprise with a wrong check character: the message names the right one.
    form = new_form(qtbot, page)
    type_into(qtbot, form, "name", NAME)
    type_into(qtbot, form, "uscc", wrong_check(GOOD))
    qtbot.waitUntil(lambda: f"应为 {GOOD[-1]}" in form.form.message("uscc"))
    assert form.form.severity("uscc") == "error"
    assert not form.save_button.isEnabled()

    # Fixed (typed in lower case, as clerks do), with its unit: nothing left to correct, save.
    type_into(qtbot, form, "uscc", GOOD.lower())
    choose(form, "region_code", "331102")
    type_into(qtbot, form, "phone", "0578-2123456")
    qtbot.waitUntil(lambda: not form.validation_pending() and form.save_button.isEnabled())
    assert form.form.message("uscc") == ""
    with qtbot.waitSignal(form.saved) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    record = saved.args[0]
    assert record.values["uscc"] == GOOD
    qtbot.waitUntil(lambda: not form.isVisible())
    settle(qtbot, page)
    assert page.count == 1

    # Found by pinyin initials, opened with Enter.
    qtbot.keyClicks(page.search_box, "lsjm")
    qtbot.waitUntil(lambda: not page.is_counting() and page.search_box.text() == "lsjm")
    assert page.count == 1
    assert page.model.index(0, COL_NAME).data() == NAME
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    detail = wait_detail(qtbot, page, record.id)
    assert detail.heading.text() == NAME
    assert detail.fact_labels["region_code"].text() == "莲都区"

    # 编辑: one field changed, and 变更历史 shows it with who did it.
    detail.edit_button.click()
    qtbot.waitUntil(lambda: detail.form_dialog is not None and detail.form_dialog.isVisible())
    edit = detail.form_dialog
    assert edit is not None and not edit.is_new
    type_into(qtbot, edit, "address", ADDRESS)
    qtbot.waitUntil(lambda: not edit.validation_pending() and edit.save_button.isEnabled())
    with qtbot.waitSignal(edit.saved):
        edit.save_button.click()
    qtbot.waitUntil(lambda: "注册地址" in detail.history_model.column_texts(4))
    row = detail.history_model.column_texts(4).index("注册地址")
    assert detail.history_model.text(row, 2) == "修改"
    assert (detail.history_model.text(row, 5), detail.history_model.text(row, 6)) == ("", ADDRESS)
    assert detail.history_model.text(row, 1) == ctx.actor
    assert detail.fact_labels["address"].text() == ADDRESS
    detail.close()

    # Delete (to the 回收站, after confirming) and restore.
    page.window().activateWindow()
    qtbot.waitUntil(page.window().isActiveWindow)
    settle(qtbot, page)
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: page.count == 0 and not page.is_counting())
    assert any(NAME in question and "回收站" in question for question in answers.asked)

    page.bin_button.click()
    qtbot.waitUntil(lambda: page.recycle_bin and page.count == 1 and not page.is_counting())
    assert page.model.index(0, COL_NAME).data() == NAME
    page.table.selectRow(0)
    assert page.restore_button.isEnabled()
    page.restore_button.click()
    qtbot.waitUntil(lambda: page.count == 0 and not page.is_counting())
    page.bin_button.click()
    qtbot.waitUntil(lambda: not page.recycle_bin and page.count == 1 and not page.is_counting())
    assert page.model.index(0, COL_NAME).data() == NAME

    detail = page.open_detail(record.id)  # type: ignore[assignment]
    detail = wait_detail(qtbot, page, record.id)
    actions = detail.history_model.column_texts(2)
    assert actions[:3] == ["从回收站恢复", "删除到回收站", "修改"]
    assert actions[-1] == "新增"


# --- the intake form ------------------------------------------------------------------------------


def test_messages_beside_the_fields(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    page = open_page(ctx)
    form = new_form(qtbot, page)
    # A blank form is not a column of red: required fields are listed below until touched.
    assert form.form.message("name") == ""
    assert "尚未填写：企业名称、统一社会信用代码、所属单位" in form.summary.text()
    assert not form.save_button.isEnabled()

    type_into(qtbot, form, "name", NAME)
    type_into(qtbot, form, "uscc", GOOD)
    choose(form, "region_code", "331121")  # 青田县, but the code was registered in 莲都区
    type_into(qtbot, form, "registered_capital", "-5")
    type_into(qtbot, form, "employees", "12.5")
    type_into(qtbot, form, "rd_staff", "三")
    type_into(qtbot, form, "phone", "12345")
    type_into(qtbot, form, "registered_on", "2999-01-01")
    type_into(qtbot, form, "email", "not-an-address")
    qtbot.waitUntil(lambda: not form.validation_pending() and form.form.message("phone") != "")
    assert form.form.severity("uscc") == "warning"
    assert "331102" in form.form.message("uscc") and "青田县" in form.form.message("uscc")
    assert form.form.message("registered_capital") == "注册资本不能为负数"
    assert form.form.message("employees") == "从业人员应为整数"
    assert "应为整数" in form.form.message("rd_staff") and "三" in form.form.message("rd_staff")
    assert "0578-2123456" in form.form.message("phone")
    assert "不能晚于今天" in form.form.message("registered_on")
    assert "邮箱" in form.form.message("email")
    assert not form.save_button.isEnabled()

    # Cleared, the field is simply empty again; warnings alone do not stop saving.
    for key in ("registered_capital", "employees", "rd_staff", "phone", "registered_on", "email"):
        type_into(qtbot, form, key, "")
    qtbot.waitUntil(lambda: not form.validation_pending() and form.save_button.isEnabled())
    assert form.form.severity("uscc") == "warning"
    assert "请核对" in form.summary.text()

    # Emptying a required field after touching it marks it in red.
    type_into(qtbot, form, "name", "")
    qtbot.waitUntil(lambda: form.form.message("name") == "企业名称不能为空")
    assert form.form.severity("name") == "error"


def test_a_code_already_registered_offers_to_open_that_enterprise(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    existing = add_enterprise(ctx, "丽水市已有机械有限公司", GOOD)
    page = open_page(ctx)
    form = new_form(qtbot, page)
    type_into(qtbot, form, "uscc", " " + GOOD[:9].lower() + " " + GOOD[9:])  # pasted with spaces
    qtbot.waitUntil(lambda: "已登记为" in form.form.message("uscc"))
    assert "丽水市已有机械有限公司" in form.form.message("uscc")
    button = form.form.action_buttons["uscc"]
    assert button.isVisibleTo(form) and button.text() == "打开该企业"
    button.click()
    detail = wait_detail(qtbot, page, existing)
    assert detail.heading.text() == "丽水市已有机械有限公司"


def test_cancel_asks_before_throwing_away_what_was_typed(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext, answers: Prompts
) -> None:
    page = open_page(ctx)
    form = new_form(qtbot, page)
    form.cancel_button.click()  # nothing typed: closes without a question
    assert not form.isVisible() and answers.asked == []

    form = new_form(qtbot, page)
    type_into(qtbot, form, "name", NAME)
    answers.confirm_answer = False  # 继续编辑
    form.cancel_button.click()
    assert form.isVisible()
    assert len(answers.asked) == 1 and "尚未保存" in answers.asked[0] and NAME in answers.asked[0]
    qtbot.keyClick(form, Qt.Key.Key_Escape)  # Esc asks too
    assert form.isVisible() and len(answers.asked) == 2
    answers.confirm_answer = True  # 放弃修改
    form.cancel_button.click()
    assert not form.isVisible()
    with ctx.sessions() as session:
        assert get_enterprise  # nothing was saved:
        from zjtx_desktop.enterprise_query import EnterpriseFilter, search_ids

        assert search_ids(session, EnterpriseFilter()) == []


def test_save_and_new_keeps_the_form_open_for_the_next_enterprise(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    page = open_page(ctx)
    form = new_form(qtbot, page)
    type_into(qtbot, form, "name", NAME)
    type_into(qtbot, form, "uscc", GOOD)
    choose(form, "region_code", "331102")
    qtbot.waitUntil(lambda: not form.validation_pending() and form.save_and_new_button.isEnabled())
    with qtbot.waitSignal(form.saved):
        form.save_and_new_button.click()
    assert form.isVisible() and form.is_new
    assert form.values()["name"] is None and form.values()["uscc"] is None
    assert f"已保存“{NAME}”" in form.summary.text()
    qtbot.waitUntil(lambda: page.count == 1 and not page.is_counting())


def test_a_version_conflict_is_reported_not_overwritten(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext, answers: Prompts
) -> None:
    enterprise_id = add_enterprise(ctx, NAME, GOOD)
    page = open_page(ctx)
    page.edit_enterprise(enterprise_id)
    qtbot.waitUntil(lambda: page.form_dialog is not None and page.form_dialog.isVisible())
    form = page.form_dialog
    assert form is not None and not form.is_new
    # Meanwhile someone else corrects the same enterprise.
    with transaction(ctx.sessions) as session:
        update_enterprise(session, "李科员", enterprise_id, 1, {"contact_person": "王五"})
    type_into(qtbot, form, "address", ADDRESS)
    qtbot.waitUntil(lambda: not form.validation_pending() and form.save_button.isEnabled())
    form.save_button.click()
    qtbot.waitUntil(lambda: bool(answers.warnings))
    assert "已在别处被修改" in answers.warnings[0] and "本次未保存" in answers.warnings[0]
    assert form.isVisible()
    with ctx.sessions() as session:
        stored = get_enterprise(session, enterprise_id)
    assert stored.values["address"] is None and stored.values["contact_person"] == "王五"


def test_editing_writes_only_the_fields_changed(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    # A capital with more decimals than the form shows must not be rewritten by an unrelated change.
    enterprise_id = add_enterprise(ctx, NAME, GOOD, registered_capital=123.456789, is_listed=False)
    page = open_page(ctx)
    page.edit_enterprise(enterprise_id)
    qtbot.waitUntil(lambda: page.form_dialog is not None and page.form_dialog.isVisible())
    form = page.form_dialog
    assert form is not None
    assert form.form.editor("is_listed").raw() is False
    type_into(qtbot, form, "contact_person", "赵六")
    qtbot.waitUntil(lambda: not form.validation_pending() and form.save_button.isEnabled())
    with qtbot.waitSignal(form.saved):
        form.save_button.click()
    with ctx.sessions() as session:
        stored = get_enterprise(session, enterprise_id)
    assert stored.values["registered_capital"] == 123.456789
    assert stored.values["contact_person"] == "赵六"
    assert stored.version == 2


def test_a_county_enters_only_its_own_unit(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], county_ctx: AppContext
) -> None:
    add_enterprise(county_ctx, "青田县本地阀门有限公司", uscc.make("9", "1", "331121", "MA2B002Q"), "331121")
    add_enterprise(county_ctx, NAME, GOOD, "331102")
    page = open_page(county_ctx)
    assert page.count == 1
    assert not page.unit_combo.isVisible()
    assert page.current_filter().unit_codes == ("331121",)
    form = new_form(qtbot, page)
    unit = form.form.editor("region_code")
    assert unit.read()[0] == "331121" and not unit.widget.isEnabled()


# --- the detail view's records --------------------------------------------------------------------


def test_cultivation_entry_added_and_ended(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    enterprise_id = add_enterprise(ctx, NAME, GOOD)
    page = open_page(ctx)
    detail = page.open_detail(enterprise_id)
    assert detail is not None
    detail = wait_detail(qtbot, page, enterprise_id)
    detail.tabs.setCurrentIndex(1)
    detail.open_record("cultivation", None, mode="add")
    dialog = detail.record_dialog
    assert dialog is not None
    combo = dialog.form.editor("program_code").widget
    combo.setCurrentIndex(combo.findData("ZJTX_POOL"))  # type: ignore[attr-defined]
    year = dialog.form.editor("year").focus_widget
    year.clear()  # type: ignore[attr-defined]
    type_text(qtbot, year, "2019")
    dialog.form.editor("document_no").set_value("丽经信〔2019〕12号")
    dialog.form.editor("entered_on").set_value("2019-05-01")
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: detail.cultivation_tab.model.rowCount() == 1 and not detail.is_busy())
    assert detail.cultivation_tab.model.text(0, 0) == "省“专精特新”培育库企业"
    assert detail.cultivation_tab.model.text(0, 5) == "培育中"

    # 退出培育: date required, reason kept; the entry reads 已退出.
    detail.cultivation_tab.select_row(0)
    detail.end_button.click()
    ending = detail.record_dialog
    assert ending is not None and ending.mode == "end"
    ending.form.editor("exited_on").set_value("2018-01-01")  # before the entry: refused by the service
    ending.form.editor("exit_reason").set_value("企业迁出本市")
    ending.validate_now()
    qtbot.waitUntil(lambda: not ending.validation_pending())
    ending.form.touched.add("exited_on")
    ending.save()
    qtbot.waitUntil(lambda: not ending.is_saving())
    assert ending.form.message("exited_on") == "退出日期早于入库日期" and ending.isVisible()
    ending.form.editor("exited_on").set_value("2024-06-30")
    ending.validate_now()
    qtbot.waitUntil(lambda: not ending.validation_pending() and ending.save_button.isEnabled())
    with qtbot.waitSignal(ending.saved):
        ending.save_button.click()
    qtbot.waitUntil(lambda: detail.cultivation_tab.model.text(0, 5) == "已退出" and not detail.is_busy())
    assert detail.cultivation_tab.model.text(0, 6) == "2024-06-30"
    assert "企业迁出本市" in detail.history_model.column_texts(6)


def test_annual_rows_show_derived_metrics(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    enterprise_id = add_enterprise(ctx, NAME, GOOD)
    page = open_page(ctx)
    page.open_detail(enterprise_id)
    detail = wait_detail(qtbot, page, enterprise_id)
    detail.tabs.setCurrentIndex(2)
    detail.open_record("annual_report", None, mode="add")
    dialog = detail.record_dialog
    assert dialog is not None
    for key, value in (("year", "2023"), ("tax_paid", "120"), ("land_area", "40"), ("revenue", "abc")):
        dialog.form.editor(key).set_value(value)
    dialog.validate_now()
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    dialog.form.touched.add("revenue")
    dialog.validate_now()
    qtbot.waitUntil(lambda: "营业收入应为数字" in dialog.form.message("revenue"))
    assert not dialog.save_button.isEnabled()
    dialog.form.editor("revenue").set_value("3000")
    dialog.validate_now()
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: detail.annual_tab.model.rowCount() == 1 and not detail.is_busy())
    assert detail.annual_tab.model.text(0, 0) == "2023"
    assert detail.metric_labels["tax_per_mu"].text() == "3.00 万元/亩"
    assert detail.metric_labels["rd_intensity"].text() == "—"
    assert "2023年派生指标" in detail.metrics_box.title()


def test_help_visit_added(qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext) -> None:
    enterprise_id = add_enterprise(ctx, NAME, GOOD)
    page = open_page(ctx)
    page.open_detail(enterprise_id)
    detail = wait_detail(qtbot, page, enterprise_id)
    detail.open_record("help_visit", None, mode="add")
    dialog = detail.record_dialog
    assert dialog is not None
    dialog.form.editor("officer").set_value("王芳")
    dialog.form.editor("problem").set_value("用地指标不足")
    dialog.validate_now()
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: detail.visits_tab.model.rowCount() == 1 and not detail.is_busy())
    assert "用地指标不足" in detail.visits_tab.model.column_texts(3)
    assert detail.tabs.tabText(3) == "帮扶记录（1）"


def test_purge_needs_the_exact_name(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext, answers: Prompts
) -> None:
    from zjtx_desktop.registry import NotFound, recycle_enterprise

    enterprise_id = add_enterprise(ctx, NAME, GOOD)
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, "张科员", enterprise_id)
    page = open_page(ctx)
    assert page.count == 0
    page.show_recycle_bin(True)
    settle(qtbot, page)
    assert page.count == 1 and page.purge_button.isVisible()
    page.table.selectRow(0)
    answers.text_answer = "丽水瑞丰"  # not the full name: nothing happens
    page.purge_button.click()
    assert answers.warnings and "不一致" in answers.warnings[0]
    answers.text_answer = NAME
    page.purge_button.click()
    qtbot.waitUntil(lambda: page.count == 0 and not page.is_counting())
    with ctx.sessions() as session, pytest.raises(NotFound):
        get_enterprise(session, enterprise_id)


def test_closing_the_window_closes_its_dialogs_but_asks_about_unsaved_work(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext, answers: Prompts
) -> None:
    enterprise_id = add_enterprise(ctx, NAME, GOOD)
    page = open_page(ctx)
    window = page.window()
    page.open_detail(enterprise_id)
    detail = wait_detail(qtbot, page, enterprise_id)
    form = new_form(qtbot, page)
    type_into(qtbot, form, "name", "丽水另一家企业有限公司")
    answers.confirm_answer = False  # 继续编辑: nothing closes
    assert not window.close()
    assert window.isVisible() and form.isVisible() and "尚未保存" in answers.asked[-1]
    answers.confirm_answer = True
    assert window.close()
    assert not form.isVisible() and not detail.isVisible() and not window.isVisible()


def test_the_row_menu_offers_what_the_view_allows(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    add_enterprise(ctx, NAME, GOOD)
    page = open_page(ctx)
    assert page.row_menu().actions() == []  # nothing selected
    page.table.selectRow(0)
    assert [a.text() for a in page.row_menu().actions() if a.text()] == ["打开", "编辑", "删除到回收站…"]
    page.show_recycle_bin(True)
    settle(qtbot, page)
    assert page.row_menu().actions() == []


def test_a_read_only_account_opens_an_enterprise_but_cannot_change_it(
    qtbot: QtBot, open_page: Callable[[AppContext], EnterprisesPage], ctx: AppContext
) -> None:
    with transaction(ctx.sessions) as session:
        record = create_enterprise(session, "张科员", {"name": NAME, "uscc": GOOD, "region_code": "331102"})
    ctx.sign_in(Principal("chen_view", "陈查看", "readonly", None, 8))
    page = open_page(ctx)
    page.open_detail(record.id)
    detail = wait_detail(qtbot, page, record.id)
    assert detail.data is not None and detail.data.record.name == NAME
    assert not detail.edit_button.isEnabled() and not detail.recycle_button.isEnabled()
    tab_buttons = [
        tab.buttons.itemAt(n).widget()
        for tab in (detail.cultivation_tab, detail.annual_tab, detail.visits_tab)
        for n in range(tab.buttons.count())
    ]
    assert tab_buttons and not any(b.isEnabled() for b in tab_buttons if isinstance(b, QPushButton))
