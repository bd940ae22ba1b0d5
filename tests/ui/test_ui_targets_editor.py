"""目标设置 as a clerk uses it: the annex round with its 合计, counts edited in place (saved, refused, in
conflict), a unit given a target, a new round through the dialog, deletions, and a county that only looks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QLineEdit
from pytestqt.qtbot import QtBot

from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.models.targets_model import (
    MISMATCH_BACKGROUND,
    MISMATCH_TEXT,
    PLAN_COL_CHECK,
    UNIT_COL_COUNT,
    UNIT_COL_NOTE,
    UNIT_COL_UNIT,
)
from ui.pages.targets_editor import TargetsEditorPanel, load_targets_editor
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.targets import PlanView, list_plans, set_target

POOL_2020 = ("ZJTX_POOL", 2017, 2020)
LIANDU = "331102"


class Answers:
    """Message boxes answered in advance; what they said is recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.confirm_answer = True
        self.asked: list[str] = []
        self.warnings: list[str] = []
        monkeypatch.setattr(prompts, "confirm", self.confirm)
        monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: self.warnings.append(text))
        monkeypatch.setattr(prompts, "inform", lambda _parent, _title, _text: None)

    def confirm(self, _parent: Any, _title: str, text: str, **_buttons: str) -> bool:
        self.asked.append(text)
        return self.confirm_answer


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    return Answers(monkeypatch)


@pytest.fixture
def open_panel(qtbot: QtBot, jobs: JobRunner) -> Callable[[AppContext], TargetsEditorPanel]:
    """The panel as the 目标任务 page will host it, with its data loaded."""

    def build(ctx: AppContext) -> TargetsEditorPanel:
        panel = TargetsEditorPanel(jobs)
        qtbot.addWidget(panel)
        panel.resize(1160, 640)
        panel.set_context(ctx)
        panel.show_data(load_targets_editor(ctx))
        panel.show()
        return panel

    return build


def stored(ctx: AppContext, key: tuple[str, int, int] = POOL_2020) -> PlanView:
    with transaction(ctx.sessions) as session:
        [plan] = [plan for plan in list_plans(session) if plan.key == key]
    return plan


def stored_count(ctx: AppContext, region_code: str, key: tuple[str, int, int] = POOL_2020) -> int | None:
    return next((row.count for row in stored(ctx, key).units if row.region_code == region_code), None)


