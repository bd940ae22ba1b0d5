"""The dashboard's progress table: one row per unit for one program and period, then a bold 合计 row.

Rows are `Standing`s (progress with pace, status and rank); the bar column shows the rate with a tick at
the expected pace, the status column says it in words as well as colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ui.models import ROOT, AnyIndex
from ui.theme import TONE_COLOURS, TOTAL_ROW_BACKGROUND, bold

if TYPE_CHECKING:
    from zjtx_desktop.progress import ProgressRow
    from zjtx_desktop.standing import Standing

COL_UNIT = 0
COL_TARGET = 1
COL_DONE = 2
COL_RATE = 3
COL_BAR = 4
COL_STATUS = 5
COL_RANK = 6
HEADERS = ("单位", "目标数", "已完成", "完成率", "进度", "状态", "排名")

# The fraction done (float, or None without a target) for the progress-bar delegate.
RATE_ROLE = Qt.ItemDataRole.UserRole + 1
# True on the 合计 row.
IS_TOTAL_ROLE = Qt.ItemDataRole.UserRole + 2
# The expected share by now (0–1), drawn as a tick on the bar.
PACE_ROLE = Qt.ItemDataRole.UserRole + 3

TOTAL_LABEL = "合计"

_NUMERIC = (COL_TARGET, COL_DONE, COL_RATE, COL_RANK)


def format_rank_change(change: int | None) -> str:
    if change is None:
        return ""
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "→"


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


class ProgressTableModel(QAbstractTableModel):
    """Read-only rows of Standing; the total row, if any, is kept last and painted bold."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Standing] = []
        self._total: Standing | None = None
        self._bold = bold(QFont())
        self.status_rule = ""  # the status column's header tooltip

    def set_rows(self, rows: Sequence[Standing], total: Standing | None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._total = total
        self.endResetModel()

    def unit_rows(self) -> list[ProgressRow]:
        return [standing.row for standing in self._rows]

    def total_row(self) -> ProgressRow | None:
        return self._total.row if self._total is not None else None

    def standing_at(self, number: int) -> tuple[Standing, bool]:
        """(standing, is the 合计 row) shown in a table row."""
        return self._row(number)

    def row_for_unit(self, unit: str) -> int | None:
        """The row number showing the unit (by name or code), or None."""
        for number, standing in enumerate(self._rows):
            if unit in (standing.row.unit, standing.row.unit_code):
                return number
        return None

    def _row(self, number: int) -> tuple[Standing, bool]:
        if number < len(self._rows):
            return self._rows[number], False
        assert self._total is not None
        return self._total, True

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        if parent.isValid():
            return 0
        return len(self._rows) + (1 if self._total is not None else 0)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in _NUMERIC:
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            if role == Qt.ItemDataRole.ToolTipRole and section == COL_STATUS:
                return self.status_rule or None
            if role == Qt.ItemDataRole.ToolTipRole and section == COL_RANK:
                return "按完成率在各单位中的名次；箭头为与上年年底相比的名次变化"
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        standing, is_total = self._row(index.row())
        row = standing.row
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(standing, column, is_total)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column in _NUMERIC else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and is_total:
            return self._bold
        if role == Qt.ItemDataRole.BackgroundRole and is_total:
            return QBrush(QColor(TOTAL_ROW_BACKGROUND))
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            return QBrush(QColor(TONE_COLOURS[standing.status.tone]))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(standing, column, is_total)
        if role == RATE_ROLE:
            return row.rate
        if role == PACE_ROLE:
            return standing.pace if 0 < standing.pace < 1 else None
        if role == IS_TOTAL_ROLE:
            return is_total
        return None

    @staticmethod
    def _tooltip(standing: Standing, column: int, is_total: bool) -> str | None:
        row = standing.row
        if column in (COL_RATE, COL_BAR, COL_STATUS):
            text = f"完成 {row.done} / 目标 {row.target}（{format_rate(row.rate)}）"
            if 0 < standing.pace < 1:
                text += f"；时间进度 {standing.pace * 100:.0f}%，按进度应完成 {standing.expected:.0f} 家"
            if standing.gap:
                text += f"；还差 {standing.gap} 家"
            return text + "。双击查看计入和未计入的企业"
        if column == COL_RANK and standing.rank is not None:
            change = standing.rank_change
            if change is None:
                return f"完成率在各单位中排第 {standing.rank} 名"
            moved = "持平" if change == 0 else (f"上升 {change} 位" if change > 0 else f"下降 {-change} 位")
            return f"第 {standing.rank} 名；与 {standing.previous_year} 年底（第 {standing.rank_before} 名）相比{moved}"
        if column in (COL_TARGET, COL_DONE):
            return "双击查看计入和未计入的企业"
        return None

    @staticmethod
    def _display(standing: Standing, column: int, is_total: bool) -> str | None:
        row = standing.row
        if column == COL_STATUS:
            return standing.status.label
        if column == COL_RANK:
            if standing.rank is None:
                return ""
            change = format_rank_change(standing.rank_change)
            return f"{standing.rank} {change}".strip()
        if column == COL_UNIT:
            return TOTAL_LABEL if is_total else row.unit
        if column == COL_TARGET:
            return str(row.target)
        if column == COL_DONE:
            return str(row.done)
        if column == COL_RATE:
            return format_rate(row.rate)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
