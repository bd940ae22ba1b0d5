"""One enterprise in full: 基本信息 · 培育记录 · 年度监测 · 帮扶记录 · 变更历史, with its edits and its recycle state.

Everything shown is read on the worker in one job (`load_detail`) as plain dataclasses; every change
goes through a core service in its own job, after which the view reloads and tells the list (`changed`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.dialogs.enterprise_form import EnterpriseFormDialog, FormSetup, dialog_size, load_record
from ui.dialogs.record_dialog import LABELS, RecordDialog
from ui.field_form import format_value, with_unit
from ui.jobs import Job, JobRunner
from ui.models.enterprise_model import local_time
from ui.models.table_rows import TextRowsModel
from ui.theme import PAGE_MARGIN, SPACING
from ui.widgets import make_table_view
from zjtx_desktop.fields import (
    ANNUAL_FIELDS,
    CULTIVATION_FIELDS,
    ENTERPRISE_FIELDS,
    ENTERPRISE_SECTIONS,
    VISIT_FIELDS,
    FieldSpec,
)
from zjtx_desktop.metrics import Metric, derived_metrics

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.enterprise_records import EnterpriseRecordRow
    from zjtx_desktop.registry import EnterpriseRecord, HistoryItem

LOADING = "正在加载…"
TAB_TITLES = ("基本信息", "培育记录", "年度监测", "帮扶记录", "变更历史")
# The monitoring table shows the main figures; every figure is in the edit dialog.
ANNUAL_COLUMNS = (
    "year",
    "revenue",
    "main_revenue",
    "value_added",
    "total_profit",
    "tax_paid",
    "rd_expense",
    "employees_avg",
    "land_area",
    "energy_use",
)
HISTORY_HEADERS = ("时间", "操作人", "操作", "对象", "字段", "原值", "新值")


@dataclass(frozen=True)
class DetailData:
    """An enterprise with its records and history, read in one session on the worker."""

    record: EnterpriseRecord
    cultivations: list[EnterpriseRecordRow]
    annual: list[EnterpriseRecordRow]
    visits: list[EnterpriseRecordRow]
    history: list[HistoryItem]


def load_detail(ctx: AppContext, enterprise_id: int) -> DetailData:
    from zjtx_desktop.enterprise_records import ANNUAL, CULTIVATION, VISIT, list_records
    from zjtx_desktop.registry import enterprise_history, get_enterprise

    with ctx.sessions() as session:
        return DetailData(
            get_enterprise(session, enterprise_id),
            list_records(session, CULTIVATION, enterprise_id),
            list_records(session, ANNUAL, enterprise_id),
            list_records(session, VISIT, enterprise_id),
            enterprise_history(session, enterprise_id),
        )


def run_write(ctx: AppContext, write: Callable[[Any], None]) -> None:
    """One write through a core service, committed with its audit entry; runs on the worker."""
    from zjtx_desktop.database import transaction

    with transaction(ctx.sessions) as session:
        write(session)


def metric_text(metric: Metric) -> str:
    """A derived metric to two decimals (four for small values, such as 研发投入强度 of a tiny firm)."""
    if metric.value is None:
        return "—"
    digits = 2 if abs(metric.value) >= 0.1 or metric.value == 0 else 4
    return f"{metric.value:.{digits}f} {metric.unit}"


class RecordsTab(QWidget):
    """A tab listing one kind of record, with its buttons."""

    def __init__(self, specs: Sequence[FieldSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs = list(specs)
        numeric = [number for number, spec in enumerate(self.specs) if spec.kind in ("int", "float")]
        self.model = TextRowsModel([spec.header for spec in self.specs], numeric)
        self.table: QTableView = make_table_view(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(SPACING)
        self.empty = QLabel()
        self.empty.setObjectName("pageSubtitle")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, SPACING, 0, 0)
        self.body.setSpacing(SPACING)
        self.body.addLayout(self.buttons)
        self.body.addWidget(self.table, 1)
        self.body.addWidget(self.empty)

    def add_button(self, text: str, handler: Callable[[], None], *, needs_row: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)  # Enter in the dialog must not add or delete records
        button.setProperty("needs_row", needs_row)
        button.clicked.connect(handler)
        self.buttons.addWidget(button)
        return button

    def finish_buttons(self) -> None:
        self.buttons.addStretch(1)

    def current(self) -> Any:
        index = self.table.currentIndex()
        return self.model.payload(index.row()) if index.isValid() else None

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.selectRow(row)


class EnterpriseDetailDialog(QDialog):
    """The detail view of one enterprise (not modal: several may be open beside the list)."""

    changed = Signal(int)  # the enterprise's data changed: lists showing it should refresh
    open_enterprise = Signal(int)  # from a duplicate code in the edit form
    loaded = Signal()

    def __init__(
        self,
        jobs: JobRunner,
        ctx: AppContext,
        setup: FormSetup,
        enterprise_id: int,
        *,
        is_admin: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx = ctx
        self.setup = setup
        self.enterprise_id = enterprise_id
        self.is_admin = is_admin
        self.data: DetailData | None = None
        self.form_dialog: EnterpriseFormDialog | None = None
        self.record_dialog: RecordDialog | None = None
        self._load_job: Job | None = None
        self._busy: Job | None = None

        self.setWindowTitle("企业详情")
        self.setModal(False)
        self.resize(*dialog_size(1080, 700))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING)

        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.heading = QLabel(LOADING)
        self.heading.setObjectName("dialogTitle")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subheading = QLabel()
        self.subheading.setObjectName("pageSubtitle")
        self.subheading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        titles.addWidget(self.heading)
        titles.addWidget(self.subheading)
        top.addLayout(titles, 1)
        self.edit_button = QPushButton("编辑")
        self.edit_button.setProperty("primary", True)
        self.edit_button.setToolTip("修改这家企业的基本信息")
        self.recycle_button = QPushButton("删除到回收站")
        self.restore_button = QPushButton("恢复")
        self.restore_button.setToolTip("从回收站恢复这家企业及其全部记录")
        for button in (self.edit_button, self.recycle_button, self.restore_button):
            button.setAutoDefault(False)
            top.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        self.banner = QLabel()
        self.banner.setObjectName("recycleBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._build_basic_tab()
        self._build_cultivation_tab()
        self._build_annual_tab()
        self._build_visits_tab()
        self._build_history_tab()
        self._build_evaluation_tabs()

        self.edit_button.clicked.connect(self.edit)
        self.recycle_button.clicked.connect(self.recycle)
        self.restore_button.clicked.connect(self.restore)
        self._set_enabled(False)
        self.reload()

    # --- tabs ---------------------------------------------------------------------------------

    def _build_evaluation_tabs(self) -> None:
        """亩均评价 and 认定条件: computed on demand (亩均 from the whole unit's figures), so loaded when first shown."""
        from ui.widgets_mujun import MujunSummary

        self.mujun_summary = MujunSummary()
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, SPACING, 0, 0)
        holder_layout.addWidget(self.mujun_summary, 1)
        self.mujun_tab = holder
        self.mujun_job: Job | None = None
        self.tabs.addTab(holder, "亩均评价")
        from ui.widgets_criteria import CriteriaExplanation

        self.criteria = CriteriaExplanation(self.jobs)
        self.criteria.set_context(self.ctx)
        self.criteria_shown = False
        self.tabs.addTab(self.criteria, "认定条件")
        self.tabs.currentChanged.connect(self._on_tab_shown)

    def _on_tab_shown(self, index: int) -> None:
        if self.tabs.widget(index) is self.criteria and not self.criteria_shown:
            self.criteria_shown = True
            self.criteria.show_enterprise(self.enterprise_id)
        if self.tabs.widget(index) is self.mujun_tab and self.mujun_job is None:
            from ui.widgets_mujun import load_enterprise_mujun

            ctx, enterprise_id = self.ctx, self.enterprise_id
            job = self.jobs.submit(lambda _control: load_enterprise_mujun(ctx, enterprise_id), name="亩均效益评价")
            job.finished.connect(self.mujun_summary.show_breakdown)
            job.failed.connect(lambda message: self.mujun_summary.headline.setText(f"未能计算亩均效益评价：{message}"))
            self.mujun_job = job

    def _build_basic_tab(self) -> None:
        self.fact_labels: dict[str, QLabel] = {}
        holder = QWidget()
        holder.setObjectName("formHolder")
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, SPACING, 8, 0)
        holder_layout.setSpacing(SPACING)
        names: list[tuple[int, QLabel]] = []
        for section in ENTERPRISE_SECTIONS:
            box = QGroupBox(section)
            grid = QGridLayout(box)
            grid.setHorizontalSpacing(SPACING * 2)
            grid.setVerticalSpacing(6)
            members = [spec for spec in ENTERPRISE_FIELDS if spec.section == section]
            for number, spec in enumerate(members):
                row, column = divmod(number, 2)
                label = QLabel(f"{spec.label}：")
                label.setObjectName("factLabel")
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                value = QLabel()
                value.setObjectName("factValue")
                value.setWordWrap(True)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.fact_labels[spec.key] = value
                names.append((column, label))
                grid.addWidget(label, row, column * 2)
                grid.addWidget(value, row, column * 2 + 1)
            grid.setColumnStretch(1, 1)
            grid.setColumnStretch(3, 1)
            holder_layout.addWidget(box)
        holder_layout.addStretch(1)
        for column in (0, 1):  # the same label width in every box, so the values line up
            width = max(label.sizeHint().width() for number, label in names if number == column)
            for number, label in names:
                if number == column:
                    label.setMinimumWidth(width)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(holder)
        self.tabs.addTab(scroll, TAB_TITLES[0])

    def _build_cultivation_tab(self) -> None:
        tab = RecordsTab(CULTIVATION_FIELDS)
        tab.add_button("新增培育记录", lambda: self.open_record("cultivation", None, mode="add"))
        tab.add_button("修改", lambda: self.open_record("cultivation", tab.current()), needs_row=True)
        self.end_button = tab.add_button("退出培育", self.end_cultivation, needs_row=True)
        tab.add_button("删除", lambda: self.delete_record("cultivation", tab.current()), needs_row=True)
        tab.finish_buttons()
        tab.table.doubleClicked.connect(lambda _index: self.open_record("cultivation", tab.current()))
        self.cultivation_tab = tab
        self.tabs.addTab(tab, TAB_TITLES[1])

    def _build_annual_tab(self) -> None:
        specs = [next(spec for spec in ANNUAL_FIELDS if spec.key == key) for key in ANNUAL_COLUMNS]
        tab = RecordsTab(specs)
        tab.add_button("新增年度数据", lambda: self.open_record("annual_report", None, mode="add"))
        tab.add_button("修改", lambda: self.open_record("annual_report", tab.current()), needs_row=True)
        tab.add_button("删除", lambda: self.delete_record("annual_report", tab.current()), needs_row=True)
        tab.finish_buttons()
        tab.table.doubleClicked.connect(lambda _index: self.open_record("annual_report", tab.current()))
        self.metrics_box = QGroupBox("派生指标（由监测数据自动计算，不可修改）")
        self.metrics_grid = QGridLayout(self.metrics_box)
        self.metrics_grid.setHorizontalSpacing(SPACING * 2)
        self.metric_labels: dict[str, QLabel] = {}
        for number, metric in enumerate(derived_metrics({})):
            row, column = divmod(number, 3)
            name = QLabel(f"{metric.label}：")
            name.setObjectName("factLabel")
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value = QLabel("—")
            value.setObjectName("factValue")
            self.metric_labels[metric.key] = value
            self.metrics_grid.addWidget(name, row, column * 2)
            self.metrics_grid.addWidget(value, row, column * 2 + 1)
        for column in (1, 3, 5):
            self.metrics_grid.setColumnStretch(column, 1)
        tab.body.addWidget(self.metrics_box)
        tab.table.selectionModel().currentRowChanged.connect(lambda _current, _previous: self._show_metrics())
        self.annual_tab = tab
        self.tabs.addTab(tab, TAB_TITLES[2])

    def _build_visits_tab(self) -> None:
        tab = RecordsTab(VISIT_FIELDS)
        tab.add_button("新增帮扶记录", lambda: self.open_record("help_visit", None, mode="add"))
        tab.add_button("修改", lambda: self.open_record("help_visit", tab.current()), needs_row=True)
        tab.add_button("删除", lambda: self.delete_record("help_visit", tab.current()), needs_row=True)
        tab.finish_buttons()
        tab.table.doubleClicked.connect(lambda _index: self.open_record("help_visit", tab.current()))
        self.visits_tab = tab
        self.tabs.addTab(tab, TAB_TITLES[3])

    def _build_history_tab(self) -> None:
        self.history_model = TextRowsModel(HISTORY_HEADERS)
        self.history_table = make_table_view(self.history_model)
        header = self.history_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.history_empty = QLabel("还没有变更记录。本程序中的每次新增、修改、删除和恢复都会记录在这里。")
        self.history_empty.setObjectName("pageSubtitle")
        self.history_empty.hide()
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.addWidget(self.history_table)
        layout.addWidget(self.history_empty)
        self.tabs.addTab(holder, TAB_TITLES[4])

    # --- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        if self._load_job is not None:
            self._load_job.cancel()
        ctx, enterprise_id = self.ctx, self.enterprise_id
        job = self.jobs.submit(lambda _control: load_detail(ctx, enterprise_id), name="加载企业详情")
        self._load_job = job
        job.finished.connect(lambda data: self._show(job, data))
        job.failed.connect(lambda message: self._failed(job, message))

    def is_loading(self) -> bool:
        return self._load_job is not None

    def _failed(self, job: Job, message: str) -> None:
        if job is self._load_job:
            self._load_job = None
            self.heading.setText("无法加载该企业")
            self.subheading.setText(message)

    def _show(self, job: Job, data: DetailData) -> None:
        if job is not self._load_job:
            return
        self._load_job = None
        self.data = data
        record = data.record
        values = record.values
        choices = self.setup.choices
        self.setWindowTitle(f"企业详情 — {record.name}")
        self.heading.setText(record.name)
        unit = choices.label("region", str(values.get("region_code")))
        industry = (
            choices.label("industry", str(values["industry_code"])) if values.get("industry_code") else "行业未填"
        )
        self.subheading.setText(
            f"{values.get('uscc')}　·　{unit}　·　{industry}　·　最后修改 {local_time(record.updated_at)}"
        )
        recycled = record.deleted_at is not None
        if recycled:
            assert record.deleted_at is not None
            self.banner.setText(
                f"该企业在回收站中（删除于 {local_time(record.deleted_at)}）：可以查看，不能修改；恢复后才能修改。"
                "它的培育记录、年度监测和帮扶记录也随之在回收站中，不计入列表和统计。"
            )
        self.banner.setVisible(recycled)
        for spec in ENTERPRISE_FIELDS:
            text = with_unit(spec, format_value(spec, values.get(spec.key), choices))
            self.fact_labels[spec.key].setText(text or "—")

        self._fill_records(self.cultivation_tab, data.cultivations, "培育记录")
        self._fill_records(self.annual_tab, data.annual, "年度监测数据")
        self._fill_records(self.visits_tab, data.visits, "帮扶记录")
        self.annual_tab.select_row(len(data.annual) - 1)  # the latest year
        self._show_metrics()
        self.history_model.set_rows(
            [
                (
                    (local_time(item.at), item.actor, item.action, item.entity, item.field, item.old, item.new),
                    item,
                )
                for item in data.history
            ]
        )
        self.history_empty.setVisible(not data.history)
        self.tabs.setTabText(1, f"培育记录（{len(data.cultivations)}）")
        self.tabs.setTabText(2, f"年度监测（{len(data.annual)}）")
        self.tabs.setTabText(3, f"帮扶记录（{len(data.visits)}）")
        self._set_enabled(True)
        self.loaded.emit()

    def _fill_records(self, tab: RecordsTab, rows: list[EnterpriseRecordRow], noun: str) -> None:
        choices = self.setup.choices
        tab.model.set_rows(
            [(tuple(format_value(spec, row.values.get(spec.key), choices) for spec in tab.specs), row) for row in rows]
        )
        tab.empty.setText("" if rows else f"还没有{noun}。")
        tab.empty.setVisible(not rows)

    def _show_metrics(self) -> None:
        data = self.data
        current = self.annual_tab.current() if data is not None else None
        if data is None or current is None:
            self.metrics_box.setTitle("派生指标（选择一个年度）")
            for label in self.metric_labels.values():
                label.setText("—")
            return
        year = current.values.get("year")
        previous = next((row.values for row in data.annual if row.values.get("year") == (year or 0) - 1), None)
        self.metrics_box.setTitle(f"{year}年派生指标（由监测数据自动计算，不可修改）")
        for metric in derived_metrics(current.values, previous):
            self.metric_labels[metric.key].setText(metric_text(metric))

    def _set_enabled(self, loaded: bool) -> None:
        recycled = self.data is not None and self.data.record.deleted_at is not None
        principal = self.ctx.principal
        may_write = principal is None or principal.can_write  # a read-only account looks only
        writable = loaded and not recycled and self._busy is None and may_write
        self.edit_button.setEnabled(writable)
        self.recycle_button.setVisible(not recycled)
        self.recycle_button.setEnabled(writable)
        self.restore_button.setVisible(recycled)
        self.restore_button.setEnabled(loaded and self._busy is None and may_write)
        for tab in (self.cultivation_tab, self.annual_tab, self.visits_tab):
            for number in range(tab.buttons.count()):
                item = tab.buttons.itemAt(number)
                widget = item.widget() if item is not None else None
                if isinstance(widget, QPushButton):
                    widget.setEnabled(writable)

    # --- actions ------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.data.record.name if self.data is not None else ""

    def _write(self, name: str, write: Callable[[Any], None], done_text: str | None = None) -> None:
        """Run one write on the worker; then reload, tell the list, and say what happened if asked to."""
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: run_write(ctx, write), name=name)
        self._busy = job
        self._set_enabled(self.data is not None)

        def finished(_result: object) -> None:
            self._busy = None
            self.changed.emit(self.enterprise_id)
            self.reload()
            if done_text:
                self.subheading.setText(done_text)

        def failed(message: str) -> None:
            self._busy = None
            self._set_enabled(True)
            prompts.warn(self, "操作未完成", message)
            self.reload()

        job.finished.connect(finished)
        job.failed.connect(failed)

    def is_busy(self) -> bool:
        return self._busy is not None or self._load_job is not None

    def edit(self) -> None:
        """Open the intake form on the record as it is now (read again, so the version is current)."""
        if self.form_dialog is not None and self.form_dialog.isVisible():
            self.form_dialog.raise_()
            self.form_dialog.activateWindow()
            return
        ctx, enterprise_id = self.ctx, self.enterprise_id
        job = self.jobs.submit(lambda _control: load_record(ctx, enterprise_id), name="读取企业信息")
        job.finished.connect(self._open_form)
        job.failed.connect(lambda message: prompts.warn(self, "无法编辑", message))

    def _open_form(self, record: EnterpriseRecord) -> None:
        dialog = EnterpriseFormDialog(self.jobs, self.ctx, self.setup, record, parent=self)
        dialog.saved.connect(self._record_changed)
        dialog.open_enterprise.connect(self.open_enterprise)
        if self.form_dialog is not None and not self.form_dialog.isVisible():
            self.form_dialog.deleteLater()  # a closed form is not needed again
        self.form_dialog = dialog
        dialog.show()

    def _record_changed(self) -> None:
        """Something of this enterprise was saved in a dialog: tell the list and show it here."""
        self.changed.emit(self.enterprise_id)
        self.reload()

    def recycle(self) -> None:
        name, enterprise_id, actor = self.name, self.enterprise_id, self.ctx.actor
        question = (
            f"把“{name}”删除到回收站吗？\n\n它的培育记录、年度监测和帮扶记录随之移入回收站，"
            "不再出现在列表和统计中；可以在回收站中恢复。"
        )
        if not prompts.confirm(self, "删除到回收站", question, ok_text="删除到回收站"):
            return
        from zjtx_desktop.registry import recycle_enterprise

        version = self.data.record.version if self.data is not None else None
        self._write("删除企业到回收站", lambda session: recycle_enterprise(session, actor, enterprise_id, version))

    def restore(self) -> None:
        from zjtx_desktop.registry import restore_enterprise

        enterprise_id, actor = self.enterprise_id, self.ctx.actor
        self._write("从回收站恢复企业", lambda session: restore_enterprise(session, actor, enterprise_id))

    def open_record(self, entity: str, record: EnterpriseRecordRow | None, *, mode: str = "edit") -> None:
        """Add (mode "add"), edit or end a record; editing without a selected row does nothing."""
        if self.data is None or self.data.record.deleted_at is not None:
            return
        if record is None and mode != "add":
            return
        dialog = RecordDialog(
            self.jobs,
            self.ctx,
            entity,
            self.enterprise_id,
            self.name,
            self.setup.choices,
            record,
            mode="end" if mode == "end" else "edit",
            parent=self,
        )
        dialog.saved.connect(self._record_changed)
        if self.record_dialog is not None and not self.record_dialog.isVisible():
            self.record_dialog.deleteLater()
        self.record_dialog = dialog
        dialog.show()

    def end_cultivation(self) -> None:
        record = self.cultivation_tab.current()
        if record is None:
            return
        if record.values.get("status") == "已退出":
            prompts.inform(self, "退出培育", "这条培育记录已经是“已退出”状态。")
            return
        self.open_record("cultivation", record, mode="end")

    def delete_record(self, entity: str, record: EnterpriseRecordRow | None) -> None:
        if record is None:
            return
        from zjtx_desktop.enterprise_records import KINDS, delete_record

        label = LABELS[entity]
        if not prompts.confirm(
            self, f"删除{label}", f"删除这条{label}吗？删除后记入变更历史，不能撤销。", ok_text="删除"
        ):
            return
        kind, actor = KINDS[entity], self.ctx.actor
        self._write(f"删除{label}", lambda session: delete_record(session, actor, kind, record.id, record.version))
