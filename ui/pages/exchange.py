"""数据交换: import spreadsheets with a preview, review and undo past imports, export sheets, packages and templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.jobs import Job, JobRunner, Work
from ui.models.table_rows import TextRowsModel
from ui.page_names import PAGE_TITLES
from ui.pages.exchange_export import ExportPanel
from ui.pages.exchange_import import ImportPanel, local_time
from ui.theme import SPACING
from ui.widgets import Page, make_table_view, mark_other_pages_stale, note_label

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.settings import Installation

HISTORY_LIMIT = 500  # most recent imports listed
HISTORY_COLUMNS = ("时间", "操作人", "文件", "内容", "新增", "更新", "不变", "未导入", "状态")
HISTORY_NOTE = (
    "每次写入数据库的导入都记录在此。“撤销本次导入”删除这次新增的记录、把这次更新的记录恢复为导入前的内容；"
    "导入之后又被修改过的记录不能撤销（否则会丢失那些修改）。"
)
EMPTY_HISTORY = "还没有导入记录。"


@dataclass(frozen=True)
class BatchRow:
    """One ImportBatch as the list shows it."""

    id: int
    at: str
    actor: str
    file_name: str
    file_hash: str
    kind: str
    created: int
    updated: int
    unchanged: int
    rejected: int
    undone: str  # "" while the import stands
    warnings: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        status = f"已撤销（{self.undone}）" if self.undone else "有效"
        counts = (self.created, self.updated, self.unchanged, self.rejected)
        return [self.at, self.actor, self.file_name, self.kind, *(str(n) for n in counts), status]


@dataclass(frozen=True)
class ExchangeData:
    installation: Installation
    units: list[tuple[str, str]]  # the units a city installation may pick (not the city itself)
    years: list[int]  # newest first
    programs: list[tuple[str, str]]
    batches: list[BatchRow]


def load_exchange(ctx: AppContext) -> ExchangeData:
    """The installation, the export pickers' lists and the recent imports; runs on the worker."""
    from sqlalchemy import select

    from zjtx_desktop.models import AnnualReport, Cultivation, ImportBatch, Program, Region, Target
    from zjtx_desktop.settings import CITY_CODE, installation

    with ctx.sessions() as session:
        inst = installation(session)
        units = [
            (code, name)
            for code, name in session.execute(
                select(Region.code, Region.name).where(Region.code != CITY_CODE).order_by(Region.sort_order)
            )
        ]
        programs = [
            (code, name)
            for code, name in session.execute(select(Program.code, Program.name).order_by(Program.sort_order))
        ]
        years = {dt.date.today().year}
        for column in (Cultivation.year, AnnualReport.year, Target.start_year, Target.end_year):
            years.update(year for year in session.scalars(select(column).distinct()) if year is not None)
        batches = [
            BatchRow(
                batch.id,
                local_time(batch.at),
                batch.actor,
                batch.file_name,
                batch.file_hash,
                batch.kind,
                batch.created,
                batch.updated,
                batch.unchanged,
                batch.rejected,
                f"{local_time(batch.undone_at)}，{batch.undone_by or ''}" if batch.undone_at is not None else "",
                list((batch.details or {}).get("warnings") or []),
            )
            for batch in session.scalars(
                select(ImportBatch).order_by(ImportBatch.at.desc(), ImportBatch.id.desc()).limit(HISTORY_LIMIT)
            )
        ]
    return ExchangeData(inst, units, sorted(years, reverse=True), programs, batches)


