"""政策任务督查's dialogs: record a dated progress note with an evidence file, and change a task's status or deadline.

Both are checked while typing and saved on the worker through `zjtx_desktop.supervision` (`add_note`,
`update_task`), which check again, keep the evidence (a copy in the data folder beside a SQLite file, the
content in the database on a server), compare versions and write the audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ui.dialogs import prompts
from ui.dialogs.enterprise_form import dialog_size
from ui.dialogs.validating_dialog import ValidatingFormDialog, summary_label
from ui.field_form import Choices, FieldForm, set_severity
from ui.jobs import JobRunner
from ui.theme import PAGE_MARGIN, SPACING

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.registry import Problem
    from zjtx_desktop.supervision import TaskRow

EVIDENCE_FILTERS = "常用材料 (*.pdf *.doc *.docx *.xls *.xlsx *.jpg *.jpeg *.png *.ofd *.zip *.rar);;所有文件 (*)"
EVIDENCE_HINT = "保存时复制一份到数据文件夹的 evidence 目录中，原文件不受影响。"
EVIDENCE_HINT_SERVER = "保存时将文件内容一并保存到共享数据库中，各台电脑都能打开；原文件不受影响。"
EVIDENCE_PLACEHOLDER = "可不选：会议纪要、文件、照片等，单个文件不超过 50 MB"


@dataclass(frozen=True)
class WriteOutcome:
    """What a save came to: done, or the problems that stopped it, or a version conflict."""

    done: bool
    problems: list[Problem] = field(default_factory=list)
    conflict: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.done


def check_note(values: Mapping[str, Any], evidence: Path | None) -> list[Problem]:
    """validate_note over the form's values and the chosen file; runs on the worker (it reads the disk)."""
    from zjtx_desktop.supervision import validate_note

    return validate_note(values, evidence)


def save_note(ctx: AppContext, task_id: int, values: Mapping[str, Any], evidence: Path | None) -> WriteOutcome:
    """Add the note (keeping the evidence) in one transaction with its audit entries; runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.registry import ValidationFailed
    from zjtx_desktop.supervision import add_note, data_folder

    try:
        with transaction(ctx.sessions) as session:
            add_note(
                session,
                ctx.actor,
                task_id,
                period=values.get("period") or "",
                recorded_on=values.get("recorded_on"),  # type: ignore[arg-type]  # None is refused by validation
                status=values.get("status") or "",
                note=values.get("note") or "",
                evidence=evidence,
                data_dir=data_folder(ctx.location),
            )
    except ValidationFailed as error:
        return WriteOutcome(False, list(error.problems))
    return WriteOutcome(True)


def check_task(values: Mapping[str, Any]) -> list[Problem]:
    from zjtx_desktop.supervision import validate_task

    return validate_task(values)


def save_task(ctx: AppContext, task_id: int, version: int, values: Mapping[str, Any]) -> WriteOutcome:
    """Set the task's status and deadline, checking the version it was opened at; runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.registry import ValidationFailed, VersionConflict
    from zjtx_desktop.supervision import update_task

    try:
        with transaction(ctx.sessions) as session:
            update_task(
                session,
                ctx.actor,
                task_id,
                status=values.get("status") or "",
                deadline=values.get("deadline"),
                expected_version=version,
            )
    except ValidationFailed as error:
        return WriteOutcome(False, list(error.problems))
    except VersionConflict as error:
        return WriteOutcome(False, conflict=str(error))
    return WriteOutcome(True)


def _layout(dialog: QWidget, heading_text: str) -> QVBoxLayout:
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
    layout.setSpacing(SPACING)
    heading = QLabel(heading_text)
    heading.setObjectName("dialogTitle")
    heading.setWordWrap(True)
    layout.addWidget(heading)
    return layout


class _TaskDialog(ValidatingFormDialog[WriteOutcome]):
    """The buttons and lifecycle the two dialogs share."""

    saved = Signal()

    def _finish(self, layout: QVBoxLayout, save_text: str) -> None:
        self.summary = summary_label()
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton(save_text)
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._connect_lifecycle()
        self.save_button.clicked.connect(self.save)

    def _on_save_succeeded(self, outcome: WriteOutcome) -> None:
        self.saved.emit()
        self._close_saved()

    def _confirm_discard(self) -> bool:
        return prompts.confirm(self, "放弃填写", "填写的内容尚未保存。放弃吗？", ok_text="放弃", cancel_text="继续填写")


