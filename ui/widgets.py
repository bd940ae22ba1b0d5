"""Small widgets shared by the pages: the page frame with its title, notes, and an eliding label."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui.theme import PAGE_MARGIN, SPACING
from zjtx_desktop.context import AppContext


class Page(QWidget):
    """A page of the main window: a title, an optional subtitle, then the page's own content.

    Pages load their data the first time they are shown (`ensure_loaded`), so start-up only pays for
    the page the user sees; `refresh()` reloads.
    """

    # Emitted when work deferred after a refresh (such as drawing a chart) has finished.
    settled = Signal()
    # True for pages that summarise data other pages change: reloaded each time they are shown.
    refresh_on_show = False

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._loaded = False
        self.setObjectName("contentArea")
        # Pages are plain QWidgets; without this the stylesheet background would not be painted.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 4, PAGE_MARGIN, PAGE_MARGIN - 6)
        self.body.setSpacing(SPACING)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("pageTitle")
        self.body.addWidget(self.title_label)
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

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def activate(self) -> None:
        """Called when the page becomes the current one."""
        if self._loaded and self.refresh_on_show:
            self.refresh()
        else:
            self.ensure_loaded()

    def refresh(self) -> None:
        """Reload the page's data from the database; pages with data override this."""

    def is_settled(self) -> bool:
        """False while deferred work is pending; `settled` is emitted when it is done."""
        return True


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
