"""年度监测: a unit's enterprises and their figures for one year in an editable grid, the plausibility flags to
follow up by phone, and the unit aggregates with their trend chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.charts import ChartCanvas
from ui.dialogs import prompts
from ui.jobs import Job, JobRunner, Work
from ui.models.monitoring_grid import (
    COL_NAME,
    FIRST_FIGURE,
    FROZEN_COLUMNS,
    SHOW_ALL,
    SHOW_CHOICES,
    MonitoringGridFilter,
    MonitoringGridModel,
)
from ui.models.table_rows import TextRowsModel
from ui.page_names import PAGE_TITLES
from ui.theme import ROW_HEIGHT, SPACING, TONE_COLOURS
from ui.widgets import Page, PageState, make_table_view, mark_other_pages_stale, note_label
from zjtx_desktop.monitoring_grid import FIGURE_FIELDS

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.monitoring_grid import GridRow, RowProblem, SaveResult
    from zjtx_desktop.monitoring_stats import UnitYear
    from zjtx_desktop.plausibility import Flag
    from zjtx_desktop.settings import Installation

TAB_GRID = 0
TAB_FLAGS = 1
TAB_STATS = 2
NAME_WIDTH = 250
CHART_MIN_HEIGHT = 220
FIGURE_MIN_WIDTH = 84
FLAG_HEADERS = ("程度", "企业名称", "联系人", "联系电话", "项目", "数值", "说明")
STATS_HEADERS = (
    "单位",
    "企业\n(家)",
    "报送\n(家)",
    "报送率\n(%)",
    "营业收入\n(万元)",
    "工业增加值\n(万元)",
    "税收实际贡献\n(万元)",
    "研发费用\n(万元)",
    "用地面积\n(亩)",
    "综合能耗\n(吨标煤)",
    "亩均税收\n(万元/亩)",
    "亩均增加值\n(万元/亩)",
    "研发投入强度\n(%)",
)
GRID_NOTE = (
    "直接输入或双击修改数字（金额单位为万元），回车确认并移到下一行；可从 Excel 复制一块数字后选中起始单元格粘贴（Ctrl+V）。"
    "黄色为未保存的修改，红色为有误的输入（鼠标停留可看原因）；右侧灰色的派生指标随输入自动计算。"
)


# --- loading and saving on the worker --------------------------------------------------------


@dataclass(frozen=True)
class StatsData:
    year: int
    unit_code: str
    unit: str
    cultivated_only: bool
    aggregates: list[UnitYear]
    trend: list[UnitYear]


@dataclass(frozen=True)
class MonitoringData:
    installation: Installation
    units: list[tuple[str, str]]  # (code, name) the clerk may choose
    years: list[int]  # newest first
    unit_code: str
    unit: str
    year: int
    rows: list[GridRow]
    flags: list[Flag]
    stats: StatsData


def _scope(inst: Installation) -> list[str] | None:
    return None if inst.is_city else [inst.unit_code]


def load_stats(ctx: AppContext, unit_code: str, year: int, cultivated_only: bool) -> StatsData:
    """The aggregates of every unit in scope for the year and the chosen unit's trend; runs on the worker."""
    from zjtx_desktop.monitoring_grid import check_unit, unit_label
    from zjtx_desktop.monitoring_stats import unit_trend, year_aggregates
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        region = check_unit(session, unit_code)
        scope = _scope(installation(session))
        aggregates = year_aggregates(session, year, scope, cultivated_only=cultivated_only)
        trend = unit_trend(session, unit_code, cultivated_only=cultivated_only)
        return StatsData(year, unit_code, unit_label(region), cultivated_only, aggregates, trend)


