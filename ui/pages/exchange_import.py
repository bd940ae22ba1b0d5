"""数据交换 › 导入: choose a file, check it on the worker, preview what would change, commit it, show a receipt.

Nothing is written before the clerk presses 导入 in the preview. The plan (plain dataclasses) comes back from
the worker; the commit runs on the worker again, in its own transaction, and `commit_plan` refuses it if the
rows it would update were changed in the meantime.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.jobs import Job, JobControl, JobRunner
from ui.models.import_preview import (
    ACTION_ORDER,
    COL_ACTION,
    COL_CODE,
    COL_NOTE,
    COL_ROW,
    COL_SHEET,
    COL_SUBJECT,
    ERROR_COLUMNS,
    ImportRowsModel,
    Names,
    RowKey,
    change_lines,
    error_rows,
    raw_lines,
    row_key,
    value_lines,
)
from ui.models.table_rows import TextRowsModel
from ui.theme import SPACING
from ui.widgets import JobProgress, make_table_view, note_label
from zjtx_desktop.clock import format_local as local_time
from zjtx_desktop.exchange.importer import ACTION_LABELS, ImportPlan, RowPlan

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.context import AppContext
    from zjtx_desktop.exchange.package import PackageMeta

FILE_FILTERS = "表格文件 (*.xlsx *.xlsm *.xls *.ods *.csv);;所有文件 (*)"
START_NOTE = (
    "可导入 Excel（.xlsx、.xlsm、.xls）、WPS/LibreOffice（.ods）和 CSV 文件：企业信息、培育记录、年度监测、"
    "帮扶记录、目标任务，以及各县（市、区）的报送包。选择文件后先逐行检查并预览，确认后才写入数据库；"
    "写入后可在“导入记录”中整批撤销。空白模板可在“导出”中生成。"
)
CANCELLED_TEXT = "已取消检查，未作任何更改。"
DETAIL_HINTS = {
    "new": "将新增以下内容：",
    "update": "以下字段将被更新（文件中的空单元格不会清除本机已有的内容）：",
    "unchanged": "与本机数据一致，不会写入。",
    "error": "此行不会导入。请改正以下单元格：",
    "skipped": "此行已跳过，不会导入。该行的内容：",
}


@dataclass(frozen=True)
class Preview:
    """What the worker hands the GUI after checking a file: the plan and the names to show its codes."""

    path: str
    plan: ImportPlan
    names: Names


@dataclass(frozen=True)
class Receipt:
    """A committed import, as the clerk keeps it."""

    batch_id: int | None
    file_name: str
    file_hash: str
    kind: str
    created: int
    updated: int
    unchanged: int
    rejected: int
    skipped: int
    actor: str
    at: str  # local time, for display


def load_names(session: Session) -> Names:
    from sqlalchemy import select

    from zjtx_desktop.models import Industry, Program, Region

    return Names(
        units={code: name for code, name in session.execute(select(Region.code, Region.name))},
        programs={code: name for code, name in session.execute(select(Program.code, Program.name))},
        industries={code: f"{code} {name}" for code, name in session.execute(select(Industry.code, Industry.name))},
    )


def plan_file(ctx: AppContext, path: str, control: JobControl) -> Preview:
    """Read and check a file against the database (writes nothing); runs on the worker."""
    from zjtx_desktop.exchange.importer import plan_import
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        own = installation(session)
        plan = plan_import(
            session,
            Path(path),
            scope_unit=None if own.is_city else own.unit_code,
            progress=control.progress,
            cancel=lambda: control.cancelled,
        )
        return Preview(path, plan, load_names(session))


def commit_preview(
    ctx: AppContext, plan: ImportPlan, skip_invalid: bool, taken: list[RowKey], control: JobControl
) -> Receipt:
    """Write a checked plan in one new transaction, recorded as an ImportBatch; runs on the worker.

    The database may have changed since the preview: commit_plan refuses rows updated meanwhile, and a
    record created meanwhile with the key of a new row makes the insert fail — both undo the whole import.
    """
    from sqlalchemy.exc import IntegrityError

    from zjtx_desktop.backup import backup_before
    from zjtx_desktop.database import transaction
    from zjtx_desktop.errors import UserError
    from zjtx_desktop.exchange.importer import commit_plan
    from zjtx_desktop.models import ImportBatch, utcnow

    backup_before(ctx.location.sqlite_path, "before-import")
    try:
        with transaction(ctx.sessions) as session:
            result = commit_plan(
                session, ctx.actor, plan, skip_invalid=skip_invalid, take_conflicts=taken, progress=control.progress
            )
            batch = session.get(ImportBatch, result.batch_id) if result.batch_id is not None else None
            at = batch.at if batch is not None else utcnow()
    except IntegrityError as exc:
        raise UserError(
            "预览之后，数据库中已有了文件里的部分记录（可能刚在别处录入或导入过），已放弃整个导入。请重新检查该文件。"
        ) from exc
    return Receipt(
        result.batch_id,
        plan.file_name,
        plan.file_hash,
        plan.kind,
        result.created,
        result.updated,
        result.unchanged,
        result.rejected,
        result.skipped,
        ctx.actor,
        local_time(at),
    )


def write_errors(plan: ImportPlan, path: str) -> int:
    """The 错误清单 workbook; runs on the worker."""
    from zjtx_desktop.errors import UserError
    from zjtx_desktop.exchange.error_workbook import write_error_workbook

    try:
        return write_error_workbook(plan, Path(path))
    except PermissionError as exc:
        raise UserError(f"无法写入 {Path(path).name}：文件可能正在 Excel 或 WPS 中打开，请关闭后重试。") from exc
    except OSError as exc:
        raise UserError(f"无法写入 {path}：{exc.strerror or exc}") from exc


def package_text(meta: PackageMeta) -> str:
    try:
        exported = dt.datetime.fromisoformat(meta.exported_at).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        exported = meta.exported_at
    return (
        f"报送包：{meta.unit_name}（{meta.unit_code}）　导出时间：{exported}　导出人：{meta.exporter}"
        f"　程序版本：{meta.app_version}　格式版本：{meta.format_version}"
    )


def _set_severity(label: QLabel, severity: str) -> None:
    if label.property("severity") != severity:
        label.setProperty("severity", severity)
        label.style().unpolish(label)
        label.style().polish(label)


class ImportPanel(QWidget):
    """The 导入 tab: start → checking (progress, 取消) → preview → writing → receipt."""

    committed = Signal(object)  # Receipt, after the import is in the database
    history_requested = Signal()

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.preview: Preview | None = None
        self.receipt: Receipt | None = None
        self.last_path: str | None = None
        self.plan_job: Job | None = None
        self.commit_job: Job | None = None
        self.errors_job: Job | None = None
        self._detail_row: RowPlan | None = None

        self.views = QStackedWidget()
        self.start_view = self._build_start()
        self.working_view = self._build_working()
        self.preview_view = self._build_preview()
        self.receipt_view = self._build_receipt()
        for view in (self.start_view, self.working_view, self.preview_view, self.receipt_view):
            self.views.addWidget(view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.addWidget(self.views)

    # --- building -------------------------------------------------------------------------

    def _build_start(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(START_NOTE))
        self.choose_button = QPushButton("选择文件…")
        self.choose_button.setProperty("primary", True)
        self.choose_button.setToolTip("选择要导入的 Excel、WPS 或 CSV 文件；导入前会先预览")
        self.choose_button.clicked.connect(self.choose_file)
        self.retry_button = QPushButton("重新检查该文件")
        self.retry_button.clicked.connect(self.retry)
        self.retry_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.start_message = note_label("", "importMessage")
        self.start_message.hide()
        layout.addWidget(self.start_message)
        layout.addStretch(1)
        return view

    def _build_working(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)
        self.working_title = QLabel()
        self.working_title.setObjectName("sectionTitle")
        self.working_title.setWordWrap(True)
        self.progress = JobProgress()
        layout.addWidget(self.working_title)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        return view

    def _build_preview(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)

        self.file_label = QLabel()
        self.file_label.setObjectName("sectionTitle")
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.file_label)
        self.package_label = note_label("")
        layout.addWidget(self.package_label)
        self.warning_label = note_label("", "warningBanner")
        layout.addWidget(self.warning_label)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[str, QPushButton] = {}
        for action in ("all", *ACTION_ORDER):
            button = QPushButton()
            button.setObjectName("filterButton")
            button.setCheckable(True)
            button.setProperty("action", action)
            self.filter_group.addButton(button)
            self.filter_buttons[action] = button
            filters.addWidget(button)
        filters.addStretch(1)
        self.filter_group.buttonClicked.connect(self._on_filter)
        layout.addLayout(filters)

        self.conflict_bar = QWidget()
        conflict_layout = QHBoxLayout(self.conflict_bar)
        conflict_layout.setContentsMargins(0, 0, 0, 0)
        self.conflict_label = QLabel()
        self.conflict_label.setObjectName("conflictText")
        self.conflict_label.setWordWrap(True)
        self.keep_all_button = QPushButton("全部保留本机")
        self.take_all_button = QPushButton("全部采用导入")
        self.keep_all_button.clicked.connect(lambda: self._set_all_conflicts(False))
        self.take_all_button.clicked.connect(lambda: self._set_all_conflicts(True))
        conflict_layout.addWidget(self.conflict_label, 1)
        conflict_layout.addWidget(self.keep_all_button)
        conflict_layout.addWidget(self.take_all_button)
        layout.addWidget(self.conflict_bar)

        self.rows_model = ImportRowsModel()
        self.rows_view = make_table_view(self.rows_model)
        header = self.rows_view.horizontalHeader()
        for column, width in ((COL_SHEET, 80), (COL_ROW, 56), (COL_ACTION, 112), (COL_SUBJECT, 230), (COL_CODE, 172)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(COL_NOTE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        self.rows_view.selectionModel().currentRowChanged.connect(self._on_row_changed)

        self.errors_model = TextRowsModel(ERROR_COLUMNS, numeric=(1,))
        self.errors_view = make_table_view(self.errors_model)
        errors_header = self.errors_view.horizontalHeader()
        for column, width in ((0, 80), (1, 56), (2, 48), (3, 180)):
            errors_header.resizeSection(column, width)
        errors_header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.errors_view.selectionModel().currentRowChanged.connect(self._on_error_changed)

        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.rows_view)
        self.table_stack.addWidget(self.errors_view)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table_stack)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 7)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([760, 340])
        layout.addWidget(splitter, 1)

        actions = QHBoxLayout()
        actions.setSpacing(SPACING)
        self.skip_invalid = QCheckBox("只导入正确的行")
        self.skip_invalid.toggled.connect(self._update_commit_state)
        self.export_errors_button = QPushButton("导出错误清单…")
        self.export_errors_button.setToolTip("把有错误的行连同“错误说明”导出为 Excel，改正后可直接重新导入")
        self.export_errors_button.clicked.connect(self.export_errors)
        self.status_label = QLabel()
        self.status_label.setObjectName("importStatus")
        self.status_label.setWordWrap(True)
        self.discard_button = QPushButton("取消")
        self.discard_button.setToolTip("放弃这次导入，不写入任何数据")
        self.discard_button.clicked.connect(self.discard)
        self.import_button = QPushButton("导入")
        self.import_button.setProperty("primary", True)
        self.import_button.clicked.connect(self.commit)
        actions.addWidget(self.skip_invalid)
        actions.addWidget(self.export_errors_button)
        actions.addWidget(self.status_label, 1)
        actions.addWidget(self.discard_button)
        actions.addWidget(self.import_button)
        layout.addLayout(actions)
        return view

    def _build_detail(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(SPACING // 2, 0, 0, 0)
        layout.setSpacing(SPACING // 2)
        self.detail_title = QLabel()
        self.detail_title.setObjectName("sectionTitle")
        self.detail_hint = QLabel()
        self.detail_hint.setObjectName("detailHint")
        self.detail_hint.setWordWrap(True)
        self.change_model = TextRowsModel(("字段", "本机现有", "文件中"))
        self.value_model = TextRowsModel(("字段", "内容"))
        self.cell_error_model = TextRowsModel(("列", "单元格内容", "原因"))
        self.detail_view = make_table_view(self.value_model)
        self.detail_view.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.detail_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # A few rows: long values and reasons wrap instead of being cut off.
        self.detail_view.setWordWrap(True)
        self.detail_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.detail_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.conflict_choice = QWidget()
        choice_layout = QHBoxLayout(self.conflict_choice)
        choice_layout.setContentsMargins(0, 0, 0, 0)
        self.keep_radio = QRadioButton("保留本机")
        self.take_radio = QRadioButton("采用导入")
        self.keep_radio.setToolTip("不修改本机已有的数据（默认）")
        self.take_radio.setToolTip("用文件中的数据覆盖本机的这些字段")
        self.choice_group = QButtonGroup(self)
        self.choice_group.addButton(self.keep_radio)
        self.choice_group.addButton(self.take_radio)
        self.take_radio.toggled.connect(self._on_choice)
        choice_layout.addWidget(self.keep_radio)
        choice_layout.addWidget(self.take_radio)
        choice_layout.addStretch(1)

        layout.addWidget(self.detail_title)
        layout.addWidget(self.detail_hint)
        layout.addWidget(self.conflict_choice)
        layout.addWidget(self.detail_view, 1)
        return box

    def _build_receipt(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)
        box = QGroupBox("导入完成")
        form = QFormLayout(box)
        form.setHorizontalSpacing(SPACING * 2)
        form.setVerticalSpacing(SPACING)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.receipt_labels: dict[str, QLabel] = {}
        for name in ("文件", "内容", "文件校验（SHA-256）", "结果", "导入批次", "操作人", "时间"):
            value = QLabel()
            value.setObjectName("factValue")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{name}：", value)
            self.receipt_labels[name] = value
        layout.addWidget(box)
        layout.addWidget(
            note_label(
                "首页、企业库等页面再次打开时即显示导入后的数据。如发现导错了文件，"
                "可在“导入记录”中撤销本次导入（导入后又被修改过的数据不能撤销）。"
            )
        )
        buttons = QHBoxLayout()
        self.again_button = QPushButton("导入其他文件…")
        self.again_button.clicked.connect(self.choose_file)
        self.history_button = QPushButton("查看导入记录")
        self.history_button.clicked.connect(lambda: self.history_requested.emit())
        buttons.addWidget(self.again_button)
        buttons.addWidget(self.history_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return view

    # --- choosing and checking ---------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.plan_job is not None or self.commit_job is not None

    def choose_file(self) -> None:
        if self.ctx is None or self.busy:
            return
        folder = str(Path(self.last_path).parent) if self.last_path else str(Path.home())
        path = prompts.choose_open_path(self, "选择要导入的文件", folder, FILE_FILTERS)
        if path:
            self.check_file(path)

    def retry(self) -> None:
        if self.last_path:
            self.check_file(self.last_path)

    def check_file(self, path: str) -> None:
        """Check a file on the worker and show its preview (nothing is written)."""
        if self.ctx is None or self.busy:
            return
        ctx, self.last_path = self.ctx, path
        self.preview = None
        job = self.jobs.submit(lambda control: plan_file(ctx, path, control), name=f"检查导入文件“{Path(path).name}”")
        self.plan_job = job
        self.working_title.setText(f"正在检查“{Path(path).name}”…")
        self.progress.follow(job, "正在读取文件…")
        self.views.setCurrentWidget(self.working_view)
        job.finished.connect(lambda preview: self._on_planned(job, preview))
        job.failed.connect(lambda message: self._on_plan_failed(job, message))
        job.cancelled.connect(lambda: self._on_plan_cancelled(job))

    def _on_planned(self, job: Job, preview: Preview) -> None:
        if job is not self.plan_job:
            return
        self.plan_job = None
        if job.control.cancelled:  # cancel came after the last check: the plan is not wanted
            self._show_start(CANCELLED_TEXT, "")
            return
        self.show_preview(preview)

    def _on_plan_failed(self, job: Job, message: str) -> None:
        if job is self.plan_job:
            self.plan_job = None
            name = Path(self.last_path or "").name
            self._show_start(f"无法导入“{name}”：{message}", "error")

    def _on_plan_cancelled(self, job: Job) -> None:
        if job is self.plan_job:
            self.plan_job = None
            self._show_start(CANCELLED_TEXT, "")

    def _show_start(self, message: str = "", severity: str = "") -> None:
        self.preview = None
        self.start_message.setText(message)
        self.start_message.setVisible(bool(message))
        _set_severity(self.start_message, severity)
        self.retry_button.setVisible(bool(message and self.last_path))
        self.views.setCurrentWidget(self.start_view)

    def discard(self) -> None:
        """Leave the preview without writing anything."""
        self._show_start()

    # --- the preview -----------------------------------------------------------------------

    def show_preview(self, preview: Preview) -> None:
        self.preview = preview
        plan = preview.plan
        total = plan.count()
        self.file_label.setText(f"{plan.file_name}　（{plan.kind}，共 {total} 行）")
        self.file_label.setToolTip(f"{preview.path}\nSHA-256：{plan.file_hash}")
        self.package_label.setText(package_text(plan.package) if plan.package is not None else "")
        self.package_label.setVisible(plan.package is not None)
        self.warning_label.setText("\n".join(f"⚠ {warning}" for warning in plan.warnings))
        self.warning_label.setVisible(bool(plan.warnings))

        counts: Counter[str] = Counter(row.action for row in plan.rows())
        self.filter_buttons["all"].setText(f"全部 {total}")
        for action in ACTION_ORDER:
            button = self.filter_buttons[action]
            button.setText(f"{ACTION_LABELS[action]} {counts[action]}")
            button.setEnabled(counts[action] > 0)
            button.setVisible(action != "conflict" or counts[action] > 0)
        conflicts = counts["conflict"]
        self.conflict_bar.setVisible(conflicts > 0)
        self.conflict_label.setText(
            f"有 {conflicts} 行与本机数据冲突（同一企业来自不同单位，或文件中的数据比本机的旧）。"
            "默认保留本机数据；可逐行选择，或："
        )
        errors = counts["error"]
        self.skip_invalid.setChecked(False)
        self.skip_invalid.setEnabled(errors > 0)
        self.skip_invalid.setText(f"只导入正确的行（不导入 {errors} 行错误）" if errors else "只导入正确的行")
        self.export_errors_button.setEnabled(errors > 0)

        self.rows_model.set_plan_rows(list(plan.rows()), preview.names)
        self.errors_model.set_rows(error_rows(plan.rows("error")))
        self.filter_buttons["all"].setChecked(True)
        self._apply_filter("all")
        self._update_commit_state()
        self.views.setCurrentWidget(self.preview_view)

    def set_filter(self, action: str) -> None:
        """Show all rows ("all") or one action's; "error" shows the error list."""
        button = self.filter_buttons[action]
        if button.isEnabled():
            button.setChecked(True)
            self._apply_filter(action)

    def _on_filter(self, button: QAbstractButton) -> None:
        self._apply_filter(str(button.property("action")))

    def _apply_filter(self, action: str) -> None:
        if action == "error":
            self.table_stack.setCurrentWidget(self.errors_view)
            view = self.errors_view
        else:
            self.rows_model.set_action(None if action == "all" else action)
            self.table_stack.setCurrentWidget(self.rows_view)
            view = self.rows_view
        if view.model().rowCount() > 0:
            view.setCurrentIndex(view.model().index(0, 0))
        else:
            self._show_detail(None)

    def _on_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(self.rows_model.plan_row(current.row()) if current.isValid() else None)

    def _on_error_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.errors_model.payload(current.row()) if current.isValid() else None
        self._show_detail(row if isinstance(row, RowPlan) else None)

    def _show_detail(self, row: RowPlan | None) -> None:
        self._detail_row = row
        self.conflict_choice.setVisible(row is not None and row.action == "conflict")
        if row is None or self.preview is None:
            self.detail_title.setText("")
            self.detail_hint.setText("没有可显示的行。")
            self.value_model.set_rows([])
            self.detail_view.setModel(self.value_model)
            return
        names = self.preview.names
        self.detail_title.setText(f"{row.sheet}　第 {row.row} 行　{ACTION_LABELS[row.action]}")
        if row.action in ("update", "conflict"):
            self.change_model.set_rows([(list(line), None) for line in change_lines(row, names)])
            self.detail_view.setModel(self.change_model)
        elif row.action == "error":
            self.cell_error_model.set_rows([([e.column, e.value, e.message], None) for e in row.errors])
            self.detail_view.setModel(self.cell_error_model)
        elif row.action == "skipped":
            self.value_model.set_rows([(list(line), None) for line in raw_lines(row)])
            self.detail_view.setModel(self.value_model)
        else:
            self.value_model.set_rows([(list(line), None) for line in value_lines(row, names)])
            self.detail_view.setModel(self.value_model)
        self._fit_detail_columns()
        if row.action == "conflict":
            self.detail_hint.setText(f"{row.note}。请选择保留本机数据，还是采用文件中的数据：")
            taken = self.rows_model.is_taken(row)
            self.take_radio.blockSignals(True)
            (self.take_radio if taken else self.keep_radio).setChecked(True)
            self.take_radio.blockSignals(False)
        elif row.action == "skipped":
            self.detail_hint.setText(f"已跳过（{row.note}），不会导入。该行的内容：")
        else:
            self.detail_hint.setText(DETAIL_HINTS[row.action])

    def _fit_detail_columns(self) -> None:
        header = self.detail_view.horizontalHeader()
        columns = self.detail_view.model().columnCount()
        # The last column (a value, a reason) wraps; a cell's content in an error row is a code more often than not.
        fixed = 2 if self.detail_view.model() is self.cell_error_model else 1
        for column in range(columns):
            mode = QHeaderView.ResizeMode.ResizeToContents if column < fixed else QHeaderView.ResizeMode.Stretch
            header.setSectionResizeMode(column, mode)

    def _on_choice(self, take: bool) -> None:
        row = self._detail_row
        if isinstance(row, RowPlan) and row.action == "conflict":
            self.rows_model.set_taken([row_key(row)], take)
            self._update_commit_state()

    def choose_conflict(self, sheet: str, row: int, take: bool) -> None:
        """Keep (False) or take (True) the file's values for one conflict row."""
        self.rows_model.set_taken([(sheet, row)], take)
        detail = self._detail_row
        if isinstance(detail, RowPlan) and row_key(detail) == (sheet, row):
            self._show_detail(detail)
        self._update_commit_state()

    def _set_all_conflicts(self, take: bool) -> None:
        if self.preview is None:
            return
        self.rows_model.set_taken([row_key(row) for row in self.preview.plan.rows("conflict")], take)
        detail = self._detail_row
        if isinstance(detail, RowPlan):
            self._show_detail(detail)
        self._update_commit_state()

    def _update_commit_state(self) -> None:
        if self.preview is None:
            return
        plan = self.preview.plan
        new, updated, errors = plan.count("new"), plan.count("update"), plan.count("error")
        taken = len(self.rows_model.taken)
        writes = new + updated + taken
        if errors and not self.skip_invalid.isChecked():
            text = f"有 {errors} 行错误，不能导入。请导出错误清单，在 Excel 中改正后重新导入；或勾选“只导入正确的行”。"
            ready = False
        elif writes == 0:
            text = "文件中的数据与本机一致，没有需要写入的内容。" if not errors else "没有可以导入的正确行。"
            ready = False
        else:
            parts = [f"新增 {new} 行"] if new else []
            if updated:
                parts.append(f"更新 {updated} 行")
            if taken:
                parts.append(f"采用导入 {taken} 行冲突数据")
            text = "将" + "、".join(parts) + (f"；{errors} 行错误不导入" if errors else "") + "。"
            ready = True
        self.status_label.setText(text)
        _set_severity(self.status_label, "" if ready else ("error" if errors else ""))
        self.import_button.setEnabled(ready)

    # --- error list --------------------------------------------------------------------------

    def export_errors(self) -> None:
        if self.preview is None or self.errors_job is not None or not self.preview.plan.count("error"):
            return
        source = Path(self.preview.path)
        suggested = str(source.with_name(f"{source.stem}_错误清单.xlsx"))
        path = prompts.choose_save_path(self, "导出错误清单", suggested, "Excel 工作簿 (*.xlsx)")
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        plan = self.preview.plan
        job = self.jobs.submit(lambda _control: write_errors(plan, path), name="导出错误清单")
        self.errors_job = job
        self.export_errors_button.setEnabled(False)

        def end() -> None:
            self.errors_job = None
            self.export_errors_button.setEnabled(self.preview is not None and self.preview.plan.count("error") > 0)

        def finished(rows: int) -> None:
            end()
            prompts.inform(
                self,
                "导出错误清单",
                f"已导出 {rows} 行有错误的数据：\n{path}\n\n在 Excel 中改正标红的单元格（“错误说明”列写明了原因），"
                "保存后可直接重新导入这个文件。",
            )

        def failed(message: str) -> None:
            end()
            prompts.warn(self, "错误清单未导出", message)

        job.finished.connect(finished)
        job.failed.connect(failed)
        job.cancelled.connect(end)

    # --- committing --------------------------------------------------------------------------

    def commit(self) -> None:
        """Write the previewed plan (in a new transaction on the worker) and show the receipt."""
        if self.ctx is None or self.preview is None or self.busy or not self.import_button.isEnabled():
            return
        ctx, plan = self.ctx, self.preview.plan
        skip_invalid = self.skip_invalid.isChecked()
        taken = sorted(self.rows_model.taken)
        job = self.jobs.submit(
            lambda control: commit_preview(ctx, plan, skip_invalid, taken, control), name=f"导入“{plan.file_name}”"
        )
        self.commit_job = job
        self.working_title.setText(f"正在导入“{plan.file_name}”…")
        # One transaction: it is written completely or not at all, so there is nothing to cancel part-way.
        self.progress.follow(job, "正在写入数据库…", cancellable=False)
        self.views.setCurrentWidget(self.working_view)
        job.finished.connect(self._on_committed)
        job.failed.connect(self._on_commit_failed)

    def _on_committed(self, receipt: Receipt) -> None:
        self.commit_job = None
        self.preview = None
        self.receipt = receipt
        counts = (
            f"新增 {receipt.created}，更新 {receipt.updated}，不变 {receipt.unchanged}，"
            f"跳过 {receipt.skipped}，未导入（有错误）{receipt.rejected}"
        )
        facts = {
            "文件": receipt.file_name,
            "内容": receipt.kind,
            "文件校验（SHA-256）": receipt.file_hash,
            "结果": counts,
            "导入批次": f"第 {receipt.batch_id} 批" if receipt.batch_id is not None else "（没有写入数据）",
            "操作人": receipt.actor,
            "时间": receipt.at,
        }
        for name, text in facts.items():
            self.receipt_labels[name].setText(text)
        self.views.setCurrentWidget(self.receipt_view)
        self.committed.emit(receipt)

    def _on_commit_failed(self, message: str) -> None:
        self.commit_job = None
        self._show_start(f"导入未完成，数据库未作任何更改：{message}", "error")

    def receipt_fact(self, name: str) -> str:
        return self.receipt_labels[name].text()

    def counts(self) -> dict[str, str]:
        """The filter buttons' texts by action (for tests and screenshots)."""
        return {action: button.text() for action, button in self.filter_buttons.items()}

    def visible_rows(self) -> list[list[str]]:
        view = self.table_stack.currentWidget()
        assert isinstance(view, QTableView)
        model = view.model()
        return [[str(model.index(r, c).data()) for c in range(model.columnCount())] for r in range(model.rowCount())]
