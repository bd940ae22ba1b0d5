"""首页: target progress per unit for one program and period — a table with bars, a chart and the rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QWidget,
)

from ui.charts import Bar, ProgressChart
from ui.delegates import ProgressBarDelegate
from ui.jobs import JobRunner, Work
from ui.models.progress_model import (
    COL_BAR,
    COL_DONE,
    COL_RATE,
    COL_TARGET,
    COL_UNIT,
    RATE_ROLE,
    ProgressTableModel,
)
from ui.theme import ROW_HEIGHT, SPACING
from ui.widgets import LOADING_TEXT, Page, note_label

if TYPE_CHECKING:
    # Only for annotations: the core's query modules load SQLAlchemy, which the window must not wait for.
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.progress import ProgressRow
    from zjtx_desktop.settings import Installation

Period = tuple[str, int, int]  # program code, start year, end year
BAR_MINIMUM_WIDTH = 80
NO_TARGETS_TEXT = "数据库中还没有目标任务，无法计算完成情况。"
NOT_LOADED_TEXT = "未能读取目标完成情况（原因见右上方），可按“刷新”重试。"


@dataclass(frozen=True)
class DashboardData:
    """What the dashboard shows, read on the worker: plain rows, no ORM objects."""

    installation: Installation
    rows: list[ProgressRow]
    totals: list[ProgressRow]
    counting_rule: str


def load_dashboard(ctx: AppContext) -> DashboardData:
    """The installation and every target's progress (one aggregate query); runs on the worker thread."""
    from zjtx_desktop.progress import COUNTING_RULE, progress_by_unit
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
        report = progress_by_unit(session, unit_codes=None if inst.is_city else [inst.unit_code])
    return DashboardData(inst, report.rows, report.totals, COUNTING_RULE)


def _period_of(row: ProgressRow) -> Period:
    return row.program_code, row.start_year, row.end_year


def _years_key(start_year: int, end_year: int) -> str:
    # Combo item data as text: Qt cannot match a Python tuple stored in a QVariant with findData.
    return f"{start_year}:{end_year}"


