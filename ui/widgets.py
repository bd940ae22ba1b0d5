"""Small widgets shared by the pages: the page frame with its title and loading state, notes, an eliding label."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractItemModel, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.jobs import Job, JobRunner, Work
from ui.theme import PAGE_MARGIN, ROW_HEIGHT, SPACING

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext

OPENING_TEXT = "正在打开数据库…"
LOADING_TEXT = "正在加载…"
# A reload keeps the old content on screen; the hint appears only if it takes longer than this.
RELOAD_HINT_DELAY_MS = 400


class PageState(enum.Enum):
    WAITING = "waiting"  # no database yet
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class Page(QWidget):
    """A page of the main window: a title (with a loading state beside it), a subtitle, then its content.

    A page exists before the database is open. Once it has a context and is shown, it loads its data
    in the background: `loader(ctx)` (GUI thread) returns the work, which runs on the worker and returns
    plain values; `show_data(data)` (GUI thread) puts them on screen. `refresh()` reloads.
    """

    # Emitted when the data has been shown (after show_data).
    loaded = Signal()
    # Emitted when loading and the work it triggers (such as drawing a chart) are over, or loading failed.
    settled = Signal()
    # False for pages without data of their own: they are complete before the database is open.
    has_data = True
    # True for pages that summarise data other pages change: reloaded each time they are shown.
    refresh_on_show = False

    def __init__(self, title: str, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.state = PageState.WAITING if self.has_data else PageState.READY
        self.error_message = ""
        self._job: Job | None = None
        self._stale = False
        self.setObjectName("contentArea")
        # Pages are plain QWidgets; without this the stylesheet background would not be painted.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 4, PAGE_MARGIN, PAGE_MARGIN - 6)
        self.body.setSpacing(SPACING)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("pageTitle")
        # Beside the title, so that the hint coming and going never moves the content.
        self.state_label = QLabel(OPENING_TEXT if self.has_data else "")
        self.state_label.setObjectName("pageState")
        self.state_label.setWordWrap(True)
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading = QHBoxLayout()
        heading.setSpacing(SPACING * 2)
        heading.addWidget(self.title_label)
        heading.addWidget(self.state_label, 1)
        self.body.addLayout(heading)
        self.subtitle_label = QLabel()
        self.subtitle_label.setObjectName("pageSubtitle")
        self.subtitle_label.hide()
        self.body.addWidget(self.subtitle_label)

    @property
    def title(self) -> str:
        return self.title_label.text()

    def set_subtitle(self, text: str) -> None:
        self.subtitle_label.setText(text)
        self.subtitle_label.setVisible(bool(text))

    # --- loading ----------------------------------------------------------------------------

    def set_context(self, ctx: AppContext) -> None:
        """The database is open; the page loads when it is next activated."""
        self.ctx = ctx
        if self.state is PageState.WAITING:
            self.state_label.clear()

    def activate(self) -> None:
        """Called when the page becomes the current one."""
        if self.ctx is None or self.state is PageState.LOADING:
            return
        if self.state is not PageState.READY or self.refresh_on_show or self._stale:
            self.refresh()

    def mark_stale(self) -> None:
        """What this page shows was changed elsewhere (an import, an undo): reload on the next activation."""
        self._stale = True

    def refresh(self) -> None:
        """Reload the page's data in the background (nothing happens before the database is open)."""
        if self.ctx is None or not self.has_data:
            return
        self._drop_job()
        self._stale = False
        work = self.loader(self.ctx)
        first_load = self.state is not PageState.READY
        self._set_state(PageState.LOADING)
        if first_load:
            self.state_label.setText(LOADING_TEXT)
        else:
            QTimer.singleShot(RELOAD_HINT_DELAY_MS, self, self._show_reload_hint)
        job = self.jobs.submit(work, name=f"加载“{self.title}”")
        job.finished.connect(self._on_loaded)
        job.failed.connect(self._on_failed)
        self._job = job

    def loader(self, ctx: AppContext) -> Work:
        """The work that reads this page's data on the worker thread and returns plain values."""
        raise NotImplementedError(f"{type(self).__name__} has data but no loader")

    def show_data(self, data: Any) -> None:
        """Put what the loader returned on screen (GUI thread)."""

    def show_failure(self, message: str) -> None:
        """Loading failed (the message is already beside the title): pages may adjust their content."""

    def is_settled(self) -> bool:
        """False while the page waits for the database, loads, or does deferred work; see `settled`."""
        return self.state in (PageState.READY, PageState.FAILED)

    def _drop_job(self) -> None:
        # A superseded load is cancelled and its outcome ignored: only the newest one is shown.
        job, self._job = self._job, None
        if job is not None:
            job.finished.disconnect(self._on_loaded)
            job.failed.disconnect(self._on_failed)
            job.cancel()

    def _show_reload_hint(self) -> None:
        if self.state is PageState.LOADING:
            self.state_label.setText(LOADING_TEXT)

    def _set_state(self, state: PageState, message: str = "") -> None:
        self.state = state
        self.error_message = message
        self.state_label.setText(f"加载失败：{message}" if message else "")
        failed = state is PageState.FAILED
        if bool(self.state_label.property("failed")) != failed:
            # A dynamic property in a stylesheet selector needs the widget re-polished.
            self.state_label.setProperty("failed", failed)
            self.state_label.style().unpolish(self.state_label)
            self.state_label.style().polish(self.state_label)

    def _on_loaded(self, data: Any) -> None:
        self._job = None
        self._set_state(PageState.READY)
        self.show_data(data)
        self.loaded.emit()
        if self.is_settled():
            self.settled.emit()

    def _on_failed(self, message: str) -> None:
        self._job = None
        self._set_state(PageState.FAILED, message)
        self.show_failure(message)
        self.settled.emit()


