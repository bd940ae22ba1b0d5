"""目标任务 › 政策任务督查: the fifteen policy tasks with status, deadline and overdue marks, and each task's notes.

The panel is one tab of the 目标任务 page. The page loads `load_supervision(ctx)` on the worker and hands
the result to `show_data`; after a write (a note recorded or deleted, a status or deadline changed) the
panel reloads itself and emits `changed`, so that the page can tell the other pages (the dashboard's
alerts) that what they show is out of date. Evidence in the data folder opens at once; evidence kept in a
server's database is read and checked on the worker (`fetch_evidence`) and opened from the user's cache.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.dialogs.task_note_dialog import TaskNoteDialog, TaskSettingsDialog
from ui.jobs import Job, JobRunner
from ui.models import AnyIndex
from ui.models.table_rows import TextRowsModel
from ui.theme import DONE_COMPLETE, SPACING, TEXT_MUTED
from ui.widgets import make_table_view, note_label

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.supervision import NoteRow, TaskRow

TASK_HEADERS = ("序号", "任务", "牵头单位", "配合单位", "状态", "完成时限", "最新进展", "记录数")
COL_NUMBER, COL_TITLE, COL_LEAD, COL_CO, COL_STATUS, COL_DEADLINE, COL_LATEST, COL_COUNT = range(len(TASK_HEADERS))
NOTE_HEADERS = ("日期", "期间", "状态", "进展情况", "证明材料", "记录人")
COL_NOTE_TEXT, COL_EVIDENCE = 3, 4

OVERDUE_MARK = "逾期"
# Overdue rows: the pale red and dark red of the stylesheet's danger button and error messages (app.qss).
OVERDUE_BACKGROUND = "#fbeeed"
OVERDUE_TEXT = "#8c1d18"
BEHIND_TEXT = "#9a5b00"  # the amber of warnings: 滞后 reported by the lead unit itself

INTRO = (
    "丽政办发〔2018〕61号的十五项主要任务。选中一项任务，在下方查看和记录各期进展（双击记录打开证明材料）；"
    "过了完成时限仍未“已完成”的任务标为“逾期”。"
)
NO_NOTES = "这项任务还没有进展记录。点击“记录进展…”填写本期进展，可附会议纪要、文件或照片作为证明材料。"


@dataclass(frozen=True)
class SupervisionData:
    """What the panel shows, read in one session on the worker: plain values only."""

    today: dt.date
    tasks: list[TaskRow]
    notes: dict[int, list[NoteRow]]  # by task id, newest first
    data_dir: Path  # where the stored evidence paths are relative to (evidence kept in a folder)
    can_write: bool = True  # False on a county installation: it reads the bureau's supervision


def load_supervision(ctx: AppContext) -> SupervisionData:
    """Every task with its notes; runs on the worker thread."""
    from zjtx_desktop.settings import installation
    from zjtx_desktop.supervision import data_folder, notes_by_task, task_overview

    today = dt.date.today()
    with ctx.sessions() as session:
        return SupervisionData(
            today,
            task_overview(session, today),
            notes_by_task(session),
            data_folder(ctx.location),
            # Editable by the city's staff; a read-only account only reads (the core refuses anyway).
            installation(session).is_city and installation(session).can_write,
        )


def delete_task_note(ctx: AppContext, note_id: int, version: int) -> None:
    """Delete a note with its audit entry (a file in the data folder stays, content in the database goes with
    it); runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.supervision import delete_note

    with transaction(ctx.sessions) as session:
        delete_note(session, ctx.actor, note_id, expected_version=version)


def fetch_evidence(ctx: AppContext, note: NoteRow, data_dir: Path) -> Path:
    """The local file to open for a note's evidence (for content in the database: read, checked and written
    to the user's cache folder); runs on the worker."""
    from zjtx_desktop.supervision import evidence_to_open

    with ctx.sessions() as session:
        return evidence_to_open(session, note, data_dir)


