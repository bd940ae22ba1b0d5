"""The dashboard's progress table: one row per unit for one program and period, then a bold 合计 row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ui.models import ROOT, AnyIndex
from ui.theme import TOTAL_ROW_BACKGROUND, bold

if TYPE_CHECKING:
    from zjtx_desktop.progress import ProgressRow

COL_UNIT = 0
COL_TARGET = 1
COL_DONE = 2
COL_RATE = 3
COL_BAR = 4
HEADERS = ("单位", "目标数", "已完成", "完成率", "进度")

# The fraction done (float, or None without a target) for the progress-bar delegate.
RATE_ROLE = Qt.ItemDataRole.UserRole + 1
# True on the 合计 row.
IS_TOTAL_ROLE = Qt.ItemDataRole.UserRole + 2

TOTAL_LABEL = "合计"

_NUMERIC = (COL_TARGET, COL_DONE, COL_RATE)


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


class ProgressTableModel(QAbstractTableModel):
    """Read-only rows of ProgressRow; the total row, if any, is kept last and painted bold."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[ProgressRow] = []
        self._total: ProgressRow | None = None
        self._bold = bold(QFont())

    def set_rows(self, rows: Sequence[ProgressRow], total: ProgressRow | None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._total = total
        self.endResetModel()

    def unit_rows(self) -> list[ProgressRow]:
        return list(self._rows)

    def total_row(self) -> ProgressRow | None:
        return self._total

    def row_for_unit(self, unit: str) -> int | None:
        """The row number showing the unit (by name or code), or None."""
        for number, row in enumerate(self._rows):
            if unit in (row.unit, row.unit_code):
                return number
        return None

    def _row(self, number: int) -> tuple[ProgressRow, bool]:
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
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, is_total = self._row(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column, is_total)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column in _NUMERIC else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and is_total:
            return self._bold
        if role == Qt.ItemDataRole.BackgroundRole and is_total:
            return QBrush(QColor(TOTAL_ROW_BACKGROUND))
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_RATE, COL_BAR):
            return f"{row.done} / {row.target}（{format_rate(row.rate)}）"
        if role == RATE_ROLE:
            return row.rate
        if role == IS_TOTAL_ROLE:
            return is_total
        return None

    @staticmethod
    def _display(row: ProgressRow, column: int, is_total: bool) -> str | None:
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
