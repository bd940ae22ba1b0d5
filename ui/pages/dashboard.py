"""首页: target progress per unit for one program and period (table with pace, status and rank; bullets and
the entries per year), and the alert list. Every figure drills down to the enterprises behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QSignalBlocker, Qt, Signal
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
    QVBoxLayout,
    QWidget,
)

from ui.charts import ProgressChart
from ui.delegates import ProgressBarDelegate
from ui.dialogs import prompts
from ui.jobs import JobRunner, Work
from ui.models.progress_model import (
    COL_BAR,
    COL_DONE,
    COL_RANK,
    COL_RATE,
    COL_STATUS,
    COL_TARGET,
    COL_UNIT,
    PACE_ROLE,
    RATE_ROLE,
    ProgressTableModel,
    format_rate,
)
from ui.models.table_rows import TextRowsModel
from ui.theme import ROW_HEIGHT, SPACING, TONE_COLOURS
from ui.widgets import LOADING_TEXT, Page, make_table_view, note_label
from zjtx_desktop.charts import Bar

if TYPE_CHECKING:
    # Only for annotations: the core's query modules load SQLAlchemy, which the window must not wait for.
    from zjtx_desktop.alerts import AlertList
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.progress import ProgressRow
    from zjtx_desktop.settings import Installation
    from zjtx_desktop.standing import Standing

Period = tuple[str, int, int]  # program code, start year, end year
BAR_MINIMUM_WIDTH = 80
NO_TARGETS_TEXT = "数据库中还没有目标任务，无法计算完成情况。"
NOT_LOADED_TEXT = "未能读取目标完成情况（原因见右上方），可按“刷新”重试。"
NO_ALERTS_TEXT = "没有需要关注的事项。"
ALERTS_PER_KIND = 200  # the most urgent of each kind; the full lists belong to their own pages
ALERT_HEADERS = ("类别", "事项")


@dataclass(frozen=True)
class DashboardData:
    """What the dashboard shows, read on the worker: plain rows, no ORM objects."""

    installation: Installation
    today: dt.date
    rows: list[Standing]
    totals: list[Standing]
    counting_rule: str
    status_rule: str
    thresholds: tuple[float, float] = (1.0, 0.8)  # (on track, warn) as ratios of the expected
    trends: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # program → (year, entries)
    alerts: AlertList | None = None


def load_dashboard(ctx: AppContext, today: dt.date | None = None) -> DashboardData:
    """Progress with pace, status and rank, the entries per year and the alerts; runs on the worker thread."""
    from zjtx_desktop.alerts import dashboard_alerts
    from zjtx_desktop.progress import COUNTING_RULE, entries_by_year, progress_by_unit
    from zjtx_desktop.settings import installation
    from zjtx_desktop.standing import STATUS_EXPLANATION, load_thresholds, standings

    today = today or dt.date.today()
    with ctx.sessions() as session:
        inst = installation(session)
        units = None if inst.is_city else [inst.unit_code]
        thresholds = load_thresholds(session)
        report = progress_by_unit(session, unit_codes=units, previous_year_end=today.year - 1)
        rows, totals = standings(report, today, thresholds)
        programs = dict.fromkeys(total.row.program_code for total in totals)
        trends = {code: entries_by_year(session, code, unit_codes=units) for code in programs}
        alerts = dashboard_alerts(
            session, today, unit_codes=units, thresholds=thresholds, unit_standings=rows, per_kind=ALERTS_PER_KIND
        )
    return DashboardData(
        inst,
        today,
        rows,
        totals,
        COUNTING_RULE,
        STATUS_EXPLANATION,
        (thresholds.on_track, thresholds.warn),
        trends,
        alerts,
    )


def _period_of(row: ProgressRow) -> Period:
    return row.program_code, row.start_year, row.end_year


def _years_key(start_year: int, end_year: int) -> str:
    # Combo item data as text: Qt cannot match a Python tuple stored in a QVariant with findData.
    return f"{start_year}:{end_year}"


class DashboardPage(Page):
    """Progress against the targets: a city installation sees every unit, a county only its own."""

    refresh_on_show = True  # a few aggregate queries; other pages change what it counts
    # Double-clicked enterprise (an alert about a title or a help item) or a page to go to (a task).
    open_enterprise = Signal(int)
    navigate = Signal(str)

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__("目标完成情况", jobs, parent)
        self._data: DashboardData | None = None
        self._chart_pending = False
        self.detail_dialogs: list[QWidget] = []

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
        self.thresholds_button = QPushButton("状态阈值…")
        self.thresholds_button.setToolTip("设置按时间进度判断“正常”“稍慢”“滞后”的界限")
        self.thresholds_button.clicked.connect(self.edit_thresholds)
        self.thresholds_dialog: QWidget | None = None
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setToolTip("重新读取数据库中的目标和培育记录（F5）")
        selectors.addWidget(program_label)
        selectors.addWidget(self.program_combo)
        selectors.addSpacing(SPACING)
        selectors.addWidget(period_label_widget)
        selectors.addWidget(self.period_combo)
        selectors.addStretch(1)
        selectors.addWidget(self.thresholds_button)
        selectors.addWidget(self.refresh_button)
        self.body.addLayout(selectors)

        # The selected period at a glance: target, done, rate, time elapsed and status.
        self.summary_label = QLabel()
        self.summary_label.setObjectName("summaryStrip")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.body.addWidget(self.summary_label)

        self.model = ProgressTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(COL_BAR, ProgressBarDelegate(RATE_ROLE, self.table, pace_role=PACE_ROLE))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setToolTip("双击一行，查看计入和未计入的企业")
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(COL_UNIT, QHeaderView.ResizeMode.ResizeToContents)
        for column, width in ((COL_TARGET, 64), (COL_DONE, 64), (COL_RATE, 72), (COL_STATUS, 64), (COL_RANK, 64)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)
        header.setSectionResizeMode(COL_BAR, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(56)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.doubleClicked.connect(self._on_table_double_clicked)

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
        splitter.setStretchFactor(0, 11)
        splitter.setStretchFactor(1, 9)
        # Without initial sizes the table's wide size hint would squeeze the chart.
        splitter.setSizes([560, 440])
        self.splitter = splitter

        self.alerts_model = TextRowsModel(
            ALERT_HEADERS, colour=lambda alert, column: TONE_COLOURS[alert.tone] if column == 0 else None
        )
        self.alerts_view = make_table_view(self.alerts_model)
        self.alerts_view.horizontalHeader().setStretchLastSection(True)
        self.alerts_view.horizontalHeader().resizeSection(0, 88)
        self.alerts_view.doubleClicked.connect(self._on_alert_double_clicked)
        self.alerts_title = QLabel("需要关注")
        self.alerts_title.setObjectName("sectionTitle")
        alerts_box = QWidget()
        alerts_layout = QVBoxLayout(alerts_box)
        alerts_layout.setContentsMargins(0, SPACING // 2, 0, 0)
        alerts_layout.setSpacing(SPACING // 2)
        alerts_layout.addWidget(self.alerts_title)
        alerts_layout.addWidget(self.alerts_view, 1)
        alerts_box.setMinimumHeight(96)

        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.setChildrenCollapsible(False)
        vertical.addWidget(splitter)
        vertical.addWidget(alerts_box)
        # The progress table keeps the height it needs for every unit; the alerts take what is left.
        vertical.setStretchFactor(0, 1)
        vertical.setStretchFactor(1, 0)
        vertical.setSizes([520, 120])
        self.body.addWidget(vertical, 1)

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
        self._show_alerts()

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
            programs.setdefault(total.row.program_code, total.row.program)
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
                row = total.row
                if row.program_code == code:
                    self.period_combo.addItem(row.period_label, _years_key(row.start_year, row.end_year))
            index = self.period_combo.findData(previous)
            self.period_combo.setCurrentIndex(index if index >= 0 else 0)
        self.period_combo.setEnabled(self.period_combo.count() > 0)

    def _on_program_changed(self) -> None:
        self._fill_periods()
        self._show_selected()

    # --- display --------------------------------------------------------------------------

    def _totals(self) -> list[Standing]:
        return self._data.totals if self._data is not None else []

    def _selected_rows(self) -> tuple[list[Standing], Standing | None]:
        selected = self.selected_period()
        if selected is None or self._data is None:
            return [], None
        rows = [item for item in self._data.rows if _period_of(item.row) == selected]
        total = next((item for item in self._data.totals if _period_of(item.row) == selected), None)
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
        self._show_summary(rows[0] if rows and not city else total)
        rule = self._data.counting_rule
        # The status rule is long: on the summary's and the status column's tooltips, not on the page.
        self.summary_label.setToolTip(self._data.status_rule)
        self.model.status_rule = self._data.status_rule
        if total is None:
            self.rule_label.setText(rule)
        else:
            start, end = total.row.start_year, total.row.end_year
            years = f"{start} 年" if start == end else f"{start} 年至 {end} 年"
            self.rule_label.setText(f"统计期间：{total.row.period_label}（入库年份在 {years}）。{rule}")
        self._schedule_chart()

    def _show_summary(self, item: Standing | None) -> None:
        if item is None or self._data is None:
            self.summary_label.clear()
            return
        row = item.row
        colour = TONE_COLOURS[item.status.tone]
        parts = [
            f"目标 <b>{row.target}</b> 家",
            f"已完成 <b>{row.done}</b> 家",
            f"完成率 <b>{format_rate(row.rate)}</b>",
            f"时间进度 <b>{item.pace * 100:.0f}%</b>（截至 {self._data.today.isoformat()}）",
            f"状态 <b style='color:{colour}'>{item.status.label}</b>",
        ]
        if item.gap:
            parts.append(f"还差 <b>{item.gap}</b> 家")
        self.summary_label.setText("　·　".join(parts))

    def _show_alerts(self) -> None:
        assert self._data is not None
        listed = self._data.alerts
        alerts = listed.alerts if listed is not None else []
        self.alerts_model.set_rows([([alert.kind_label, alert.text], alert) for alert in alerts])
        if listed is not None and listed.counts:
            self.alerts_title.setText(f"需要关注：{listed.summary()}（双击一项查看）")
        else:
            self.alerts_title.setText(f"需要关注：{NO_ALERTS_TEXT}")

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
        selected = self.selected_period()
        period = (selected[1], selected[2]) if selected else None
        trend = self._trend(selected[0], period) if selected and period else None
        trend_title = f"{self.program_combo.currentText()}：每年入库企业数"
        if not inst.is_city:
            # One unit makes a one-bar chart; a county sees all of its own targets side by side instead.
            bars = [
                Bar(f"{item.row.program}\n{item.row.period_label}", item.row.target, item.row.done)
                for item in self._data.rows
            ]
            self.chart.plot(
                bars, f"{inst.unit_name}各项目标完成情况", trend=trend, period=period, trend_title=trend_title
            )
            return
        rows, total = self._selected_rows()
        title = f"{self.program_combo.currentText()}　{total.row.period_label}" if total is not None else ""
        self.chart.plot(
            [Bar(item.row.unit or "", item.row.target, item.row.done) for item in rows],
            title,
            pace=total.pace if total is not None else None,
            trend=trend,
            period=period,
            trend_title=trend_title,
        )

    def _trend(self, program_code: str, period: tuple[int, int]) -> list[tuple[int, int]]:
        """Entries per year with the years without entries as zeros, up to this year within the period
        (a year still to come is not a zero)."""
        assert self._data is not None
        counts = dict(self._data.trends.get(program_code, []))
        if not counts:
            return []
        last = max(max(counts), min(period[1], self._data.today.year))
        return [(year, counts.get(year, 0)) for year in range(min(counts), last + 1)]

    # --- thresholds -----------------------------------------------------------------------

    def edit_thresholds(self) -> QWidget | None:
        if self.ctx is None or self._data is None:
            return None
        from ui.dialogs.thresholds_dialog import ThresholdsDialog

        dialog = ThresholdsDialog(*self._data.thresholds, parent=self.window())
        dialog.accepted.connect(lambda: self._save_thresholds(*dialog.values()))
        dialog.finished.connect(lambda _result=0: setattr(self, "thresholds_dialog", None))
        self.thresholds_dialog = dialog
        dialog.open()
        return dialog

    def _save_thresholds(self, on_track: float, warn: float) -> None:
        if self.ctx is None:
            return
        ctx = self.ctx

        def work(_control: object) -> None:
            from zjtx_desktop.database import transaction
            from zjtx_desktop.standing import Thresholds, save_thresholds

            with transaction(ctx.sessions) as session:
                save_thresholds(session, Thresholds(on_track, warn))

        job = self.jobs.submit(work, name="保存状态阈值")
        job.finished.connect(lambda _result: self.refresh())
        job.failed.connect(lambda message: prompts.warn(self, "未能保存状态阈值", message))

    # --- drill-down -----------------------------------------------------------------------

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        item, is_total = self.model.standing_at(index.row())
        row = item.row
        self.open_detail(row.program_code, row.start_year, row.end_year, None if is_total else row.unit_code)

    def open_detail(self, program_code: str, start_year: int, end_year: int, unit_code: str | None) -> QWidget | None:
        """The enterprises behind one figure (unit_code None: the 合计 of the units this installation sees)."""
        if self.ctx is None or self._data is None:
            return None
        from ui.dialogs.progress_detail_dialog import ProgressDetailDialog
        from zjtx_desktop.progress import period_label

        inst = self._data.installation
        scope = None if inst.is_city else [inst.unit_code]
        unit_name = next(
            (item.row.unit for item in self._data.rows if item.row.unit_code == unit_code and unit_code), None
        )
        program = next(
            (item.row.program for item in self._data.totals if item.row.program_code == program_code), program_code
        )
        where = unit_name or ("全市合计" if inst.is_city else inst.unit_name)
        dialog = ProgressDetailDialog(
            self.jobs,
            self.ctx,
            title=f"{where} · {program} · {period_label(start_year, end_year)}",
            program_code=program_code,
            start_year=start_year,
            end_year=end_year,
            unit_code=unit_code,
            unit_codes=scope,
            parent=self.window(),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open_enterprise.connect(self.open_enterprise)
        self.detail_dialogs.append(dialog)
        dialog.destroyed.connect(lambda _object=None, d=dialog: self._forget(d))
        dialog.show()
        return dialog

    def _forget(self, dialog: QWidget) -> None:
        if dialog in self.detail_dialogs:
            self.detail_dialogs.remove(dialog)

    def _on_alert_double_clicked(self, index: QModelIndex) -> None:
        alert = self.alerts_model.payload(index.row())
        if alert is None:
            return
        if alert.kind == "behind" and alert.program_code and alert.start_year and alert.end_year:
            self.open_detail(alert.program_code, alert.start_year, alert.end_year, alert.unit_code)
        elif alert.enterprise_id is not None:
            self.open_enterprise.emit(alert.enterprise_id)
        elif alert.kind == "task":
            self.navigate.emit("targets:supervision")