def load_monitoring(
    ctx: AppContext, unit_code: str | None, year: int | None, cultivated_only: bool = False
) -> MonitoringData:
    """The pickers' choices, then the grid, flags and aggregates of one unit and year; runs on the worker.

    Without a unit: a county its own, the city the first unit with enterprises. Without a year: the newest
    with reports.
    """
    from sqlalchemy import func, select

    from zjtx_desktop.models import Enterprise, Region
    from zjtx_desktop.monitoring_grid import unit_label, unit_year_grid
    from zjtx_desktop.monitoring_stats import report_years
    from zjtx_desktop.plausibility import flags_by_unit
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
        scope = _scope(inst)
        query = select(Region).order_by(Region.sort_order, Region.code)
        if scope is not None:
            query = query.where(Region.code.in_(scope))
        regions = list(session.scalars(query))
        units = [(region.code, unit_label(region)) for region in regions]
        if unit_code is None or unit_code not in dict(units):
            counts = dict(
                session.execute(
                    select(Enterprise.region_code, func.count())
                    .where(Enterprise.deleted_at.is_(None))
                    .group_by(Enterprise.region_code)
                ).all()
            )
            unit_code = next((code for code, _ in units if counts.get(code)), units[0][0])
        reported = report_years(session, scope)
        this_year = dt.date.today().year
        if year is None:
            year = reported[-1] if reported else this_year - 1
        first = min([*reported, this_year - 5, year])
        years = list(range(max(this_year, year), first - 1, -1))
        rows = unit_year_grid(session, unit_code, year)
        flags = flags_by_unit(session, year, [unit_code])[unit_code]
    stats = load_stats(ctx, unit_code, year, cultivated_only)
    return MonitoringData(inst, units, years, unit_code, dict(units)[unit_code], year, rows, flags, stats)


@dataclass(frozen=True)
class SaveOutcome:
    result: SaveResult | None = None
    problems: tuple[RowProblem, ...] = ()
    message: str = ""  # why nothing was saved


def save_monitoring(ctx: AppContext, unit_code: str, year: int, edits: Sequence[Any]) -> SaveOutcome:
    """All the grid's edits in one transaction (all or nothing); runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.monitoring_grid import GridConflict, GridRejected, save_grid

    try:
        with transaction(ctx.sessions) as session:
            result = save_grid(session, ctx.actor, unit_code, year, edits)
    except (GridRejected, GridConflict) as error:
        return SaveOutcome(problems=tuple(error.row_problems), message=str(error))
    return SaveOutcome(result=result)


# --- the grid: frozen name columns beside the scrolling figures --------------------------------


class GridView(QTableView):
    """A figures table that behaves like a spreadsheet: typing edits, Enter moves down, Ctrl+V pastes a
    block copied from Excel, Delete clears the selected cells."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        # Two lines: the label and its unit.
        header.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 14)

    def reserve_bottom(self, height: int) -> None:
        """Leave room below the rows (where a neighbour has its scroll bar), so that rows line up."""
        self.setViewportMargins(0, 0, 0, height)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            current = self.currentIndex()
            below = current.sibling(current.row() + 1, current.column())
            if below.isValid():
                self.setCurrentIndex(below)
            return
        super().closeEditor(editor, hint)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() != QAbstractItemView.State.EditingState:
            if event.matches(QKeySequence.StandardKey.Paste):
                self.paste(QGuiApplication.clipboard().text())
                return
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.clear_selected()
                return
        super().keyPressEvent(event)

    def paste(self, text: str) -> int:
        """Tab-separated lines into the cells from the current one down and right; returns cells set."""
        model = self.model()
        start = self.currentIndex()
        if model is None or not start.isValid() or not text:
            return 0
        changed = 0
        lines = text.rstrip("\r\n").split("\n")
        for line_number, line in enumerate(lines):
            for cell_number, cell in enumerate(line.rstrip("\r").split("\t")):
                index = model.index(start.row() + line_number, start.column() + cell_number)
                if index.isValid() and model.flags(index) & Qt.ItemFlag.ItemIsEditable:
                    model.setData(index, cell.strip())
                    changed += 1
        return changed

    def clear_selected(self) -> int:
        model = self.model()
        if model is None:
            return 0
        cleared = 0
        for index in self.selectionModel().selectedIndexes():
            if model.flags(index) & Qt.ItemFlag.ItemIsEditable and index.data(Qt.ItemDataRole.EditRole) != "":
                model.setData(index, "")
                cleared += 1
        return cleared