class TaskNoteDialog(_TaskDialog):
    """记录进展: period, date, status (which becomes the task's), the note, and an optional evidence file."""

    VALIDATION_JOB_NAME = "校验进展记录"
    SAVE_JOB_NAME = "保存进展记录"

    def __init__(
        self,
        jobs: JobRunner,
        ctx: AppContext,
        task: TaskRow,
        *,
        today: dt.date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        from zjtx_desktop.supervision import NOTE_FIELDS

        super().__init__(jobs, ctx, parent)
        self.task = task
        self.evidence: Path | None = None
        self.setWindowTitle(f"记录进展 — {task.title}")
        self.resize(*dialog_size(780, 400))
        layout = _layout(self, f"记录进展：{task.numeral}、{task.title}")

        self.form = FieldForm(NOTE_FIELDS, Choices())
        layout.addWidget(self.form)

        # The evidence file: not a FieldSpec (it is a file on disk, not a value), so it has its own row,
        # aligned with the form's labels.
        self.evidence_edit = QLineEdit()
        self.evidence_edit.setReadOnly(True)
        self.evidence_edit.setPlaceholderText(EVIDENCE_PLACEHOLDER)
        self.choose_button = QPushButton("选择文件…")
        self.choose_button.setAutoDefault(False)
        self.choose_button.clicked.connect(self.choose_evidence)
        self.clear_button = QPushButton("清除")
        self.clear_button.setAutoDefault(False)
        self.clear_button.clicked.connect(lambda: self.set_evidence(None))
        evidence_label = QLabel("证明材料")
        label_width = max(label.minimumWidth() for label in self.form.labels.values())
        evidence_label.setMinimumWidth(label_width)
        evidence_label.setAlignment(self.form.labels["period"].alignment())
        evidence_row = QHBoxLayout()
        evidence_row.setSpacing(SPACING)
        evidence_row.addWidget(evidence_label)
        evidence_row.addWidget(self.evidence_edit, 1)
        evidence_row.addWidget(self.choose_button)
        evidence_row.addWidget(self.clear_button)
        layout.addLayout(evidence_row)
        # Where the file goes depends on the database: a folder beside a SQLite file, the server's database.
        self.evidence_hint = EVIDENCE_HINT if ctx.location.is_sqlite else EVIDENCE_HINT_SERVER
        self.evidence_note = QLabel(self.evidence_hint)
        self.evidence_note.setObjectName("fieldMessage")
        self.evidence_note.setWordWrap(True)
        self.evidence_note.setContentsMargins(label_width + SPACING, 0, 0, 0)
        layout.addWidget(self.evidence_note)

        self._finish(layout, "保存")
        self._update_evidence_buttons()
        self.form.set_values(self.default_values(today or dt.date.today()))
        self.validate_now()

    def default_values(self, today: dt.date) -> dict[str, Any]:
        """A new note starts at today's date, this year as the period and the task's current status."""
        status = self.task.status if self.task.status != "未启动" else "推进中"
        return {"period": str(today.year), "recorded_on": today, "status": status}

    def choose_evidence(self) -> None:
        start = str(self.evidence.parent) if self.evidence is not None else str(Path.home())
        chosen = prompts.choose_open_path(self, "选择证明材料", start, EVIDENCE_FILTERS)
        if chosen:
            self.set_evidence(Path(chosen))

    def set_evidence(self, path: Path | None) -> None:
        """Attach (or, with None, detach) the evidence file; it is checked with the rest of the form."""
        self.evidence = path
        self.evidence_edit.setText(str(path) if path is not None else "")
        self.evidence_edit.setToolTip(str(path) if path is not None else "")
        self._update_evidence_buttons()
        self._on_changed("evidence")

    def _update_evidence_buttons(self) -> None:
        self.clear_button.setEnabled(self.evidence is not None)

    def _on_checked(self, problems: list[Problem]) -> None:
        """A problem with the file is shown under the file, not under the form (where the form puts it)."""
        from zjtx_desktop.supervision import EVIDENCE_KEY

        messages = [problem.message for problem in problems if problem.field == EVIDENCE_KEY]
        others = [problem for problem in problems if problem.field not in self.form.editors]
        if messages and len(messages) == len(others):
            self.form.general_message.hide()
        self.evidence_note.setText("；".join(messages) or self.evidence_hint)
        set_severity(self.evidence_note, "error" if messages else "hint")

    def _validation_work(self) -> Callable[[], list[Problem]]:
        values, evidence = self.form.values(), self.evidence
        return lambda: check_note(values, evidence)

    def _save_work(self) -> Callable[[], WriteOutcome]:
        ctx, task_id, values, evidence = self.ctx, self.task.id, self.form.values(), self.evidence
        return lambda: save_note(ctx, task_id, values, evidence)


class TaskSettingsDialog(_TaskDialog):
    """修改状态/时限: a task's status and deadline, saved only if nobody changed the task meanwhile."""

    VALIDATION_JOB_NAME = "校验任务"
    SAVE_JOB_NAME = "保存任务"

    def __init__(self, jobs: JobRunner, ctx: AppContext, task: TaskRow, parent: QWidget | None = None) -> None:
        from zjtx_desktop.supervision import TASK_FIELDS

        super().__init__(jobs, ctx, parent)
        self.task = task
        self.setWindowTitle(f"修改状态和完成时限 — {task.title}")
        self.resize(*dialog_size(640, 200))
        layout = _layout(self, f"修改状态和完成时限：{task.numeral}、{task.title}")
        self.form = FieldForm(TASK_FIELDS, Choices())
        layout.addWidget(self.form)
        self._finish(layout, "保存")
        self.form.set_values({"status": task.status, "deadline": task.deadline})
        self.validate_now()

    def _validation_work(self) -> Callable[[], list[Problem]]:
        values = self.form.values()
        return lambda: check_task(values)

    def _save_work(self) -> Callable[[], WriteOutcome]:
        ctx, task, values = self.ctx, self.task, self.form.values()
        return lambda: save_task(ctx, task.id, task.version, values)
