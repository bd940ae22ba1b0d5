"""帮扶记录: help visits and the problems they raised, overdue items, each officer's workload, who contacts whom.

Four tabs over `zjtx_desktop.help_visits`. The page reads all four on the worker in one job; a filter changed
in a tab reloads that tab alone, and results of a superseded reload are dropped. Writes — a new visit (pick
the enterprise, then the shared record dialog), closing a problem, assigning officers — run on the worker,
then the page reloads and tells the other pages (the dashboard's alerts, the enterprise list) that what they
show is out of date. A county installation sees and writes its own unit only; the core enforces it too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.dialogs.enterprise_form import dialog_size
from ui.dialogs.record_dialog import RecordDialog, RecordOutcome, default_values
from ui.dialogs.validating_dialog import ValidatingFormDialog, scrolling_form, summary_label
from ui.field_form import Choices, FieldForm
from ui.jobs import Job, JobRunner, Work
from ui.models import AnyIndex
from ui.models.table_rows import TextRowsModel
from ui.page_names import PAGE_TITLES
from ui.theme import ACCENT, PAGE_MARGIN, SPACING, TEXT, TONE_COLOURS, TRACK
from ui.widgets import LOADING_TEXT, Page, make_table_view, mark_other_pages_stale, note_label
from zjtx_desktop.help_visits import CLOSE_FIELDS, CLOSED, OPEN, ContactRow, OfficerLoad, VisitRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.context import AppContext
    from zjtx_desktop.enterprise_query import EnterpriseRow
    from zjtx_desktop.registry import Problem
    from zjtx_desktop.settings import Installation

TAB_VISITS, TAB_OVERDUE, TAB_WORKLOAD, TAB_CONTACTS = range(4)
# Rows read at a time; "显示更多" reads the next lot. A county has a few thousand visits at most, but the
# city's province-scale database has 118,000.
PAGE_ROWS = 500
SEARCH_DELAY_MS = 250
PICKER_ROWS = 50

ALL_UNITS, ALL_OFFICERS, UNASSIGNED = "全部单位", "全部干部", "（未指定）"
OVERDUE = "overdue"  # the status filter's choice for open problems past their deadline
STATUS_CHOICES = (("", "全部状态"), (OPEN, OPEN), (CLOSED, CLOSED), (OVERDUE, "逾期未办结"))
PERIOD_CHOICES = (
    ("all", "全部时间"),
    ("this_year", "本年"),
    ("last_year", "上年"),
    ("3m", "近三个月"),
    ("12m", "近一年"),
)
# 联系干部 tab: how regular the visits have been.
UNVISITED_CHOICES = (
    (0, "全部培育企业"),
    (90, "超过3个月未走访"),
    (182, "超过半年未走访"),
    (365, "超过1年未走访"),
)

VISIT_HEADERS = ("走访日期", "企业", "单位", "联系干部", "方式", "反映问题", "办理情况", "状态", "办结时限")
(V_DATE, V_NAME, V_UNIT, V_OFFICER, V_KIND, V_PROBLEM, V_ACTION, V_STATUS, V_DEADLINE) = range(len(VISIT_HEADERS))
OVERDUE_HEADERS = ("逾期", "办结时限", "企业", "单位", "联系干部", "反映问题", "走访日期", "方式")
O_DAYS, O_DEADLINE, O_NAME, O_UNIT, O_OFFICER, O_PROBLEM, O_DATE, O_KIND = range(len(OVERDUE_HEADERS))
LOAD_HEADERS = ("联系干部", "联系企业", "期内走访", "走访企业", "办理中", "逾期", "最近走访")
L_OFFICER, L_ENTERPRISES, L_VISITS, L_VISITED, L_OPEN, L_OVERDUE, L_LAST = range(len(LOAD_HEADERS))
CONTACT_HEADERS = ("企业", "统一社会信用代码", "单位", "联系干部", "最近走访", "办理中")
C_NAME, C_USCC, C_UNIT, C_OFFICER, C_LAST, C_OPEN = range(len(CONTACT_HEADERS))

NEVER_VISITED = "从未走访"
# Texts that size the columns (in the table's font, so that a larger font widens them too).
DATE_SAMPLE = "2025-12-31"
NAME_SAMPLE = "欧阳建国"
WIDE_USCC = "91331100MA2MRUDC06"
OVERDUE_INTRO = (
    "办结时限已过、仍在办理中的帮扶事项，逾期最久的在前；办结时限当天仍算按期。选中一项点“办结…”，或双击打开企业。"
)
CONTACT_INTRO = (
    "联系帮扶制度要求每家培育企业有一名联系干部并定期走访。选中企业（可按 Ctrl 或 Shift 多选）后点“指定联系干部…”。"
)


def today() -> dt.date:
    """The day the page reads as today (tests replace this to see deadlines pass)."""
    return dt.date.today()


def ask_officer(parent: QWidget | None, names: Sequence[str], current: str, count: int) -> str | None:
    """Ask which officer to assign (typed, or chosen from those already known); None when cancelled."""
    items = list(names)
    if current and current not in items:
        items.insert(0, current)
    value, accepted = QInputDialog.getItem(
        parent,
        "指定联系干部",
        f"为所选 {count} 家企业指定联系干部（留空为取消指定）：",
        items or [""],
        items.index(current) if current in items else 0,
        True,
    )
    return value if accepted else None


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def period_bounds(key: str, day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The visit dates a period choice covers, both ends included (None: open)."""
    if key == "this_year":
        return dt.date(day.year, 1, 1), None
    if key == "last_year":
        return dt.date(day.year - 1, 1, 1), dt.date(day.year - 1, 12, 31)
    if key == "3m":
        return day - dt.timedelta(days=91), None
    if key == "12m":
        return day - dt.timedelta(days=365), None
    return None, None


# --- what the worker reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitQuery:
    """The 走访记录 tab's filters."""

    officer: str | None = None
    status: str = ""  # "", 办理中, 已办结, or OVERDUE
    period: str = "all"
    search: str = ""


@dataclass(frozen=True)
class ContactQuery:
    """The 联系干部 tab's filters: officer None for all, "" for the enterprises without one."""

    officer: str | None = None
    unvisited_days: int = 0
    search: str = ""


