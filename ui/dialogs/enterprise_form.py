"""新增 / 编辑企业: the intake form, generated from ENTERPRISE_FIELDS and checked by the registry while typing.

Every change is checked ~200 ms after the last keystroke by `registry.validate_enterprise` on the
database worker (a few indexed queries), and the findings appear beside the fields: errors in red
(a wrong check character names the expected one; a code already registered offers 打开该企业),
warnings in amber (the code's area does not match the unit). Saving goes through `create_enterprise`
or `update_enterprise`, which validate again and record the audit entry; a record changed elsewhere
since it was opened is reported, never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.field_form import Choices, FieldForm, FormCheck, set_severity
from ui.jobs import Job, JobRunner
from ui.theme import PAGE_MARGIN, SPACING
from zjtx_desktop.clock import format_local
from zjtx_desktop.fields import ENTERPRISE_FIELDS, ENTERPRISE_SECTIONS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.context import AppContext
    from zjtx_desktop.registry import EnterpriseRecord, Problem
    from zjtx_desktop.settings import Installation

# Validation runs this long after the last change: one check per pause in typing, not per key.
VALIDATION_DELAY_MS = 200
NEW_TITLE = "新增企业"


@dataclass(frozen=True)
class FormSetup:
    """What the form offers, read once on the worker."""

    choices: Choices
    default_unit: str | None  # a county installation: its own unit
    unit_locked: bool  # a county installation enters only its own unit's enterprises
    is_city: bool = True


def load_form_setup(session: Session, inst: Installation) -> FormSetup:
    """Units, industries and tiers for the pickers; runs on the worker."""
    from sqlalchemy import select

    from zjtx_desktop.models import Industry, Program, Region

    units = select(Region.code, Region.name).order_by(Region.sort_order)
    if not inst.is_city:
        units = units.where(Region.code == inst.unit_code)
    choices = Choices(
        units=tuple((code, name) for code, name in session.execute(units)),
        industries=tuple(
            (code, f"{code} {name}")
            for code, name in session.execute(select(Industry.code, Industry.name).order_by(Industry.code))
        ),
        programs=tuple(
            (code, name)
            for code, name in session.execute(select(Program.code, Program.name).order_by(Program.sort_order))
        ),
    )
    return FormSetup(choices, None if inst.is_city else inst.unit_code, not inst.is_city, inst.is_city)


@dataclass(frozen=True)
class SaveOutcome:
    """What a save came to: the saved record, or the problems that stopped it, or a version conflict."""

    record: EnterpriseRecord | None
    problems: list[Problem] = field(default_factory=list)
    conflict: str | None = None


def check_enterprise(ctx: AppContext, values: Mapping[str, Any], enterprise_id: int | None) -> list[Problem]:
    """validate_enterprise over the form's values; runs on the worker."""
    from zjtx_desktop.registry import prepare_values, validate_enterprise

    with ctx.sessions() as session:
        return validate_enterprise(session, prepare_values(values), enterprise_id=enterprise_id)


def save_enterprise(
    ctx: AppContext, values: Mapping[str, Any], enterprise_id: int | None, version: int | None
) -> SaveOutcome:
    """Create, or update the fields given; runs on the worker, in one transaction with its audit entry."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.registry import (
        ValidationFailed,
        VersionConflict,
        create_enterprise,
        get_enterprise,
        update_enterprise,
    )

    try:
        with transaction(ctx.sessions) as session:
            if enterprise_id is None:
                record = create_enterprise(session, ctx.actor, values)
            else:
                assert version is not None
                update_enterprise(session, ctx.actor, enterprise_id, version, values)
                record = get_enterprise(session, enterprise_id)
    except ValidationFailed as error:
        return SaveOutcome(None, list(error.problems))
    except VersionConflict as error:
        return SaveOutcome(None, conflict=str(error))
    return SaveOutcome(record)


def load_record(ctx: AppContext, enterprise_id: int) -> EnterpriseRecord:
    from zjtx_desktop.registry import get_enterprise

    with ctx.sessions() as session:
        return get_enterprise(session, enterprise_id)


def dialog_size(width: int, height: int) -> tuple[int, int]:
    """A dialog size that fits the screen (1366×768 at 100 % leaves about 1366×728)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return width, height
    available = screen.availableGeometry()
    return min(width, available.width() - 40), min(height, available.height() - 40)


