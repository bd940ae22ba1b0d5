"""目标任务: the targets held in the database, read-only for now (editing comes later)."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ui.models.targets_model import COL_COUNT, COL_NOTE, TargetsTableModel, load_target_rows
from ui.page_names import PAGE_TITLES
from ui.theme import ROW_HEIGHT
from ui.widgets import Page, note_label
from zjtx_desktop.context import AppContext
from zjtx_desktop.settings import installation


class TargetsPage(Page):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, PAGE_TITLES["targets"], parent)
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

    def refresh(self) -> None:
        with self.ctx.sessions() as session:
            inst = installation(session)
            rows = load_target_rows(session, None if inst.is_city else inst.unit_code)
        self._loaded = True
        self.set_subtitle(f"共 {len(rows)} 条目标" + ("" if inst.is_city else f"（{inst.unit_name}）"))
        self.model.set_rows(rows)
