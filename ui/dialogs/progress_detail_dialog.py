"""The enterprises behind a progress figure: those it counts and, on a second tab, those it does not and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableView, QTabWidget, QVBoxLayout, QWidget

from ui.jobs import JobRunner
from ui.models.table_rows import TextRowsModel
from ui.theme import SPACING
from ui.widgets import make_table_view, note_label

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.progress_detail import EntryRow, ProgressDetail

HEADERS = ("企业名称", "统一社会信用代码", "单位", "入库年份", "批次", "状态", "说明")
LOADING = "正在读取…"


def entry_cells(row: EntryRow) -> list[str]:
    return [row.name, row.uscc, row.unit, str(row.year), row.batch or "", row.status, row.reason]


class ProgressDetailDialog(QDialog):
    """Opened from a progress cell; double-clicking an enterprise asks the window to open its detail view."""

    open_enterprise = Signal(int)

    def __init__(
        self,
        jobs: JobRunner,
        ctx: AppContext,
        *,
        title: str,
        program_code: str,
        start_year: int,
        end_year: int,
        unit_code: str | None,
        unit_codes: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"完成情况明细 — {title}")
        self.resize(980, 560)
        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING)
        heading = QLabel(title)
        heading.setObjectName("dialogTitle")
        layout.addWidget(heading)
        self.summary = note_label(LOADING)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget()
        self.counted_model = TextRowsModel(HEADERS, numeric=(3,))
        self.not_counted_model = TextRowsModel(HEADERS, numeric=(3,))
        self.counted_view = self._table(self.counted_model)
        self.not_counted_view = self._table(self.not_counted_model)
        self.tabs.addTab(self.counted_view, "计入")
        self.tabs.addTab(self.not_counted_view, "未计入")
        layout.addWidget(self.tabs, 1)
        layout.addWidget(note_label("双击企业可打开企业档案。"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.detail: ProgressDetail | None = None

        def work(_control: object) -> ProgressDetail:
            from zjtx_desktop.progress_detail import progress_detail

            with ctx.sessions() as session:
                return progress_detail(
                    session,
                    program_code=program_code,
                    start_year=start_year,
                    end_year=end_year,
                    unit_code=unit_code,
                    unit_codes=unit_codes,
                )

        self.job = jobs.submit(work, name="读取完成情况明细")
        self.job.finished.connect(self._show)
        self.job.failed.connect(lambda message: self.summary.setText(f"未能读取明细：{message}"))

    def _table(self, model: TextRowsModel) -> QTableView:
        view = make_table_view(model)
        view.horizontalHeader().setStretchLastSection(True)
        view.doubleClicked.connect(lambda index, m=model: self._open(m, index))
        return view

    def _show(self, detail: object) -> None:
        from zjtx_desktop.progress_detail import ProgressDetail

        assert isinstance(detail, ProgressDetail)
        self.detail = detail
        self.counted_model.set_rows([(entry_cells(row), row.enterprise_id) for row in detail.counted])
        self.not_counted_model.set_rows([(entry_cells(row), row.enterprise_id) for row in detail.not_counted])
        self.tabs.setTabText(0, f"计入（{len(detail.counted)}）")
        self.tabs.setTabText(1, f"未计入（{len(detail.not_counted)}）")
        self.summary.setText(
            f"目标期间 {detail.period_label}：计入 {len(detail.counted)} 家企业；"
            f"另有 {len(detail.not_counted)} 条同层级的培育记录未计入（原因见“未计入”页的“说明”列）。"
        )
        for view in (self.counted_view, self.not_counted_view):
            view.resizeColumnsToContents()
            view.horizontalHeader().setStretchLastSection(True)

    def _open(self, model: TextRowsModel, index: QModelIndex) -> None:
        enterprise_id = model.payload(index.row())
        if isinstance(enterprise_id, int):
            self.open_enterprise.emit(enterprise_id)
