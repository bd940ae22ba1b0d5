"""目标任务: the targets held in the database, read-only for now (editing comes later)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ui.jobs import JobRunner, Work
from ui.models.targets_model import COL_COUNT, COL_NOTE, TargetRow, TargetsTableModel, load_target_rows
from ui.page_names import PAGE_TITLES
from ui.theme import ROW_HEIGHT
from ui.widgets import Page, note_label

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.settings import Installation


@dataclass(frozen=True)
class TargetsData:
    installation: Installation
    rows: list[TargetRow]


def load_targets(ctx: AppContext) -> TargetsData:
    """The targets this installation sees (all, or its own unit's); runs on the worker thread."""
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
        return TargetsData(inst, load_target_rows(session, None if inst.is_city else inst.unit_code))


class TargetsPage(Page):
    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["targets"], jobs, parent)
        self.note = note_label("下表列出数据库中现有的目标（只读）。目标的增补、修改和下达将在此提供。")
        self.body.addWidget(self.note)
        self.model = TargetsTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_COUNT, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(COL_COUNT, 72)
        header.setSectionResizeMode(COL_NOTE, QHeaderView.ResizeMode.Stretch)
        self.body.addWidget(self.table, 1)

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_targets(ctx)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, TargetsData)
        inst = data.installation
        self.set_subtitle(f"共 {len(data.rows)} 条目标" + ("" if inst.is_city else f"（{inst.unit_name}）"))
        self.model.set_rows(data.rows)
