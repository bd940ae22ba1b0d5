"""新增 / 编辑企业: the intake form, generated from ENTERPRISE_FIELDS and checked by the registry while typing.

Every change is checked ~200 ms after the last keystroke by `registry.validate_enterprise` on the
database worker (a few indexed queries), and the findings appear beside the fields: errors in red
(a wrong check character names the expected one; a code already registered offers 打开该企业),
warnings in amber (the code's area does not match the unit). Saving goes through `create_enterprise`
or `update_enterprise`, which validate again and record the audit entry; a record changed elsewhere
since it was opened is reported, never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.dialogs import prompts
from ui.dialogs.validating_dialog import ValidatingFormDialog, scrolling_form, summary_label
from ui.field_form import Choices, FieldForm, set_severity
from ui.jobs import JobRunner
from ui.theme import PAGE_MARGIN, SPACING
from zjtx_desktop.clock import format_local
from zjtx_desktop.fields import ENTERPRISE_FIELDS, ENTERPRISE_SECTIONS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.context import AppContext
    from zjtx_desktop.registry import EnterpriseRecord, Problem
    from zjtx_desktop.settings import Installation

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

    @property
    def succeeded(self) -> bool:
        return self.record is not None


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


class EnterpriseFormDialog(ValidatingFormDialog[SaveOutcome]):
    """The intake form for a new enterprise (record None) or the correction of an existing one."""

    saved = Signal(object)  # the EnterpriseRecord as saved
    open_enterprise = Signal(int)  # the clerk asked to open the enterprise that already has this code

    VALIDATION_JOB_NAME = "校验企业信息"
    SAVE_JOB_NAME = "保存企业信息"

    def __init__(
        self,
        jobs: JobRunner,
        ctx: AppContext,
        setup: FormSetup,
        record: EnterpriseRecord | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(jobs, ctx, parent)
        self.setup = setup
        self.record = record
        self._and_new = False

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
        scroll = scrolling_form(self.form)
        scroll.setObjectName("formScroll")
        self.scroll_area = scroll
        layout.addWidget(scroll, 1)

        self.summary = summary_label()
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

        self._connect_lifecycle()
        self.save_button.clicked.connect(lambda: self.save(and_new=False))
        self.save_and_new_button.clicked.connect(lambda: self.save(and_new=True))

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

    def _validation_work(self) -> Callable[[], list[Problem]]:
        values = self.values()
        enterprise_id = self.record.id if self.record is not None else None
        ctx = self.ctx
        return lambda: check_enterprise(ctx, values, enterprise_id)

    def _on_checked(self, problems: list[Problem]) -> None:
        duplicate = next((p for p in problems if p.existing_id is not None), None)
        if duplicate is not None and duplicate.existing_id is not None:
            existing = duplicate.existing_id
            self.form.set_action("uscc", "打开该企业", lambda: self.open_enterprise.emit(existing))
        else:
            self.form.set_action("uscc", None)

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
        super()._update_buttons()
        blocked = self._save_blocked()
        self.save_and_new_button.setEnabled(self._save_job is None and not blocked)
        self.save_button.setToolTip("请先更正标红的项目" if blocked else "")

    # --- saving -------------------------------------------------------------------------------

    def save(self, *, and_new: bool = False) -> None:
        """Save in the background; the services validate again, so a check still under way is no risk."""
        if self._save_job is not None:
            return
        self._and_new = and_new
        super().save()

    def _save_work(self) -> Callable[[], SaveOutcome]:
        if self.record is None:
            values = self.values()
            enterprise_id, version = None, None
        else:
            # Only what the clerk changed: numbers shown rounded must not be written back as changes.
            changed = self.form.changed_keys()
            values = {key: value for key, value in self.values().items() if key in changed}
            enterprise_id, version = self.record.id, self.record.version
        ctx = self.ctx
        return lambda: save_enterprise(ctx, values, enterprise_id, version)

    def _on_save_succeeded(self, outcome: SaveOutcome) -> None:
        record = outcome.record
        assert record is not None
        self.saved.emit(record)
        if self._and_new:
            self._load(None)
            self._update_summary(f"已保存“{record.name}”。可以继续录入下一家企业。")
            return
        self._close_saved()

    # --- closing ------------------------------------------------------------------------------

    def _confirm_discard(self) -> bool:
        name = self.values().get("name") or "这家企业"
        question = f"“{name}”的修改尚未保存。放弃这些修改吗？"
        return prompts.confirm(self, "放弃修改", question, ok_text="放弃修改", cancel_text="继续编辑")
