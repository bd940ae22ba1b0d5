"""系统管理 → 审计日志: the audit trail filtered by 操作人, 操作, 对象, 日期, 企业 and 关键词, page by page, the chosen
entry's values before and after, and 导出… of every entry the filter matches to Excel (on the worker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.jobs import Job, JobControl, JobRunner
from ui.models.audit_model import COL_SUMMARY, COLUMNS, AuditLogModel
from ui.models.table_rows import TextRowsModel
from ui.theme import SPACING
from ui.widgets import JobProgress, make_table_view, note_label

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.audit_log import AuditChoices, AuditFilter, AuditPage, AuditRow
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.principal import Principal

TAB_TITLE = "审计日志"
NOTE = (
    "新增、修改、删除、导入、撤销、导出、生成报表和恢复数据库，每一次都记在这里（谁、何时、改了什么）；"
    "记录逐条以校验值相连，不能修改或删除。县级账户只看到本单位企业的记录。"
)
ALL = "全部"
DETAIL_HEADERS = ("字段", "变更前", "变更后")
TYPING_DELAY_MS = 350  # the filter is applied once typing pauses, not on every keystroke
DEFAULT_DAYS = 30  # the date range offered when 日期 is ticked


def viewer_units(session: Session) -> list[str] | None:
    """Whose entries the viewer sees — the one place that decides it: the signed-in account's scope (a county
    account or a county installation: its unit; the city's staff and administrators: every unit)."""
    from zjtx_desktop.permissions import visible_units

    return visible_units(session)


@dataclass(frozen=True)
class AuditRequest:
    audit_filter: AuditFilter
    offset: int
    with_choices: bool  # also read what the filter combos offer (first load, 刷新)


@dataclass(frozen=True)
class AuditData:
    page: AuditPage
    choices: AuditChoices | None
    scope: str  # "全部单位", or the units' names


def load_audit(ctx: AppContext, request: AuditRequest) -> AuditData:
    """One page of the trail as the viewer may see it, and the filter choices if asked; runs on the worker."""
    from sqlalchemy import select

    from zjtx_desktop.audit_log import audit_choices, audit_page
    from zjtx_desktop.models import Region

    with ctx.sessions() as session:
        units = viewer_units(session)
        page = audit_page(session, request.audit_filter, units, offset=request.offset)
        choices = audit_choices(session, units) if request.with_choices else None
        scope = "全部单位"
        if units is not None:
            names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(units))).all())
            scope = "、".join(names.get(code, code) for code in units)
    return AuditData(page, choices, scope)


def export_log(ctx: AppContext, path: Path, audit_filter: AuditFilter, control: JobControl) -> int:
    """Write the filtered trail to `path` and audit the export itself (who took which entries out); runs on
    the worker. Returns the number of entries written."""
    from zjtx_desktop.audit import record
    from zjtx_desktop.audit_log import export_audit_log
    from zjtx_desktop.database import transaction

    with transaction(ctx.sessions) as session:
        count = export_audit_log(
            session,
            path,
            audit_filter,
            viewer_units(session),
            exported_by=ctx.actor,
            progress=control.progress,
            cancel=lambda: control.cancelled,
        )
        record(
            session,
            ctx.actor,
            "export",
            "audit_entry",
            path.name,
            after={"rows": count, "filter": audit_filter.describe()},
        )
    return count


