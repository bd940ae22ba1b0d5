"""Item delegates: a progress bar painted in a table cell from a model's rate role."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.theme import ACCENT, DONE_COMPLETE, TEXT, TRACK

BAR_HEIGHT = 10
BAR_MARGIN = 10


class ProgressBarDelegate(QStyledItemDelegate):
    """Paints the fraction in `rate_role` (0.0–1.0, may exceed 1; None: no bar) as a horizontal bar.

    A bar rather than QProgressBar widgets: a painted cell costs nothing per row and prints cleanly.
    Reaching the target turns the bar green so finished units stand out at a glance.
    """

    def __init__(self, rate_role: int, parent: QWidget | None = None, *, pace_role: int | None = None) -> None:
        super().__init__(parent)
        self.rate_role = rate_role
        self.pace_role = pace_role  # a fraction 0–1 drawn as a dark tick: where the bar should be by now

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        # Background and selection as the style draws them, without text.
        self.initStyleOption(option, index)
        option.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)

        rate = index.data(self.rate_role)
        if rate is None:
            return
        rect = option.rect
        track = QRectF(
            rect.left() + BAR_MARGIN,
            rect.center().y() - BAR_HEIGHT / 2 + 1,
            max(rect.width() - 2 * BAR_MARGIN, 0),
            BAR_HEIGHT,
        )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(TRACK))
        painter.drawRoundedRect(track, 3, 3)
        fraction = min(max(float(rate), 0.0), 1.0)
        if fraction > 0:
            filled = QRectF(track)
            filled.setWidth(max(track.width() * fraction, 2.0))
            painter.setBrush(QColor(DONE_COMPLETE if rate >= 1 else ACCENT))
            painter.drawRoundedRect(filled, 3, 3)
        pace = index.data(self.pace_role) if self.pace_role is not None else None
        if pace is not None:
            x = track.left() + track.width() * min(max(float(pace), 0.0), 1.0)
            painter.setPen(QPen(QColor(TEXT), 2))
            painter.drawLine(QPointF(x, track.top() - 3), QPointF(x, track.bottom() + 3))
        painter.restore()