@dataclass(frozen=True)
class Rows:
    """Some rows of a list (from `offset`) and how many there are in all."""

    rows: list[Any]
    total: int
    offset: int = 0


@dataclass(frozen=True)
class Workload:
    loads: list[OfficerLoad]
    period: str
    unassigned: int  # cultivated enterprises without an officer


@dataclass(frozen=True)
class VisitsData:
    """Everything the page shows, read in one session on the worker: plain values only."""

    installation: Installation
    today: dt.date
    units: list[tuple[str, str, str]]  # (code, name, short name)
    officers: list[str]
    visits: Rows
    overdue: Rows
    workload: Workload
    contacts: Rows

    @property
    def can_choose_unit(self) -> bool:
        return self.installation.is_city


def scope_of(session: Session, unit_code: str | None) -> tuple[str, ...] | None:
    """The units the lists cover: a county installation its own unit whatever was asked, the city all or one."""
    from zjtx_desktop.settings import installation

    own = installation(session)
    if not own.is_city:
        return (own.unit_code,)
    return (unit_code,) if unit_code else None


def read_visits(
    session: Session, scope: tuple[str, ...] | None, day: dt.date, query: VisitQuery, offset: int = 0
) -> Rows:
    from zjtx_desktop.help_visits import visit_count, visit_list

    since, until = period_bounds(query.period, day)
    filters: dict[str, Any] = {
        "unit_codes": scope,
        "today": day,
        "officer": query.officer,
        "status": query.status if query.status in (OPEN, CLOSED) else None,
        "overdue_only": query.status == OVERDUE,
        "since": since,
        "until": until,
        "search": query.search,
    }
    rows = visit_list(session, **filters, limit=PAGE_ROWS, offset=offset)
    total = offset + len(rows) if len(rows) < PAGE_ROWS else visit_count(session, **filters)
    return Rows(rows, total, offset)


def read_overdue(session: Session, scope: tuple[str, ...] | None, day: dt.date, offset: int = 0) -> Rows:
    from zjtx_desktop.help_visits import visit_count, visit_list

    rows = visit_list(
        session, unit_codes=scope, today=day, overdue_only=True, order="most_overdue", limit=PAGE_ROWS, offset=offset
    )
    total = (
        offset + len(rows)
        if len(rows) < PAGE_ROWS
        else visit_count(session, unit_codes=scope, today=day, overdue_only=True)
    )
    return Rows(rows, total, offset)


def read_workload(session: Session, scope: tuple[str, ...] | None, day: dt.date, period: str) -> Workload:
    from zjtx_desktop.help_visits import contact_count, officer_workload

    since, until = period_bounds(period, day)
    loads = officer_workload(session, day, scope, since, until=until)
    return Workload(loads, period, contact_count(session, unit_codes=scope, officer=""))


def read_contacts(
    session: Session, scope: tuple[str, ...] | None, day: dt.date, query: ContactQuery, offset: int = 0
) -> Rows:
    from zjtx_desktop.help_visits import contact_count, contact_list

    since = day - dt.timedelta(days=query.unvisited_days) if query.unvisited_days else None
    filters: dict[str, Any] = {
        "unit_codes": scope,
        "search": query.search,
        "officer": query.officer,
        "not_visited_since": since,
    }
    rows = contact_list(session, **filters, limit=PAGE_ROWS, offset=offset)
    total = offset + len(rows) if len(rows) < PAGE_ROWS else contact_count(session, **filters)
    return Rows(rows, total, offset)


def load_visits_page(
    ctx: AppContext, day: dt.date, unit_code: str | None, visits: VisitQuery, period: str, contacts: ContactQuery
) -> VisitsData:
    """All four tabs; runs on the worker thread."""
    from sqlalchemy import select

    from zjtx_desktop.models import Region
    from zjtx_desktop.pinyin import initials
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        own = installation(session)
        scope = scope_of(session, unit_code)
        units = [
            (code, name, short)
            for code, name, short in session.execute(
                select(Region.code, Region.name, Region.short_name).order_by(Region.sort_order)
            )
        ]
        workload = read_workload(session, scope, day, period)
        officers = sorted((load.officer for load in workload.loads), key=lambda name: (initials(name), name))
        return VisitsData(
            own,
            day,
            units,
            officers,
            read_visits(session, scope, day, visits),
            read_overdue(session, scope, day),
            workload,
            read_contacts(session, scope, day, contacts),
        )


