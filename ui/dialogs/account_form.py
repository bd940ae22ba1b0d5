"""The frame shared by the account dialogs: fields with a hint or a red problem under each, a save on the worker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.field_form import ProblemLike, set_severity
from ui.jobs import Job, JobRunner
from ui.theme import PAGE_MARGIN, SPACING
from zjtx_desktop.passwords import MAX_LENGTH, MIN_LENGTH, password_problem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.context import AppContext

EDITOR_WIDTH = 280
PASSWORD_HINT = f"至少 {MIN_LENGTH} 个字符、3 种不同的字符，不能是用户名或连续数字"
MISMATCH = "两次输入的密码不一致"
BUSY_TEXT = "正在保存…"
STALE_MESSAGE = "该账户已被其他人修改，请重新打开后再改"


@dataclass(frozen=True)
class FieldProblem:
    """A problem found here before asking the core (the core's own are zjtx_desktop.registry.Problem);
    this module stays importable without SQLAlchemy, for the sign-in flow's start-up."""

    field: str | None
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class WriteOutcome:
    """What an account write came to: done (with the service's return value), refused field by field, or a
    version conflict. A refusal as a whole (PermissionDenied, NotFound) fails the job with its message."""

    value: Any = None
    problems: list[ProblemLike] = field(default_factory=list)
    conflict: str | None = None

    @property
    def succeeded(self) -> bool:
        return not self.problems and self.conflict is None


def write_account(ctx: AppContext, write: Callable[[Session], Any]) -> WriteOutcome:
    """`write(session)` in one transaction with its audit entry; runs on the worker."""
    from sqlalchemy.orm.exc import StaleDataError

    from zjtx_desktop.database import transaction
    from zjtx_desktop.registry import ValidationFailed, VersionConflict

    try:
        with transaction(ctx.sessions) as session:
            value = write(session)
    except ValidationFailed as error:
        return WriteOutcome(problems=list(error.problems))
    except VersionConflict as error:
        return WriteOutcome(conflict=str(error))
    except StaleDataError:  # changed between the service's version check and the flush
        return WriteOutcome(conflict=STALE_MESSAGE)
    return WriteOutcome(value)


def password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(MAX_LENGTH)
    return edit


def new_password_problems(password: str, confirm: str, username: str, key: str, confirm_key: str) -> list[ProblemLike]:
    """The checks that need no database, shown at once: the rules, and the second entry matching the first."""
    problems: list[ProblemLike] = []
    rule = password_problem(password, username)
    if rule:
        problems.append(FieldProblem(key, rule))
    if confirm != password:
        problems.append(FieldProblem(confirm_key, MISMATCH))
    return problems


class AccountFormDialog(QDialog):
    """A heading, an introduction, a form whose fields each have a message line, and 取消 / the save button.

    Subclasses add their fields with `add_field`, and on save call `submit(work)` with work that returns a
    WriteOutcome; problems come back beside their fields, a conflict or refusal as a message box. While
    the save runs the dialog cannot be closed. On success `saved` carries a sentence for the caller's status
    line and the dialog is accepted; after a version conflict it closes with `outdated`.
    """

    saved = Signal(str)
    outdated = Signal()  # a version conflict: what the dialog showed was changed elsewhere

    def __init__(
        self,
        ctx: AppContext,
        jobs: JobRunner,
        title: str,
        intro: str,
        *,
        save_text: str = "保存",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.jobs = jobs
        self.job: Job | None = None
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.heading = QLabel(title)
        self.heading.setObjectName("dialogTitle")
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setObjectName("detailHint")
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(SPACING * 2)
        self.form.setVerticalSpacing(SPACING)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.general = QLabel()  # problems of no particular field
        self.general.setObjectName("formSummary")
        self.general.setWordWrap(True)
        set_severity(self.general, "error")
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton(save_text)
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        buttons.setSpacing(SPACING)
        buttons.addWidget(self.general, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING + 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._messages: dict[str, QLabel] = {}
        self._hints: dict[str, str] = {}

    def add_field(self, key: str, label: str, editor: QWidget, hint: str = "") -> None:
        """A row: the editor and, under it, its hint in grey, replaced by its problem in red."""
        message = QLabel(hint)
        message.setObjectName("fieldMessage")
        message.setWordWrap(True)
        message.setVisible(bool(hint))
        set_severity(message, "hint")
        if isinstance(editor, QLineEdit):
            editor.setMinimumWidth(EDITOR_WIDTH)
            editor.textEdited.connect(lambda _text: self._clear(key))
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        column.addWidget(message)
        self.form.addRow(f"{label}：", cell)
        self._messages[key] = message
        self._hints[key] = hint

    def message(self, key: str) -> str:
        """The text under a field (its problem, or its hint); "" for the whole-form line."""
        return self._messages[key].text() if key else self.general.text()

    def show_problems(self, problems: Sequence[ProblemLike]) -> None:
        """Each problem under its field, the rest on the line beside the buttons; other fields back to their hints."""
        by_field: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in problems:
            if problem.field in self._messages:
                by_field.setdefault(problem.field, []).append(problem.message)
            else:
                general.append(problem.message)
        for key in self._messages:
            if key in by_field:
                self._set_message(key, "；".join(by_field[key]), "error")
            else:
                self._clear(key)
        self.general.setText("；".join(general))

    def _set_message(self, key: str, text: str, severity: str) -> None:
        label = self._messages[key]
        label.setText(text)
        label.setVisible(bool(text))
        set_severity(label, severity)

    def _clear(self, key: str) -> None:
        self._set_message(key, self._hints[key], "hint")

    # --- saving -------------------------------------------------------------------------------

    def save(self) -> None:
        """Check what needs no database, then hand the write to the worker (see `submit`)."""
        raise NotImplementedError

    def submit(self, work: Callable[[], WriteOutcome], name: str) -> Job | None:
        if self.job is not None:
            return None
        job = self.jobs.submit(lambda _control: work(), name=name)
        self.job = job
        self._set_busy(True)
        job.finished.connect(self._on_outcome)
        job.failed.connect(self._on_failed)
        return job

    def is_saving(self) -> bool:
        return self.job is not None

    def succeeded(self, outcome: WriteOutcome) -> str:
        """The sentence for the caller's status line once the write is done."""
        raise NotImplementedError

    def _set_busy(self, busy: bool) -> None:
        # Checking and hashing a password takes a noticeable moment with the production cost.
        self.save_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)
        self.general.setText(BUSY_TEXT if busy else "")
        set_severity(self.general, "hint" if busy else "error")

    def _on_outcome(self, outcome: WriteOutcome) -> None:
        self.job = None
        self._set_busy(False)
        if outcome.conflict is not None:
            prompts.warn(self, self.windowTitle(), outcome.conflict)
            super().reject()
            self.outdated.emit()
            return
        if outcome.problems:
            self.show_problems(outcome.problems)
            return
        self.show_problems([])
        self.saved.emit(self.succeeded(outcome))
        self.accept()

    def _on_failed(self, message: str) -> None:
        self.job = None
        self._set_busy(False)
        prompts.warn(self, self.windowTitle(), message)

    def reject(self) -> None:
        if self.job is not None:
            return  # let the write finish first
        super().reject()
