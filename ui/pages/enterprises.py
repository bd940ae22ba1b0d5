"""企业库: find an enterprise fast, enter a new one, open, correct, recycle and restore.

The list is an `EnterpriseTableModel` over the ordered ids of what matches. A search or filter change
refreshes it in two jobs on the database worker: first the first screenful of ids with their rows
(a few milliseconds, so the list answers each keystroke), then every id (tens of milliseconds on
100,000 enterprises) for the scroll bar and the count. Each refresh has a generation number; results
of an earlier keystroke that arrive late are dropped, and jobs not yet started are cancelled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from ui.dialogs import prompts
from ui.dialogs.enterprise_detail import EnterpriseDetailDialog
from ui.dialogs.enterprise_form import EnterpriseFormDialog, FormSetup, load_form_setup, load_record
from ui.jobs import Job, JobControl, JobRunner, Work
from ui.models.enterprise_model import COL_DELETED, COL_NAME, COLUMN_KEYS, COLUMNS, ID_ROLE, EnterpriseTableModel
from ui.page_names import PAGE_TITLES
from ui.theme import SPACING
from ui.widgets import LOADING_TEXT, Page, make_table_view
from zjtx_desktop.enterprise_query import EnterpriseFilter

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.enterprise_query import EnterpriseRow, FilterOptions
    from zjtx_desktop.settings import Installation

# Ids (with their rows) read for the first paint of a search: more than a tall window shows.
FIRST_SCREEN = 60
# Keystrokes closer together than this make one search (key repeat, an input method committing a word).
SEARCH_DELAY_MS = 40
LAYOUT_KEY = "enterprise_list/columns"
LAYOUT_SAVE_DELAY_MS = 400
SEARCH_PLACEHOLDER = "搜索企业名称、信用代码、拼音首字母（如 lsjm）或地址　Ctrl+F"
ALL_UNITS, ALL_PROGRAMS, ALL_STATUSES, ALL_INDUSTRIES, ALL_SCALES, ALL_YEARS = (
    "全部单位",
    "全部层级",
    "全部状态",
    "全部行业",
    "全部类型",
    "全部年份",
)
SAVED_PLACEHOLDER = "常用筛选…"
EMPTY_LIST = "没有符合条件的企业。可以换个搜索词，或点“清除筛选”。"
EMPTY_BIN = "回收站是空的。"
BIN_NOTE = (
    "回收站中的企业（连同其培育记录、年度监测和帮扶记录）不出现在企业库和各项统计中。"
    "“恢复”把企业放回企业库；“彻底删除”不可恢复，仅管理员可用。"
)


@dataclass(frozen=True)
class FirstScreen:
    ids: list[int]
    rows: list[EnterpriseRow]
    complete: bool  # fewer than asked for: these are all the ids, and their number is the count


@dataclass(frozen=True)
class ListData:
    """What the page loads on the worker: the installation, the pickers' lists and the first screenful."""

    installation: Installation
    options: FilterOptions
    saved: dict[str, EnterpriseFilter]
    setup: FormSetup
    first: FirstScreen


def first_screen(ctx: AppContext, query: EnterpriseFilter, limit: int = FIRST_SCREEN) -> FirstScreen:
    from zjtx_desktop.enterprise_query import fetch_rows, search_ids

    with ctx.sessions() as session:
        ids = search_ids(session, query, limit=limit)
        return FirstScreen(ids, fetch_rows(session, ids), len(ids) < limit)


def all_ids(ctx: AppContext, query: EnterpriseFilter) -> list[int]:
    from zjtx_desktop.enterprise_query import search_ids

    with ctx.sessions() as session:
        return search_ids(session, query)


def fetch_list_rows(ctx: AppContext, ids: list[int]) -> list[EnterpriseRow]:
    from zjtx_desktop.enterprise_query import fetch_rows

    with ctx.sessions() as session:
        return fetch_rows(session, ids)


def own_scope(inst: Installation) -> tuple[str, ...] | None:
    """The units an installation sees: a county only its own, the city all (None)."""
    return None if inst.is_city else (inst.unit_code,)


def load_list(ctx: AppContext, query: EnterpriseFilter) -> ListData:
    from zjtx_desktop.enterprise_query import filter_options, saved_filters
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
        scope = own_scope(inst)
        if scope is not None:
            query = dataclasses.replace(query, unit_codes=scope)
        options = filter_options(session, scope)
        saved = saved_filters(session)
        setup = load_form_setup(session, inst)
    return ListData(inst, options, saved, setup, first_screen(ctx, query))


def export_enterprises(
    ctx: AppContext, path: str, ids: list[int], unit_codes: Sequence[str] | None, control: JobControl
) -> tuple[int, str]:
    """Write the listed enterprises to an exchange workbook (企业信息 sheet); runs on the worker."""
    from zjtx_desktop.exchange.export import write_workbook

    with ctx.sessions() as session:
        result = write_workbook(
            path,
            session,
            ["enterprises"],
            unit_codes=unit_codes,
            enterprise_ids=ids,
            progress=control.progress,
            cancel=lambda: control.cancelled,
        )
    return result.rows.get("enterprises", 0), str(result.path)


