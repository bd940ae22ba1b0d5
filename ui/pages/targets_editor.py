"""目标设置 (a tab of 目标任务): the rounds of targets and each unit's count, edited in place by the city.

The round list shows every program × period with the result of the 合计 check; below it the selected
round's units, ending with a 合计 row that compares the units' sum with the total printed in the document.
A city installation edits counts, document numbers and notes in place (a unit without a target gets one by
typing its count), adds and edits rounds in a dialog, and deletes; a county installation only looks.
Every write runs on the worker in one transaction through `zjtx_desktop.targets`, which checks the
installation, the values and the version again, and comes back with the data reloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.field_form import set_severity
from ui.jobs import Job, JobRunner
from ui.models.targets_model import (
    PLAN_COL_CHECK,
    UNIT_COL_COUNT,
    UNIT_COL_DOCUMENT,
    UNIT_COL_NOTE,
    UNIT_COL_UNIT,
    PlansModel,
    PlanUnitsModel,
    TargetEdit,
)
from ui.theme import ROW_HEIGHT, SPACING
from ui.widgets import make_table_view, note_label

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ui.dialogs.target_plan_dialog import TargetPlanDialog
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.settings import Installation
    from zjtx_desktop.targets import PlanView

PlanKey = tuple[str, int, int]

CITY_NOTE = (
    "选中一个目标轮次，在下方表格中双击“目标数”“文号”或“备注”即可修改，回车保存；“未下达”的单位填写目标数即下达目标。"
    "最后一行“合计”核对各单位目标之和与文件所列合计，不符时以红色标出。新一轮目标（如 2021—2025 年）用“新增目标轮次”。"
)
COUNTY_NOTE = "本安装属于{unit}：目标由市局下达，县级安装只能查看本单位的目标，不能修改。目标如有出入，请与市局联系。"
NO_PLANS = "还没有目标轮次。"
PLAN_ROWS_SHOWN = 6  # more rounds than this scroll


@dataclass(frozen=True)
class TargetsEditorData:
    """What the tab shows, read on the worker: plain values only."""

    installation: Installation
    plans: list[PlanView]
    programs: list[tuple[str, str]]  # (code, name) for the round dialog, in tier order
    regions: list[tuple[str, str]]  # (code, name) of every unit, 市本级 first, in the annex's order

    @property
    def is_city(self) -> bool:
        """Whether targets may be edited here: the city, by an account that may write."""
        return self.installation.is_city and self.installation.can_write


def load_targets_editor(ctx: AppContext) -> TargetsEditorData:
    """The rounds with their unit rows (a county: its own rows), programs and units; runs on the worker."""
    with ctx.sessions() as session:
        return _read(session)


def _read(session: Session) -> TargetsEditorData:
    from sqlalchemy import select

    from zjtx_desktop.models import Program, Region
    from zjtx_desktop.settings import installation
    from zjtx_desktop.targets import list_plans, unit_label

    inst = installation(session)
    plans = list_plans(session, None if inst.is_city else [inst.unit_code])
    programs = [
        (program.code, program.name) for program in session.scalars(select(Program).order_by(Program.sort_order))
    ]
    regions = [
        (region.code, unit_label(region)) for region in session.scalars(select(Region).order_by(Region.sort_order))
    ]
    return TargetsEditorData(inst, plans, programs, regions)


def _write_then_read(ctx: AppContext, write: Callable[[Session], Any]) -> TargetsEditorData:
    """One transaction for the write and its audit entry, then the tab's data as committed."""
    from zjtx_desktop.database import transaction

    with transaction(ctx.sessions) as session:
        write(session)
    return load_targets_editor(ctx)


def save_unit_target(ctx: AppContext, key: PlanKey, edit: TargetEdit) -> TargetsEditorData:
    """Create or update one unit's target of a round; runs on the worker."""
    from zjtx_desktop.targets import set_target

    program_code, start_year, end_year = key
    return _write_then_read(
        ctx,
        lambda session: set_target(
            session,
            ctx.actor,
            program_code=program_code,
            start_year=start_year,
            end_year=end_year,
            region_code=edit.region_code,
            count=edit.count,
            document_no=edit.document_no,
            note=edit.note,
            expected_version=edit.expected_version,
        ),
    )


