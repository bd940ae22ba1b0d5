"""The 年度监测 grid: one row per enterprise, its figures editable in place, derived metrics computed live.

Edits stay in the model until saved: each committed cell is parsed and checked against its FieldSpec at
once; a value that breaks the field's rules is kept as typed, shown in red with the reason, and blocks
saving. Rules across fields (研发人员 ≤ 从业人员 …) are checked by the core when saving, and what it
rejects is marked on the cells named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from ui.field_form import parse_number, plain_number
from ui.models import ROOT, AnyIndex
from ui.theme import ACCENT, TEXT_MUTED, TONE_BACKGROUNDS, TONE_COLOURS
from zjtx_desktop.fields import check_value
from zjtx_desktop.metrics import METRIC_HEADERS, Metric, derived_metrics
from zjtx_desktop.monitoring_grid import FIGURE_FIELDS

if TYPE_CHECKING:
    from zjtx_desktop.monitoring_grid import GridRow

COL_NAME = 0
COL_CULTIVATED = 1
FIRST_FIGURE = 2
FROZEN_COLUMNS = 2  # name and 培育 stay in view while the figures scroll
FIRST_METRIC = FIRST_FIGURE + len(FIGURE_FIELDS)
HEADERS: tuple[str, ...] = (
    "企业名称",
    "培育\n企业",
    *(f"{spec.label}\n({spec.unit})" if spec.unit else spec.label for spec in FIGURE_FIELDS),
    *(f"{label}\n({unit})" for _key, label, unit in METRIC_HEADERS),
)
READ_ONLY_BACKGROUND = "#f3f5f8"
# The enterprise id of a row (int), for views and tests.
ENTERPRISE_ROLE = Qt.ItemDataRole.UserRole + 1

Edit = tuple[int, int | None, int | None, dict[str, Any]]  # as monitoring_grid.save_grid takes them


def figure_text(value: Any, kind: str) -> str:
    """A figure for display: thousands separators, two decimals for amounts."""
    if value is None:
        return ""
    if kind == "int":
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


def metric_text(metric: Metric) -> str:
    return "" if metric.value is None else f"{metric.value:,.2f}"


class MonitoringGridModel(QAbstractTableModel):
    """Rows of `GridRow` with the clerk's pending edits over them."""

    # The number of edited cells (valid or not) changed.
    edits_changed = Signal()
    # A cell was committed: (row, column, message) — the message empty when the value is fine.
    cell_checked = Signal(int, int, str)

    def __init__(self, today: dt.date | None = None) -> None:
        super().__init__()
        self.rows: list[GridRow] = []
        self.today = today or dt.date.today()
        self._edits: dict[int, dict[str, Any]] = {}  # row → key → new value
        self._invalid: dict[int, dict[str, tuple[str, str]]] = {}  # row → key → (text as typed, reason)
        self._rejected: dict[tuple[int, str | None], str] = {}  # (enterprise, key or None) → reason from saving
        self._metrics: dict[int, list[Metric]] = {}
        self._row_of: dict[int, int] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self.read_only = False  # a read-only account sees the figures, it doesn't type into them

    # --- contents -----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[GridRow]) -> None:
        """New rows (a unit and year loaded): pending edits and marks go."""
        self.beginResetModel()
        self.rows = list(rows)
        self._edits.clear()
        self._invalid.clear()
        self._rejected.clear()
        self._metrics.clear()
        self._row_of = {row.enterprise_id: number for number, row in enumerate(self.rows)}
        self.endResetModel()
        self.edits_changed.emit()

    def clear_edits(self) -> None:
        """Give up every pending edit and mark (the loaded figures show again)."""
        self._edits.clear()
        self._invalid.clear()
        self._rejected.clear()
        self._metrics.clear()
        self._changed_all()
        self.edits_changed.emit()

    def row_of(self, enterprise_id: int) -> int | None:
        return self._row_of.get(enterprise_id)

    def value(self, row: int, key: str) -> Any:
        """The figure as it would be saved: the pending edit, else the loaded value."""
        edits = self._edits.get(row, {})
        return edits[key] if key in edits else self.rows[row].value(key)

    def figures(self, row: int) -> dict[str, Any]:
        return {**self.rows[row].values, **self._edits.get(row, {})}

    def metrics(self, row: int) -> list[Metric]:
        if row not in self._metrics:
            self._metrics[row] = derived_metrics(self.figures(row), self.rows[row].previous)
        return self._metrics[row]

    # --- pending edits ------------------------------------------------------------------------

    def edited_cells(self) -> int:
        return sum(len(keys) for keys in self._edits.values()) + sum(len(keys) for keys in self._invalid.values())

    def invalid_cells(self) -> list[tuple[int, int, str]]:
        """(row, column, reason) of every cell whose text cannot be saved, top to bottom."""
        return sorted(
            (row, FIRST_FIGURE + self._figure_index(key), reason)
            for row, keys in self._invalid.items()
            for key, (_text, reason) in keys.items()
        )

    def is_dirty(self) -> bool:
        return bool(self._edits or self._invalid)

    def is_row_edited(self, row: int) -> bool:
        return row in self._edits or row in self._invalid

    def edits(self) -> list[Edit]:
        """The rows to save, as save_grid takes them (valid edits only: check invalid_cells first)."""
        result: list[Edit] = []
        for row, values in sorted(self._edits.items()):
            grid_row = self.rows[row]
            result.append((grid_row.enterprise_id, grid_row.report_id, grid_row.version, dict(values)))
        return result

    def mark_rejected(self, problems: Sequence[tuple[int, str | None, str]]) -> None:
        """What saving refused, as (enterprise id, field or None for the row, reason): shown on the cells."""
        self._rejected = {(enterprise_id, key): reason for enterprise_id, key, reason in problems}
        self._changed_all()

    def _figure_index(self, key: str) -> int:
        return next(number for number, spec in enumerate(FIGURE_FIELDS) if spec.key == key)

    def _changed_all(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, self.columnCount() - 1))

    def set_figure_text(self, row: int, column: int, text: str) -> str:
        """Commit what was typed into a figure cell; returns the reason it cannot be saved ("" if fine)."""
        spec = FIGURE_FIELDS[column - FIRST_FIGURE]
        text = text.strip()
        reason = ""
        value: Any = None
        if text:
            try:
                value = parse_number(text, spec.kind == "int")
            except ValueError:
                kind = "整数" if spec.kind == "int" else "数字"
                reason = f"{spec.label}应为{kind}，“{text}”不是{kind}"
        if not reason:
            reason = check_value(spec, value, today=self.today) or ""
        invalid = self._invalid.setdefault(row, {})
        edits = self._edits.setdefault(row, {})
        invalid.pop(spec.key, None)
        edits.pop(spec.key, None)
        if reason:
            invalid[spec.key] = (text, reason)
        elif value != self.rows[row].value(spec.key):
            edits[spec.key] = value
        for store in (self._invalid, self._edits):
            if not store.get(row):
                store.pop(row, None)
        self._rejected.pop((self.rows[row].enterprise_id, spec.key), None)
        self._rejected.pop((self.rows[row].enterprise_id, None), None)
        self._metrics.pop(row, None)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
        self.edits_changed.emit()
        self.cell_checked.emit(row, column, reason)
        return reason

    # --- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section >= FIRST_METRIC:
            return "由监测数据自动计算，不可修改"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignLeft if section == COL_NAME else Qt.AlignmentFlag.AlignHCenter
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if FIRST_FIGURE <= index.column() < FIRST_METRIC and not self.read_only:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        if not FIRST_FIGURE <= index.column() < FIRST_METRIC or self.read_only:
            return False
        text = "" if value is None else value if isinstance(value, str) else plain_number(value)
        self.set_figure_text(index.row(), index.column(), text)
        return True  # kept even when invalid: shown in red until corrected

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        grid_row = self.rows[row]
        if role == ENTERPRISE_ROLE:
            return grid_row.enterprise_id
        if column == COL_NAME:
            return self._name_data(row, grid_row, role)
        if column == COL_CULTIVATED:
            if role == Qt.ItemDataRole.DisplayRole:
                return "培育" if grid_row.cultivated else ""
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(ACCENT))
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return Qt.AlignmentFlag.AlignCenter
            return None
        if column >= FIRST_METRIC:
            return self._metric_data(row, column, role)
        return self._figure_data(row, column, role)

    def _name_data(self, row: int, grid_row: GridRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            mark = "● " if self.is_row_edited(row) else ""
            return f"{mark}{grid_row.name}"
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [grid_row.name, f"统一社会信用代码：{grid_row.uscc}"]
            if grid_row.scale_type:
                lines.append(f"企业类型：{grid_row.scale_type}")
            lines.append("本年度已报送" if grid_row.has_report else "本年度尚未报送")
            if self.is_row_edited(row):
                lines.append("● 有未保存的修改")
            if reason := self._rejected.get((grid_row.enterprise_id, None)):
                lines.append(reason)
            return "\n".join(lines)
        if role == Qt.ItemDataRole.ForegroundRole:
            if (grid_row.enterprise_id, None) in self._rejected:
                return QBrush(QColor(TONE_COLOURS["bad"]))
            return None if grid_row.has_report or self.is_row_edited(row) else QBrush(QColor(TEXT_MUTED))
        if role == Qt.ItemDataRole.BackgroundRole and (grid_row.enterprise_id, None) in self._rejected:
            return QBrush(QColor(TONE_BACKGROUNDS["bad"]))
        if role == Qt.ItemDataRole.FontRole and grid_row.cultivated:
            return self._bold
        return None

    def _figure_data(self, row: int, column: int, role: int) -> Any:
        spec = FIGURE_FIELDS[column - FIRST_FIGURE]
        invalid = self._invalid.get(row, {}).get(spec.key)
        edited = spec.key in self._edits.get(row, {})
        rejected = self._rejected.get((self.rows[row].enterprise_id, spec.key))
        if role == Qt.ItemDataRole.DisplayRole:
            return invalid[0] if invalid else figure_text(self.value(row, spec.key), spec.kind)
        if role == Qt.ItemDataRole.EditRole:
            if invalid:
                return invalid[0]
            current = self.value(row, spec.key)
            return "" if current is None else plain_number(current)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.BackgroundRole:
            if invalid or rejected:
                return QBrush(QColor(TONE_BACKGROUNDS["bad"]))
            if edited:
                return QBrush(QColor(TONE_BACKGROUNDS["warn"]))
            return None
        if role == Qt.ItemDataRole.ForegroundRole and (invalid or rejected):
            return QBrush(QColor(TONE_COLOURS["bad"]))
        if role == Qt.ItemDataRole.ToolTipRole:
            if invalid:
                return invalid[1]
            if rejected:
                return rejected
            if edited:
                before = self.rows[row].value(spec.key)
                shown = figure_text(before, spec.kind) or "空"
                return f"已修改，尚未保存（原为 {shown}{spec.unit or ''}）"
        return None

    def _metric_data(self, row: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return metric_text(self.metrics(row)[column - FIRST_METRIC])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(READ_ONLY_BACKGROUND))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(TEXT_MUTED))
        if role == Qt.ItemDataRole.ToolTipRole:
            return "由监测数据自动计算，不可修改"
        return None


SHOW_ALL = "全部企业"
SHOW_CULTIVATED = "培育企业"
SHOW_MISSING = "未报送"
SHOW_EDITED = "有修改"
SHOW_CHOICES = (SHOW_ALL, SHOW_CULTIVATED, SHOW_MISSING, SHOW_EDITED)


class MonitoringGridFilter(QSortFilterProxyModel):
    """Rows by a name or code fragment and by what they are (培育企业, 未报送, 有修改)."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.show = SHOW_ALL

    def set_filter(self, text: str, show: str) -> None:
        self.beginFilterChange()
        self.text = text.strip().lower()
        self.show = show
        self.endFilterChange()

    def grid(self) -> MonitoringGridModel:
        model = self.sourceModel()
        assert isinstance(model, MonitoringGridModel)
        return model

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | Any) -> bool:
        grid = self.grid()
        row = grid.rows[source_row]
        if self.text and self.text not in row.name.lower() and self.text not in row.uscc.lower():
            return False
        if self.show == SHOW_CULTIVATED:
            return row.cultivated
        if self.show == SHOW_MISSING:
            return not row.has_report
        if self.show == SHOW_EDITED:
            return grid.is_row_edited(source_row)
        return True
