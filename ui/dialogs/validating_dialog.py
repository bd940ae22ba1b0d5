"""The validate-while-typing and save lifecycle shared by the intake form and the record editors.

A change starts a short timer; when it runs out the values are checked on the worker and the findings
shown beside the fields (results of older checks are dropped). Saving runs on the worker too: the
services check again, so a refusal is shown in full — unless the form was edited meanwhile, when it is
checked afresh instead — and a version conflict is reported, never overwritten. Cancel asks before
throwing away what was typed and waits for a save under way.

Subclasses build the form, the summary label and the buttons, call `_connect_lifecycle`, and supply
the hooks: `_validation_work`, `_save_work`, `_on_save_succeeded` and `_confirm_discard`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ui.dialogs import prompts
from ui.field_form import FieldForm, FormCheck, set_severity
from ui.jobs import Job, JobRunner

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.registry import Problem

# Validation runs this long after the last change: one check per pause in typing, not per key.
VALIDATION_DELAY_MS = 200


class SaveResult(Protocol):
    """What a save came to, as far as the lifecycle cares."""

    @property
    def succeeded(self) -> bool: ...

    @property
    def problems(self) -> list[Problem]: ...

    @property
    def conflict(self) -> str | None: ...


OutcomeT = TypeVar("OutcomeT", bound=SaveResult)


def scrolling_form(form: FieldForm) -> QScrollArea:
    """The form in a frameless scroll area, with room for the scroll bar and a stretch below."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    holder = QWidget()
    holder.setObjectName("formHolder")
    holder_layout = QVBoxLayout(holder)
    holder_layout.setContentsMargins(0, 0, 8, 0)
    holder_layout.addWidget(form)
    holder_layout.addStretch(1)
    scroll.setWidget(holder)
    return scroll


def summary_label() -> QLabel:
    """The line beside the buttons that sums up the last check."""
    summary = QLabel()
    summary.setObjectName("formSummary")
    summary.setWordWrap(True)
    return summary


class ValidatingFormDialog(QDialog, Generic[OutcomeT]):
    """A form checked while typing and saved in the background; subclasses say how to check and save."""

    VALIDATION_JOB_NAME = "校验"
    SAVE_JOB_NAME = "保存"

    form: FieldForm
    summary: QLabel
    save_button: QPushButton
    cancel_button: QPushButton

    def __init__(self, jobs: JobRunner, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx = ctx
        self.check: FormCheck | None = None
        self._validation_generation = 0
        self._saved_generation = 0
        self._validation_job: Job | None = None
        self._save_job: Job | None = None
        self._discard_confirmed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATION_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)

    def _connect_lifecycle(self) -> None:
        """Check after each pause in typing; Cancel goes through `reject`. Call once the form is built."""
        self.form.changed.connect(self._on_changed)
        self.cancel_button.clicked.connect(self.reject)

    # --- hooks --------------------------------------------------------------------------------

    def _validation_work(self) -> Callable[[], list[Problem]]:
        """What checks the current values on the worker (capture the values now, not in the work)."""
        raise NotImplementedError

    def _save_work(self) -> Callable[[], OutcomeT]:
        """What saves the current values on the worker (capture the values now, not in the work)."""
        raise NotImplementedError

    def _on_save_succeeded(self, outcome: OutcomeT) -> None:
        """A save went through: announce it, then usually `_close_saved()`."""
        raise NotImplementedError

    def _confirm_discard(self) -> bool:
        """Ask whether to throw away unsaved changes."""
        raise NotImplementedError

    def _on_checked(self, problems: list[Problem]) -> None:
        """After a check's findings are on the form, before the summary; nothing by default."""

    # --- checking -----------------------------------------------------------------------------

    def _on_changed(self, _key: str) -> None:
        self._timer.start()

    def validation_pending(self) -> bool:
        return self._timer.isActive() or self._validation_job is not None

    def validate_now(self) -> None:
        """Check the values now (normally shortly after the last change); results of older checks are dropped."""
        self._timer.stop()
        self._validation_generation += 1
        generation = self._validation_generation
        work = self._validation_work()
        job = self.jobs.submit(lambda _control: work(), name=self.VALIDATION_JOB_NAME)
        self._validation_job = job
        job.finished.connect(lambda problems: self._show_check(generation, problems))
        job.failed.connect(lambda message: self._check_failed(generation, message))

    def _show_check(self, generation: int, problems: list[Problem], *, reveal_all: bool = False) -> None:
        if generation != self._validation_generation:
            return  # a newer check is on its way
        self._validation_job = None
        self.check = self.form.show_problems(problems, reveal_all=reveal_all)
        self._on_checked(problems)
        self._update_summary()

    def _show_now(self, problems: list[Problem]) -> None:
        """Show problems found by a save, every one of them (empty required fields too)."""
        self._validation_generation += 1
        self._show_check(self._validation_generation, problems, reveal_all=True)

    def _check_failed(self, generation: int, message: str) -> None:
        if generation == self._validation_generation:
            self._validation_job = None
            self.summary.setText(f"暂时无法校验：{message}")
            set_severity(self.summary, "error")

    def _update_summary(self) -> None:
        check = self.check
        if check is not None:
            self.summary.setText(check.summary())
            severity = "error" if check.errors or check.general else "warning" if check.warnings else "hint"
            set_severity(self.summary, severity)
        self._update_buttons()

    def _save_blocked(self) -> bool:
        return self.check is not None and self.check.has_errors

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self._save_job is None and not self._save_blocked())

    # --- saving -------------------------------------------------------------------------------

    def save(self) -> None:
        """Save in the background; the services validate again, so a check still under way is no risk."""
        if self._save_job is not None:
            return
        self._timer.stop()
        if self.form.parse_errors():
            self._show_now([])
            return
        work = self._save_work()
        job = self.jobs.submit(lambda _control: work(), name=self.SAVE_JOB_NAME)
        self._save_job = job
        self._saved_generation = self._validation_generation
        self._update_buttons()
        job.finished.connect(self._on_saved)
        job.failed.connect(self._on_save_failed)

    def is_saving(self) -> bool:
        return self._save_job is not None

    def _on_saved(self, outcome: OutcomeT) -> None:
        self._save_job = None
        if outcome.conflict is not None:
            self._update_buttons()
            prompts.warn(self, "未保存", outcome.conflict)
            return
        if not outcome.succeeded:
            if self._validation_generation != self._saved_generation or self._timer.isActive():
                self.validate_now()  # edited while saving: the refusal concerns values no longer there
                return
            self._show_now(outcome.problems)
            return
        self._on_save_succeeded(outcome)

    def _on_save_failed(self, message: str) -> None:
        self._save_job = None
        self._update_buttons()
        prompts.warn(self, "未保存", message)

    def _close_saved(self) -> None:
        self._discard_confirmed = True
        self.accept()

    # --- closing ------------------------------------------------------------------------------

    def reject(self) -> None:
        """Cancel, Esc or the close box: ask before throwing away what was typed."""
        if self._save_job is not None:
            return  # let the save finish first
        if not self._discard_confirmed and self.form.is_dirty() and not self._confirm_discard():
            return
        self._discard_confirmed = True
        self._timer.stop()
        super().reject()