def total_cell(panel: TargetsEditorPanel, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    model = panel.units_model
    return model.data(model.index(model.total_row, column), role)


def type_count(qtbot: QtBot, panel: TargetsEditorPanel, region_code: str, text: str) -> None:
    """Select the unit, press 修改目标数, type into the cell's editor and press Enter."""
    row = panel.units_model.row_of(region_code)
    assert row is not None
    panel.units_table.setCurrentIndex(panel.units_model.index(row, UNIT_COL_COUNT))
    panel.edit_count_button.click()
    editor = panel.units_table.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.setText(text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits on the next turn of the event loop, then closes the editor.
    qtbot.waitUntil(lambda: panel.units_table.state() != QAbstractItemView.State.EditingState)


def test_the_annex_round_shows_its_units_and_the_total_of_900(
    open_panel: Callable[[AppContext], TargetsEditorPanel], ctx: AppContext
) -> None:
    panel = open_panel(ctx)
    assert panel.plans_model.rowCount() == 4
    plan = panel.selected_plan()
    assert plan is not None and plan.key == POOL_2020
    assert "到2020年（含2017年已入库）" in panel.plan_label.text() and "丽政办发〔2018〕61号" in panel.plan_label.text()
    assert panel.plans_model.data(panel.plans_model.index(0, PLAN_COL_CHECK)) == "相符"
    # Every unit is listed (市本级 without a target), then the 合计 row.
    model = panel.units_model
    assert model.rowCount() == 12
    assert (
        model.data(model.index(0, UNIT_COL_UNIT)) == "市本级" and model.data(model.index(0, UNIT_COL_NOTE)) == "未下达"
    )
    assert total_cell(panel, UNIT_COL_UNIT) == "合计" and total_cell(panel, UNIT_COL_COUNT) == "900"
    assert total_cell(panel, UNIT_COL_NOTE) == "与文件所列合计 900 相符"
    assert "相符" in panel.total_label.text() and panel.total_label.property("severity") == "hint"
    assert panel.add_plan_button.isVisible() and panel.edit_count_button.isEnabled()


def test_a_count_edited_in_place_is_saved_and_the_total_then_shows_the_mismatch(
    qtbot: QtBot, open_panel: Callable[[AppContext], TargetsEditorPanel], ctx: AppContext
) -> None:
    panel = open_panel(ctx)
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        type_count(qtbot, panel, LIANDU, "79")
    assert stored_count(ctx, LIANDU) == 79
    assert "已保存：莲都区 目标数 80 → 79" in panel.status_label.text()
    # The 合计 row: the units' sum, the document's total and the difference, in red on red.
    assert total_cell(panel, UNIT_COL_COUNT) == "899"
    assert total_cell(panel, UNIT_COL_NOTE) == "各单位合计 899，与文件所列合计 900 不符（少 1）"
    assert total_cell(panel, UNIT_COL_NOTE, Qt.ItemDataRole.ForegroundRole) == QColor(MISMATCH_TEXT)
    assert total_cell(panel, UNIT_COL_UNIT, Qt.ItemDataRole.BackgroundRole) == QColor(MISMATCH_BACKGROUND)
    assert panel.total_label.text().startswith("合计不符") and panel.total_label.property("severity") == "error"
    assert panel.plans_model.data(panel.plans_model.index(0, PLAN_COL_CHECK)) == "不符"
    # The same unit stays selected for the next correction.
    assert panel.selected_line_code() == LIANDU


def test_a_unit_without_a_target_gets_one_by_typing_its_count(
    qtbot: QtBot, open_panel: Callable[[AppContext], TargetsEditorPanel], ctx: AppContext
) -> None:
    panel = open_panel(ctx)
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        type_count(qtbot, panel, "331100", "５")  # typed with a Chinese input method: full-width
    assert stored_count(ctx, "331100") == 5
    row = next(r for r in stored(ctx).units if r.region_code == "331100")
    assert row.document_no == "丽政办发〔2018〕61号"  # the round's document
    assert total_cell(panel, UNIT_COL_COUNT) == "905"


@pytest.mark.parametrize(
    ("text", "message"), [("-5", "目标数不能为负数"), ("八十", "目标数应为整数"), ("", "不能为空")]
)
def test_an_invalid_count_is_refused_in_place_and_nothing_is_saved(
    qtbot: QtBot,
    open_panel: Callable[[AppContext], TargetsEditorPanel],
    ctx: AppContext,
    text: str,
    message: str,
) -> None:
    panel = open_panel(ctx)
    emitted: list[bool] = []
    panel.changed.connect(lambda: emitted.append(True))
    type_count(qtbot, panel, LIANDU, text)
    assert message in panel.status_label.text() and panel.status_label.property("severity") == "error"
    assert panel.job is None and not emitted
    assert stored_count(ctx, LIANDU) == 80
    assert total_cell(panel, UNIT_COL_COUNT) == "900"


def test_a_count_changed_elsewhere_meanwhile_is_a_conflict_and_the_table_shows_the_stored_value(
    qtbot: QtBot, open_panel: Callable[[AppContext], TargetsEditorPanel], ctx: AppContext, answers: Answers
) -> None:
    panel = open_panel(ctx)
    with transaction(ctx.sessions) as session:  # another window saves first
        set_target(
            session,
            "另一位科员",
            program_code="ZJTX_POOL",
            start_year=2017,
            end_year=2020,
            region_code=LIANDU,
            count=85,
        )
    type_count(qtbot, panel, LIANDU, "79")
    qtbot.waitUntil(lambda: bool(answers.warnings), timeout=10_000)
    assert "已在别处被修改" in answers.warnings[0]
    qtbot.waitUntil(lambda: panel.job is None and total_cell(panel, UNIT_COL_COUNT) == "905", timeout=10_000)
    assert stored_count(ctx, LIANDU) == 85
    assert panel.status_label.text().startswith("未保存：") and panel.status_label.property("severity") == "error"
    row = panel.units_model.row_of(LIANDU)
    assert row is not None and panel.units_model.data(panel.units_model.index(row, UNIT_COL_COUNT)) == "85"


def test_a_new_round_is_added_through_the_dialog_and_its_units_can_be_given_targets(
    qtbot: QtBot, open_panel: Callable[[AppContext], TargetsEditorPanel], ctx: AppContext
) -> None:
    panel = open_panel(ctx)
    panel.add_plan_button.click()
    dialog = panel.plan_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.form.set_values(
        {
            "program_code": "ZJTX_SME",
            "start_year": 2021,
            "end_year": 2020,
            "title": "到2025年",
            "document_no": "丽经信〔2021〕12号",
            "stated_total": 120,
        }
    )
    dialog.validate_now()
    qtbot.waitUntil(lambda: not dialog.validation_pending(), timeout=10_000)
    assert "早于起始年份" in dialog.form.message("end_year") and not dialog.save_button.isEnabled()
    dialog.form.editor("end_year").set_value(2025)
    dialog.validate_now()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=10_000)
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: panel.job is None and panel.plans_model.rowCount() == 5, timeout=10_000)
    plan = panel.selected_plan()
    assert plan is not None and plan.key == ("ZJTX_SME", 2021, 2025) and not dialog.isVisible()
    assert panel.units_model.rowCount() == 12 and total_cell(panel, UNIT_COL_COUNT) == "0"
    assert "不符" in total_cell(panel, UNIT_COL_NOTE)  # nothing entered yet against a stated 120
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        type_count(qtbot, panel, LIANDU, "70")
    assert stored_count(ctx, LIANDU, ("ZJTX_SME", 2021, 2025)) == 70