def write_with(ctx: AppContext, write: Callable[[Any], None]) -> None:
    from zjtx_desktop.database import transaction

    with transaction(ctx.sessions) as session:
        write(session)


def load_saved(ctx: AppContext) -> dict[str, EnterpriseFilter]:
    from zjtx_desktop.enterprise_query import saved_filters

    with ctx.sessions() as session:
        return saved_filters(session)


def _layout_settings() -> Any:
    from ui.main_window import window_settings

    return window_settings()


class EnterprisesPage(Page):
    """The enterprise list with search, filters, saved filters, the column chooser and the 回收站 view."""

    refresh_on_show = True  # imports and other pages change the list; an unchanged list keeps its place

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["enterprises"], jobs, parent)
        # Accounts come later; until then whoever runs the program is its administrator (may purge).
        self.is_admin = True
        self.recycle_bin = False
        self.installation: Installation | None = None
        self.options: FilterOptions | None = None
        self.setup: FormSetup | None = None
        self.saved: dict[str, EnterpriseFilter] = {}
        self.sort_key = "name"
        self.sort_descending = False
        self.count: int | None = None
        self.form_dialog: EnterpriseFormDialog | None = None
        self.detail_dialogs: dict[int, EnterpriseDetailDialog] = {}
        self._generation = 0
        self._search_jobs: list[Job] = []
        self._counting = False
        self._search_after_load = False
        self._applying = False
        self._restoring_layout = False
        self._export_job: Job | None = None

        self._build_toolbar()
        self._build_filters()
        self._build_table()
        self._build_shortcuts()
        self._set_recycle_mode(False, search=False)
        self.restore_layout()
        self._update_buttons()

    # --- building -----------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = QHBoxLayout()
        bar.setSpacing(SPACING)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(320)
        self.search_box.installEventFilter(self)
        self.new_button = QPushButton("新增企业")
        self.new_button.setProperty("primary", True)
        self.new_button.setToolTip("录入一家新企业（Ctrl+N）")
        self.open_button = QPushButton("打开")
        self.open_button.setToolTip("查看所选企业的详情、培育记录、监测数据和变更历史（Enter 或双击）")
        self.recycle_button = QPushButton("删除")
        self.recycle_button.setToolTip("把所选企业删除到回收站（Delete），可恢复")
        self.restore_button = QPushButton("恢复")
        self.restore_button.setProperty("primary", True)
        self.restore_button.setToolTip("把所选企业从回收站放回企业库")
        self.purge_button = QPushButton("彻底删除")
        self.purge_button.setObjectName("dangerButton")
        self.purge_button.setToolTip("永久删除所选企业及其全部记录，不可恢复（仅管理员）")
        self.export_button = QPushButton("导出当前列表")
        self.export_button.setToolTip("把当前搜索和筛选出的全部企业导出为 Excel（数据交换模板格式的“企业信息”表）")
        self.bin_button = QPushButton("回收站")
        self.bin_button.setToolTip("查看已删除到回收站的企业，恢复或彻底删除")
        bar.addWidget(self.search_box, 1)
        for button in (
            self.new_button,
            self.open_button,
            self.recycle_button,
            self.restore_button,
            self.purge_button,
            self.export_button,
            self.bin_button,
        ):
            bar.addWidget(button)
        self.body.addLayout(bar)

        self.search_box.textChanged.connect(self._on_text_changed)
        self.new_button.clicked.connect(self.new_enterprise)
        self.open_button.clicked.connect(self.open_selected)
        self.recycle_button.clicked.connect(self.recycle_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.purge_button.clicked.connect(self.purge_selected)
        self.export_button.clicked.connect(self.export_list)
        self.bin_button.clicked.connect(lambda: self.show_recycle_bin(not self.recycle_bin))
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search)

    def _combo(self, width: int) -> QComboBox:
        combo = QComboBox()
        combo.setMinimumContentsLength(width)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.currentIndexChanged.connect(self._on_filter_changed)
        return combo

    def _build_filters(self) -> None:
        row = QHBoxLayout()
        row.setSpacing(6)
        self.unit_combo = self._combo(7)
        self.program_combo = self._combo(9)
        self.status_combo = self._combo(4)
        self.industry_combo = self._combo(9)
        self.scale_combo = self._combo(4)
        self.year_combo = self._combo(4)
        self.unit_combo.setToolTip("所属单位")
        self.program_combo.setToolTip("培育层级：曾入库该层级的企业")
        self.status_combo.setToolTip("培育状态；“未入库”为没有任何培育记录的企业")
        self.industry_combo.setToolTip("所属行业（国民经济行业分类制造业大类）")
        self.scale_combo.setToolTip("规上 / 规下 / 个体工业")
        self.year_combo.setToolTip("入库年份")
        self.open_help_check = QCheckBox("有未办结帮扶")
        self.open_help_check.setToolTip("只看有“办理中”帮扶事项的企业")
        self.open_help_check.toggled.connect(self._on_filter_changed)
        self.clear_button = QPushButton("清除筛选")
        self.clear_button.setObjectName("linkButton")
        self.clear_button.clicked.connect(self.clear_filters)
        self.filters_label = QLabel("筛选")
        self.filters_label.setObjectName("filterLabel")
        row.addWidget(self.filters_label)
        for widget in (
            self.unit_combo,
            self.program_combo,
            self.status_combo,
            self.industry_combo,
            self.scale_combo,
            self.year_combo,
            self.open_help_check,
            self.clear_button,
        ):
            row.addWidget(widget)
        row.addStretch(1)
        self.body.addLayout(row)

        saved_row = QHBoxLayout()
        saved_row.setSpacing(6)
        self.saved_combo = QComboBox()
        self.saved_combo.setMinimumContentsLength(12)
        self.saved_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.saved_combo.setToolTip("常用筛选：保存在数据库中，本机所有使用者共用")
        self.saved_combo.activated.connect(self._on_saved_chosen)
        self.save_filter_button = QPushButton("保存筛选…")
        self.save_filter_button.setToolTip("把当前的筛选条件和排序保存为常用筛选（搜索词不保存）")
        self.delete_filter_button = QPushButton("删除筛选")
        self.save_filter_button.clicked.connect(self.save_current_filter)
        self.delete_filter_button.clicked.connect(self.delete_chosen_filter)
        self.count_label = QLabel(LOADING_TEXT)
        self.count_label.setObjectName("listCount")
        self.saved_widgets = (self.saved_combo, self.save_filter_button, self.delete_filter_button)
        for widget in self.saved_widgets:
            saved_row.addWidget(widget)
        saved_row.addStretch(1)
        saved_row.addWidget(self.count_label)
        self.body.addLayout(saved_row)

        self.bin_note = QLabel(BIN_NOTE)
        self.bin_note.setObjectName("recycleBanner")
        self.bin_note.setWordWrap(True)
        self.body.addWidget(self.bin_note)

    def _build_table(self) -> None:
        self.model = EnterpriseTableModel(self.jobs, self)
        self.table = make_table_view(self.model)
        self.table.setObjectName("enterpriseTable")
        self.table.setHorizontalScrollMode(self.table.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COL_NAME, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(48)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_column_menu)
        header.sectionClicked.connect(self._on_header_clicked)
        for number, column in enumerate(COLUMNS):
            header.setSectionResizeMode(number, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(number, column.width)
            header.setSectionHidden(number, column.hidden_by_default or column.recycle_bin_only)
        self._layout_timer = QTimer(self)
        self._layout_timer.setSingleShot(True)
        self._layout_timer.setInterval(LAYOUT_SAVE_DELAY_MS)
        self._layout_timer.timeout.connect(self.save_layout)
        header.sectionResized.connect(lambda *_args: self._layout_changed(later=True))
        header.sectionMoved.connect(lambda *_args: self._layout_changed())
        self.table.activated.connect(lambda index: self.open_row(index.row()))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_row_menu)
        self.table.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self.model.fetch_failed.connect(lambda message: self.state_label.setText(f"读取列表失败：{message}"))

        self.empty_label = QLabel(EMPTY_LIST)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty_label)
        self.body.addWidget(self.table_stack, 1)

    def _build_shortcuts(self) -> None:
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.focus_search)
        new = QShortcut(QKeySequence("Ctrl+N"), self)
        new.activated.connect(self.new_enterprise)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self._delete_key)

    # --- loading ------------------------------------------------------------------------------

    def loader(self, ctx: AppContext) -> Work:
        self._generation += 1
        self._cancel_searches()
        self._load_generation = self._generation
        query = self.current_filter()
        self.model.set_fetcher(lambda ids: fetch_list_rows(ctx, ids))
        return lambda _control: load_list(ctx, query)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, ListData)
        self.installation = data.installation
        self.options = data.options
        self.setup = data.setup
        inst = data.installation
        # Purging for good is for administrators (the core refuses anyone else too).
        principal = self.ctx.principal if self.ctx is not None else None
        self.is_admin = principal is None or principal.is_admin
        self.set_subtitle(
            f"{inst.unit_name}（市级，全部单位）" if inst.is_city else f"{inst.unit_name}（本单位的企业）"
        )
        self._fill_filters(data.options, inst)
        self._fill_saved(data.saved)
        # Whatever was cached may have changed elsewhere: shown rows stay until their fresh copies arrive.
        self.model.invalidate()
        if self._search_after_load or self._load_generation != self._generation:
            self._search_after_load = False
            self.search()
        else:
            self._show_first(self._generation, data.first)
        self._update_buttons()

    def is_settled(self) -> bool:
        return super().is_settled() and not self._counting

    # --- filters ------------------------------------------------------------------------------

    def _fill_combo(self, combo: QComboBox, everything: str, items: Sequence[tuple[Any, str]]) -> None:
        previous = combo.currentData()
        with QSignalBlocker(combo):
            combo.clear()
            combo.addItem(everything, None)
            for value, text in items:
                combo.addItem(text, value)
            index = combo.findData(previous) if previous is not None else 0
            combo.setCurrentIndex(max(index, 0))

    def _fill_filters(self, options: FilterOptions, inst: Installation) -> None:
        from zjtx_desktop.settings import CITY_CODE

        units = [(code, name) for code, name in options.units if code != CITY_CODE]
        self._fill_combo(self.unit_combo, ALL_UNITS, units)
        self.unit_combo.setVisible(inst.is_city)
        self._fill_combo(self.program_combo, ALL_PROGRAMS, options.programs)
        self._fill_combo(self.status_combo, ALL_STATUSES, [(status, status) for status in options.statuses])
        self._fill_combo(self.industry_combo, ALL_INDUSTRIES, options.industries)
        self._fill_combo(self.scale_combo, ALL_SCALES, [(scale, scale) for scale in options.scale_types])
        self._fill_combo(self.year_combo, ALL_YEARS, [(year, f"{year}年入库") for year in options.entry_years])

    def _unit_codes(self) -> tuple[str, ...] | None:
        if self.installation is not None and not self.installation.is_city:
            return (self.installation.unit_code,)
        code = self.unit_combo.currentData()
        return (str(code),) if code else None

    def current_filter(self) -> EnterpriseFilter:
        """The search, filters and sort on screen (a county's own unit always)."""
        year = self.year_combo.currentData()
        return EnterpriseFilter(
            text=self.search_box.text(),
            unit_codes=self._unit_codes(),
            program_code=self.program_combo.currentData(),
            status=self.status_combo.currentData(),
            industry_code=self.industry_combo.currentData(),
            scale_type=self.scale_combo.currentData(),
            entry_year=int(year) if year is not None else None,
            open_help=self.open_help_check.isChecked(),
            recycled=self.recycle_bin,
            sort=self.sort_key,
            descending=self.sort_descending,
        )

    def apply_filter(self, query: EnterpriseFilter) -> None:
        """Set the pickers (and sort) from a filter, keeping the search text; one search follows."""
        self._applying = True
        try:
            pairs: list[tuple[QComboBox, Any]] = [
                (self.program_combo, query.program_code),
                (self.status_combo, query.status),
                (self.industry_combo, query.industry_code),
                (self.scale_combo, query.scale_type),
                (self.year_combo, query.entry_year),
            ]
            if self.installation is None or self.installation.is_city:
                unit = query.unit_codes[0] if query.unit_codes and len(query.unit_codes) == 1 else None
                pairs.append((self.unit_combo, unit))
            for combo, value in pairs:
                with QSignalBlocker(combo):
                    index = combo.findData(value) if value is not None else 0
                    combo.setCurrentIndex(max(index, 0))
            with QSignalBlocker(self.open_help_check):
                self.open_help_check.setChecked(query.open_help)
            self._set_sort(query.sort, query.descending)
        finally:
            self._applying = False
        self.search()

    def clear_filters(self) -> None:
        with QSignalBlocker(self.search_box):
            self.search_box.clear()
        with QSignalBlocker(self.saved_combo):
            self.saved_combo.setCurrentIndex(0)
        self.apply_filter(EnterpriseFilter(sort=self.sort_key, descending=self.sort_descending))

    def _on_filter_changed(self) -> None:
        if self._applying:
            return
        with QSignalBlocker(self.saved_combo):
            self.saved_combo.setCurrentIndex(0)  # the pickers no longer show a saved filter as it is
        self._update_buttons()
        self.search()

    def _on_text_changed(self) -> None:
        self._search_timer.start()

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down or Enter in the search box goes to the list, so that a clerk need not reach for the mouse.
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.model.rowCount():
                self.table.setFocus(Qt.FocusReason.OtherFocusReason)
                if self.current_id() is None:
                    self.table.selectRow(0)
                return True
        return super().eventFilter(watched, event)

    # --- searching ----------------------------------------------------------------------------

    def _cancel_searches(self) -> None:
        for job in self._search_jobs:
            job.cancel()  # a search still waiting never runs; a running one's result is dropped
        self._search_jobs = []

    def search(self) -> None:
        """Refresh the list for the search and filters on screen: first screenful, then every id."""
        self._search_timer.stop()
        if self.ctx is None:
            return
        if self.installation is None:
            self._search_after_load = True
            return
        self._generation += 1
        generation = self._generation
        self._cancel_searches()
        ctx, query = self.ctx, self.current_filter()
        first = self.jobs.submit(lambda _control: first_screen(ctx, query), name="检索企业")
        first.finished.connect(lambda result: self._show_first(generation, result))
        first.failed.connect(lambda message: self._search_failed(generation, message))
        self._search_jobs.append(first)
        self._counting = True

    def _show_first(self, generation: int, first: FirstScreen) -> None:
        if generation != self._generation:
            return  # an earlier keystroke's answer
        self.model.add_rows(first.rows)
        if not self.model.starts_with(first.ids):
            self.model.set_ids(first.ids)
        if first.complete:
            self._show_all(generation, first.ids)
            return
        self._counting = True
        ctx, query = self.ctx, self.current_filter()
        assert ctx is not None
        job = self.jobs.submit(lambda _control: all_ids(ctx, query), name="统计企业")
        job.finished.connect(lambda ids: self._show_all(generation, ids))
        job.failed.connect(lambda message: self._search_failed(generation, message))
        self._search_jobs.append(job)

    def _show_all(self, generation: int, ids: list[int]) -> None:
        if generation != self._generation:
            return
        selected = self.current_id()
        if self.model.show_ids(ids) and selected is not None:
            self.select_id(selected)
        self.count = len(ids)
        self._counting = False
        self._search_jobs = []
        noun = "回收站中共" if self.recycle_bin else "共"
        self.count_label.setText(f"{noun} {len(ids)} 家企业")
        self.empty_label.setText(EMPTY_BIN if self.recycle_bin else EMPTY_LIST)
        self.table_stack.setCurrentWidget(self.table if ids else self.empty_label)
        if self.state_label.text().startswith(("检索失败", "读取列表失败")):
            self.state_label.clear()
        self._update_buttons()
        if self.is_settled():
            self.settled.emit()

    def _search_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._counting = False
        self.state_label.setText(f"检索失败：{message}")
        if self.is_settled():
            self.settled.emit()

    def is_counting(self) -> bool:
        return self._counting or self._search_timer.isActive()

    # --- sorting and columns ------------------------------------------------------------------

    def _set_sort(self, key: str, descending: bool) -> None:
        column = next((number for number, c in enumerate(COLUMNS) if c.sort_key == key), COL_NAME)
        self.sort_key = COLUMNS[column].sort_key or "name"
        self.sort_descending = descending
        header = self.table.horizontalHeader()
        with QSignalBlocker(header):
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(column, order)

    def sort_by(self, column: int, descending: bool | None = None) -> bool:
        """Sort the list by a column (on the database); False for a column that cannot be sorted."""
        key = COLUMNS[column].sort_key
        if key is None:
            self._set_sort(self.sort_key, self.sort_descending)  # put the indicator back where it was
            return False
        if descending is None:
            descending = not self.sort_descending if key == self.sort_key else False
        self._set_sort(key, descending)
        self.search()
        return True

    def _on_header_clicked(self, column: int) -> None:
        self.sort_by(column)

    def column_menu(self) -> QMenu:
        """The column chooser (the header's context menu): every column but the name can be hidden."""
        menu = QMenu(self)
        header = self.table.horizontalHeader()
        for number, column in enumerate(COLUMNS):
            if column.recycle_bin_only:
                continue
            action = QAction(column.header, menu)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(number))
            action.setEnabled(number != COL_NAME)
            action.setData(column.key)
            action.toggled.connect(lambda shown, key=column.key: self.set_column_visible(key, shown))
            menu.addAction(action)
        menu.addSeparator()
        reset = menu.addAction("恢复默认列")
        reset.triggered.connect(self.reset_layout)
        return menu

    def row_menu(self) -> QMenu:
        """The list's context menu for the selected enterprise."""
        menu = QMenu(self)
        enterprise_id = self.current_id()
        if enterprise_id is None:
            return menu
        menu.addAction("打开", self.open_selected)
        if self.recycle_bin:
            menu.addAction("恢复", self.restore_selected)
            if self.is_admin:
                menu.addAction("彻底删除…", self.purge_selected)
        else:
            menu.addAction("编辑", lambda: self.edit_enterprise(enterprise_id))
            menu.addSeparator()
            menu.addAction("删除到回收站…", self.recycle_selected)
        return menu

    def _show_row_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        self.row_menu().exec(self.table.viewport().mapToGlobal(position))

    def _show_column_menu(self, position: QPoint) -> None:
        self.column_menu().exec(self.table.horizontalHeader().mapToGlobal(position))

    def set_column_visible(self, key: str, shown: bool) -> None:
        number = COLUMN_KEYS.index(key)
        if number == COL_NAME:
            return
        self.table.horizontalHeader().setSectionHidden(number, not shown)
        self._layout_changed()

    def is_column_visible(self, key: str) -> bool:
        return not self.table.horizontalHeader().isSectionHidden(COLUMN_KEYS.index(key))

    def _layout_changed(self, *, later: bool = False) -> None:
        if self._restoring_layout:
            return
        if later:
            self._layout_timer.start()
        else:
            self.save_layout()

    def layout_state(self) -> dict[str, Any]:
        """Which columns show, in which order and how wide (never the sort: each visit starts by name)."""
        header = self.table.horizontalHeader()
        keep = [number for number, column in enumerate(COLUMNS) if not column.recycle_bin_only]
        order = sorted(keep, key=header.visualIndex)
        return {
            "order": [COLUMN_KEYS[number] for number in order],
            "hidden": [COLUMN_KEYS[number] for number in keep if header.isSectionHidden(number)],
            "widths": {
                COLUMN_KEYS[number]: header.sectionSize(number) for number in keep if header.sectionSize(number)
            },
        }

    def save_layout(self) -> None:
        self._layout_timer.stop()
        settings = _layout_settings()
        settings.setValue(LAYOUT_KEY, json.dumps(self.layout_state(), ensure_ascii=False))
        settings.sync()

    def restore_layout(self) -> None:
        raw = _layout_settings().value(LAYOUT_KEY)
        try:
            state = json.loads(str(raw)) if raw else None
        except ValueError:
            state = None  # a damaged setting: the default layout
        if isinstance(state, dict):
            self._apply_layout(state)

    def _apply_layout(self, state: dict[str, Any]) -> None:
        header = self.table.horizontalHeader()
        self._restoring_layout = True
        try:
            hidden = set(state.get("hidden") or [])
            widths = state.get("widths") or {}
            for number, column in enumerate(COLUMNS):
                if column.recycle_bin_only:
                    continue
                header.setSectionHidden(number, column.key in hidden and number != COL_NAME)
                width = widths.get(column.key)
                if isinstance(width, int) and width > 0:
                    header.resizeSection(number, width)
            for target, key in enumerate(state.get("order") or []):
                if key in COLUMN_KEYS:
                    header.moveSection(header.visualIndex(COLUMN_KEYS.index(key)), target)
        finally:
            self._restoring_layout = False

    def reset_layout(self) -> None:
        header = self.table.horizontalHeader()
        self._restoring_layout = True
        try:
            for number, column in enumerate(COLUMNS):
                header.moveSection(header.visualIndex(number), number)
                header.resizeSection(number, column.width)
                hidden = column.hidden_by_default or (column.recycle_bin_only and not self.recycle_bin)
                header.setSectionHidden(number, hidden)
        finally:
            self._restoring_layout = False
        self.save_layout()

    # --- the recycle bin ----------------------------------------------------------------------

    def show_recycle_bin(self, on: bool) -> None:
        """Switch between the live list and the 回收站 (same filters, other buttons)."""
        if on != self.recycle_bin:
            self._set_recycle_mode(on)

    def _set_recycle_mode(self, on: bool, *, search: bool = True) -> None:
        self.recycle_bin = on
        self.title_label.setText(f"{PAGE_TITLES['enterprises']} · 回收站" if on else PAGE_TITLES["enterprises"])
        self.bin_button.setText("返回企业库" if on else "回收站")
        self.bin_note.setVisible(on)
        for widget in (self.new_button, self.recycle_button, self.export_button, *self.saved_widgets):
            widget.setVisible(not on)
        self.restore_button.setVisible(on)
        self.purge_button.setVisible(on and self.is_admin)
        self._restoring_layout = True
        try:
            self.table.horizontalHeader().setSectionHidden(COL_DELETED, not on)
        finally:
            self._restoring_layout = False
        self.count = None
        self.count_label.setText(LOADING_TEXT)
        self._update_buttons()
        if search:
            self.model.set_ids([])
            self.search()

    # --- selection and actions ----------------------------------------------------------------

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        value = index.data(ID_ROLE)
        return int(value) if value is not None else None

    def select_id(self, enterprise_id: int) -> bool:
        row = self.model.row_of(enterprise_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, COL_NAME))
        return True

    def _selected_name(self) -> str:
        index = self.table.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        return row.name if row is not None else "所选企业"

    def _update_buttons(self) -> None:
        loaded = self.installation is not None
        writable = loaded and self.installation is not None and self.installation.can_write
        selected = self.current_id() is not None
        self.new_button.setEnabled(writable)
        self.open_button.setEnabled(selected)
        self.recycle_button.setEnabled(selected and writable)
        self.restore_button.setEnabled(selected and writable)
        self.purge_button.setEnabled(selected and writable and self.is_admin)
        self.export_button.setEnabled(loaded and bool(self.count) and self._export_job is None)
        self.save_filter_button.setEnabled(loaded)
        self.delete_filter_button.setEnabled(self.saved_combo.currentIndex() > 0)

    def _delete_key(self) -> None:
        if not self.recycle_bin:
            self.recycle_selected()

    def open_row(self, row: int) -> None:
        enterprise_id = self.model.id_at(row)
        if enterprise_id is not None:
            self.open_detail(enterprise_id)

    def open_selected(self) -> None:
        enterprise_id = self.current_id()
        if enterprise_id is not None:
            self.open_detail(enterprise_id)

    def open_detail(self, enterprise_id: int) -> EnterpriseDetailDialog | None:
        """Show an enterprise's detail view (one window per enterprise, raised if already open)."""
        if self.ctx is None or self.setup is None:
            return None
        dialog = self.detail_dialogs.get(enterprise_id)
        if dialog is not None and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = EnterpriseDetailDialog(
            self.jobs, self.ctx, self.setup, enterprise_id, is_admin=self.is_admin, parent=self.window()
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.changed.connect(self.enterprise_changed)
        dialog.open_enterprise.connect(self.open_detail)
        dialog.destroyed.connect(lambda _object=None, key=enterprise_id: self.detail_dialogs.pop(key, None))
        self.detail_dialogs[enterprise_id] = dialog
        dialog.show()
        return dialog

    def new_enterprise(self) -> EnterpriseFormDialog | None:
        """Open the intake form for a new enterprise (Ctrl+N)."""
        if self.ctx is None or self.setup is None or self.recycle_bin:
            return None
        if self.form_dialog is not None and self.form_dialog.isVisible() and self.form_dialog.is_new:
            self.form_dialog.raise_()
            self.form_dialog.activateWindow()
            return self.form_dialog
        dialog = EnterpriseFormDialog(self.jobs, self.ctx, self.setup, None, parent=self.window())
        self._show_form(dialog)
        return dialog

    def _show_form(self, dialog: EnterpriseFormDialog) -> None:
        previous, self.form_dialog = self.form_dialog, dialog
        if previous is not None and not previous.isVisible():
            previous.deleteLater()  # a closed form is not needed again
        dialog.saved.connect(self._on_saved)
        dialog.open_enterprise.connect(self.open_detail)
        dialog.show()

    def edit_enterprise(self, enterprise_id: int) -> None:
        """Open the intake form on an enterprise as it is now."""
        if self.ctx is None or self.setup is None:
            return
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: load_record(ctx, enterprise_id), name="读取企业信息")
        job.finished.connect(self._open_edit_form)
        job.failed.connect(lambda message: prompts.warn(self, "无法编辑", message))

    def _open_edit_form(self, record: Any) -> None:
        assert self.ctx is not None and self.setup is not None
        dialog = EnterpriseFormDialog(self.jobs, self.ctx, self.setup, record, parent=self.window())
        self._show_form(dialog)

    def _on_saved(self, record: Any) -> None:
        self.enterprise_changed(record.id)

    def enterprise_changed(self, enterprise_id: int) -> None:
        """An enterprise was saved, recycled or restored: refresh its row and the list around it."""
        self.model.invalidate([enterprise_id])
        self.search()

    def _write(self, name: str, write: Callable[[Any], None], enterprise_id: int, done: str) -> None:
        assert self.ctx is not None
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: write_with(ctx, write), name=name)

        def clear_notice() -> None:
            if self.state_label.text() == done:
                self.state_label.clear()

        def finished(_result: object) -> None:
            self.state_label.setText(done)
            QTimer.singleShot(4000, self, clear_notice)
            self.enterprise_changed(enterprise_id)

        job.finished.connect(finished)
        job.failed.connect(lambda message: prompts.warn(self, "操作未完成", message))

    def recycle_selected(self) -> None:
        """Delete the selected enterprise to the 回收站 after asking (Delete)."""
        enterprise_id = self.current_id()
        if enterprise_id is None or self.recycle_bin:
            return
        name, actor = self._selected_name(), self._actor()
        question = (
            f"把“{name}”删除到回收站吗？\n\n它的培育记录、年度监测和帮扶记录随之移入回收站，"
            "不再出现在列表和统计中；可以在回收站中恢复。"
        )
        if not prompts.confirm(self, "删除到回收站", question, ok_text="删除到回收站"):
            return
        from zjtx_desktop.registry import recycle_enterprise

        self._write(
            "删除企业到回收站",
            lambda session: recycle_enterprise(session, actor, enterprise_id),
            enterprise_id,
            f"已把“{name}”删除到回收站。",
        )

    def restore_selected(self) -> None:
        enterprise_id = self.current_id()
        if enterprise_id is None or not self.recycle_bin:
            return
        from zjtx_desktop.registry import restore_enterprise

        name, actor = self._selected_name(), self._actor()
        self._write(
            "从回收站恢复企业",
            lambda session: restore_enterprise(session, actor, enterprise_id),
            enterprise_id,
            f"已恢复“{name}”。",
        )

    def purge_selected(self) -> None:
        """Delete for good (administrators, from the 回收站): the clerk types the name to confirm."""
        enterprise_id = self.current_id()
        if enterprise_id is None or not self.recycle_bin or not self.is_admin:
            return
        name, actor, is_admin = self._selected_name(), self._actor(), self.is_admin
        typed = prompts.ask_text(
            self,
            "彻底删除",
            f"彻底删除后，“{name}”及其全部培育记录、年度监测和帮扶记录将永久删除，不能恢复\n"
            "（变更历史中保留删除记录）。\n\n如确需彻底删除，请输入企业全称以确认：",
        )
        if typed is None:
            return
        if typed.strip() != name:
            prompts.warn(self, "未删除", "输入的名称与企业全称不一致，未删除。")
            return
        from zjtx_desktop.registry import purge_enterprise

        self._write(
            "彻底删除企业",
            lambda session: purge_enterprise(session, actor, enterprise_id, is_admin=is_admin),
            enterprise_id,
            f"已彻底删除“{name}”。",
        )

    def _actor(self) -> str:
        assert self.ctx is not None
        return self.ctx.actor

    # --- saved filters ------------------------------------------------------------------------

    def _fill_saved(self, saved: dict[str, EnterpriseFilter]) -> None:
        self.saved = dict(saved)
        previous = self.saved_combo.currentText() if self.saved_combo.currentIndex() > 0 else None
        with QSignalBlocker(self.saved_combo):
            self.saved_combo.clear()
            self.saved_combo.addItem(SAVED_PLACEHOLDER, None)
            for name in sorted(self.saved):
                self.saved_combo.addItem(name, name)
            index = self.saved_combo.findData(previous) if previous else 0
            self.saved_combo.setCurrentIndex(max(index, 0))
        self._update_buttons()

    def _on_saved_chosen(self, index: int) -> None:
        name = self.saved_combo.itemData(index)
        if name is not None:
            self.apply_saved_filter(str(name))
        self._update_buttons()

    def apply_saved_filter(self, name: str) -> None:
        query = self.saved.get(name)
        if query is None:
            return
        with QSignalBlocker(self.saved_combo):
            self.saved_combo.setCurrentIndex(max(self.saved_combo.findData(name), 0))
        self.apply_filter(query)
        self._update_buttons()

    def save_current_filter(self) -> None:
        if self.ctx is None:
            return
        name = prompts.ask_text(self, "保存常用筛选", "为当前的筛选条件起个名字（搜索词不保存，同名的会被替换）：")
        if name is None or not name.strip():
            return
        from zjtx_desktop.enterprise_query import save_filter

        label, query, ctx = name.strip(), self.current_filter(), self.ctx
        if self.installation is not None and not self.installation.is_city:
            query = dataclasses.replace(query, unit_codes=None)  # a county's scope is added when applied
        job = self.jobs.submit(
            lambda _control: write_with(ctx, lambda s: save_filter(s, label, query)), name="保存筛选"
        )
        job.finished.connect(lambda _result: self._reload_saved(select=label))
        job.failed.connect(lambda message: prompts.warn(self, "未保存", message))

    def delete_chosen_filter(self) -> None:
        if self.ctx is None or self.saved_combo.currentIndex() <= 0:
            return
        name = self.saved_combo.currentText()
        if not prompts.confirm(self, "删除常用筛选", f"删除常用筛选“{name}”吗？", ok_text="删除"):
            return
        from zjtx_desktop.enterprise_query import delete_saved_filter

        ctx = self.ctx
        job = self.jobs.submit(
            lambda _control: write_with(ctx, lambda s: delete_saved_filter(s, name)), name="删除筛选"
        )
        job.finished.connect(lambda _result: self._reload_saved(select=None))

    def _reload_saved(self, select: str | None) -> None:
        if self.ctx is None:
            return
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: load_saved(ctx), name="读取常用筛选")

        def show(saved: dict[str, EnterpriseFilter]) -> None:
            self._fill_saved(saved)
            with QSignalBlocker(self.saved_combo):
                index = self.saved_combo.findData(select) if select else 0
                self.saved_combo.setCurrentIndex(max(index, 0))
            self._update_buttons()

        job.finished.connect(show)

    # --- export -------------------------------------------------------------------------------

    def export_list(self) -> None:
        """Export every enterprise of the current list (not only those on screen) to an Excel workbook."""
        if self.ctx is None or self.count is None or self._export_job is not None or self.recycle_bin:
            return
        ids = self.model.ids()
        if not ids:
            prompts.inform(self, "导出当前列表", "当前列表为空，没有可导出的企业。")
            return
        suggested = str(Path.home() / f"企业名录_{dt.date.today():%Y%m%d}.xlsx")
        path = prompts.choose_save_path(self, "导出当前列表", suggested, "Excel 工作簿 (*.xlsx)")
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        ctx, scope = self.ctx, self._unit_codes() if self.installation and not self.installation.is_city else None
        progress = QProgressDialog(f"正在导出 {len(ids)} 家企业…", "取消", 0, 100, self)
        progress.setWindowTitle("导出当前列表")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        job = self.jobs.submit(lambda control: export_enterprises(ctx, path, ids, scope, control), name="导出企业列表")
        self._export_job = job
        self.export_progress = progress
        progress.canceled.connect(job.cancel)

        def report(done: int, total: int, text: str) -> None:
            progress.setMaximum(max(total, 1))
            progress.setValue(min(done, max(total, 1)))
            if text:
                progress.setLabelText(text)

        def end() -> None:
            self._export_job = None
            progress.close()
            self._update_buttons()

        def finished(result: tuple[int, str]) -> None:
            end()
            rows, written = result
            prompts.inform(self, "导出完成", f"已导出 {rows} 家企业：\n{written}")

        def failed(message: str) -> None:
            end()
            prompts.warn(self, "导出未完成", message)

        job.progress.connect(report)
        job.finished.connect(finished)
        job.failed.connect(failed)
        job.cancelled.connect(end)
        self._update_buttons()