def undo_import(ctx: AppContext, batch_id: int) -> None:
    """Undo a whole import in one transaction; the service refuses (UserError) when later edits touched it."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.exchange.importer import undo_batch

    with transaction(ctx.sessions) as session:
        undo_batch(session, ctx.actor, batch_id)


class HistoryPanel(QWidget):
    """The 导入记录 tab: recent imports, newest first, and 撤销本次导入."""

    undone = Signal(int)  # the batch id, after its undo was committed
    receipt_requested = Signal(int)  # the batch id whose 导入回执 should be printed

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.job: Job | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(HISTORY_NOTE))

        self.model = TextRowsModel(HISTORY_COLUMNS, numeric=(4, 5, 6, 7))
        self.table = make_table_view(self.model)
        header = self.table.horizontalHeader()
        for column, width in enumerate((130, 150, 220, 210, 56, 56, 56, 64)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(len(HISTORY_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._on_selected)
        self.empty_label = QLabel(EMPTY_HISTORY)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        layout.addWidget(self.stack, 1)

        self.detail_label = QLabel()
        self.detail_label.setObjectName("detailHint")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail_label)
        buttons = QHBoxLayout()
        self.undo_button = QPushButton("撤销本次导入…")
        self.undo_button.setObjectName("dangerButton")
        self.undo_button.setToolTip("删除这次导入新增的记录，并把这次更新的记录恢复为导入前的内容")
        self.undo_button.clicked.connect(self.undo_selected)
        self.receipt_button = QPushButton("打印导入回执…")
        self.receipt_button.setToolTip("在报表中心生成这次导入的回执（文件、校验、条数、操作人、时间），可打印或保存")
        self.receipt_button.clicked.connect(self._request_receipt)
        buttons.addStretch(1)
        buttons.addWidget(self.receipt_button)
        buttons.addWidget(self.undo_button)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_batches(self, batches: list[BatchRow]) -> None:
        selected, known = self.selected(), {batch.id for batch in self.batches()}
        self.model.set_rows([(batch.cells(), batch) for batch in batches])
        self.stack.setCurrentWidget(self.table if batches else self.empty_label)
        # The selection stays where it was, unless there is a new import: that is the one to look at.
        fresh = any(batch.id not in known for batch in batches)
        keep = selected.id if selected is not None and not fresh else None
        row = next((number for number, batch in enumerate(batches) if batch.id == keep), 0)
        if batches:
            self.table.setCurrentIndex(self.model.index(row, 0))
        self._show_detail()

    def batches(self) -> list[BatchRow]:
        return [self.model.payload(row) for row in range(self.model.rowCount())]

    def select_batch(self, batch_id: int) -> bool:
        for row, batch in enumerate(self.batches()):
            if batch.id == batch_id:
                self.table.setCurrentIndex(self.model.index(row, 0))
                return True
        return False

    def selected(self) -> BatchRow | None:
        index = self.table.currentIndex()
        batch = self.model.payload(index.row()) if index.isValid() else None
        return batch if isinstance(batch, BatchRow) else None

    def _on_selected(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        batch = self.selected()
        if batch is None:
            self.detail_label.setText("")
        else:
            lines = [f"第 {batch.id} 批　{batch.file_name}　文件校验（SHA-256）：{batch.file_hash}"]
            lines += [f"导入时的提示：{warning}" for warning in batch.warnings]
            if batch.undone:
                lines.append(f"已撤销：{batch.undone}")
            self.detail_label.setText("\n".join(lines))
        self._update_buttons()

    def _request_receipt(self) -> None:
        batch = self.selected()
        if batch is not None:
            self.receipt_requested.emit(batch.id)

    def _update_buttons(self) -> None:
        batch = self.selected()
        self.receipt_button.setEnabled(batch is not None)
        self.undo_button.setEnabled(
            self.ctx is not None and self.job is None and batch is not None and not batch.undone
        )

    def undo_selected(self) -> None:
        batch = self.selected()
        if self.ctx is None or self.job is not None or batch is None or batch.undone:
            return
        question = (
            f"撤销 {batch.at} 导入的“{batch.file_name}”吗？\n\n"
            f"将删除这次新增的 {batch.created} 条记录，并把这次更新的 {batch.updated} 条记录恢复为导入前的内容。"
        )
        if not prompts.confirm(self, "撤销本次导入", question, ok_text="撤销本次导入"):
            return
        ctx, batch_id = self.ctx, batch.id
        job = self.jobs.submit(lambda _control: undo_import(ctx, batch_id), name=f"撤销第 {batch_id} 批导入")
        self.job = job
        self._update_buttons()

        def finished(_result: Any) -> None:
            self.job = None
            self._update_buttons()
            prompts.inform(self, "已撤销", f"已撤销“{batch.file_name}”的导入。")
            self.undone.emit(batch_id)

        def failed(message: str) -> None:
            self.job = None
            self._update_buttons()
            prompts.warn(self, "不能撤销", message)

        job.finished.connect(finished)
        job.failed.connect(failed)


class ExchangePage(Page):
    """数据交换: three tabs — 导入 (with preview), 导入记录 (with undo and receipts), 导出."""

    receipt_requested = Signal(int)

    # The list of imports is short and the CLI may import meanwhile: reloaded on each visit.
    refresh_on_show = True

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["exchange"], jobs, parent)
        self.data: ExchangeData | None = None
        self.import_panel = ImportPanel(jobs)
        self.history_panel = HistoryPanel(jobs)
        self.export_panel = ExportPanel(jobs)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.import_panel, "导入")
        self.tabs.addTab(self.history_panel, "导入记录")
        self.tabs.addTab(self.export_panel, "导出")
        self.body.addWidget(self.tabs, 1)
        self.import_panel.choose_button.setEnabled(False)
        self.import_panel.committed.connect(lambda _receipt: self._data_changed())
        self.import_panel.history_requested.connect(self.show_history)
        self.history_panel.undone.connect(lambda _batch_id: self._data_changed())
        self.history_panel.receipt_requested.connect(self.receipt_requested)

    def set_context(self, ctx: AppContext) -> None:
        super().set_context(ctx)
        for panel in (self.import_panel, self.history_panel, self.export_panel):
            panel.ctx = ctx
        self.import_panel.choose_button.setEnabled(True)

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_exchange(ctx)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, ExchangeData)
        self.data = data
        inst = data.installation
        if inst.is_city:
            self.set_subtitle(f"{inst.unit_name}（市级）：可导入各县（市、区）的名单和报送包，导出全部或任一单位的数据")
        else:
            self.set_subtitle(f"{inst.unit_name}（县级）：只导入、导出本单位的数据")
        self.history_panel.set_batches(data.batches)
        self.export_panel.set_setup(inst, data.units, data.years, data.programs)

    def show_history(self) -> None:
        self.tabs.setCurrentWidget(self.history_panel)
        receipt = self.import_panel.receipt
        if receipt is not None and receipt.batch_id is not None:
            self.history_panel.select_batch(receipt.batch_id)

    def _data_changed(self) -> None:
        # The list of imports here, and whatever the other pages show, changed.
        self.refresh()
        mark_other_pages_stale(self)