def assign_officers(ctx: AppContext, enterprise_ids: list[int], officer: str) -> int:
    """Assign in one transaction with an audit entry per enterprise; runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.help_visits import assign_officer

    with transaction(ctx.sessions) as session:
        return assign_officer(session, ctx.actor, enterprise_ids, officer)


# --- tables ---------------------------------------------------------------------------------------------


def status_text(row: VisitRow) -> str:
    """办理中 / 已办结, or how late an open problem is (in words, not colour alone)."""
    return f"逾期 {row.days_overdue} 天" if row.overdue else row.status


def visit_cells(row: VisitRow, short_units: dict[str, str]) -> list[str]:
    return [
        row.visited_on.isoformat(),
        row.enterprise,
        short_units.get(row.unit, row.unit),
        row.officer,
        row.kind,
        one_line(row.problem),
        one_line(row.action),
        status_text(row),
        row.deadline.isoformat() if row.deadline else "",
    ]


def overdue_cells(row: VisitRow, short_units: dict[str, str]) -> list[str]:
    return [
        f"{row.days_overdue} 天",
        row.deadline.isoformat() if row.deadline else "",
        row.enterprise,
        short_units.get(row.unit, row.unit),
        row.officer,
        one_line(row.problem),
        row.visited_on.isoformat(),
        row.kind,
    ]


def load_cells(load: OfficerLoad) -> list[str]:
    return [
        load.officer,
        str(load.enterprises),
        str(load.visits),
        str(load.visited_enterprises),
        str(load.open_problems),
        str(load.overdue_problems),
        load.last_visit.isoformat() if load.last_visit else "",
    ]


def contact_cells(row: ContactRow, short_units: dict[str, str]) -> list[str]:
    return [
        row.name,
        row.uscc,
        short_units.get(row.unit, row.unit),
        row.officer or UNASSIGNED,
        row.last_visit.isoformat() if row.last_visit else NEVER_VISITED,
        str(row.open_problems) if row.open_problems else "",
    ]


def visit_colour(row: VisitRow, column: int) -> str | None:
    if column == V_STATUS:
        if row.overdue:
            return TONE_COLOURS["bad"]
        return TONE_COLOURS["good"] if row.status == CLOSED else TONE_COLOURS["warn"]
    if column == V_DEADLINE and row.overdue:
        return TONE_COLOURS["bad"]
    return None


def overdue_colour(_row: VisitRow, column: int) -> str | None:
    return TONE_COLOURS["bad"] if column in (O_DAYS, O_DEADLINE) else None


def load_colour(load: OfficerLoad, column: int) -> str | None:
    if column == L_OVERDUE and load.overdue_problems:
        return TONE_COLOURS["bad"]
    if column == L_ENTERPRISES and not load.enterprises:
        return TONE_COLOURS["neutral"]
    return None


def contact_colour(row: ContactRow, column: int) -> str | None:
    if column == C_OFFICER and not row.officer:
        return TONE_COLOURS["warn"]
    if column == C_LAST and row.last_visit is None:
        return TONE_COLOURS["warn"]
    return None


BAR_ROLE = Qt.ItemDataRole.UserRole + 1


class WorkloadModel(TextRowsModel):
    """Officers' figures; the visits column also carries its share of the busiest officer's for a bar."""

    def __init__(self) -> None:
        super().__init__(LOAD_HEADERS, numeric=(L_ENTERPRISES, L_VISITED, L_OPEN, L_OVERDUE), colour=load_colour)
        self._most = 0

    def set_loads(self, loads: list[OfficerLoad]) -> None:
        self._most = max((load.visits for load in loads), default=0)
        self.set_rows([(load_cells(load), load) for load in loads])

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == BAR_ROLE and index.isValid() and index.column() == L_VISITS:
            load = self.payload(index.row())
            return load.visits / self._most if load is not None and self._most else 0.0
        return super().data(index, role)


class CountBarDelegate(QStyledItemDelegate):
    """A count with a bar in front of it, the bars of a column sharing one scale: a bar chart in the table."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        self.initStyleOption(option, index)
        text = option.text
        option.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        rect = option.rect
        metrics = option.fontMetrics
        text_width = metrics.horizontalAdvance("00000")
        track = QRectF(rect.left() + 8, rect.center().y() - 5 + 1, max(rect.width() - text_width - 24, 0), 10)
        fraction = float(index.data(BAR_ROLE) or 0.0)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(TRACK))
        painter.drawRoundedRect(track, 3, 3)
        if fraction > 0:
            filled = QRectF(track)
            filled.setWidth(max(track.width() * min(fraction, 1.0), 2.0))
            painter.setBrush(QColor(ACCENT))
            painter.drawRoundedRect(filled, 3, 3)
        painter.setPen(QColor(TEXT))
        text_rect = QRectF(track.right() + 6, rect.top(), rect.right() - track.right() - 12, rect.height())
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
        painter.restore()


def _size_columns(view: QTableView, samples: Sequence[str], stretch: Sequence[int]) -> None:
    """Each column as wide as its longest expected text (or its header) in the table's own font;
    the `stretch` columns share what is left."""
    header = view.horizontalHeader()
    metrics = view.fontMetrics()
    model = view.model()
    for column, sample in enumerate(samples):
        if column in stretch:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            continue
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        header.resizeSection(column, max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title)) + 28)


def _combo(choices: Sequence[tuple[Any, str]], width: int, tip: str) -> QComboBox:
    combo = QComboBox()
    for value, label in choices:
        combo.addItem(label, value)
    combo.setMinimumContentsLength(width)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setToolTip(tip)
    return combo


def _button(text: str, tip: str, *, primary: bool = False) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setAutoDefault(False)
    if primary:
        button.setProperty("primary", True)
    return button


def _count_label() -> QLabel:
    label = QLabel()
    label.setObjectName("listCount")
    return label


def _set_officers(combo: QComboBox, names: Sequence[str], *, unassigned: bool) -> None:
    """Refill an officer picker, keeping the choice when the name is still there."""
    chosen = combo.currentData()
    with QSignalBlocker(combo):
        combo.clear()
        combo.addItem(ALL_OFFICERS, None)
        if unassigned:
            combo.addItem(UNASSIGNED, "")
        for name in names:
            combo.addItem(name, name)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(index, 0))


# --- dialogs --------------------------------------------------------------------------------------------


def search_enterprises(ctx: AppContext, text: str, unit_codes: tuple[str, ...] | None) -> list[EnterpriseRow]:
    """Live enterprises matching a name, code or pinyin initials, the first screenful; runs on the worker."""
    from zjtx_desktop.enterprise_query import EnterpriseFilter, fetch_rows, search_ids

    with ctx.sessions() as session:
        scope = unit_codes if unit_codes is not None else scope_of(session, None)
        ids = search_ids(session, EnterpriseFilter(text=text, unit_codes=scope), limit=PICKER_ROWS)
        return fetch_rows(session, ids)