class DashboardPage(Page):
    """Progress against the targets: a city installation sees every unit, a county only its own."""

    refresh_on_show = True  # one aggregate query; other pages change what it counts

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__("目标完成情况", jobs, parent)
        self._data: DashboardData | None = None
        self._chart_pending = False

        selectors = QHBoxLayout()
        selectors.setSpacing(SPACING)
        self.program_combo = QComboBox()
        self.program_combo.setMinimumContentsLength(14)
        self.program_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.period_combo = QComboBox()
        self.period_combo.setMinimumContentsLength(10)
        self.period_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        program_label = QLabel("培育层级")
        program_label.setBuddy(self.program_combo)
        period_label_widget = QLabel("目标期间")
        period_label_widget.setBuddy(self.period_combo)
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setToolTip("重新读取数据库中的目标和培育记录（F5）")
        selectors.addWidget(program_label)
        selectors.addWidget(self.program_combo)
        selectors.addSpacing(SPACING)
        selectors.addWidget(period_label_widget)
        selectors.addWidget(self.period_combo)
        selectors.addStretch(1)
        selectors.addWidget(self.refresh_button)
        self.body.addLayout(selectors)

        self.model = ProgressTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(COL_BAR, ProgressBarDelegate(RATE_ROLE, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(COL_UNIT, QHeaderView.ResizeMode.ResizeToContents)
        for column, width in ((COL_TARGET, 72), (COL_DONE, 72), (COL_RATE, 80)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)
        header.setSectionResizeMode(COL_BAR, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # Says "loading" until the first data arrive, then stands for an empty target table.
        self.empty_label = QLabel(LOADING_TEXT)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty_label)
        self.table_stack.setCurrentWidget(self.empty_label)

        self.chart = ProgressChart(jobs)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table_stack)
        splitter.addWidget(self.chart)
        splitter.setStretchFactor(0, 9)
        splitter.setStretchFactor(1, 11)
        # Without initial sizes the table's wide size hint would squeeze the chart.
        splitter.setSizes([450, 550])
        self.splitter = splitter
        self.body.addWidget(splitter, 1)

        self.rule_label = note_label("", "countingRule")
        self.body.addWidget(self.rule_label)

        self.program_combo.setEnabled(False)
        self.period_combo.setEnabled(False)
        self.program_combo.currentIndexChanged.connect(self._on_program_changed)
        self.period_combo.currentIndexChanged.connect(self._show_selected)
        self.refresh_button.clicked.connect(self.refresh)

    # --- data -----------------------------------------------------------------------------

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_dashboard(ctx)

    def show_data(self, data: Any) -> None:
        """Show freshly read progress, keeping the selected program and period."""
        assert isinstance(data, DashboardData)
        self._data = data
        inst = data.installation
        self.set_subtitle(f"{inst.unit_name}（市级，全部单位）" if inst.is_city else f"{inst.unit_name}（本单位）")
        self.empty_label.setText(NO_TARGETS_TEXT)
        self._fill_programs()
        self._show_selected()

    def show_failure(self, message: str) -> None:
        if self._data is None:
            self.empty_label.setText(NOT_LOADED_TEXT)

    def select(self, program_code: str, start_year: int, end_year: int) -> bool:
        """Show one program and period; False if the database has no such target."""
        program_index = self.program_combo.findData(program_code)
        if program_index < 0:
            return False
        self.program_combo.setCurrentIndex(program_index)
        period_index = self.period_combo.findData(_years_key(start_year, end_year))
        if period_index < 0:
            return False
        self.period_combo.setCurrentIndex(period_index)
        return True

    def selected_period(self) -> Period | None:
        code = self.program_combo.currentData()
        years = self.period_combo.currentData()
        if code is None or years is None:
            return None
        start, end = (int(year) for year in str(years).split(":"))
        return str(code), start, end

    # --- selectors ------------------------------------------------------------------------

    def _fill_programs(self) -> None:
        previous = self.program_combo.currentData()
        programs: dict[str, str] = {}
        for total in self._totals():  # already in program order
            programs.setdefault(total.program_code, total.program)
        with QSignalBlocker(self.program_combo):
            self.program_combo.clear()
            for code, name in programs.items():
                self.program_combo.addItem(name, code)
            index = self.program_combo.findData(previous)
            self.program_combo.setCurrentIndex(index if index >= 0 else 0)
        self.program_combo.setEnabled(bool(programs))
        self._fill_periods()

    def _fill_periods(self) -> None:
        previous = self.period_combo.currentData()
        code = self.program_combo.currentData()
        with QSignalBlocker(self.period_combo):
            self.period_combo.clear()
            for total in self._totals():
                if total.program_code == code:
                    self.period_combo.addItem(total.period_label, _years_key(total.start_year, total.end_year))
            index = self.period_combo.findData(previous)
            self.period_combo.setCurrentIndex(index if index >= 0 else 0)
        self.period_combo.setEnabled(self.period_combo.count() > 0)

    def _on_program_changed(self) -> None:
        self._fill_periods()
        self._show_selected()

    # --- display --------------------------------------------------------------------------

    def _totals(self) -> list[ProgressRow]:
        return self._data.totals if self._data is not None else []

    def _selected_rows(self) -> tuple[list[ProgressRow], ProgressRow | None]:
        selected = self.selected_period()
        if selected is None or self._data is None:
            return [], None
        rows = [row for row in self._data.rows if _period_of(row) == selected]
        total = next((row for row in self._data.totals if _period_of(row) == selected), None)
        return rows, total

    def _show_selected(self) -> None:
        if self._data is None:
            return
        rows, total = self._selected_rows()
        city = self._data.installation.is_city
        # A county sees one unit: a 合计 equal to that row would only repeat it.
        self.model.set_rows(rows, total if city else None)
        self._fit_table_width()
        self.table_stack.setCurrentWidget(self.table if rows else self.empty_label)
        rule = self._data.counting_rule
        if total is None:
            self.rule_label.setText(rule)
        else:
            start, end = total.start_year, total.end_year
            years = f"{start} 年" if start == end else f"{start} 年至 {end} 年"
            self.rule_label.setText(f"统计期间：{total.period_label}（入库年份在 {years}）。{rule}")
        self._schedule_chart()

    def _fit_table_width(self) -> None:
        # The splitter may not squeeze the table below its columns (with a short bar column);
        # the chart takes whatever width is left.
        header = self.table.horizontalHeader()
        columns = sum(header.sectionSize(c) for c in range(self.model.columnCount()) if c != COL_BAR)
        frame = 2 * self.table.frameWidth()
        self.table_stack.setMinimumWidth(columns + BAR_MINIMUM_WIDTH + frame)

    def _schedule_chart(self) -> None:
        # Several selector changes in one turn of the event loop make one drawing.
        if not self._chart_pending:
            self._chart_pending = True
            self.chart.when_ready(self._draw_chart)

    def is_settled(self) -> bool:
        return super().is_settled() and not self._chart_pending

    def _draw_chart(self) -> None:
        try:
            self._plot()
        finally:
            self._chart_pending = False
            if self.is_settled():
                self.settled.emit()

    def _plot(self) -> None:
        if self._data is None:
            return
        inst = self._data.installation
        if not inst.is_city:
            # One unit makes a one-bar chart; a county sees all of its own targets side by side instead.
            bars = [Bar(f"{row.program}\n{row.period_label}", row.target, row.done) for row in self._data.rows]
            self.chart.plot(bars, f"{inst.unit_name}各项目标完成情况")
            return
        rows, total = self._selected_rows()
        title = f"{self.program_combo.currentText()}　{total.period_label}" if total is not None else ""
        self.chart.plot([Bar(row.unit or "", row.target, row.done) for row in rows], title)