def test_deleting_a_unit_target_and_a_round_asks_first(
    qtbot: QtBot, open_panel: Callable[[AppContext], TargetsEditorPanel], ctx: AppContext, answers: Answers
) -> None:
    panel = open_panel(ctx)
    row = panel.units_model.row_of(LIANDU)
    assert row is not None
    panel.units_table.setCurrentIndex(panel.units_model.index(row, UNIT_COL_COUNT))
    answers.confirm_answer = False
    panel.delete_target_button.click()
    assert "删除莲都区" in answers.asked[-1] and panel.job is None and stored_count(ctx, LIANDU) == 80
    answers.confirm_answer = True
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.delete_target_button.click()
    assert stored_count(ctx, LIANDU) is None
    assert total_cell(panel, UNIT_COL_COUNT) == "820"

    assert panel.select_plan(("YXGJ_PROV_POOL", 2018, 2018))
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.delete_plan_button.click()
    assert "将同时删除 7 个单位的目标（合计 7 家）" in answers.asked[-1]
    assert panel.plans_model.rowCount() == 3 and panel.plans_model.row_of(("YXGJ_PROV_POOL", 2018, 2018)) is None


def test_a_county_installation_sees_its_own_targets_read_only(
    open_panel: Callable[[AppContext], TargetsEditorPanel], county_ctx: AppContext
) -> None:
    panel = open_panel(county_ctx)
    assert "县级安装只能查看" in panel.note.text()
    for button in (
        panel.add_plan_button,
        panel.edit_plan_button,
        panel.delete_plan_button,
        panel.edit_count_button,
        panel.delete_target_button,
    ):
        assert not button.isVisible()
    model = panel.units_model
    assert model.rowCount() == 2 and model.data(model.index(0, UNIT_COL_UNIT)) == "青田县"
    assert not model.flags(model.index(0, UNIT_COL_COUNT)) & Qt.ItemFlag.ItemIsEditable
    assert not model.setData(model.index(0, UNIT_COL_COUNT), "151")
    panel.edit_selected_count()
    assert panel.units_table.findChild(QLineEdit) is None and panel.job is None
    assert total_cell(panel, UNIT_COL_NOTE) == "文件所列全市合计：900"
    assert "全市合计：900" in panel.total_label.text()
