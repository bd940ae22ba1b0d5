"""目标任务: the targets as issued (editable by the city), the plan indicators, and the supervision of the
fifteen policy tasks — one tab each; progress against the targets is on the 首页."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from ui.jobs import JobRunner, Work
from ui.page_names import PAGE_TITLES
from ui.pages.targets_editor import TargetsEditorData, TargetsEditorPanel, load_targets_editor
from ui.pages.targets_indicators import IndicatorsData, IndicatorsPanel, load_indicators
from ui.pages.targets_supervision import SupervisionData, SupervisionPanel, load_supervision
from ui.widgets import Page, mark_other_pages_stale

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext

TAB_TARGETS = 0
TAB_INDICATORS = 1
TAB_SUPERVISION = 2


@dataclass(frozen=True)
class TargetsPageData:
    editor: TargetsEditorData
    indicators: IndicatorsData
    supervision: SupervisionData


def load_targets_page(ctx: AppContext) -> TargetsPageData:
    """All three tabs' data in one job on the worker (each a few small queries)."""
    return TargetsPageData(load_targets_editor(ctx), load_indicators(ctx), load_supervision(ctx))


class TargetsPage(Page):
    open_enterprise = Signal(int)

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["targets"], jobs, parent)
        self.tabs = QTabWidget()
        self.editor = TargetsEditorPanel(jobs)
        self.indicators = IndicatorsPanel(jobs)
        self.supervision = SupervisionPanel(jobs)
        self.tabs.addTab(self.editor, "目标设置")
        self.tabs.addTab(self.indicators, "规划指标")
        self.tabs.addTab(self.supervision, "政策任务督查")
        self.body.addWidget(self.tabs, 1)
        for panel in (self.editor, self.indicators, self.supervision):
            panel.changed.connect(self._on_changed)
        self.indicators.open_enterprise.connect(self.open_enterprise)

    def set_context(self, ctx: AppContext) -> None:
        super().set_context(ctx)
        for panel in (self.editor, self.indicators, self.supervision):
            panel.set_context(ctx)

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_targets_page(ctx)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, TargetsPageData)
        inst = data.indicators.installation
        plans = len(data.editor.plans)
        overdue = sum(1 for task in data.supervision.tasks if task.overdue)
        scope = "全部单位" if inst.is_city else f"{inst.unit_name}（目标由市局下达，只读）"
        self.set_subtitle(f"{scope}　·　{plans} 轮目标　·　15 项政策任务" + (f"，{overdue} 项逾期" if overdue else ""))
        self.editor.show_data(data.editor)
        self.indicators.show_data(data.indicators)
        self.supervision.show_data(data.supervision)

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def _on_changed(self) -> None:
        # Targets, parks and task notes feed the dashboard's figures and alerts.
        mark_other_pages_stale(self)
        self.refresh()