class FrozenGrid(QWidget):
    """Two views over one model: the enterprise names stay on the left while the figures scroll."""

    def __init__(self, model: MonitoringGridFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.names = GridView()
        self.figures = GridView()
        for view in (self.names, self.figures):
            view.setModel(model)
        self.figures.setSelectionModel(self.names.selectionModel())
        # The figures always scroll sideways; the names reserve the same height below their rows, so
        # that rows line up at the bottom of the list too.
        self.figures.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.names.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.names.reserve_bottom(self.figures.horizontalScrollBar().sizeHint().height())
        self.names.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.names.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.names.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.names.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.names.setObjectName("frozenColumns")
        self.figures.verticalScrollBar().valueChanged.connect(self.names.verticalScrollBar().setValue)
        self.names.verticalScrollBar().valueChanged.connect(self.figures.verticalScrollBar().setValue)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.names)
        layout.addWidget(self.figures, 1)
        self.arrange_columns()

    def arrange_columns(self) -> None:
        columns = self.model.columnCount()
        for column in range(columns):
            self.names.setColumnHidden(column, column >= FROZEN_COLUMNS)
            self.figures.setColumnHidden(column, column < FROZEN_COLUMNS)
        self.names.setColumnWidth(COL_NAME, NAME_WIDTH)
        self.names.setColumnWidth(1, 52)
        self.names.horizontalHeader().setStretchLastSection(False)
        self.names.setFixedWidth(NAME_WIDTH + 52 + 2 * self.names.frameWidth())
        metrics = self.figures.fontMetrics()
        header = self.figures.horizontalHeader()
        for column in range(FROZEN_COLUMNS, columns):
            text = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            widest = max(metrics.horizontalAdvance(line) for line in text.split("\n"))
            header.resizeSection(column, max(FIGURE_MIN_WIDTH, widest + 22))

    def fit_figures(self) -> None:
        """Widen figure columns to their widest value on screen (after loading)."""
        header = self.figures.horizontalHeader()
        metrics = self.figures.fontMetrics()
        rows = min(self.model.rowCount(), 400)
        for column in range(FROZEN_COLUMNS, self.model.columnCount()):
            widest = max(
                (metrics.horizontalAdvance(str(self.model.index(row, column).data() or "")) for row in range(rows)),
                default=0,
            )
            if widest + 18 > header.sectionSize(column):
                header.resizeSection(column, widest + 18)

    def go_to(self, row: int, column: int) -> None:
        """Show and select a cell (proxy coordinates); a frozen column selects the name."""
        index = self.model.index(row, column)
        if not index.isValid():
            return
        view = self.names if column < FROZEN_COLUMNS else self.figures
        view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.names.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if view is self.figures:
            self.figures.setFocus()


class TrendChart(ChartCanvas):
    """A unit's 营业收入, 工业增加值, 税收 and 亩均 figures by year (drawn by the core's draw_trend)."""

    def plot(self, trend: Sequence[UnitYear], title: str) -> None:
        from zjtx_desktop.monitoring_stats import draw_trend

        if self.error is not None:
            return
        figure, canvas = self._ensure_canvas()
        figure.clear()
        draw_trend(figure, trend, title)
        self.labels_shown = [str(row.year) for row in trend]
        canvas.draw()


# --- the page --------------------------------------------------------------------------------


def _amount(value: float) -> str:
    return f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