class EnterprisePickerDialog(QDialog):
    """新增走访, step one: find the enterprise as you type (name, credit code or pinyin initials)."""

    chosen = Signal(object)  # the EnterpriseRow picked

    def __init__(
        self, jobs: JobRunner, ctx: AppContext, unit_codes: tuple[str, ...] | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx = ctx
        self.unit_codes = unit_codes
        self._job: Job | None = None
        self.setWindowTitle("新增走访 — 选择企业")
        self.resize(*dialog_size(760, 520))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING)
        heading = QLabel("走访的是哪家企业？")
        heading.setObjectName("dialogTitle")
        layout.addWidget(heading)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText("输入企业名称、信用代码或拼音首字母")
        self.search_box.setClearButtonEnabled(True)
        layout.addWidget(self.search_box)
        self.model = TextRowsModel(("企业名称", "统一社会信用代码", "单位", "联系干部"))
        self.table = make_table_view(self.model)
        _size_columns(self.table, ("", WIDE_USCC, "景宁畲族自治县", NAME_SAMPLE), (0,))
        self.table.doubleClicked.connect(lambda _index: self.choose())
        layout.addWidget(self.table, 1)
        self.hint = QLabel()
        self.hint.setObjectName("listCount")
        self.cancel_button = _button("取消", "不新增走访")
        self.next_button = _button("下一步", "填写这家企业的走访记录", primary=True)
        self.next_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.next_button)
        layout.addLayout(buttons)
        self.cancel_button.clicked.connect(self.reject)
        self.next_button.clicked.connect(self.choose)
        self.table.selectionModel().currentRowChanged.connect(lambda *_args: self._update_buttons())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS // 2)
        self._timer.timeout.connect(self.search)
        self.search_box.textChanged.connect(lambda _text: self._timer.start())
        self.search()
        self._update_buttons()

    def is_searching(self) -> bool:
        return self._timer.isActive() or self._job is not None

    def search(self) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job.cancel()
        ctx, text, scope = self.ctx, self.search_box.text(), self.unit_codes
        job = self.jobs.submit(lambda _control: search_enterprises(ctx, text, scope), name="查找企业")
        self._job = job
        self.hint.setText("正在查找…")

        def finished(rows: list[EnterpriseRow]) -> None:
            if self._job is job:
                self._job = None
                self._show(rows)

        def failed(message: str) -> None:
            if self._job is job:
                self._job = None
                self.hint.setText(f"查找失败：{message}")

        job.finished.connect(finished)
        job.failed.connect(failed)

    def _show(self, rows: list[EnterpriseRow]) -> None:
        self.model.set_rows([((row.name, row.uscc, row.unit, row.help_officer), row) for row in rows])
        if rows:
            self.table.setCurrentIndex(self.model.index(0, 0))
        more = "（只列出前 50 家，请输入更多字缩小范围）" if len(rows) >= PICKER_ROWS else ""
        self.hint.setText(f"找到 {len(rows)} 家企业{more}" if rows else "没有符合的企业，请换个关键字")
        self._update_buttons()

    def selected(self) -> EnterpriseRow | None:
        index = self.table.currentIndex()
        return self.model.payload(index.row()) if index.isValid() else None

    def choose(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.chosen.emit(row)
        self.accept()

    def _update_buttons(self) -> None:
        self.next_button.setEnabled(self.selected() is not None)


def check_close(ctx: AppContext, visit_id: int, values: dict[str, Any], day: dt.date) -> list[Problem]:
    from zjtx_desktop.help_visits import close_problems

    with ctx.sessions() as session:
        return close_problems(
            session, visit_id, closed_on=values.get("closed_on"), action=values.get("action"), today=day
        )


def save_close(ctx: AppContext, visit: VisitRow, values: dict[str, Any], day: dt.date) -> RecordOutcome:
    """Close the problem in one transaction with its audit entry; runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.help_visits import close_problem
    from zjtx_desktop.registry import ValidationFailed, VersionConflict

    try:
        with transaction(ctx.sessions) as session:
            close_problem(
                session,
                ctx.actor,
                visit.id,
                closed_on=values.get("closed_on"),
                action=values.get("action") or "",
                expected_version=visit.version,
                today=day,
            )
    except ValidationFailed as error:
        return RecordOutcome(False, list(error.problems))
    except VersionConflict as error:
        return RecordOutcome(False, conflict=str(error))
    return RecordOutcome(True)


class CloseProblemDialog(ValidatingFormDialog[RecordOutcome]):
    """办结: the date the problem was resolved and what was done, checked while typing."""

    saved = Signal()

    VALIDATION_JOB_NAME = "校验办结"
    SAVE_JOB_NAME = "办结帮扶事项"

    def __init__(
        self, jobs: JobRunner, ctx: AppContext, visit: VisitRow, day: dt.date, parent: QWidget | None = None
    ) -> None:
        super().__init__(jobs, ctx, parent)
        self.visit = visit
        self.day = day
        self.setWindowTitle(f"办结帮扶事项 — {visit.enterprise}")
        self.resize(*dialog_size(760, 340))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING)
        heading = QLabel(f"办结：{visit.enterprise}")
        heading.setObjectName("dialogTitle")
        layout.addWidget(heading)
        deadline = visit.deadline.isoformat() if visit.deadline else "未设定"
        late = f"（已逾期 {visit.days_overdue} 天）" if visit.overdue else ""
        facts = QLabel(
            f"{visit.visited_on.isoformat()} {visit.kind}，联系干部 {visit.officer}；办结时限 {deadline}{late}\n"
            f"反映问题：{one_line(visit.problem) or '（未填写）'}"
        )
        facts.setObjectName("detailHint")
        facts.setWordWrap(True)
        facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(facts)
        self.form = FieldForm(CLOSE_FIELDS, Choices(), message_width=200)
        layout.addWidget(scrolling_form(self.form), 1)
        self.summary = summary_label()
        self.cancel_button = _button("取消", "不办结")
        self.save_button = _button("办结", "状态改为“已办结”，记入操作日志", primary=True)
        self.save_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self._connect_lifecycle()
        self.save_button.clicked.connect(self.save)
        self.form.set_values({"closed_on": day, "action": visit.action or None})
        self.validate_now()

    def _validation_work(self) -> Callable[[], list[Problem]]:
        ctx, visit_id, values, day = self.ctx, self.visit.id, self.form.values(), self.day
        return lambda: check_close(ctx, visit_id, values, day)

    def _save_work(self) -> Callable[[], RecordOutcome]:
        ctx, visit, values, day = self.ctx, self.visit, self.form.values(), self.day
        return lambda: save_close(ctx, visit, values, day)

    def _on_save_succeeded(self, outcome: RecordOutcome) -> None:
        self.saved.emit()
        self._close_saved()

    def _confirm_discard(self) -> bool:
        return prompts.confirm(
            self, "放弃办结", "填写的办理情况尚未保存。放弃吗？", ok_text="放弃", cancel_text="继续填写"
        )


# --- the page -------------------------------------------------------------------------------------------


class VisitsPage(Page):
    """帮扶记录: 走访记录 · 逾期事项 · 干部工作量 · 联系干部."""

    open_enterprise = Signal(int)  # double-click or 打开企业: the enterprise's detail view
    refresh_on_show = True  # visits are also recorded in the enterprise detail view

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["visits"], jobs, parent)
        self.data: VisitsData | None = None
        self.short_units: dict[str, str] = {}
        self.visit_rows = Rows([], 0)
        self.overdue_rows = Rows([], 0)
        self.contact_rows = Rows([], 0)
        self._part_jobs: dict[str, Job] = {}
        self.write_job: Job | None = None
        self.picker: EnterprisePickerDialog | None = None
        self.record_dialog: RecordDialog | None = None
        self.close_dialog: CloseProblemDialog | None = None

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_visits_tab(), "走访记录")
        self.tabs.addTab(self._build_overdue_tab(), "逾期事项")
        self.tabs.addTab(self._build_workload_tab(), "干部工作量")
        self.tabs.addTab(self._build_contacts_tab(), "联系干部")
        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 0, 4)
        corner_layout.setSpacing(6)
        self.unit_combo = _combo([(None, ALL_UNITS)], 8, "只看一个单位的帮扶记录")
        self.unit_label = QLabel("单位")
        self.unit_label.setObjectName("filterLabel")
        corner_layout.addWidget(self.unit_label)
        corner_layout.addWidget(self.unit_combo)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        self.unit_combo.currentIndexChanged.connect(lambda _index: self.refresh())
        self.body.addWidget(self.tabs, 1)
        self._update_buttons()

    # --- building -------------------------------------------------------------------------------------

    def _build_visits_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.officer_combo = _combo([(None, ALL_OFFICERS)], 6, "只看一名联系干部的走访")
        self.status_combo = _combo(STATUS_CHOICES, 6, "办理状态；“逾期未办结”为过了办结时限仍在办理中的事项")
        self.period_combo = _combo(PERIOD_CHOICES, 5, "走访日期在这段时间内")
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText("搜索企业名称、信用代码或拼音首字母")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(220)
        self.new_button = _button("新增走访…", "选择企业，填写走访日期、方式、反映问题和办结时限", primary=True)
        self.close_button = _button("办结…", "所选帮扶事项已解决：填写办结日期和办理情况")
        self.open_button = _button("打开企业", "查看所选记录所属企业的详情和全部帮扶记录（双击）")
        for widget in (self.officer_combo, self.status_combo, self.period_combo):
            bar.addWidget(widget)
            widget.currentIndexChanged.connect(lambda _index: self.reload_visits())
        bar.addWidget(self.search_box, 1)
        for button in (self.new_button, self.close_button, self.open_button):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.visit_count = _count_label()
        self.visit_more = _button("显示更多", f"再列出 {PAGE_ROWS} 条")
        self.visit_more.setObjectName("linkButton")
        count_row = QHBoxLayout()
        count_row.addWidget(self.visit_count, 1)
        count_row.addWidget(self.visit_more)
        layout.addLayout(count_row)
        self.visit_model = TextRowsModel(VISIT_HEADERS, colour=visit_colour)
        self.visit_table = make_table_view(self.visit_model)
        _size_columns(
            self.visit_table,
            (
                DATE_SAMPLE,
                "浙江缙云普润厨房用品有限公",
                "开发区",
                NAME_SAMPLE,
                "现场办公",
                "",
                "",
                "逾期 999 天",
                DATE_SAMPLE,
            ),
            (V_PROBLEM, V_ACTION),
        )
        layout.addWidget(self.visit_table, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload_visits)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.new_button.clicked.connect(self.new_visit)
        self.close_button.clicked.connect(lambda: self.close_selected(self.visit_table, self.visit_model))
        self.open_button.clicked.connect(lambda: self._open_selected(self.visit_table, self.visit_model))
        self.visit_more.clicked.connect(lambda: self.reload_visits(more=True))
        self.visit_table.doubleClicked.connect(lambda index: self._open_row(self.visit_model, index.row()))
        self.visit_table.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        return tab

    def _build_overdue_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(OVERDUE_INTRO))
        bar = QHBoxLayout()
        self.overdue_count = _count_label()
        self.overdue_more = _button("显示更多", f"再列出 {PAGE_ROWS} 项")
        self.overdue_more.setObjectName("linkButton")
        self.overdue_close_button = _button("办结…", "所选帮扶事项已解决：填写办结日期和办理情况", primary=True)
        self.overdue_open_button = _button("打开企业", "查看所选事项所属企业的详情（双击）")
        bar.addWidget(self.overdue_count, 1)
        bar.addWidget(self.overdue_more)
        bar.addWidget(self.overdue_close_button)
        bar.addWidget(self.overdue_open_button)
        layout.addLayout(bar)
        self.overdue_model = TextRowsModel(OVERDUE_HEADERS, numeric=(O_DAYS,), colour=overdue_colour)
        self.overdue_table = make_table_view(self.overdue_model)
        _size_columns(
            self.overdue_table,
            (
                "9999 天",
                DATE_SAMPLE,
                "浙江缙云普润厨房用品有限公司",
                "开发区",
                NAME_SAMPLE,
                "",
                DATE_SAMPLE,
                "现场办公",
            ),
            (O_PROBLEM,),
        )
        layout.addWidget(self.overdue_table, 1)
        self.overdue_close_button.clicked.connect(lambda: self.close_selected(self.overdue_table, self.overdue_model))
        self.overdue_open_button.clicked.connect(lambda: self._open_selected(self.overdue_table, self.overdue_model))
        self.overdue_more.clicked.connect(lambda: self.reload_overdue(more=True))
        self.overdue_table.doubleClicked.connect(lambda index: self._open_row(self.overdue_model, index.row()))
        self.overdue_table.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        return tab

    def _build_workload_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        label = QLabel("走访统计期间")
        label.setObjectName("filterLabel")
        self.workload_period = _combo(
            PERIOD_CHOICES, 5, "“期内走访”“走访企业”按这段时间统计；办理中、逾期和最近走访不限期间"
        )
        self.workload_period.setCurrentIndex(self.workload_period.findData("this_year"))
        self.workload_period.currentIndexChanged.connect(lambda _index: self.reload_workload())
        self.workload_summary = _count_label()
        self.workload_summary.setWordWrap(True)
        bar.addWidget(label)
        bar.addWidget(self.workload_period)
        bar.addSpacing(SPACING)
        bar.addWidget(self.workload_summary, 1)
        layout.addLayout(bar)
        self.workload_model = WorkloadModel()
        self.workload_table = make_table_view(self.workload_model)
        self.workload_table.setItemDelegateForColumn(L_VISITS, CountBarDelegate(self.workload_table))
        _size_columns(self.workload_table, (NAME_SAMPLE, "9999", "", "9999", "9999", "9999", DATE_SAMPLE), (L_VISITS,))
        self.workload_table.setToolTip("双击一名干部，查看他的走访记录")
        self.workload_table.doubleClicked.connect(lambda index: self.show_officer_visits(index.row()))
        layout.addWidget(self.workload_table, 1)
        return tab

    def _build_contacts_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(CONTACT_INTRO))
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.contact_officer_combo = _combo([(None, ALL_OFFICERS), ("", UNASSIGNED)], 6, "按联系干部筛选")
        self.unvisited_combo = _combo(UNVISITED_CHOICES, 13, "按最近一次走访筛选")
        self.contact_search = QLineEdit()
        self.contact_search.setObjectName("searchBox")
        self.contact_search.setPlaceholderText("搜索企业名称、信用代码或拼音首字母")
        self.contact_search.setClearButtonEnabled(True)
        self.assign_button = _button("指定联系干部…", "为所选企业指定（或更换、取消）联系干部", primary=True)
        self.contact_open_button = _button("打开企业", "查看所选企业的详情（双击）")
        for combo in (self.contact_officer_combo, self.unvisited_combo):
            bar.addWidget(combo)
            combo.currentIndexChanged.connect(lambda _index: self.reload_contacts())
        bar.addWidget(self.contact_search, 1)
        bar.addWidget(self.assign_button)
        bar.addWidget(self.contact_open_button)
        layout.addLayout(bar)
        count_row = QHBoxLayout()
        self.contact_count = _count_label()
        self.contact_notice = QLabel()
        self.contact_notice.setObjectName("listCount")
        self.contact_more = _button("显示更多", f"再列出 {PAGE_ROWS} 家")
        self.contact_more.setObjectName("linkButton")
        count_row.addWidget(self.contact_count, 1)
        count_row.addWidget(self.contact_notice)
        count_row.addWidget(self.contact_more)
        layout.addLayout(count_row)
        self.contact_model = TextRowsModel(CONTACT_HEADERS, numeric=(C_OPEN,), colour=contact_colour)
        self.contact_table = make_table_view(self.contact_model)
        self.contact_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        _size_columns(self.contact_table, ("", WIDE_USCC, "开发区", UNASSIGNED, DATE_SAMPLE, "9999"), (C_NAME,))
        layout.addWidget(self.contact_table, 1)
        self._contact_timer = QTimer(self)
        self._contact_timer.setSingleShot(True)
        self._contact_timer.setInterval(SEARCH_DELAY_MS)
        self._contact_timer.timeout.connect(self.reload_contacts)
        self.contact_search.textChanged.connect(lambda _text: self._contact_timer.start())
        self.assign_button.clicked.connect(self.assign_selected)
        self.contact_open_button.clicked.connect(self._open_selected_contact)
        self.contact_more.clicked.connect(lambda: self.reload_contacts(more=True))
        self.contact_table.doubleClicked.connect(lambda index: self._open_contact(index.row()))
        self.contact_table.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        return tab

    # --- filters --------------------------------------------------------------------------------------

    def unit_code(self) -> str | None:
        value = self.unit_combo.currentData()
        return str(value) if value else None

    def visit_query(self) -> VisitQuery:
        officer = self.officer_combo.currentData()
        return VisitQuery(
            officer=str(officer) if officer else None,
            status=str(self.status_combo.currentData() or ""),
            period=str(self.period_combo.currentData() or "all"),
            search=self.search_box.text().strip(),
        )

    def contact_query(self) -> ContactQuery:
        officer = self.contact_officer_combo.currentData()
        return ContactQuery(
            officer=None if officer is None else str(officer),
            unvisited_days=int(self.unvisited_combo.currentData() or 0),
            search=self.contact_search.text().strip(),
        )

    def workload_period_key(self) -> str:
        return str(self.workload_period.currentData() or "all")

    # --- loading --------------------------------------------------------------------------------------

    def loader(self, ctx: AppContext) -> Work:
        for job in self._part_jobs.values():
            job.cancel()
        self._part_jobs.clear()
        day, unit = today(), self.unit_code()
        visits, period, contacts = self.visit_query(), self.workload_period_key(), self.contact_query()
        return lambda _control: load_visits_page(ctx, day, unit, visits, period, contacts)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, VisitsData)
        self.data = data
        self.short_units = {name: short for _code, name, short in data.units}
        inst = data.installation
        self.unit_label.setVisible(inst.is_city)
        self.unit_combo.setVisible(inst.is_city)
        if inst.is_city and self.unit_combo.count() == 1:
            with QSignalBlocker(self.unit_combo):
                for code, name, _short in data.units:
                    self.unit_combo.addItem(name, code)
        self.visit_table.setColumnHidden(V_UNIT, not self._several_units())
        self.overdue_table.setColumnHidden(O_UNIT, not self._several_units())
        self.contact_table.setColumnHidden(C_UNIT, not self._several_units())
        _set_officers(self.officer_combo, data.officers, unassigned=False)
        _set_officers(self.contact_officer_combo, data.officers, unassigned=True)
        self._show_visits(data.visits)
        self._show_overdue(data.overdue)
        self._show_workload(data.workload)
        self._show_contacts(data.contacts)
        self._show_subtitle()

    def _several_units(self) -> bool:
        return self.data is not None and self.data.installation.is_city and self.unit_code() is None

    def _show_subtitle(self) -> None:
        if self.data is None:
            return
        inst = self.data.installation
        loads = self.data.workload.loads
        scope = (
            inst.unit_name if not inst.is_city else (self.unit_combo.currentText() if self.unit_code() else ALL_UNITS)
        )
        open_count = sum(load.open_problems for load in loads)
        overdue = sum(load.overdue_problems for load in loads)
        officers = sum(1 for load in loads if load.enterprises)
        unassigned = self.data.workload.unassigned
        self.set_subtitle(
            f"{scope}　·　{officers} 名联系干部　·　办理中 {open_count} 项，其中逾期 {overdue} 项"
            + (f"　·　{unassigned} 家培育企业未指定联系干部" if unassigned else "")
        )
        self.tabs.setTabText(
            TAB_OVERDUE, f"逾期事项（{self.overdue_rows.total}）" if self.overdue_rows.total else "逾期事项"
        )

    def _show_visits(self, part: Rows) -> None:
        rows = [*self.visit_rows.rows, *part.rows] if part.offset else part.rows
        self.visit_rows = Rows(rows, part.total)
        self.visit_model.set_rows([(visit_cells(row, self.short_units), row) for row in rows])
        shown = f"（列出最近的 {len(rows)} 条）" if len(rows) < part.total else ""
        self.visit_count.setText(f"共 {part.total} 条走访记录{shown}" if part.total else "没有符合条件的走访记录")
        self.visit_more.setVisible(len(rows) < part.total)
        self._update_buttons()

    def _show_overdue(self, part: Rows) -> None:
        rows = [*self.overdue_rows.rows, *part.rows] if part.offset else part.rows
        self.overdue_rows = Rows(rows, part.total)
        self.overdue_model.set_rows([(overdue_cells(row, self.short_units), row) for row in rows])
        shown = f"（列出逾期最久的 {len(rows)} 项）" if len(rows) < part.total else ""
        self.overdue_count.setText(
            f"共 {part.total} 项逾期未办结{shown}" if part.total else "没有逾期未办结的帮扶事项。"
        )
        self.overdue_more.setVisible(len(rows) < part.total)
        self._update_buttons()

    def _show_workload(self, workload: Workload) -> None:
        self.workload_model.set_loads(workload.loads)
        period = dict(PERIOD_CHOICES).get(workload.period, "")
        visits = sum(load.visits for load in workload.loads)
        officers = sum(1 for load in workload.loads if load.enterprises)
        self.workload_summary.setText(
            f"{officers} 名联系干部，{period}走访 {visits} 次"
            + (f"；{workload.unassigned} 家培育企业未指定联系干部" if workload.unassigned else "")
        )

    def _show_contacts(self, part: Rows) -> None:
        rows = [*self.contact_rows.rows, *part.rows] if part.offset else part.rows
        self.contact_rows = Rows(rows, part.total)
        self.contact_model.set_rows([(contact_cells(row, self.short_units), row) for row in rows])
        shown = f"（列出前 {len(rows)} 家）" if len(rows) < part.total else ""
        self.contact_count.setText(f"共 {part.total} 家培育企业{shown}" if part.total else "没有符合条件的培育企业")
        self.contact_more.setVisible(len(rows) < part.total)
        self._update_buttons()

    def _reload_part(
        self,
        key: str,
        read: Callable[[Session, tuple[str, ...] | None, dt.date], Any],
        show: Callable[[Any], None],
        label: QLabel,
    ) -> None:
        """Reload one tab on the worker; a newer reload of the same tab supersedes this one."""
        if self.ctx is None or self.data is None:
            return
        ctx, unit, day = self.ctx, self.unit_code(), today()
        old = self._part_jobs.pop(key, None)
        if old is not None:
            old.cancel()

        def work(_control: object) -> Any:
            with ctx.sessions() as session:
                return read(session, scope_of(session, unit), day)

        job = self.jobs.submit(work, name=f"加载帮扶记录（{key}）")
        self._part_jobs[key] = job
        label.setText(LOADING_TEXT)

        def finished(result: Any) -> None:
            if self._part_jobs.get(key) is job:
                del self._part_jobs[key]
                show(result)
                self._show_subtitle()

        def failed(message: str) -> None:
            if self._part_jobs.get(key) is job:
                del self._part_jobs[key]
                label.setText(f"加载失败：{message}")

        job.finished.connect(finished)
        job.failed.connect(failed)

    def reload_visits(self, *, more: bool = False) -> None:
        self._search_timer.stop()
        query, offset = self.visit_query(), len(self.visit_rows.rows) if more else 0
        self._reload_part(
            "visits",
            lambda session, scope, day: read_visits(session, scope, day, query, offset),
            self._show_visits,
            self.visit_count,
        )

    def reload_overdue(self, *, more: bool = False) -> None:
        offset = len(self.overdue_rows.rows) if more else 0
        self._reload_part(
            "overdue",
            lambda session, scope, day: read_overdue(session, scope, day, offset),
            self._show_overdue,
            self.overdue_count,
        )

    def reload_workload(self) -> None:
        period = self.workload_period_key()

        def show(workload: Workload) -> None:
            if self.data is not None:
                self.data = dataclasses.replace(self.data, workload=workload)
            self._show_workload(workload)

        self._reload_part(
            "workload",
            lambda session, scope, day: read_workload(session, scope, day, period),
            show,
            self.workload_summary,
        )

    def reload_contacts(self, *, more: bool = False) -> None:
        self._contact_timer.stop()
        query, offset = self.contact_query(), len(self.contact_rows.rows) if more else 0
        self._reload_part(
            "contacts",
            lambda session, scope, day: read_contacts(session, scope, day, query, offset),
            self._show_contacts,
            self.contact_count,
        )

    def is_busy(self) -> bool:
        """Loading, reloading a tab (or about to, after typing), or writing."""
        typing = self._search_timer.isActive() or self._contact_timer.isActive()
        return not self.is_settled() or typing or bool(self._part_jobs) or self.write_job is not None

    # --- selection ------------------------------------------------------------------------------------

    @staticmethod
    def _current(table: QTableView, model: TextRowsModel) -> Any:
        index = table.currentIndex()
        return model.payload(index.row()) if index.isValid() and table.selectionModel().hasSelection() else None

    def selected_visit(self) -> VisitRow | None:
        table, model = (
            (self.overdue_table, self.overdue_model)
            if self.tabs.currentIndex() == TAB_OVERDUE
            else (self.visit_table, self.visit_model)
        )
        row = self._current(table, model)
        return row if isinstance(row, VisitRow) else None

    def selected_contacts(self) -> list[ContactRow]:
        rows = sorted({index.row() for index in self.contact_table.selectionModel().selectedRows()})
        return [self.contact_model.payload(row) for row in rows]

    def _update_buttons(self) -> None:
        ready = (
            self.ctx is not None
            and self.data is not None
            and self.data.installation.can_write  # read-only accounts look, they don't record
            and self.write_job is None
        )
        visit = self._current(self.visit_table, self.visit_model)
        overdue = self._current(self.overdue_table, self.overdue_model)
        self.new_button.setEnabled(ready)
        self.close_button.setEnabled(ready and visit is not None and visit.is_open)
        self.open_button.setEnabled(visit is not None)
        self.overdue_close_button.setEnabled(ready and overdue is not None)
        self.overdue_open_button.setEnabled(overdue is not None)
        selected = bool(self.contact_table.selectionModel().selectedRows())
        self.assign_button.setEnabled(ready and selected)
        self.contact_open_button.setEnabled(selected)

    def _open_row(self, model: TextRowsModel, row: int) -> None:
        visit = model.payload(row)
        if isinstance(visit, VisitRow):
            self.open_enterprise.emit(visit.enterprise_id)

    def _open_selected(self, table: QTableView, model: TextRowsModel) -> None:
        index = table.currentIndex()
        if index.isValid():
            self._open_row(model, index.row())

    def _open_contact(self, row: int) -> None:
        contact = self.contact_model.payload(row)
        if isinstance(contact, ContactRow):
            self.open_enterprise.emit(contact.enterprise_id)

    def _open_selected_contact(self) -> None:
        index = self.contact_table.currentIndex()
        if index.isValid():
            self._open_contact(index.row())

    def show_officer_visits(self, row: int) -> None:
        """From the workload table: that officer's visits in the same period."""
        load = self.workload_model.payload(row)
        if not isinstance(load, OfficerLoad):
            return
        with QSignalBlocker(self.officer_combo), QSignalBlocker(self.period_combo), QSignalBlocker(self.status_combo):
            index = self.officer_combo.findData(load.officer)
            if index < 0:
                self.officer_combo.addItem(load.officer, load.officer)
                index = self.officer_combo.count() - 1
            self.officer_combo.setCurrentIndex(index)
            self.period_combo.setCurrentIndex(max(self.period_combo.findData(self.workload_period_key()), 0))
            self.status_combo.setCurrentIndex(0)
        self.tabs.setCurrentIndex(TAB_VISITS)
        self.reload_visits()

    # --- writing --------------------------------------------------------------------------------------

    def _scope_for_writes(self) -> tuple[str, ...] | None:
        if self.data is None or self.data.installation.is_city:
            return None
        return (self.data.installation.unit_code,)

    def new_visit(self) -> EnterprisePickerDialog | None:
        """新增走访: pick the enterprise, then fill in the visit (the record dialog of the detail view)."""
        if self.ctx is None or self.data is None:
            return None
        picker = EnterprisePickerDialog(self.jobs, self.ctx, self._scope_for_writes(), parent=self)
        picker.chosen.connect(self._visit_form)
        self._replace("picker", picker)
        picker.open()
        return picker

    def _visit_form(self, enterprise: EnterpriseRow) -> None:
        if self.ctx is None:
            return
        dialog = RecordDialog(
            self.jobs, self.ctx, "help_visit", enterprise.id, enterprise.name, Choices(), None, mode="add", parent=self
        )
        # The enterprise's own officer is who usually visits.
        dialog.form.set_values({**default_values("help_visit"), "officer": enterprise.help_officer or None})
        dialog.validate_now()
        dialog.saved.connect(self._written)
        self._replace("record_dialog", dialog)
        dialog.open()

    def close_selected(self, table: QTableView, model: TextRowsModel) -> CloseProblemDialog | None:
        """办结 the selected problem, at the version listed."""
        visit = self._current(table, model)
        if self.ctx is None or not isinstance(visit, VisitRow) or not visit.is_open:
            return None
        dialog = CloseProblemDialog(self.jobs, self.ctx, visit, today(), parent=self)
        dialog.saved.connect(self._written)
        self._replace("close_dialog", dialog)
        dialog.open()
        return dialog

    def _replace(self, attribute: str, dialog: QDialog) -> None:
        old = getattr(self, attribute)
        if old is not None and not old.isVisible():
            old.deleteLater()
        setattr(self, attribute, dialog)

    def assign_selected(self) -> None:
        """指定联系干部… for the selected enterprises (one audit entry each)."""
        contacts = self.selected_contacts()
        if self.ctx is None or self.data is None or not contacts or self.write_job is not None:
            return
        officers = {row.officer for row in contacts}
        current = next(iter(officers)) if len(officers) == 1 else ""
        answer = ask_officer(self, self.data.officers, current, len(contacts))
        if answer is None:
            return
        officer = " ".join(answer.split())
        if not officer and not prompts.confirm(
            self,
            "取消联系干部",
            f"取消所选 {len(contacts)} 家企业的联系干部吗？取消后它们列为“未指定”。",
            ok_text="取消指定",
            cancel_text="返回",
        ):
            return
        ctx, ids = self.ctx, [row.enterprise_id for row in contacts]
        job = self.jobs.submit(lambda _control: assign_officers(ctx, ids, officer), name="指定联系干部")
        self.write_job = job
        self._update_buttons()

        def finished(changed: int) -> None:
            self.write_job = None
            done = (
                f"已为 {len(ids)} 家企业指定联系干部“{officer}”" if officer else f"已取消 {len(ids)} 家企业的联系干部"
            )
            self.contact_notice.setText(
                done + (f"（其中 {len(ids) - changed} 家原本就是）" if officer and changed < len(ids) else "")
            )
            self._written()

        def failed(message: str) -> None:
            self.write_job = None
            self._update_buttons()
            prompts.warn(self, "未指定联系干部", message)

        job.finished.connect(finished)
        job.failed.connect(failed)

    def _written(self) -> None:
        # Visits feed the dashboard's alerts and the enterprise list's open items.
        mark_other_pages_stale(self)
        self.refresh()