def remove_unit_target(ctx: AppContext, target_id: int, version: int) -> TargetsEditorData:
    from zjtx_desktop.targets import delete_target

    return _write_then_read(ctx, lambda session: delete_target(session, ctx.actor, target_id, version))


def remove_plan(ctx: AppContext, plan_id: int, version: int | None, with_targets: bool) -> TargetsEditorData:
    from zjtx_desktop.targets import delete_plan

    return _write_then_read(
        ctx, lambda session: delete_plan(session, ctx.actor, plan_id, version, with_targets=with_targets)
    )


class CountDelegate(QStyledItemDelegate):
    """Edits a count in a right-aligned line edit; the model checks the text (full-width digits allowed)."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        editor.setPlaceholderText("如 80")
        editor.setMaxLength(12)
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QLineEdit):
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
            editor.selectAll()

    def setModelData(
        self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class TargetsEditorPanel(QWidget):
    """The 目标设置 tab. The hosting page loads `load_targets_editor(ctx)` and calls `show_data`."""

    changed = Signal()  # after any write was committed

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.data: TargetsEditorData | None = None
        self.job: Job | None = None  # the write (or reload) under way
        self.plan_dialog: TargetPlanDialog | None = None
        self._selected_key: PlanKey | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        self.note = note_label(CITY_NOTE)
        layout.addWidget(self.note)

        # --- the rounds
        plans_box = QWidget()
        plans_layout = QVBoxLayout(plans_box)
        plans_layout.setContentsMargins(0, 0, 0, 0)
        plans_layout.setSpacing(6)
        heading = QHBoxLayout()
        plans_title = QLabel("目标轮次")
        plans_title.setObjectName("sectionTitle")
        heading.addWidget(plans_title)
        heading.addStretch(1)
        self.add_plan_button = QPushButton("新增目标轮次…")
        self.add_plan_button.setToolTip("新一轮目标（如 2021—2025 年）：培育层级、期间、文号和文件所列合计")
        self.add_plan_button.clicked.connect(lambda: self.open_plan_dialog(None))
        self.edit_plan_button = QPushButton("修改轮次…")
        self.edit_plan_button.clicked.connect(lambda: self.open_plan_dialog(self.selected_plan()))
        self.delete_plan_button = QPushButton("删除轮次…")
        self.delete_plan_button.setObjectName("dangerButton")
        self.delete_plan_button.clicked.connect(self.delete_selected_plan)
        for button in (self.add_plan_button, self.edit_plan_button, self.delete_plan_button):
            heading.addWidget(button)
        plans_layout.addLayout(heading)
        self.plans_model = PlansModel()
        self.plans_table = make_table_view(self.plans_model)
        header = self.plans_table.horizontalHeader()
        for column, width in enumerate((220, 110, 220, 180, 104, 92)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)  # the 合计核对 column, or 本单位目标 where that is hidden (a county)
        self.plans_table.selectionModel().currentRowChanged.connect(self._on_plan_selected)
        self.empty_label = QLabel(NO_PLANS)
        self.empty_label.setObjectName("emptyState")
        plans_layout.addWidget(self.plans_table)
        plans_layout.addWidget(self.empty_label)
        self.empty_label.hide()

        # --- the selected round's units
        units_box = QWidget()
        units_layout = QVBoxLayout(units_box)
        units_layout.setContentsMargins(0, 0, 0, 0)
        units_layout.setSpacing(6)
        unit_heading = QHBoxLayout()
        self.plan_label = QLabel()
        self.plan_label.setObjectName("sectionTitle")
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        unit_heading.addWidget(self.plan_label, 1)
        self.edit_count_button = QPushButton("修改目标数")
        self.edit_count_button.setToolTip("修改所选单位的目标数（也可双击该单元格）")
        self.edit_count_button.clicked.connect(self.edit_selected_count)
        self.delete_target_button = QPushButton("删除单位目标…")
        self.delete_target_button.setObjectName("dangerButton")
        self.delete_target_button.clicked.connect(self.delete_selected_target)
        unit_heading.addWidget(self.edit_count_button)
        unit_heading.addWidget(self.delete_target_button)
        units_layout.addLayout(unit_heading)
        self.units_model = PlanUnitsModel()
        self.units_model.edit_requested.connect(self._save_edit)
        self.units_model.edit_rejected.connect(lambda message: self._show_status(message, "error"))
        self.units_table = make_table_view(self.units_model)
        self.units_table.setItemDelegateForColumn(UNIT_COL_COUNT, CountDelegate(self.units_table))
        units_header = self.units_table.horizontalHeader()
        for column, width in ((UNIT_COL_UNIT, 170), (UNIT_COL_COUNT, 100), (UNIT_COL_DOCUMENT, 200)):
            units_header.resizeSection(column, width)
        units_header.setSectionResizeMode(UNIT_COL_NOTE, QHeaderView.ResizeMode.Stretch)
        self.units_table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        units_layout.addWidget(self.units_table, 1)
        self.total_label = QLabel()
        self.total_label.setObjectName("fieldMessage")
        self.total_label.setWordWrap(True)
        self.total_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        units_layout.addWidget(self.total_label)
        self.status_label = QLabel()
        self.status_label.setObjectName("fieldMessage")
        self.status_label.setWordWrap(True)
        units_layout.addWidget(self.status_label)

        layout.addWidget(plans_box)
        layout.addSpacing(SPACING // 2)
        layout.addWidget(units_box, 1)
        self._set_editing(False)
        self._update_buttons()

    # --- contract with the hosting page -------------------------------------------------------------

    def set_context(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._update_buttons()

    def show_data(self, data: TargetsEditorData) -> None:
        """Show freshly loaded data, keeping the selected round and unit where they still exist."""
        self.data = data
        city = data.is_city
        self.note.setText(CITY_NOTE if city else COUNTY_NOTE.format(unit=data.installation.unit_name))
        for button in (
            self.add_plan_button,
            self.edit_plan_button,
            self.delete_plan_button,
            self.edit_count_button,
            self.delete_target_button,
        ):
            button.setVisible(city)
        selected_unit = self.selected_line_code()
        key = self._selected_key
        self.plans_model.set_plans(data.plans)
        self.plans_table.setColumnHidden(PLAN_COL_CHECK, not city)
        self._fit_plans_table(len(data.plans))
        self.plans_table.setVisible(bool(data.plans))
        self.empty_label.setVisible(not data.plans)
        row = self.plans_model.row_of(key) if key is not None else None
        if data.plans:
            self.plans_table.setCurrentIndex(self.plans_model.index(row or 0, 0))
        self._show_plan(self.selected_plan(), selected_unit)
        self._set_editing(city and self.job is None)
        self._update_buttons()

    def _fit_plans_table(self, rows: int) -> None:
        """As tall as its rounds (a few), scrolling beyond PLAN_ROWS_SHOWN: the unit table gets the rest."""
        shown = max(1, min(rows, PLAN_ROWS_SHOWN))
        header = self.plans_table.horizontalHeader().sizeHint().height()
        frame = 2 * self.plans_table.frameWidth()
        self.plans_table.setFixedHeight(header + shown * ROW_HEIGHT + frame)

    # --- reading the selection ------------------------------------------------------------------------

    def selected_plan(self) -> PlanView | None:
        index = self.plans_table.currentIndex()
        return self.plans_model.plan(index.row()) if index.isValid() else None

    def select_plan(self, key: PlanKey) -> bool:
        row = self.plans_model.row_of(key)
        if row is None:
            return False
        self.plans_table.setCurrentIndex(self.plans_model.index(row, 0))
        return True

    def selected_line_code(self) -> str | None:
        index = self.units_table.currentIndex()
        line = self.units_model.line(index.row()) if index.isValid() else None
        return line.region_code if line is not None else None

    def _on_plan_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        plan = self.plans_model.plan(current.row()) if current.isValid() else None
        if plan is None or plan.key != self._selected_key:  # another round: the last message was about the old one
            self._show_status("", "hint")
        self._show_plan(plan, None)

    def _show_plan(self, plan: PlanView | None, unit_code: str | None) -> None:
        self._selected_key = plan.key if plan is not None else None
        regions = self.data.regions if self.data is not None else []
        self.units_model.set_plan(plan, regions, editable=self.data is not None and self.data.is_city)
        if plan is None:
            self.plan_label.setText("")
            self.total_label.setText("")
            self._update_buttons()
            return
        parts = [f"{plan.program_name}　{plan.period_label}"]
        if plan.title:
            parts.append(plan.title)
        if plan.document_no:
            parts.append(plan.document_no)
        if plan.issued_on:
            parts.append(f"{plan.issued_on.isoformat()} 发文")
        self.plan_label.setText("　·　".join(parts))
        if not plan.complete:
            stated = "未列" if plan.stated_total is None else f"{plan.stated_total} 家"
            self._show_total(f"县级安装只列本单位的目标；文件所列全市合计：{stated}。", "hint")
        elif plan.total_message:
            self._show_total(f"合计不符：{plan.total_message}。请核对各单位目标或文件所列合计。", "error")
        elif plan.stated_total is None:
            self._show_total(f"各单位合计 {plan.units_sum}；文件未列合计，不作核对（可在“修改轮次”中填写）。", "hint")
        else:
            self._show_total(f"各单位合计 {plan.units_sum}，与文件所列合计 {plan.stated_total} 相符。", "hint")
        row = self.units_model.row_of(unit_code) if unit_code is not None else None
        if row is not None:
            self.units_table.setCurrentIndex(self.units_model.index(row, UNIT_COL_COUNT))
        self._update_buttons()

    def _show_total(self, text: str, severity: str) -> None:
        self.total_label.setText(text)
        set_severity(self.total_label, severity)

    def _show_status(self, text: str, severity: str) -> None:
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))
        set_severity(self.status_label, severity)

    def _set_editing(self, on: bool) -> None:
        triggers = (
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            if on
            else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.units_table.setEditTriggers(triggers)

    def _update_buttons(self) -> None:
        ready = self.ctx is not None and self.data is not None and self.data.is_city and self.job is None
        plan = self.selected_plan()
        index = self.units_table.currentIndex()
        line = self.units_model.line(index.row()) if index.isValid() else None
        self.add_plan_button.setEnabled(ready)
        self.edit_plan_button.setEnabled(ready and plan is not None)
        self.delete_plan_button.setEnabled(ready and plan is not None and plan.id is not None)
        self.edit_count_button.setEnabled(ready and plan is not None and bool(self.units_model.lines))
        self.delete_target_button.setEnabled(ready and line is not None and line.target is not None)

    # --- writing --------------------------------------------------------------------------------------

    def _submit(self, work: Callable[[AppContext], TargetsEditorData], name: str, done_text: str) -> None:
        """Run a write on the worker; on success show the reloaded data and tell the page."""
        if self.ctx is None or self.job is not None:
            return
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: work(ctx), name=name)
        self.job = job
        self._set_editing(False)
        self._update_buttons()
        self._show_status("正在保存…", "hint")

        def finished(data: TargetsEditorData) -> None:
            self.job = None
            self.show_data(data)
            self._show_status(done_text, "hint")
            self.changed.emit()

        def failed(message: str) -> None:
            self.job = None
            self.units_model.drop_pending()
            self._set_editing(self.data is not None and self.data.is_city)
            self._update_buttons()
            self._show_status(f"未保存：{message}", "error")
            prompts.warn(self, "未保存", message)
            self.reload()  # a conflict or a deletion elsewhere: show what is stored now

        job.finished.connect(finished)
        job.failed.connect(failed)

    def reload(self) -> None:
        """Read the data again in the background (after a refused write)."""
        if self.ctx is None or self.job is not None:
            return
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: load_targets_editor(ctx), name="读取目标")
        self.job = job

        def finished(data: TargetsEditorData) -> None:
            self.job = None
            self.show_data(data)

        def failed(_message: str) -> None:
            self.job = None
            self._update_buttons()

        job.finished.connect(finished)
        job.failed.connect(failed)

    def _save_edit(self, edit: TargetEdit) -> None:
        plan = self.selected_plan()
        if plan is None:
            return
        key = plan.key
        line_row = self.units_model.row_of(edit.region_code)
        line = self.units_model.line(line_row) if line_row is not None else None
        old = line.target if line is not None else None
        if edit.document_no is not None:
            what = f"文号改为“{edit.document_no}”" if edit.document_no else "文号已清空"
        elif edit.note is not None:
            what = "备注已保存"
        elif old is None:
            what = f"下达目标 {edit.count} 家"
        else:
            what = f"目标数 {old.count} → {edit.count}"
        self._submit(
            lambda ctx: save_unit_target(ctx, key, edit),
            f"保存{edit.region_name}的目标",
            f"已保存：{edit.region_name} {what}。",
        )

    def edit_selected_count(self) -> None:
        """Start editing the selected unit's count (the first unit's when none is selected)."""
        if not self.units_model.editable or not self.units_model.lines or self.job is not None:
            return
        index = self.units_table.currentIndex()
        row = index.row() if index.isValid() and index.row() < self.units_model.total_row else 0
        cell = self.units_model.index(row, UNIT_COL_COUNT)
        self.units_table.setCurrentIndex(cell)
        self.units_table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.units_table.edit(cell)

    def delete_selected_target(self) -> None:
        plan = self.selected_plan()
        index = self.units_table.currentIndex()
        line = self.units_model.line(index.row()) if index.isValid() else None
        if plan is None or line is None or line.target is None or self.job is not None:
            return
        target = line.target
        question = (
            f"删除{line.region_name}在“{plan.program_name} {plan.period_label}”的目标（{target.count} 家）吗？\n\n"
            "删除后该单位在本轮没有目标，目标完成情况中也不再列出。"
        )
        if not prompts.confirm(self, "删除单位目标", question, ok_text="删除"):
            return
        target_id, version = target.id, target.version
        self._submit(
            lambda ctx: remove_unit_target(ctx, target_id, version),
            f"删除{line.region_name}的目标",
            f"已删除{line.region_name}的目标。",
        )

    def delete_selected_plan(self) -> None:
        plan = self.selected_plan()
        if plan is None or plan.id is None or self.job is not None:
            return
        name = f"“{plan.program_name} {plan.period_label}”" + (f"（{plan.title}）" if plan.title else "")
        if plan.units:
            question = (
                f"删除目标轮次{name}吗？\n\n将同时删除 {len(plan.units)} 个单位的目标（合计 {plan.units_sum} 家），"
                "目标完成情况中不再统计该期间。删除记入操作日志。"
            )
        else:
            question = f"删除目标轮次{name}吗？"
        if not prompts.confirm(self, "删除目标轮次", question, ok_text="删除"):
            return
        plan_id, version, with_targets = plan.id, plan.version, bool(plan.units)
        self._submit(
            lambda ctx: remove_plan(ctx, plan_id, version, with_targets),
            "删除目标轮次",
            f"已删除目标轮次{name}。",
        )

    def open_plan_dialog(self, plan: PlanView | None) -> None:
        """新增目标轮次 (plan None) or 修改轮次; the dialog saves on the worker and reports `saved`."""
        from ui.dialogs.target_plan_dialog import TargetPlanDialog

        if self.ctx is None or self.data is None or not self.data.is_city or self.job is not None:
            return
        start: dict[str, Any] | None = None
        if plan is None:
            selected = self.selected_plan()
            start = {"program_code": selected.program_code if selected is not None else None}
        dialog = TargetPlanDialog(self.jobs, self.ctx, self.data.programs, plan, start_values=start, parent=self)
        dialog.saved.connect(self._plan_saved)
        if self.plan_dialog is not None and not self.plan_dialog.isVisible():
            self.plan_dialog.deleteLater()
        self.plan_dialog = dialog
        dialog.open()

    def _plan_saved(self, key: PlanKey) -> None:
        self._selected_key = key
        self._show_status("目标轮次已保存。", "hint")
        self.changed.emit()
        self.reload()
