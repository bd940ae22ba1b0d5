"""A small read-only table of display texts with a payload per row (records, history): the detail view's tabs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtGui import QBrush, QColor

from ui.models import ROOT, AnyIndex


class TextRowsModel(QAbstractTableModel):
    """Rows of already formatted cells; `payload(row)` is what the row stands for (a record, a history item)."""

    def __init__(
        self,
        headers: Sequence[str],
        numeric: Sequence[int] = (),
        colour: Callable[[Any, int], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.headers = list(headers)
        self._numeric = set(numeric)
        self._colour = colour  # (payload, column) → text colour, for a status shown in colour and words
        self._cells: list[list[str]] = []
        self._payloads: list[Any] = []

    def set_rows(self, rows: Sequence[tuple[Sequence[str], Any]]) -> None:
        self.beginResetModel()
        self._cells = [list(cells) for cells, _payload in rows]
        self._payloads = [payload for _cells, payload in rows]
        self.endResetModel()

    def payload(self, row: int) -> Any:
        return self._payloads[row] if 0 <= row < len(self._payloads) else None

    def text(self, row: int, column: int) -> str:
        return self._cells[row][column]

    def column_texts(self, column: int) -> list[str]:
        return [cells[column] for cells in self._cells]

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in self._numeric:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._cells[index.row()][index.column()]
            return text if len(text) > 12 else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if index.column() in self._numeric else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and self._colour is not None:
            colour = self._colour(self._payloads[index.row()], index.column())
            return QBrush(QColor(colour)) if colour else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
