"""The 审计日志 table: one page of audit rows (time, actor, action, kind, object, change), replaced page by page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, Qt

from ui.models import ROOT, AnyIndex

if TYPE_CHECKING:
    from zjtx_desktop.audit_log import AuditRow

# (AuditRow attribute, header, initial width)
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("time", "时间", 146),
    ("actor", "操作人", 120),
    ("action_label", "操作", 110),
    ("entity_label", "对象类别", 84),
    ("object_label", "对象", 330),
    ("summary", "变更内容", 300),  # stretched to the table's edge
)
COL_SUMMARY = 5
# The audit entry's id (int) of a row, for views and tests.
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class AuditLogModel(QAbstractTableModel):
    """The rows of the page on screen; the page itself is read on the worker (zjtx_desktop.audit_log)."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[AuditRow] = []

    def set_rows(self, rows: Sequence[AuditRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> AuditRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == ID_ROLE:
            return row.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = str(getattr(row, COLUMNS[index.column()][0]))
            if role == Qt.ItemDataRole.ToolTipRole:
                # Long changes are cut on screen: the whole line (wrapped) in the tooltip, all of it below.
                return text if len(text) > 20 else None
            return text
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