class EnterpriseFormDialog(QDialog):
    """The intake form for a new enterprise (record None) or the correction of an existing one."""

    saved = Signal(object)  # the EnterpriseRecord as saved
    open_enterprise = Signal(int)  # the clerk asked to open the enterprise that already has this code

    def __init__(
        self,
        jobs: JobRunner,
        ctx: AppContext,
        setup: FormSetup,
        record: EnterpriseRecord | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx = ctx
        self.setup = setup
        self.record = record
        self.check: FormCheck | None = None
        self._validation_generation = 0
        self._saved_generation = 0
        self._validation_job: Job | None = None
        self._save_job: Job | None = None
        self._and_new = False
        self._discard_confirmed = False

        self.setObjectName("enterpriseForm")
        self.setModal(False)
        self.resize(*dialog_size(1000, 720))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING)
        self.heading = QLabel()
        self.heading.setObjectName("dialogTitle")
        self.subheading = QLabel()
        self.subheading.setObjectName("pageSubtitle")
        layout.addWidget(self.heading)
        layout.addWidget(self.subheading)

        self.form = FieldForm(ENTERPRISE_FIELDS, setup.choices, sections=ENTERPRISE_SECTIONS)
        scroll = QScrollArea()
        scroll.setObjectName("formScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        holder = QWidget()
        holder.setObjectName("formHolder")
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 8, 0)
        holder_layout.addWidget(self.form)
        holder_layout.addStretch(1)
        scroll.setWidget(holder)
        self.scroll_area = scroll
        layout.addWidget(scroll, 1)

        self.summary = QLabel()
        self.summary.setObjectName("formSummary")
        self.summary.setWordWrap(True)
        self.save_and_new_button = QPushButton("保存并新增")
        self.save_and_new_button.setAutoDefault(False)
        self.save_and_new_button.setToolTip("保存这家企业，然后清空表单录入下一家")
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton("保存")
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)
        buttons = QHBoxLayout()
        buttons.setSpacing(SPACING)
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.save_and_new_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATION_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self.form.changed.connect(self._on_changed)
        self.save_button.clicked.connect(lambda: self.save(and_new=False))
        self.save_and_new_button.clicked.connect(lambda: self.save(and_new=True))
        self.cancel_button.clicked.connect(self.reject)

        self._load(record)

    # --- filling ------------------------------------------------------------------------------

    @property
    def is_new(self) -> bool:
        return self.record is None

    def _load(self, record: EnterpriseRecord | None) -> None:
        self.record = record
        if record is None:
            self.setWindowTitle(NEW_TITLE)
            self.heading.setText(NEW_TITLE)
            self.subheading.setText("带 * 的为必填项。填写时即时校验，红色为必须更正的错误，橙色为请核对的提醒。")
            values: dict[str, Any] = {"region_code": self.setup.default_unit}
        else:
            self.setWindowTitle(f"编辑企业 — {record.name}")
            self.heading.setText(f"编辑企业：{record.name}")
            updated = format_local(record.updated_at)
            self.subheading.setText(f"最后修改 {updated}　·　只保存改动过的字段，每项改动记入变更历史。")
            values = dict(record.values)
        self.form.set_values(values)
        self.form.set_locked("region_code", self.setup.unit_locked)
        self.save_and_new_button.setVisible(record is None)
        self.check = None
        self.validate_now()
        self.form.focus_field("name")

    def values(self) -> dict[str, Any]:
        return self.form.values()

    def set_field_text(self, key: str, value: Any) -> None:
        """Put a value in a field as if typed (for tests and scripted screenshots)."""
        editor = self.form.editor(key)
        editor.set_value(value)

    # --- checking -----------------------------------------------------------------------------

    def _on_changed(self, _key: str) -> None:
        self._timer.start()

    def validation_pending(self) -> bool:
        return self._timer.isActive() or self._validation_job is not None

    def validate_now(self) -> None:
        """Check the values now (normally ~200 ms after the last change); results of older checks are dropped."""
        self._timer.stop()
        self._validation_generation += 1
        generation = self._validation_generation
        values = self.values()
        enterprise_id = self.record.id if self.record is not None else None
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: check_enterprise(ctx, values, enterprise_id), name="校验企业信息")
        self._validation_job = job
        job.finished.connect(lambda problems: self._show_check(generation, problems))
        job.failed.connect(lambda message: self._check_failed(generation, message))

    def _show_check(self, generation: int, problems: list[Problem], *, reveal_all: bool = False) -> None:
        if generation != self._validation_generation:
            return  # a newer check is on its way
        self._validation_job = None
        self.check = self.form.show_problems(problems, reveal_all=reveal_all)
        duplicate = next((p for p in problems if p.existing_id is not None), None)
        if duplicate is not None and duplicate.existing_id is not None:
            existing = duplicate.existing_id
            self.form.set_action("uscc", "打开该企业", lambda: self.open_enterprise.emit(existing))
        else:
            self.form.set_action("uscc", None)
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

    def _update_summary(self, note: str = "") -> None:
        check = self.check
        text = check.summary() if check is not None else ""
        severity = "error" if check is not None and (check.errors or check.general) else "hint"
        if check is not None and not check.has_errors and check.warnings:
            severity = "warning"
        if note and not (check is not None and check.has_errors):
            text, severity = note, "hint"
        self.summary.setText(text)
        set_severity(self.summary, severity)
        self._update_buttons()

    def _update_buttons(self) -> None:
        saving = self._save_job is not None
        blocked = self.check is not None and self.check.has_errors
        self.save_button.setEnabled(not saving and not blocked)
        self.save_and_new_button.setEnabled(not saving and not blocked)
        self.save_button.setToolTip("请先更正标红的项目" if blocked else "")

    # --- saving -------------------------------------------------------------------------------

    def save(self, *, and_new: bool = False) -> None:
        """Save in the background; the services validate again, so a check still under way is no risk."""
        if self._save_job is not None:
            return
        self._timer.stop()
        self._and_new = and_new
        if self.record is None:
            values = self.values()
            enterprise_id, version = None, None
        else:
            # Only what the clerk changed: numbers shown rounded must not be written back as changes.
            changed = self.form.changed_keys()
            values = {key: value for key, value in self.values().items() if key in changed}
            enterprise_id, version = self.record.id, self.record.version
        if self.form.parse_errors():
            self._show_now([])
            return
        ctx = self.ctx
        job = self.jobs.submit(
            lambda _control: save_enterprise(ctx, values, enterprise_id, version), name="保存企业信息"
        )
        self._save_job = job
        self._saved_generation = self._validation_generation
        self._update_buttons()
        job.finished.connect(self._on_saved)
        job.failed.connect(self._on_save_failed)

    def is_saving(self) -> bool:
        return self._save_job is not None

    def _on_saved(self, outcome: SaveOutcome) -> None:
        self._save_job = None
        if outcome.conflict is not None:
            self._update_buttons()
            prompts.warn(self, "未保存", outcome.conflict)
            return
        if outcome.record is None:
            if self._validation_generation != self._saved_generation or self._timer.isActive():
                self.validate_now()  # edited while saving: the refusal concerns values no longer there
                return
            self._show_now(outcome.problems)
            return
        record = outcome.record
        self.saved.emit(record)
        if self._and_new:
            self._load(None)
            self._update_summary(f"已保存“{record.name}”。可以继续录入下一家企业。")
            return
        self._discard_confirmed = True
        self.accept()

    def _on_save_failed(self, message: str) -> None:
        self._save_job = None
        self._update_buttons()
        prompts.warn(self, "未保存", message)

    # --- closing ------------------------------------------------------------------------------

    def reject(self) -> None:
        """Cancel, Esc or the close box: ask before throwing away what was typed."""
        if self._save_job is not None:
            return  # let the save finish first
        if not self._discard_confirmed and self.form.is_dirty():
            name = self.values().get("name") or "这家企业"
            question = f"“{name}”的修改尚未保存。放弃这些修改吗？"
            if not prompts.confirm(self, "放弃修改", question, ok_text="放弃修改", cancel_text="继续编辑"):
                return
        self._discard_confirmed = True
        self._timer.stop()
        super().reject()
