"""新增或修改目标轮次: a round's tier, period, wording, document and stated 合计, checked while typing.

The form is built from `zjtx_desktop.targets.PLAN_FIELDS`, checked by `validate_plan` on the worker and saved by
`save_plan`, which checks again, compares versions and writes the audit entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.dialogs import prompts
from ui.dialogs.enterprise_form import dialog_size
from ui.dialogs.validating_dialog import ValidatingFormDialog, scrolling_form, summary_label
from ui.field_form import Choices, FieldForm
from ui.jobs import JobRunner
from ui.theme import PAGE_MARGIN, SPACING
from zjtx_desktop.targets import PLAN_FIELDS

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.registry import Problem
    from zjtx_desktop.targets import PlanView


@dataclass(frozen=True)
class PlanOutcome:
    plan_id: int | None
    problems: list[Problem] = field(default_factory=list)
    conflict: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.plan_id is not None


def check_plan(ctx: AppContext, values: Mapping[str, Any], plan_id: int | None) -> list[Problem]:
    """validate_plan on the worker."""
    from zjtx_desktop.targets import validate_plan

    with ctx.sessions() as session:
        return validate_plan(session, values, plan_id=plan_id)


def store_plan(
    ctx: AppContext, values: Mapping[str, Any], plan_id: int | None, expected_version: int | None
) -> PlanOutcome:
    """save_plan in one transaction with its audit entry; runs on the worker. A county is refused (UserError)."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.registry import ValidationFailed, VersionConflict
    from zjtx_desktop.targets import save_plan

    try:
        with transaction(ctx.sessions) as session:
            saved = save_plan(session, ctx.actor, plan_id=plan_id, expected_version=expected_version, **values)
    except ValidationFailed as error:
        return PlanOutcome(None, list(error.problems))
    except VersionConflict as error:
        return PlanOutcome(None, conflict=str(error))
    return PlanOutcome(saved)


class TargetPlanDialog(ValidatingFormDialog[PlanOutcome]):
    """Add a round (plan None, or a period that has unit targets but no round yet) or edit one."""

    saved = Signal(object)  # the round's key (program code, start year, end year) as saved

    VALIDATION_JOB_NAME = "校验目标轮次"
    SAVE_JOB_NAME = "保存目标轮次"

    def __init__(
        self,
        jobs: JobRunner,
        ctx: AppContext,
        programs: Sequence[tuple[str, str]],
        plan: PlanView | None = None,
        *,
        start_values: Mapping[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(jobs, ctx, parent)
        self.plan = plan
        self.plan_id = plan.id if plan is not None else None
        self.expected_version = plan.version if plan is not None else None
        title = "修改目标轮次" if self.plan_id is not None else "新增目标轮次"
        self.setWindowTitle(title)
        self.resize(*dialog_size(800, 500))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING)
        heading = QLabel(title)
        heading.setObjectName("dialogTitle")
        layout.addWidget(heading)
        self.period_locked = plan is not None and bool(plan.units)
        if plan is not None and self.period_locked:
            explain = QLabel(
                f"本轮已录入 {len(plan.units)} 个单位的目标，培育层级和期间不能再改；如是另一期间的目标，请新增目标轮次。"
            )
            explain.setObjectName("detailHint")
            explain.setWordWrap(True)
            layout.addWidget(explain)
        self.form = FieldForm(PLAN_FIELDS, Choices(programs=tuple(programs)))
        layout.addWidget(scrolling_form(self.form), 1)

        self.summary = summary_label()
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton("保存")
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self._connect_lifecycle()
        self.save_button.clicked.connect(self.save)
        self.form.set_values(dict(start_values or (plan.values() if plan is not None else {})))
        if self.period_locked:
            for key in ("program_code", "start_year", "end_year"):
                self.form.set_locked(key, True)
        self.validate_now()

    def _validation_work(self) -> Callable[[], list[Problem]]:
        ctx, values, plan_id = self.ctx, self.form.values(), self.plan_id
        return lambda: check_plan(ctx, values, plan_id)

    def _save_work(self) -> Callable[[], PlanOutcome]:
        ctx, values, plan_id, version = self.ctx, self.form.values(), self.plan_id, self.expected_version
        return lambda: store_plan(ctx, values, plan_id, version)

    def _on_save_succeeded(self, outcome: PlanOutcome) -> None:
        values = self.form.values()
        self.saved.emit((values["program_code"], values["start_year"], values["end_year"]))
        self._close_saved()

    def _confirm_discard(self) -> bool:
        return prompts.confirm(self, "放弃修改", "填写的内容尚未保存。放弃吗？", ok_text="放弃", cancel_text="继续填写")