def _combo(width: int, tooltip: str) -> QComboBox:
    combo = QComboBox()
    combo.setMinimumWidth(width)
    combo.setToolTip(tooltip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumWidth(112)
    return edit


class AuditLogTab(QWidget):
    """The 审计日志 tab, added to `tabs` on construction. `context()` gives the open database (or None).

    It reads a page each time it is shown (the trail grows while other pages work) and whenever the filter
    or the page changes; only the newest read is shown.
    """

    loaded = Signal()  # a page is on screen (after a read)

    def __init__(self, jobs: JobRunner, tabs: QTabWidget, context: Callable[[], AppContext | None]) -> None:
        super().__init__()
        self.jobs = jobs
        self.context = context
        self.data: AuditData | None = None
        self.choices: AuditChoices | None = None
        self.offset = 0
        self.job: Job | None = None
        self.export_job: Job | None = None
        self.folder: str | None = None
        self._principal: Principal | None = None  # whose view is on screen
        self._filling = False  # combos being refilled: not a change of filter

        # Filters: what was done, by whom, to what, when; then which enterprise and any words.
        self.actor_combo = _combo(120, "只看这个人（账户）做的操作")
        self.action_combo = _combo(110, "只看这一种操作")
        self.entity_combo = _combo(110, "只看对这一类对象的操作")
        self.date_check = QCheckBox("日期")
        self.date_check.setToolTip("只看这段日期（本机时间，含首尾两天）内的操作")
        self.date_from = _date_edit()
        self.date_to = _date_edit()
        today = QDate.currentDate()
        self.date_from.setDate(today.addDays(-DEFAULT_DAYS))
        self.date_to.setDate(today)
        self.enterprise_edit = QLineEdit()
        self.enterprise_edit.setPlaceholderText("企业名称或统一社会信用代码")
        self.enterprise_edit.setClearButtonEnabled(True)
        self.enterprise_edit.setMinimumWidth(200)
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("关键词（修改的内容、文件名）")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setMinimumWidth(180)
        self.clear_button = QPushButton("清除筛选")
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setToolTip("重新读取审计日志（其他页面刚做的操作也会列出）")
        self.export_button = QPushButton("导出…")
        self.export_button.setToolTip("把符合筛选条件的全部记录导出为 Excel 文件（含校验值，供审计核对）")

        first = QHBoxLayout()
        first.setSpacing(SPACING)
        for label, widget in (("操作人", self.actor_combo), ("操作", self.action_combo), ("对象", self.entity_combo)):
            first.addWidget(QLabel(label))
            first.addWidget(widget)
        first.addSpacing(SPACING)
        first.addWidget(self.date_check)
        first.addWidget(self.date_from)
        first.addWidget(QLabel("至"))
        first.addWidget(self.date_to)
        first.addStretch(1)
        second = QHBoxLayout()
        second.setSpacing(SPACING)
        second.addWidget(QLabel("企业"))
        second.addWidget(self.enterprise_edit, 2)
        second.addWidget(self.text_edit, 2)
        second.addWidget(self.clear_button)
        second.addStretch(1)

        self.model = AuditLogModel()
        self.view = make_table_view(self.model)
        for column, (_key, _header, width) in enumerate(COLUMNS):
            self.view.setColumnWidth(column, width)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_entry(current.row()))

        pager = QHBoxLayout()
        pager.setSpacing(SPACING)
        self.first_button = QPushButton("首页")
        self.previous_button = QPushButton("上一页")
        self.next_button = QPushButton("下一页")
        self.last_button = QPushButton("末页")
        self.page_label = QLabel()
        self.page_label.setObjectName("listCount")
        self.status_label = QLabel()
        self.status_label.setObjectName("pageState")
        self.status_label.setWordWrap(True)
        for button in (self.first_button, self.previous_button):
            pager.addWidget(button)
        pager.addWidget(self.page_label)
        for button in (self.next_button, self.last_button):
            pager.addWidget(button)
        pager.addWidget(self.status_label, 1)
        pager.addWidget(self.refresh_button)
        pager.addWidget(self.export_button)

        # The chosen entry: what it was about, each field before and after, and its place in the chain.
        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        details_layout.setSpacing(SPACING // 2)
        self.detail_title = QLabel("选择一条记录，在这里查看变更前后的内容")
        self.detail_title.setObjectName("sectionTitle")
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_model = TextRowsModel(DETAIL_HEADERS)
        self.detail_view = make_table_view(self.detail_model)
        self.detail_view.setColumnWidth(0, 140)
        self.detail_view.setColumnWidth(1, 380)
        self.detail_view.horizontalHeader().setStretchLastSection(True)
        self.detail_chain = QLabel()
        self.detail_chain.setObjectName("pageState")
        self.detail_chain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading = QHBoxLayout()
        heading.setSpacing(SPACING)
        heading.addWidget(self.detail_title, 1)
        heading.addWidget(self.detail_chain)
        details_layout.addLayout(heading)
        details_layout.addWidget(self.detail_view, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(SPACING // 2)
        top_layout.addWidget(self.view, 1)
        top_layout.addLayout(pager)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([460, 200])  # the list first; the details need a few lines

        self.progress = JobProgress()
        self.progress.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(NOTE))
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.progress)

        self.typing_timer = QTimer(self)
        self.typing_timer.setSingleShot(True)
        self.typing_timer.setInterval(TYPING_DELAY_MS)
        self.typing_timer.timeout.connect(self._apply_filter)
        for combo in (self.actor_combo, self.action_combo, self.entity_combo):
            combo.currentIndexChanged.connect(self._on_choice_changed)
        self.date_check.toggled.connect(self._on_dates_toggled)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _date: self._filter_soon() if self.date_check.isChecked() else None)
        for line in (self.enterprise_edit, self.text_edit):
            line.textChanged.connect(self._filter_soon)
        self.clear_button.clicked.connect(self.clear_filter)
        self.refresh_button.clicked.connect(lambda: self.reload(with_choices=True))
        self.export_button.clicked.connect(self.export)
        self.first_button.clicked.connect(lambda: self.go_to(0))
        self.previous_button.clicked.connect(lambda: self.go_to(self.offset - self._page_size()))
        self.next_button.clicked.connect(lambda: self.go_to(self.offset + self._page_size()))
        self.last_button.clicked.connect(lambda: self.go_to(10**12))  # the core stops at the last page
        self._fill_combos(None)
        self._on_dates_toggled(False)
        self._update_controls()
        tabs.addTab(self, TAB_TITLE)

    # --- the filter ---------------------------------------------------------------------------

    def current_filter(self) -> AuditFilter:
        from zjtx_desktop.audit_log import AuditFilter

        action = self.action_combo.currentData()
        dated = self.date_check.isChecked()
        return AuditFilter(
            actor=self.actor_combo.currentData(),
            actions=(action,) if action else (),
            entity=self.entity_combo.currentData(),
            date_from=self.date_from.date().toPython() if dated else None,  # type: ignore[arg-type]
            date_to=self.date_to.date().toPython() if dated else None,  # type: ignore[arg-type]
            enterprise=self.enterprise_edit.text().strip(),
            text=self.text_edit.text().strip(),
        )

    def set_dates(self, start: dt.date, end: dt.date) -> None:
        """Tick 日期 and show the entries from `start` to `end` (local days, both included)."""
        self.date_from.setDate(QDate(start.year, start.month, start.day))
        self.date_to.setDate(QDate(end.year, end.month, end.day))
        self.date_check.setChecked(True)
        self._filter_soon()

    def clear_filter(self) -> None:
        self._filling = True
        try:
            for combo in (self.actor_combo, self.action_combo, self.entity_combo):
                combo.setCurrentIndex(0)
            self.date_check.setChecked(False)
            self.enterprise_edit.clear()
            self.text_edit.clear()
        finally:
            self._filling = False
        self.typing_timer.stop()
        self._apply_filter()

    def _on_choice_changed(self) -> None:
        if not self._filling:
            self._apply_filter()

    def _on_dates_toggled(self, checked: bool) -> None:
        self.date_from.setEnabled(checked)
        self.date_to.setEnabled(checked)
        if not self._filling and self.data is not None:
            self._filter_soon()

    def _filter_soon(self) -> None:
        if not self._filling:
            self.typing_timer.start()

    def _apply_filter(self) -> None:
        self.typing_timer.stop()
        self.reload(offset=0)

    def _fill_combos(self, choices: AuditChoices | None) -> None:
        """Offer what occurs in the viewer's part of the trail, keeping what is chosen."""
        self._filling = True
        try:
            actors = [(actor, actor) for actor in choices.actors] if choices else []
            for combo, items in (
                (self.actor_combo, actors),
                (self.action_combo, [(label, code) for code, label in choices.actions] if choices else []),
                (self.entity_combo, [(label, code) for code, label in choices.entities] if choices else []),
            ):
                chosen, chosen_text = combo.currentData(), combo.currentText()
                combo.clear()
                combo.addItem(ALL, None)
                for text, value in items:
                    combo.addItem(text, value)
                if chosen is not None and combo.findData(chosen) < 0:
                    combo.addItem(chosen_text, chosen)  # no longer in the trail's choices, still the filter
                combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen is not None else 0)
        finally:
            self._filling = False

    # --- reading ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if event.spontaneous():
            return
        ctx = self.context()
        if ctx is not None and ctx.principal != self._principal:
            self._forget()  # another account signed in: nothing of the previous view stays on screen
        self.reload(with_choices=self.choices is None)

    def _forget(self) -> None:
        self.data = None
        self.choices = None
        self.offset = 0
        self.model.set_rows([])
        self._show_entry(-1)
        self._fill_combos(None)
        self.page_label.clear()

    def reload(self, *, offset: int | None = None, with_choices: bool = False) -> Job | None:
        """Read the page at `offset` (None: the current one) with the current filter, on the worker."""
        ctx = self.context()
        if ctx is None:
            return None
        self._drop_job()
        request = AuditRequest(
            self.current_filter(), self.offset if offset is None else max(0, offset), with_choices or not self.choices
        )
        principal = ctx.principal
        job = self.jobs.submit(lambda _control: load_audit(ctx, request), name="读取审计日志")
        job.finished.connect(lambda data: self._on_loaded(data, principal))
        job.failed.connect(self._on_failed)
        self.job = job
        self.status_label.setText("正在读取…")
        self._update_controls()
        return job

    def go_to(self, offset: int) -> Job | None:
        return self.reload(offset=max(0, offset))

    def _drop_job(self) -> None:
        # A superseded read is cancelled and its outcome ignored: only the newest one is shown.
        job, self.job = self.job, None
        if job is not None:
            job.finished.disconnect()
            job.failed.disconnect()
            job.cancel()

    def _on_loaded(self, data: AuditData, principal: Principal | None) -> None:
        self.job = None
        shown = self.model.row_at(self.view.currentIndex().row())
        self.data = data
        self._principal = principal
        if data.choices is not None:
            self.choices = data.choices
            self._fill_combos(data.choices)
        page = data.page
        self.offset = page.offset
        self.model.set_rows(page.rows)
        if page.total:
            scope = "" if data.scope == "全部单位" else f"（{data.scope}）"
            self.page_label.setText(f"第 {page.page:,} / {page.page_count:,} 页，共 {page.total:,} 条{scope}")
            self.status_label.clear()
        else:
            self.page_label.setText("共 0 条")
            self.status_label.setText("没有符合条件的记录")
        # The entry that was chosen stays chosen if it is still on the page; else the newest is.
        ids = [row.id for row in page.rows]
        keep = ids.index(shown.id) if shown is not None and shown.id in ids else 0
        if page.rows:
            self.view.setCurrentIndex(self.model.index(keep, 0))
        else:
            self._show_entry(-1)
        self._update_controls()
        self.loaded.emit()

    def _on_failed(self, message: str) -> None:
        self.job = None
        self.status_label.setText(f"读取失败：{message}")
        self._update_controls()

    def _page_size(self) -> int:
        return self.data.page.page_size if self.data is not None else 1

    def _update_controls(self) -> None:
        page = self.data.page if self.data is not None else None
        reading = self.job is not None
        exporting = self.export_job is not None
        self.first_button.setEnabled(page is not None and page.page > 1 and not reading)
        self.previous_button.setEnabled(page is not None and page.page > 1 and not reading)
        self.next_button.setEnabled(page is not None and page.page < page.page_count and not reading)
        self.last_button.setEnabled(page is not None and page.page < page.page_count and not reading)
        self.export_button.setEnabled(page is not None and page.total > 0 and not exporting)

    # --- the chosen entry ---------------------------------------------------------------------

    def selected_entry(self) -> AuditRow | None:
        return self.model.row_at(self.view.currentIndex().row())

    def _show_entry(self, row_number: int) -> None:
        row = self.model.row_at(row_number)
        if row is None:
            self.detail_title.setText("选择一条记录，在这里查看变更前后的内容")
            self.detail_model.set_rows([])
            self.detail_chain.clear()
            return
        what = f"{row.entity_label}：{row.object_label}" if row.object_label else row.entity_label
        self.detail_title.setText(f"{row.time}　{row.actor}　{row.action_label}　{what}")
        self.detail_model.set_rows(
            [([change.label, change.old or "", change.new or ""], change) for change in row.changes]
        )
        self.detail_chain.setText(f"序号 {row.id}　校验值 {(row.hash or '（无）')[:16]}…")
        self.detail_chain.setToolTip(f"校验值（SHA-256）：{row.hash}\n前一条的校验值：{row.prev_hash}")

    # --- export -------------------------------------------------------------------------------

    def export(self) -> Job | None:
        ctx = self.context()
        if ctx is None or self.export_job is not None:
            return None
        audit_filter = self.current_filter()
        suggested = f"审计日志_{dt.date.today():%Y%m%d}.xlsx"
        folder = self.folder or str(Path.home())
        chosen = prompts.choose_save_path(self, "导出审计日志", str(Path(folder) / suggested), "Excel 工作簿 (*.xlsx)")
        if not chosen:
            return None
        path = Path(chosen if chosen.lower().endswith(".xlsx") else chosen + ".xlsx")
        self.folder = str(path.parent)
        job = self.jobs.submit(lambda control: export_log(ctx, path, audit_filter, control), name="导出审计日志")
        self.export_job = job
        self.progress.follow(job, "正在导出审计日志…")
        self.progress.show()
        self._update_controls()

        def ended() -> None:
            self.export_job = None
            self.progress.hide()
            self._update_controls()

        def finished(count: int) -> None:
            ended()
            prompts.inform(self, "已导出", f"审计日志 {count:,} 条已导出到：\n{path}")
            self.reload()  # the export is itself on the trail now

        def failed(message: str) -> None:
            ended()
            prompts.warn(self, "未能导出", message)

        job.finished.connect(finished)
        job.failed.connect(failed)
        job.cancelled.connect(ended)
        return job

    def summary_column_text(self, row: int) -> str:
        """The 变更内容 cell as shown (tests)."""
        return str(self.model.index(row, COL_SUMMARY).data())

    def is_busy(self) -> bool:
        return self.job is not None or self.export_job is not None
