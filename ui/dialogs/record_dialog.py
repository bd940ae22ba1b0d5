"""Adding and editing an enterprise's own records — 培育记录, 年度监测, 帮扶记录 — and ending a cultivation entry.

One dialog for the three kinds: the form comes from the kind's FieldSpecs (CULTIVATION_FIELDS,
ANNUAL_FIELDS, VISIT_FIELDS), is checked while typing by `enterprise_records.validate_record` on the
worker, and is saved by `add_record`, `update_record` or `end_cultivation`, which check again, compare
versions and write the audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.dialogs import prompts
from ui.dialogs.enterprise_form import dialog_size
from ui.dialogs.validating_dialog import ValidatingFormDialog, scrolling_form, summary_label
from ui.field_form import Choices, FieldForm
from ui.jobs import JobRunner
from ui.theme import PAGE_MARGIN, SPACING
from zjtx_desktop.fields import ANNUAL_FIELDS, CULTIVATION_FIELDS, VISIT_FIELDS, FieldSpec

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.enterprise_records import EnterpriseRecordRow
    from zjtx_desktop.registry import Problem

Mode = Literal["add", "edit", "end"]

FIELDS_BY_KIND: dict[str, tuple[FieldSpec, ...]] = {
    "cultivation": CULTIVATION_FIELDS,
    "annual_report": ANNUAL_FIELDS,
    "help_visit": VISIT_FIELDS,
}
LABELS = {"cultivation": "培育记录", "annual_report": "年度监测", "help_visit": "帮扶记录"}
# Ending an entry asks for the date (required here) and the reason, nothing else.
END_FIELDS = tuple(
    dataclasses.replace(spec, required=True) if spec.key == "exited_on" else spec
    for spec in CULTIVATION_FIELDS
    if spec.key in ("exited_on", "exit_reason")
)


@dataclass(frozen=True)
class RecordOutcome:
    saved: bool
    problems: list[Problem] = field(default_factory=list)
    conflict: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.saved


def check_record(
    ctx: AppContext, entity: str, enterprise_id: int, values: Mapping[str, Any], record_id: int | None
) -> list[Problem]:
    """validate_record over complete values; runs on the worker."""
    from zjtx_desktop.enterprise_records import KINDS, validate_record

    with ctx.sessions() as session:
        return validate_record(session, KINDS[entity], enterprise_id, values, record_id=record_id)


def save_record(
    ctx: AppContext,
    entity: str,
    mode: Mode,
    enterprise_id: int,
    record: EnterpriseRecordRow | None,
    values: Mapping[str, Any],
) -> RecordOutcome:
    """Add, update or end a record in one transaction with its audit entry; runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.enterprise_records import KINDS, add_record, end_cultivation, update_record
    from zjtx_desktop.registry import ValidationFailed, VersionConflict

    kind = KINDS[entity]
    try:
        with transaction(ctx.sessions) as session:
            if record is None:
                add_record(session, ctx.actor, kind, enterprise_id, values)
            elif mode == "end":
                end_cultivation(
                    session, ctx.actor, record.id, record.version, values["exited_on"], values.get("exit_reason") or ""
                )
            else:
                update_record(session, ctx.actor, kind, record.id, record.version, values)
    except ValidationFailed as error:
        return RecordOutcome(False, list(error.problems))
    except VersionConflict as error:
        return RecordOutcome(False, conflict=str(error))
    return RecordOutcome(True)


def default_values(entity: str, today: dt.date | None = None) -> dict[str, Any]:
    """What a new record starts with: this year's entry in 培育中, last year's monitoring, today's open visit."""
    today = today or dt.date.today()
    if entity == "cultivation":
        return {"year": today.year, "status": "培育中"}
    if entity == "annual_report":
        return {"year": today.year - 1}
    return {"visited_on": today, "status": "办理中", "kind": "走访"}


class RecordDialog(ValidatingFormDialog[RecordOutcome]):
    """Add (record None), edit, or end (培育记录 only) one record of an enterprise."""

    saved = Signal()

    VALIDATION_JOB_NAME = "校验记录"
    SAVE_JOB_NAME = "保存记录"

    def __init__(
        self,
        jobs: JobRunner,
        ctx: AppContext,
        entity: str,
        enterprise_id: int,
        enterprise_name: str,
        choices: Choices,
        record: EnterpriseRecordRow | None = None,
        *,
        mode: Mode = "edit",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(jobs, ctx, parent)
        self.entity = entity
        self.enterprise_id = enterprise_id
        self.record = record
        self.mode: Mode = "add" if record is None else mode

        label = LABELS[entity]
        title = {"add": f"新增{label}", "edit": f"修改{label}", "end": "退出培育"}[self.mode]
        self.setWindowTitle(f"{title} — {enterprise_name}")
        specs: Sequence[FieldSpec] = END_FIELDS if self.mode == "end" else FIELDS_BY_KIND[entity]
        wide = len(specs) > 12
        width, height = (1060, 700) if wide else (820, 560 if len(specs) > 4 else 300)
        self.resize(*dialog_size(width, height))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING)
        heading = QLabel(f"{title}：{enterprise_name}")
        heading.setObjectName("dialogTitle")
        layout.addWidget(heading)
        self.form = FieldForm(specs, choices, columns=2 if wide else 1, message_width=150 if wide else 220)
        layout.addWidget(scrolling_form(self.form), 1)

        self.summary = summary_label()
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton("退出培育" if self.mode == "end" else "保存")
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self._connect_lifecycle()
        self.save_button.clicked.connect(self.save)

        if record is None:
            self.form.set_values(default_values(entity))
        elif self.mode == "end":
            self.form.set_values({"exited_on": dt.date.today()})
        else:
            self.form.set_values(record.values)
        self.validate_now()

    def _complete(self) -> dict[str, Any]:
        """The record as it would be saved: the stored values with the form's on top."""
        values = dict(self.record.values) if self.record is not None else {}
        values.update(self.form.values())
        if self.mode == "end":
            values["status"] = "已退出"
        return values

    def _validation_work(self) -> Callable[[], list[Problem]]:
        ctx, entity, enterprise_id = self.ctx, self.entity, self.enterprise_id
        values = self._complete()
        record_id = self.record.id if self.record is not None else None
        return lambda: check_record(ctx, entity, enterprise_id, values, record_id)

    def _save_work(self) -> Callable[[], RecordOutcome]:
        values = self.form.values()
        if self.mode == "edit":
            changed = self.form.changed_keys()
            values = {key: value for key, value in values.items() if key in changed}
        ctx, entity, mode, enterprise_id, record = self.ctx, self.entity, self.mode, self.enterprise_id, self.record
        return lambda: save_record(ctx, entity, mode, enterprise_id, record, values)

    def _on_save_succeeded(self, outcome: RecordOutcome) -> None:
        self.saved.emit()
        self._close_saved()

    def _confirm_discard(self) -> bool:
        question = "填写的内容尚未保存。放弃吗？"
        return prompts.confirm(self, "放弃修改", question, ok_text="放弃", cancel_text="继续填写")