def mark_other_pages_stale(page: Page) -> None:
    """After a change that other pages show (an import): each of the window's other pages reloads when next shown."""
    for other in page.window().findChildren(Page):
        if other is not page:
            other.mark_stale()


def make_table_view(model: QAbstractItemModel, parent: QWidget | None = None) -> QTableView:
    """A read-only list table in the house style: whole rows selected, fixed row height, no grid."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view


def note_label(text: str, object_name: str = "pageNote") -> QLabel:
    label = QLabel(text)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
    return label


class ElidedLabel(QLabel):
    """A one-line label that shortens its text in the middle (…) instead of widening the window.

    Used for file paths in the status bar; the full text is in the tooltip.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(80)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), shown)
        painter.end()


class JobProgress(QWidget):
    """A job's progress in place: what is being done, a bar, and 取消 when the work can stop part-way.

    It only shows the job; whoever submitted it connects to its outcome.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self.cancelling = False
        self.label = QLabel()
        self.label.setObjectName("progressText")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)  # the label says what is being done; text over the bar is hard to read
        self.cancel_button = QPushButton("取消")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(SPACING)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING // 2)
        layout.addWidget(self.label)
        layout.addLayout(row)

    def follow(self, job: Job, text: str, *, cancellable: bool = True) -> None:
        """Show this job's progress from now on (a busy bar until it first reports)."""
        self.job = job
        self.cancelling = False
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.cancel_button.setVisible(cancellable)
        self.cancel_button.setEnabled(cancellable)
        job.progress.connect(lambda done, total, message: self._on_progress(job, done, total, message))

    def cancel(self) -> None:
        if self.job is not None and not self.job.is_done:
            self.job.cancel()
            self.cancelling = True
            self.cancel_button.setEnabled(False)
            self.label.setText("正在取消…")

    def _on_progress(self, job: Job, done: int, total: int, message: str) -> None:
        if job is not self.job:
            return
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, max(total, 1)))
        if message and not self.cancelling:
            self.label.setText(message)