class MonitoringPage(Page):
    """年度监测. `open_enterprise(id)` asks the window to open an enterprise's detail view; `saved` follows a
    committed save. `tabs` is public so that more tabs (亩均评价) can be added."""

    open_enterprise = Signal(int)
    saved = Signal()

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["monitoring"], jobs, parent)
        self.data: MonitoringData | None = None
        self.wanted_unit: str | None = None
        self.wanted_year: int | None = None
        self.cultivated_only = False
        self._save_job: Job | None = None
        self._stats_job: Job | None = None
        self._chart_pending = False
        self._stats: StatsData | None = None
        self._watched_window: QWidget | None = None
        self._choosing = False

        controls = QHBoxLayout()
        controls.setSpacing(SPACING)
        self.unit_combo = QComboBox()
        self.unit_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year_combo = QComboBox()
        self.year_combo.setMinimumContentsLength(6)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("查找企业名称或信用代码")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(210)
        self.search_edit.setMaximumWidth(260)
        self.show_combo = QComboBox()
        self.show_combo.addItems(SHOW_CHOICES)
        self.edits_label = QLabel()
        self.edits_label.setStyleSheet(f"color: {TONE_COLOURS['warn']};")
        self.discard_button = QPushButton("撤销修改")
        self.discard_button.setToolTip("放弃尚未保存的修改，重新读取数据库中的数据")
        self.save_button = QPushButton("保存")
        self.save_button.setDefault(True)
        self.save_button.setToolTip("把所有修改一次保存（任何一处有误则全部不保存）")
        for label, widget in (("单位", self.unit_combo), ("年度", self.year_combo)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addSpacing(SPACING)
        controls.addWidget(self.search_edit)
        controls.addWidget(QLabel("显示"))
        controls.addWidget(self.show_combo)
        controls.addStretch(1)
        controls.addWidget(self.edits_label)
        controls.addWidget(self.discard_button)
        controls.addWidget(self.save_button)
        self.body.addLayout(controls)

        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs, 1)

        # 监测数据
        self.grid_model = MonitoringGridModel()
        self.grid_filter = MonitoringGridFilter()
        self.grid_filter.setSourceModel(self.grid_model)
        grid_tab = QWidget()
        grid_layout = QVBoxLayout(grid_tab)
        grid_layout.setContentsMargins(0, SPACING, 0, 0)
        grid_layout.setSpacing(SPACING // 2)
        grid_layout.addWidget(note_label(GRID_NOTE))
        self.grid = FrozenGrid(self.grid_filter)
        grid_layout.addWidget(self.grid, 1)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid_layout.addWidget(self.message_label)
        self.tabs.addTab(grid_tab, "监测数据")

        # 异常提示
        flags_tab = QWidget()
        flags_layout = QVBoxLayout(flags_tab)
        flags_layout.setContentsMargins(0, SPACING, 0, 0)
        flags_layout.setSpacing(SPACING // 2)
        self.flags_summary = note_label("")
        flags_layout.addWidget(self.flags_summary)
        self.flags_model = TextRowsModel(FLAG_HEADERS, numeric=(5,), colour=self._flag_colour)
        self.flags_view = make_table_view(self.flags_model)
        self.flags_view.horizontalHeader().setStretchLastSection(True)
        self.flags_view.setToolTip("双击一行打开企业档案")
        self.flags_view.doubleClicked.connect(self._on_flag_double_clicked)
        flags_layout.addWidget(self.flags_view, 1)
        flag_buttons = QHBoxLayout()
        self.rules_label = QLabel()
        self.rules_label.setObjectName("countingRule")
        self.rules_label.setWordWrap(True)
        flag_buttons.addWidget(self.rules_label, 1)
        self.locate_button = QPushButton("在监测数据中定位")
        self.locate_button.setToolTip("切换到“监测数据”，选中这家企业的这项数据，以便更正")
        self.locate_button.clicked.connect(self.locate_selected_flag)
        flag_buttons.addWidget(self.locate_button, 0, Qt.AlignmentFlag.AlignTop)
        flags_layout.addLayout(flag_buttons)
        self.tabs.addTab(flags_tab, "异常提示")

        # 汇总与趋势
        stats_tab = QWidget()
        stats_layout = QVBoxLayout(stats_tab)
        stats_layout.setContentsMargins(0, SPACING, 0, 0)
        stats_layout.setSpacing(SPACING // 2)
        stats_controls = QHBoxLayout()
        self.cultivated_check = QCheckBox("只统计该年度的培育企业")
        self.cultivated_check.toggled.connect(self._on_cultivated_toggled)
        stats_controls.addWidget(self.cultivated_check)
        self.stats_rule = QLabel()
        self.stats_rule.setObjectName("countingRule")
        self.stats_rule.setWordWrap(True)
        stats_controls.addWidget(self.stats_rule, 1)
        stats_layout.addLayout(stats_controls)
        self.stats_model = TextRowsModel(STATS_HEADERS, numeric=range(1, len(STATS_HEADERS)))
        self.stats_view = make_table_view(self.stats_model)
        self.stats_view.horizontalHeader().setStretchLastSection(True)
        self.stats_view.horizontalHeader().setFixedHeight(self.stats_view.fontMetrics().lineSpacing() * 2 + 14)
        self.chart = TrendChart(jobs)
        self.chart.setMinimumHeight(CHART_MIN_HEIGHT)
        self.stats_splitter = QSplitter(Qt.Orientation.Vertical)
        self.stats_splitter.addWidget(self.stats_view)
        self.stats_splitter.addWidget(self.chart)
        self.stats_splitter.setChildrenCollapsible(False)
        self.stats_splitter.setStretchFactor(0, 0)
        self.stats_splitter.setStretchFactor(1, 1)
        stats_layout.addWidget(self.stats_splitter, 1)
        self.tabs.addTab(stats_tab, "汇总与趋势")

        # 亩均评价: its own year and scheme; loaded when first shown, again after the figures changed.
        from ui.pages.monitoring_mujun import MujunPanel

        self.mujun = MujunPanel(jobs)
        self.mujun.open_enterprise.connect(self.open_enterprise)
        self.mujun.changed.connect(lambda: mark_other_pages_stale(self))  # classes show in the detail view
        self.mujun_stale = True
        self.tabs.addTab(self.mujun, "亩均评价")
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.saved.connect(self._mark_mujun_stale)

        self.unit_combo.activated.connect(self._on_choice)
        self.year_combo.activated.connect(self._on_choice)
        self.search_edit.textChanged.connect(self._apply_filter)
        self.show_combo.currentIndexChanged.connect(self._apply_filter)
        self.save_button.clicked.connect(self.save)
        self.discard_button.clicked.connect(self.discard_edits)
        self.grid_model.edits_changed.connect(self._on_edits_changed)
        self.grid_model.cell_checked.connect(self._on_cell_checked)
        self._on_edits_changed()

    # --- loading -------------------------------------------------------------------------------

    def loader(self, ctx: AppContext) -> Work:
        unit, year, cultivated = self.wanted_unit, self.wanted_year, self.cultivated_only
        return lambda _control: load_monitoring(ctx, unit, year, cultivated)

    def activate(self) -> None:
        # The clerk's unsaved edits stay on screen even if other pages changed data meanwhile: a change
        # to the same rows is caught as a conflict when saving.
        if self.grid_model.is_dirty() and self.state is PageState.READY:
            return
        super().activate()

    def refresh(self) -> None:
        """Reload (F5, another unit or year); unsaved edits are given up only if the clerk agrees."""
        if self.ctx is not None and not self.confirm_leave():
            return
        super().refresh()

    def set_context(self, ctx: AppContext) -> None:
        super().set_context(ctx)
        self.mujun.set_context(ctx)

    def _mark_mujun_stale(self) -> None:
        self.mujun_stale = True

    def _on_tab_changed(self, index: int) -> None:
        showing_mujun = self.tabs.widget(index) is self.mujun
        if showing_mujun and self.mujun_stale and self.ctx is not None and self.mujun.reload() is not None:
            self.mujun_stale = False

    def show_data(self, data: Any) -> None:
        assert isinstance(data, MonitoringData)
        self.data = data
        self.wanted_unit, self.wanted_year = data.unit_code, data.year
        self._choosing = True
        try:
            self.unit_combo.clear()
            for code, name in data.units:
                self.unit_combo.addItem(name, code)
            self.unit_combo.setCurrentIndex(max(self.unit_combo.findData(data.unit_code), 0))
            self.year_combo.clear()
            for year in data.years:
                self.year_combo.addItem(f"{year}年", year)
            self.year_combo.setCurrentIndex(max(self.year_combo.findData(data.year), 0))
        finally:
            self._choosing = False
        self.grid_model.read_only = not data.installation.can_write
        self.grid_model.set_rows(data.rows)  # also refreshes the buttons and pickers (edits_changed)
        self.grid.setEnabled(True)
        self.grid.arrange_columns()
        self.grid.fit_figures()
        self._show_subtitle()
        self._show_flags(data)
        self._show_stats(data.stats)

    def show_failure(self, message: str) -> None:
        self.grid.setEnabled(True)

    def _show_subtitle(self) -> None:
        data = self.data
        if data is None:
            return
        rows = data.rows
        reported = sum(1 for row in rows if row.has_report)
        cultivated = [row for row in rows if row.cultivated]
        cultivated_reported = sum(1 for row in cultivated if row.has_report)
        self.set_subtitle(
            f"{data.unit}　·　{data.year}年度　·　企业 {len(rows):,} 家，已报送 {reported:,} 家；"
            f"其中培育企业 {len(cultivated):,} 家，已报送 {cultivated_reported:,} 家　·　异常提示 {len(data.flags)} 条"
        )

    def is_settled(self) -> bool:
        return super().is_settled() and not self._chart_pending and self._stats_job is None

    # --- the grid ------------------------------------------------------------------------------

    def _apply_filter(self) -> None:
        self.grid_filter.set_filter(self.search_edit.text(), self.show_combo.currentText())

    def _on_edits_changed(self) -> None:
        cells = self.grid_model.edited_cells()
        self.edits_label.setText(f"未保存的修改 {cells} 处" if cells else "")
        saving = self._save_job is not None
        self.save_button.setEnabled(cells > 0 and not saving)
        self.discard_button.setEnabled(cells > 0 and not saving)
        # No other unit or year while a save is on its way: its reload would replace what is shown.
        self.year_combo.setEnabled(not saving)
        self.unit_combo.setEnabled(not saving and self.data is not None and len(self.data.units) > 1)
        self.unit_combo.setToolTip("有未保存的修改时，换单位前会先询问" if cells else "")

    def _on_cell_checked(self, row: int, _column: int, reason: str) -> None:
        if reason:
            name = self.grid_model.rows[row].name
            self._say(f"{name}：{reason}（该单元格已标红，更正后才能保存）", "bad")
        else:
            self._say("")

    def _say(self, text: str, tone: str = "neutral") -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(f"color: {TONE_COLOURS[tone]};" if text else "")

    def has_unsaved_edits(self) -> bool:
        return self.grid_model.is_dirty()

    def confirm_leave(self) -> bool:
        """True when there are no unsaved edits or the clerk agrees to give them up (they are then dropped).

        For the window: call before switching away from this page or closing.
        """
        if not self.grid_model.is_dirty():
            return True
        cells = self.grid_model.edited_cells()
        unit = self.data.unit if self.data else ""
        year = f"{self.data.year}年度" if self.data else ""
        if not prompts.confirm(
            self.window(),
            "放弃未保存的修改？",
            f"{unit}{year}的年度监测数据有 {cells} 处修改尚未保存。\n放弃这些修改吗？",
            ok_text="放弃修改",
            cancel_text="继续编辑",
        ):
            return False
        self.grid_model.clear_edits()
        return True

    def discard_edits(self) -> None:
        if self.grid_model.is_dirty() and self.confirm_leave():
            self._say("已撤销未保存的修改。")

    def _on_choice(self, _index: int = 0) -> None:
        if self._choosing or self.data is None:
            return
        unit, year = self.unit_combo.currentData(), self.year_combo.currentData()
        if (unit, year) == (self.data.unit_code, self.data.year):
            return
        if not self.confirm_leave():
            self._choosing = True
            self.unit_combo.setCurrentIndex(max(self.unit_combo.findData(self.data.unit_code), 0))
            self.year_combo.setCurrentIndex(max(self.year_combo.findData(self.data.year), 0))
            self._choosing = False
            return
        self.choose(unit, year)

    def choose(self, unit_code: str, year: int) -> None:
        """Show another unit or year (after confirm_leave when there are edits)."""
        self.wanted_unit, self.wanted_year = unit_code, year
        Page.refresh(self)

    # --- saving --------------------------------------------------------------------------------

    def save(self) -> Job | None:
        """Save every edit in one job; nothing is written while a cell is red."""
        if self.ctx is None or self.data is None or self._save_job is not None:
            return None
        invalid = self.grid_model.invalid_cells()
        if invalid:
            row, column, reason = invalid[0]
            name = self.grid_model.rows[row].name
            self._reveal(row, column)
            prompts.warn(
                self,
                "请先更正",
                f"有 {len(invalid)} 处输入有误（红色单元格），更正后才能保存。\n第一处：{name}：{reason}",
            )
            return None
        edits = self.grid_model.edits()
        if not edits:
            return None
        ctx, unit, year = self.ctx, self.data.unit_code, self.data.year
        job = self.jobs.submit(lambda _control: save_monitoring(ctx, unit, year, edits), name="保存年度监测数据")
        self._save_job = job
        job.finished.connect(self._on_saved)
        job.failed.connect(self._on_save_failed)
        self._on_edits_changed()
        self.grid.setEnabled(False)
        self._say("正在保存…")
        return job

    def _reveal(self, source_row: int, column: int) -> None:
        """Bring a cell into view, clearing a filter that hides it."""
        proxy = self.grid_filter.mapFromSource(self.grid_model.index(source_row, column))
        if not proxy.isValid():
            self.search_edit.clear()
            self.show_combo.setCurrentText(SHOW_ALL)
            proxy = self.grid_filter.mapFromSource(self.grid_model.index(source_row, column))
        self.tabs.setCurrentIndex(TAB_GRID)
        self.grid.go_to(proxy.row(), column)

    def _on_saved(self, outcome: object) -> None:
        self._save_job = None
        assert isinstance(outcome, SaveOutcome)
        if outcome.result is None:
            self.grid.setEnabled(True)
            self._on_edits_changed()
            self.grid_model.mark_rejected([(p.enterprise_id, p.field, p.message) for p in outcome.problems])
            first = outcome.problems[0] if outcome.problems else None
            if first is not None and (row := self.grid_model.row_of(first.enterprise_id)) is not None:
                column = FIRST_FIGURE + next(
                    (n for n, spec in enumerate(FIGURE_FIELDS) if spec.key == first.field), -FIRST_FIGURE
                )
                self._reveal(row, max(column, COL_NAME))
            self._say(outcome.message, "bad")
            prompts.warn(self, "未能保存", outcome.message)
            return
        result = outcome.result
        text = f"已保存：{result.summary}。"
        if result.warnings:
            text += "请留意：" + "；".join(w.text for w in result.warnings[:3])
        self._say(text, "warn" if result.warnings else "good")
        mark_other_pages_stale(self)
        self.saved.emit()
        # The grid stays locked until the reload shows the saved figures (with new versions).
        Page.refresh(self)

    def _on_save_failed(self, message: str) -> None:
        self._save_job = None
        self.grid.setEnabled(True)
        self._on_edits_changed()
        self._say(f"未能保存：{message}", "bad")
        prompts.warn(self, "未能保存", message)

    # --- flags ---------------------------------------------------------------------------------

    @staticmethod
    def _flag_colour(flag: Any, column: int) -> str | None:
        if column == 0:
            return str(TONE_COLOURS["bad" if flag.severity == "error" else "warn"])
        return None

    def _show_flags(self, data: MonitoringData) -> None:
        from zjtx_desktop.plausibility import THRESHOLDS_NOTE

        flags = data.flags
        rows = [
            (
                [
                    flag.severity_label,
                    flag.enterprise,
                    flag.contact_person or "",
                    flag.phone or "",
                    flag.field_label,
                    flag.value_text or "—",
                    flag.reason,
                ],
                flag,
            )
            for flag in flags
        ]
        self.flags_model.set_rows(rows)
        self.flags_view.resizeColumnsToContents()
        header = self.flags_view.horizontalHeader()
        header.resizeSection(1, min(header.sectionSize(1), 240))
        header.resizeSection(4, min(header.sectionSize(4), 160))
        header.setStretchLastSection(True)
        serious = sum(1 for flag in flags if flag.severity == "error")
        firms = len({flag.enterprise_id for flag in flags})
        if flags:
            summary = (
                f"{data.unit}{data.year}年度共 {len(flags)} 条异常提示，涉及 {firms} 家企业：很可能有误 {serious} 条，"
                f"请核实 {len(flags) - serious} 条。请电话联系企业核实；双击一行打开企业档案，"
                "选中后点“在监测数据中定位”可直接更正。"
            )
        else:
            summary = f"{data.unit}{data.year}年度的监测数据没有发现异常。"
        self.flags_summary.setText(summary)
        self.rules_label.setText(f"判断标准：{THRESHOLDS_NOTE}")
        self.locate_button.setEnabled(bool(flags))
        self.tabs.setTabText(TAB_FLAGS, f"异常提示（{len(flags)}）" if flags else "异常提示")

    def _on_flag_double_clicked(self, index: QModelIndex) -> None:
        flag = self.flags_model.payload(index.row())
        if flag is not None:
            self.open_enterprise.emit(flag.enterprise_id)

    def locate_selected_flag(self) -> None:
        rows = self.flags_view.selectionModel().selectedRows()
        flag = self.flags_model.payload(rows[0].row() if rows else 0)
        if flag is None:
            return
        row = self.grid_model.row_of(flag.enterprise_id)
        if row is None:
            return
        keys = [spec.key for spec in FIGURE_FIELDS]
        column = FIRST_FIGURE + keys.index(flag.field) if flag.field in keys else COL_NAME
        self._reveal(row, column)

    # --- aggregates and trend ------------------------------------------------------------------

    def _on_cultivated_toggled(self, checked: bool) -> None:
        if self.ctx is None or self.data is None or checked == self.cultivated_only:
            return
        self.cultivated_only = checked
        ctx, unit, year = self.ctx, self.data.unit_code, self.data.year
        if self._stats_job is not None:
            self._stats_job.finished.disconnect(self._on_stats_loaded)
            self._stats_job.cancel()
        job = self.jobs.submit(lambda _control: load_stats(ctx, unit, year, checked), name="统计年度监测数据")
        job.finished.connect(self._on_stats_loaded)
        job.failed.connect(self._on_stats_failed)
        self._stats_job = job

    def _on_stats_loaded(self, stats: object) -> None:
        self._stats_job = None
        assert isinstance(stats, StatsData)
        self._show_stats(stats)

    def _on_stats_failed(self, message: str) -> None:
        self._stats_job = None
        self.stats_rule.setText(f"统计失败：{message}")
        if self.is_settled():
            self.settled.emit()

    def _show_stats(self, stats: StatsData) -> None:
        from zjtx_desktop.monitoring_stats import RULE_NOTE, total

        self.cultivated_check.blockSignals(True)
        self.cultivated_check.setChecked(stats.cultivated_only)
        self.cultivated_check.blockSignals(False)
        scope = "该年度培育企业" if stats.cultivated_only else "全部企业"
        self.stats_rule.setText(f"统计范围：{scope}。{RULE_NOTE}")
        rows = list(stats.aggregates)
        if len(rows) > 1:
            rows.append(total(rows, "合计", stats.year))
        self.stats_model.set_rows([(self._stats_cells(row), row) for row in rows])
        self.stats_view.resizeColumnsToContents()
        self.stats_view.horizontalHeader().setStretchLastSection(True)
        chosen = next((n for n, row in enumerate(rows) if row.unit_code == stats.unit_code), None)
        if chosen is not None and len(rows) > 1:
            self.stats_view.selectRow(chosen)
        # The table as tall as its rows, up to half the tab; the chart takes the rest.
        wanted = self.stats_view.horizontalHeader().height() + ROW_HEIGHT * len(rows) + 4
        available = sum(self.stats_splitter.sizes()) or self.stats_splitter.height()
        table = min(wanted, max(available // 2, available - CHART_MIN_HEIGHT * 3 // 2))
        self.stats_splitter.setSizes([table, max(available - table, CHART_MIN_HEIGHT)])
        self._stats = stats
        if not self._chart_pending:
            self._chart_pending = True
            self.chart.when_ready(self._draw_chart)

    @staticmethod
    def _stats_cells(row: UnitYear) -> list[str]:
        rate = row.reporting_rate
        return [
            row.unit,
            f"{row.enterprises:,}",
            f"{row.reporting:,}",
            "—" if rate is None else f"{rate:.1f}",
            _amount(row.revenue),
            _amount(row.value_added),
            _amount(row.tax_paid),
            _amount(row.rd_expense),
            _amount(row.land_area),
            _amount(row.energy_use),
            _ratio(row.tax_per_mu),
            _ratio(row.va_per_mu),
            _ratio(row.rd_intensity),
        ]

    def _draw_chart(self) -> None:
        try:
            stats = self._stats
            if stats is not None:
                scope = "该年度培育企业" if stats.cultivated_only else "全部企业"
                self.chart.plot(stats.trend, f"{stats.unit}历年监测数据（{scope}）")
        finally:
            self._chart_pending = False
            if self.is_settled():
                self.settled.emit()

    # --- leaving -------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        window = self.window()
        if window is not self and window is not self._watched_window:
            if self._watched_window is not None:
                self._watched_window.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched_window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Closing the window with unsaved edits asks first; kept, the window stays open.
        if watched is self._watched_window and event.type() == QEvent.Type.Close and not self.confirm_leave():
            event.ignore()
            return True
        return super().eventFilter(watched, event)
