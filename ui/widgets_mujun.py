"""亩均效益 widgets: one enterprise's class and score breakdown (for its detail view) and the class bars of a unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ui.models.table_rows import TextRowsModel
from ui.theme import SPACING, TEXT_MUTED, TONE_BACKGROUNDS, TONE_COLOURS, TRACK
from ui.widgets import make_table_view, note_label

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.mujun import MujunBreakdown

# Classes in scheme order (A, B, C, D …): a tone for text in words, a fill for bars. Never colour alone.
CLASS_TONES = ("good", "neutral", "warn", "bad")
CLASS_TEXT = (TONE_COLOURS["good"], "#1f5fa8", TONE_COLOURS["warn"], TONE_COLOURS["bad"])
CLASS_FILLS = ("#5aa77a", "#6f9fd8", "#e5b350", "#d56a60")
BAR_HEIGHT = 12
BREAKDOWN_HEADERS = ("指标", "权重", "本企业", "基准值", "得分", "说明")


def class_text_colour(index: int) -> str:
    return CLASS_TEXT[min(index, len(CLASS_TEXT) - 1)]


def class_fill(index: int) -> str:
    return CLASS_FILLS[min(index, len(CLASS_FILLS) - 1)]


def class_background(index: int) -> str:
    return TONE_BACKGROUNDS[CLASS_TONES[min(index, len(CLASS_TONES) - 1)]]


def number_text(value: float | None, digits: int = 2) -> str:
    """A figure for the tables: thousands separated, fixed decimals; '—' for no data."""
    return "—" if value is None else f"{value:,.{digits}f}"


def load_enterprise_mujun(ctx: AppContext, enterprise_id: int, year: int | None = None) -> MujunBreakdown | None:
    """One enterprise's evaluation (its latest year when year is None); runs on the worker."""
    from zjtx_desktop.mujun import enterprise_mujun

    with ctx.sessions() as session:
        return enterprise_mujun(session, enterprise_id, year)


class MujunSummary(QWidget):
    """An enterprise's 亩均效益 class, total and rank, and each indicator's value, reference and score.

    `show_breakdown(None)` says there is nothing to evaluate; a breakdown that was not evaluated shows why.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.breakdown: MujunBreakdown | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)
        heading = QHBoxLayout()
        heading.setSpacing(SPACING)
        self.badge = QLabel()
        self.badge.setObjectName("mujunBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.hide()
        heading.addWidget(self.badge)
        self.headline = QLabel("正在加载…")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading.addWidget(self.headline, 1)
        layout.addLayout(heading)
        self.model = TextRowsModel(BREAKDOWN_HEADERS, numeric=(1, 2, 3, 4), colour=self._colour)
        self.view = make_table_view(self.model)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a read-only breakdown: no cell to step through
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.view)
        self.method = note_label("")
        self.method.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.method)
        layout.addStretch(1)

    @staticmethod
    def _colour(line: Any, column: int) -> str | None:
        if column == 5 and line is not None and line.note:
            return str(TONE_COLOURS["warn"])
        return None

    def show_breakdown(self, breakdown: MujunBreakdown | None) -> None:
        self.breakdown = breakdown
        if breakdown is None:
            self._show_text("暂无亩均效益评价：没有年度监测数据。")
            return
        muted = f"<span style='color:{TEXT_MUTED}'>{breakdown.year}年度 · {breakdown.scheme_label}"
        if not breakdown.evaluated:
            self._show_text(f"<b>未参评</b>：{breakdown.reason}<br>{muted}</span>", badge="未参评")
            self.method.setText("参评条件：<br>" + "<br>".join(breakdown.eligibility))
            self.method.show()
            return
        position = breakdown.class_position or 0
        self._set_badge(f"{breakdown.class_code} 类", class_text_colour(position), class_background(position))
        self.headline.setText(
            f"<b>{breakdown.class_name}</b>　总分 <b>{breakdown.total:.2f}</b>　"
            f"{breakdown.pool_label}第 {breakdown.rank} 名，共 {breakdown.pool_size} 家"
            f"<br>{muted} · 用地 {breakdown.land:g} 亩</span>"
        )
        rows = []
        for line in breakdown.lines:
            reference = number_text(line.reference) + ("（固定）" if line.fixed_reference else "")
            cells = [f"{line.name}（{line.unit}）", f"{line.weight:g}", number_text(line.value), reference]
            rows.append(([*cells, f"{line.score:.2f}", line.note], line))
        self.model.set_rows(rows)
        self.view.resizeColumnsToContents()
        self.view.horizontalHeader().setStretchLastSection(True)
        header_height = self.view.horizontalHeader().sizeHint().height()
        self.view.setFixedHeight(header_height + self.view.verticalHeader().defaultSectionSize() * len(rows) + 4)
        self.view.show()
        self.method.setText("<br>".join(breakdown.method))
        self.method.show()

    def _set_badge(self, text: str, colour: str, background: str) -> None:
        self.badge.setText(text)
        self.badge.setStyleSheet(
            f"QLabel#mujunBadge {{ color: {colour}; background: {background};"
            " border-radius: 4px; padding: 4px 10px; font-weight: bold; }"
        )
        self.badge.show()

    def _show_text(self, text: str, badge: str | None = None) -> None:
        if badge is None:
            self.badge.hide()
        else:
            self._set_badge(badge, TONE_COLOURS["neutral"], TONE_BACKGROUNDS["neutral"])
        self.headline.setText(text)
        self.model.set_rows([])
        self.view.hide()
        self.method.hide()


CLASS_COUNTS_ROLE = Qt.ItemDataRole.UserRole + 41


class ClassBarDelegate(QStyledItemDelegate):
    """A stacked bar in a table cell: the counts per class (from CLASS_COUNTS_ROLE) as shares of the row's total.

    Painted rather than a chart beside the table: each unit's bar sits on its own row, beside its numbers.
    """

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        counts = index.data(CLASS_COUNTS_ROLE)
        if not counts or not sum(counts):
            return
        rect = option.rect
        track = QRectF(rect.left() + 8, rect.center().y() - BAR_HEIGHT / 2 + 1, max(rect.width() - 16, 0), BAR_HEIGHT)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillRect(track, QColor(TRACK))
        total = sum(counts)
        left = track.left()
        for position, count in enumerate(counts):
            span = track.width() * count / total
            painter.fillRect(QRectF(left, track.top(), span, track.height()), QColor(class_fill(position)))
            left += span
        painter.restore()


def legend_html(labels: Sequence[str]) -> str:
    """The bars' legend as rich text: a coloured square before each class."""
    return "　".join(
        f'<span style="color:{class_fill(position)}">■</span> {label}' for position, label in enumerate(labels)
    )