def open_local_file(path: Path) -> bool:
    """Open a file with the program the system associates with it (tests replace this)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def deadline_text(task: TaskRow) -> str:
    if task.deadline is None:
        return "未设定"
    text = task.deadline.isoformat()
    return f"{text}（{OVERDUE_MARK}）" if task.overdue else text


def task_cells(task: TaskRow) -> list[str]:
    latest = f"{task.latest_on.isoformat()}　{one_line(task.latest_note)}" if task.latest_on else ""
    return [
        task.numeral,
        task.title,
        task.lead_unit,
        "、".join(task.co_units),
        task.status,
        deadline_text(task),
        latest,
        str(task.note_count),
    ]


def note_cells(note: NoteRow) -> list[str]:
    return [
        note.recorded_on.isoformat(),
        note.period,
        note.status,
        one_line(note.note),
        note.evidence_name or "",
        note.recorded_by or "",
    ]


class TaskTableModel(TextRowsModel):
    """The fifteen tasks; an overdue row is tinted and its deadline says 逾期 (not colour alone)."""

    def __init__(self) -> None:
        super().__init__(TASK_HEADERS, numeric=(COL_COUNT,))
        self._overdue_brush = QBrush(QColor(OVERDUE_BACKGROUND))
        self._overdue_text = QBrush(QColor(OVERDUE_TEXT))
        self._done_text = QBrush(QColor(DONE_COMPLETE))
        self._behind_text = QBrush(QColor(BEHIND_TEXT))
        self._muted_text = QBrush(QColor(TEXT_MUTED))

    def set_tasks(self, tasks: list[TaskRow]) -> None:
        self.set_rows([(task_cells(task), task) for task in tasks])

    def task(self, row: int) -> TaskRow | None:
        return self.payload(row)  # type: ignore[no-any-return]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        task = self.task(index.row())
        if task is not None:
            if role == Qt.ItemDataRole.BackgroundRole and task.overdue:
                return self._overdue_brush
            if role == Qt.ItemDataRole.ForegroundRole:
                if task.overdue and index.column() in (COL_STATUS, COL_DEADLINE):
                    return self._overdue_text
                if index.column() == COL_STATUS and task.status == "已完成":
                    return self._done_text
                if index.column() == COL_STATUS and task.status == "滞后":
                    return self._behind_text
                if index.column() == COL_DEADLINE and task.deadline is None:
                    return self._muted_text
            if role == Qt.ItemDataRole.ToolTipRole:
                if index.column() == COL_DEADLINE and task.overdue:
                    return "已过完成时限，任务尚未完成"
                if index.column() == COL_LATEST and task.latest_on is not None:
                    return task.latest_text
                if index.column() == COL_CO:
                    return "、".join(task.co_units) or None
        return super().data(index, role)


class SupervisionPanel(QWidget):
    """政策任务督查: the task table above, the selected task's goal and dated notes below, with the actions."""

    changed = Signal()  # a write was committed: other pages showing tasks should reload
    loaded = Signal()  # show_data put new data on screen

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.data: SupervisionData | None = None
        self.job: Job | None = None  # a write under way
        self.load_job: Job | None = None
        self.fetch_job: Job | None = None  # evidence being read from the database
        self.dialog: TaskNoteDialog | TaskSettingsDialog | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(INTRO))
        self.read_only_note = note_label("本机为县级安装：政策任务督查由市局记录，这里只能查看。")
        self.read_only_note.hide()
        layout.addWidget(self.read_only_note)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("listCount")
        layout.addWidget(self.summary_label)

        self.task_model = TaskTableModel()
        self.task_table = make_table_view(self.task_model)
        header = self.task_table.horizontalHeader()
        for column, width in enumerate((48, 200, 110, 220, 70, 150, 0, 60)):
            if width:
                header.resizeSection(column, width)
        header.setSectionResizeMode(COL_LATEST, QHeaderView.ResizeMode.Stretch)
        self.task_table.selectionModel().currentRowChanged.connect(self._on_task_selected)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, SPACING, 0, 0)
        detail_layout.setSpacing(SPACING // 2 + 2)
        heading = QHBoxLayout()
        heading.setSpacing(SPACING)
        self.task_title = QLabel()
        self.task_title.setObjectName("sectionTitle")
        self.record_button = self._button("记录进展…", self.record_progress, "填写本期进展，可附证明材料")
        self.record_button.setProperty("primary", True)
        self.settings_button = self._button("修改状态/时限…", self.edit_task, "修改任务状态和完成时限")
        self.open_button = self._button("打开证明材料", self.open_evidence, "用本机关联的程序打开所选记录的证明材料")
        self.delete_button = self._button("删除记录…", self.delete_selected_note, "删除所选的进展记录")
        self.delete_button.setObjectName("dangerButton")
        heading.addWidget(self.task_title, 1)
        for button in (self.record_button, self.settings_button, self.open_button, self.delete_button):
            heading.addWidget(button)
        detail_layout.addLayout(heading)
        self.task_facts = QLabel()
        self.task_facts.setObjectName("detailHint")
        self.task_facts.setWordWrap(True)
        self.task_facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        detail_layout.addWidget(self.task_facts)

        self.note_model = TextRowsModel(NOTE_HEADERS)
        self.note_table = make_table_view(self.note_model)
        note_header = self.note_table.horizontalHeader()
        for column, width in enumerate((96, 110, 70, 0, 200, 90)):
            if width:
                note_header.resizeSection(column, width)
        note_header.setSectionResizeMode(COL_NOTE_TEXT, QHeaderView.ResizeMode.Stretch)
        self.note_table.selectionModel().currentRowChanged.connect(lambda *_args: self._update_buttons())
        self.note_table.doubleClicked.connect(lambda _index: self.open_evidence())
        self.note_table.setToolTip("双击一条记录可打开它的证明材料")
        self.no_notes = QLabel(NO_NOTES)
        self.no_notes.setObjectName("emptyState")
        self.no_notes.setWordWrap(True)
        self.no_notes.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notes_stack = QStackedWidget()
        self.notes_stack.addWidget(self.note_table)
        self.notes_stack.addWidget(self.no_notes)
        detail_layout.addWidget(self.notes_stack, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.task_table)
        self.splitter.addWidget(detail)
        # The task table gets the larger share (all fifteen rows from about 900 pixels of height up).
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([600, 400])
        layout.addWidget(self.splitter, 1)
        self._show_task(None)

    def _button(self, text: str, handler: Any, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(handler)
        return button

    # --- data -----------------------------------------------------------------------------------

    def set_context(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._update_buttons()

    def show_data(self, data: SupervisionData) -> None:
        """Show freshly loaded data, keeping the selected task (the first one at first)."""
        selected = self.selected_task()
        self.data = data
        self.task_model.set_tasks(data.tasks)
        counts = {status: sum(task.status == status for task in data.tasks) for status in ("已完成", "推进中", "滞后")}
        not_started = len(data.tasks) - sum(counts.values())
        overdue = sum(task.overdue for task in data.tasks)
        self.summary_label.setText(
            f"共 {len(data.tasks)} 项任务：已完成 {counts['已完成']} 项，推进中 {counts['推进中']} 项，"
            f"滞后 {counts['滞后']} 项，未启动 {not_started} 项"
            + (f"；{OVERDUE_MARK} {overdue} 项" if overdue else "；无逾期任务")
        )
        row = next((number for number, task in enumerate(data.tasks) if selected and task.id == selected.id), 0)
        if data.tasks:
            self.task_table.setCurrentIndex(self.task_model.index(row, 0))
        self.read_only_note.setVisible(not data.can_write)
        self._show_task(self.selected_task())
        self.loaded.emit()

    def reload(self) -> None:
        """Read the tasks again on the worker (after a write here, or when the page asks)."""
        if self.ctx is None:
            return
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: load_supervision(ctx), name="加载政策任务督查")
        self.load_job = job

        def finished(data: SupervisionData) -> None:
            if self.load_job is job:
                self.load_job = None
                self.show_data(data)

        def failed(message: str) -> None:
            if self.load_job is job:
                self.load_job = None
                self.summary_label.setText(f"加载失败：{message}")

        job.finished.connect(finished)
        job.failed.connect(failed)

    # --- selection ------------------------------------------------------------------------------

    def selected_task(self) -> TaskRow | None:
        index = self.task_table.currentIndex()
        return self.task_model.task(index.row()) if index.isValid() else None

    def select_task(self, number: int) -> bool:
        for row in range(self.task_model.rowCount()):
            task = self.task_model.task(row)
            if task is not None and task.number == number:
                self.task_table.setCurrentIndex(self.task_model.index(row, 0))
                return True
        return False

    def selected_note(self) -> NoteRow | None:
        index = self.note_table.currentIndex()
        note = self.note_model.payload(index.row()) if index.isValid() else None
        return note  # type: ignore[no-any-return]

    def notes(self) -> list[NoteRow]:
        return [self.note_model.payload(row) for row in range(self.note_model.rowCount())]

    def _on_task_selected(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_task(self.selected_task())

    def _show_task(self, task: TaskRow | None) -> None:
        if task is None:
            self.task_title.setText("请在上表中选择一项任务")
            self.task_facts.setText("")
            self.note_model.set_rows([])
            self.notes_stack.setCurrentWidget(self.note_table)
            self._update_buttons()
            return
        self.task_title.setText(f"{task.numeral}、{task.title}")
        deadline = task.deadline.isoformat() if task.deadline else "未设定"
        state = f"状态：{task.status}　完成时限：{deadline}"
        if task.overdue and task.deadline is not None and self.data is not None:
            state += f"（已{OVERDUE_MARK} {(self.data.today - task.deadline).days} 天）"
        units = f"牵头单位：{task.lead_unit}" + (f"　配合单位：{'、'.join(task.co_units)}" if task.co_units else "")
        goal = f"目标：{task.goal}" if task.goal else "目标：政策未规定可考核的量化目标"
        self.task_facts.setText(f"{state}　{units}\n{goal}")
        notes = self.data.notes.get(task.id, []) if self.data is not None else []
        self.note_model.set_rows([(note_cells(note), note) for note in notes])
        self.notes_stack.setCurrentWidget(self.note_table if notes else self.no_notes)
        if notes:
            self.note_table.setCurrentIndex(self.note_model.index(0, 0))
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.ctx is not None and self.data is not None and self.data.can_write and self.job is None
        task, note = self.selected_task(), self.selected_note()
        self.record_button.setEnabled(ready and task is not None)
        self.settings_button.setEnabled(ready and task is not None)
        self.delete_button.setEnabled(ready and note is not None)
        self.open_button.setEnabled(note is not None and note.evidence_file is not None)

    # --- actions --------------------------------------------------------------------------------

    def record_progress(self) -> TaskNoteDialog | None:
        """Open 记录进展 for the selected task; the dialog saves on the worker."""
        task = self.selected_task()
        if self.ctx is None or task is None:
            return None
        dialog = TaskNoteDialog(self.jobs, self.ctx, task, parent=self)
        self._open(dialog)
        return dialog

    def edit_task(self) -> TaskSettingsDialog | None:
        """Open 修改状态/时限 for the selected task, at the version shown."""
        task = self.selected_task()
        if self.ctx is None or task is None:
            return None
        dialog = TaskSettingsDialog(self.jobs, self.ctx, task, parent=self)
        self._open(dialog)
        return dialog

    def _open(self, dialog: TaskNoteDialog | TaskSettingsDialog) -> None:
        dialog.saved.connect(self._written)
        if self.dialog is not None and not self.dialog.isVisible():
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.open()

    def _written(self) -> None:
        self.changed.emit()
        self.reload()

    def delete_selected_note(self) -> None:
        note, task = self.selected_note(), self.selected_task()
        if self.ctx is None or note is None or task is None or self.job is not None:
            return
        evidence = ""
        if note.evidence_name and note.evidence_in_database:
            evidence = f"\n\n证明材料“{note.evidence_name}”保存在共享数据库中，将随记录一并删除。"
        elif note.evidence_name:
            evidence = f"\n\n证明材料“{note.evidence_name}”仍保留在数据文件夹中。"
        question = (
            f"删除“{task.title}”{note.recorded_on.isoformat()}（{note.period}）的进展记录吗？"
            f"删除记入操作日志，不能撤销；任务状态不会因此改变。{evidence}"
        )
        if not prompts.confirm(self, "删除进展记录", question, ok_text="删除"):
            return
        ctx, note_id, version = self.ctx, note.id, note.version
        job = self.jobs.submit(lambda _control: delete_task_note(ctx, note_id, version), name="删除进展记录")
        self.job = job
        self._update_buttons()

        def finished(_result: object) -> None:
            self.job = None
            self._written()

        def failed(message: str) -> None:
            self.job = None
            self._update_buttons()
            prompts.warn(self, "未删除", message)
            self.reload()

        job.finished.connect(finished)
        job.failed.connect(failed)

    def open_evidence(self) -> None:
        """Open the selected note's evidence file with the system's program for it."""
        from zjtx_desktop.errors import UserError
        from zjtx_desktop.supervision import evidence_path

        note = self.selected_note()
        if note is None or note.evidence_file is None or self.data is None:
            return
        if note.evidence_in_database:
            self._fetch_and_open(note, self.data.data_dir)
            return
        try:
            path = evidence_path(self.data.data_dir, note.evidence_file)
        except UserError as error:
            prompts.warn(self, "不能打开证明材料", str(error))
            return
        if not path.is_file():
            prompts.warn(self, "不能打开证明材料", f"证明材料文件已不在数据文件夹中：{path}")
            return
        self._open_file(path)

    def _fetch_and_open(self, note: NoteRow, data_dir: Path) -> None:
        """Read the note's evidence from the server's database on the worker, then open the local copy."""
        if self.ctx is None or self.fetch_job is not None:
            return
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: fetch_evidence(ctx, note, data_dir), name="读取证明材料")
        self.fetch_job = job

        def finished(path: Path) -> None:
            self.fetch_job = None
            self._open_file(path)

        def failed(message: str) -> None:
            self.fetch_job = None
            prompts.warn(self, "不能打开证明材料", message)

        job.finished.connect(finished)
        job.failed.connect(failed)

    def _open_file(self, path: Path) -> None:
        if not open_local_file(path):
            prompts.warn(self, "不能打开证明材料", f"本机没有能打开这个文件的程序：{path}")
