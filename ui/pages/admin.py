"""系统管理: facts about this installation (unit, database, schema revision, version), read-only for now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from ui.jobs import JobRunner, Work
from ui.page_names import PAGE_TITLES
from ui.theme import SPACING
from ui.widgets import Page, note_label
from zjtx_desktop import __version__

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext

FACTS = ("本机单位", "单位名称", "数据库位置", "数据库结构版本", "程序版本")


def load_facts(ctx: AppContext) -> dict[str, str]:
    """The installation and the database's schema revision, as display texts; runs on the worker thread."""
    from zjtx_desktop.migrations import migration_state
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
    state = migration_state(ctx.location)
    scope = "市级，查看全部单位" if inst.is_city else "县级，只处理本单位数据"
    revision = state.current or "（未初始化）"
    if state.current is not None:
        revision += "（最新）" if state.up_to_date else f"（程序支持 {state.head}）"
    return {
        "本机单位": f"{inst.unit_name}（{inst.unit_code}，{scope}）",
        "单位名称": inst.organisation,
        "数据库位置": ctx.location.describe(),
        "数据库结构版本": revision,
        "程序版本": __version__,
    }


class AdminPage(Page):
    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["admin"], jobs, parent)
        box = QGroupBox("本机信息")
        form = QFormLayout(box)
        form.setHorizontalSpacing(SPACING * 2)
        form.setVerticalSpacing(SPACING)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.fact_labels: dict[str, QLabel] = {}
        for name in FACTS:
            value = QLabel("—")
            value.setObjectName("factValue")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            form.addRow(f"{name}：", value)
            self.fact_labels[name] = value
        self.body.addWidget(box)
        self.note = note_label("用户账号与权限、数据备份与恢复、系统设置和操作日志将在此提供。")
        self.body.addWidget(self.note)
        self.body.addStretch(1)

    def fact(self, name: str) -> str:
        return self.fact_labels[name].text()

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_facts(ctx)

    def show_data(self, data: Any) -> None:
        for name, value in data.items():
            self.fact_labels[name].setText(value)
