"""The import preview's tables: the planned rows filtered by action (with the conflict choices), the error
list, and how a planned row reads — its subject, its note, and its field-level details."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter
from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtGui import QColor

from ui.field_form import plain_number
from ui.models import ROOT, AnyIndex
from ui.theme import ACCENT_DARK, DONE_COMPLETE, TEXT_MUTED
from zjtx_desktop.clock import format_local
from zjtx_desktop.exchange.importer import ACTION_LABELS, CellError, RowPlan
from zjtx_desktop.exchange.sheets import SHEET_BY_KIND, UPDATED_AT
from zjtx_desktop.fields import FieldSpec
from zjtx_desktop.registry import FIELD_LABELS

# The order of the filter buttons: what will be written first, then what will not.
ACTION_ORDER = ("new", "update", "conflict", "unchanged", "error", "skipped")
ERROR_RED = "#b3261e"
WARNING_AMBER = "#9a5b00"
ACTION_COLOURS = {
    "new": DONE_COMPLETE,
    "update": ACCENT_DARK,
    "unchanged": TEXT_MUTED,
    "error": ERROR_RED,
    "skipped": TEXT_MUTED,
    "conflict": WARNING_AMBER,
}
KEEP_TEXT, TAKE_TEXT = "保留本机", "采用导入"

COLUMNS = ("工作表", "行号", "处理", "企业 / 对象", "统一社会信用代码", "说明")
COL_SHEET, COL_ROW, COL_ACTION, COL_SUBJECT, COL_CODE, COL_NOTE = range(len(COLUMNS))
ERROR_COLUMNS = ("工作表", "行号", "列", "单元格内容", "原因")
NOTE_LIMIT = 120  # characters of a note shown in the table; the detail pane has all of it

RowKey = tuple[str, int]  # (sheet, Excel row): how commit_plan names a conflict row to take


@dataclass(frozen=True)
class Names:
    """Reference names read on the worker, so that codes in a plan read as a clerk writes them."""

    units: dict[str, str] = field(default_factory=dict)
    programs: dict[str, str] = field(default_factory=dict)
    industries: dict[str, str] = field(default_factory=dict)  # "C34" → "C34 通用设备制造业"


def row_key(row: RowPlan) -> RowKey:
    return row.sheet, row.row


def field_spec(row: RowPlan, key: str) -> FieldSpec | None:
    if key == UPDATED_AT.key:
        return UPDATED_AT
    try:
        return SHEET_BY_KIND[row.kind].column(key)
    except KeyError:
        return None


def field_label(row: RowPlan, key: str) -> str:
    spec = field_spec(row, key)
    return spec.label if spec is not None else FIELD_LABELS.get(key, key)


def display_value(spec: FieldSpec | None, value: Any, names: Names) -> str:
    """A planned or stored value as text: names for codes, 是/否, dates, numbers without exponents, units."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return format_local(value)  # stamps are stored as UTC
    if isinstance(value, dt.date):
        return value.isoformat()
    kind = spec.kind if spec is not None else "text"
    if kind == "region":
        return names.units.get(str(value), str(value))
    if kind == "program":
        return names.programs.get(str(value), str(value))
    if kind == "industry":
        return names.industries.get(str(value), str(value))
    if isinstance(value, int | float):
        text = plain_number(value)
        return f"{text} {spec.unit}" if spec is not None and spec.unit else text
    return str(value)


def _first_text(cells: Iterable[Any], limit: int = 40) -> str:
    for cell in cells:
        text = str(cell).strip() if cell is not None else ""
        if text:
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


def subject(row: RowPlan, names: Names) -> str:
    """What the row is about: the enterprise's name (with the record's year or date), or the target."""
    values = row.values
    if row.kind == "targets":
        parts = [
            names.units.get(str(values.get("region_code")), str(values.get("region_code") or "")),
            names.programs.get(str(values.get("program_code")), str(values.get("program_code") or "")),
        ]
        start, end = values.get("start_year"), values.get("end_year")
        if start is not None and end is not None:
            parts.append(f"{start}年" if start == end else f"{start}—{end}年")
        text = " · ".join(part for part in parts if part)
    elif row.kind == "enterprises":
        text = str(values.get("name") or "")
    else:
        name = str(values.get("enterprise_name") or "")
        detail = ""
        if row.kind == "monitoring" and values.get("year") is not None:
            detail = f"{values['year']}年度"
        elif row.kind == "cultivation":
            program = names.programs.get(str(values.get("program_code")), "")
            year = f"{values['year']}年" if values.get("year") is not None else ""
            detail = " ".join(part for part in (program, year) if part)
        elif row.kind == "visits" and values.get("visited_on") is not None:
            detail = display_value(None, values["visited_on"], names)
        text = f"{name}（{detail}）" if name and detail else name or detail
    return text or _first_text(row.raw)


def error_text(error: CellError) -> str:
    return f"{error.column}列：{error.message}" if error.column else error.message


def note(row: RowPlan, taken: bool = False) -> str:
    """The 说明 column: why a row is rejected or skipped, which fields an update changes, the conflict choice."""
    if row.action == "error":
        return "；".join(error_text(error) for error in row.errors)
    if row.action in ("update", "conflict"):
        changed = "变更：" + "、".join(field_label(row, key) for key in row.changes)
        if row.action == "conflict":
            return f"{row.note}，{TAKE_TEXT if taken else KEEP_TEXT}（{changed}）"
        return changed
    return row.note


def action_text(row: RowPlan, taken: bool = False) -> str:
    label = ACTION_LABELS[row.action]
    if row.action == "conflict":
        return f"{label}·{TAKE_TEXT if taken else KEEP_TEXT}"
    return label


def change_lines(row: RowPlan, names: Names) -> list[tuple[str, str, str]]:
    """(field, stored value, value in the file) for each field an update or conflict would change."""
    lines = []
    for key, (old, new) in row.changes.items():
        spec = field_spec(row, key)
        lines.append((field_label(row, key), display_value(spec, old, names), display_value(spec, new, names)))
    return lines


def value_lines(row: RowPlan, names: Names) -> list[tuple[str, str]]:
    """(field, value) for the values read from the row, in the sheet's column order."""
    lines = []
    for spec in SHEET_BY_KIND[row.kind].columns:
        value = row.values.get(spec.key)
        if value is not None and value != "":
            lines.append((spec.label, display_value(spec, value, names)))
    return lines


def raw_lines(row: RowPlan) -> list[tuple[str, str]]:
    """(column letter, cell text) of the non-empty cells as the file has them."""
    return [
        (f"{get_column_letter(index + 1)}列", str(cell).strip())
        for index, cell in enumerate(row.raw)
        if cell is not None and str(cell).strip()
    ]


def tooltip(row: RowPlan, names: Names) -> str | None:
    if row.action in ("update", "conflict"):
        return "\n".join(f"{label}：{old or '（空）'} → {new}" for label, old, new in change_lines(row, names))
    if row.action == "error":
        return "\n".join(error_text(error) for error in row.errors)
    return None


class ImportRowsModel(QAbstractTableModel):
    """The rows of an import plan, all or one action's; conflict rows carry the keep/take choice."""

    def __init__(self) -> None:
        super().__init__()
        self.names = Names()
        self._all: list[RowPlan] = []
        self._shown: list[RowPlan] = []
        self._action: str | None = None
        self.taken: set[RowKey] = set()

    def set_plan_rows(self, rows: Sequence[RowPlan], names: Names) -> None:
        self.beginResetModel()
        self.names = names
        self._all = list(rows)
        self.taken = set()
        self._shown = self._filtered()
        self.endResetModel()

    def set_action(self, action: str | None) -> None:
        """Show one action's rows (None: all)."""
        self.beginResetModel()
        self._action = action
        self._shown = self._filtered()
        self.endResetModel()

    @property
    def action(self) -> str | None:
        return self._action

    def _filtered(self) -> list[RowPlan]:
        if self._action is None:
            return list(self._all)
        return [row for row in self._all if row.action == self._action]

    def plan_row(self, row: int) -> RowPlan | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def row_of(self, key: RowKey) -> int:
        for number, row in enumerate(self._shown):
            if row_key(row) == key:
                return number
        return -1

    def set_taken(self, keys: Iterable[RowKey], taken: bool) -> None:
        """Keep (False) or take (True) the incoming values of these conflict rows."""
        keys = set(keys)
        if taken:
            self.taken |= keys
        else:
            self.taken -= keys
        for number, row in enumerate(self._shown):
            if row_key(row) in keys:
                self.dataChanged.emit(self.index(number, COL_ACTION), self.index(number, COL_NOTE))

    def is_taken(self, row: RowPlan) -> bool:
        return row_key(row) in self.taken

    def text(self, row: int, column: int) -> str:
        plan = self._shown[row]
        taken = self.is_taken(plan)
        if column == COL_SHEET:
            return plan.sheet
        if column == COL_ROW:
            return str(plan.row)
        if column == COL_ACTION:
            return action_text(plan, taken)
        if column == COL_SUBJECT:
            return subject(plan, self.names)
        if column == COL_CODE:
            return str(plan.values.get("uscc") or "")
        text = note(plan, taken)
        return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section == COL_ROW:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), column)
        plan = self._shown[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_ACTION:
            return QColor(ACTION_COLOURS[plan.action])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (COL_ACTION, COL_NOTE):
                return tooltip(plan, self.names) or (note(plan, self.is_taken(plan)) or None)
            if column == COL_SUBJECT:
                return subject(plan, self.names) or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column == COL_ROW else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def error_rows(rows: Iterable[RowPlan]) -> list[tuple[list[str], RowPlan]]:
    """The error list: one line per rejected cell (sheet, row, column, value, reason), with its row."""
    lines: list[tuple[list[str], RowPlan]] = []
    for row in rows:
        for error in row.errors:
            lines.append(([error.sheet, str(error.row), error.column, error.value, error.message], row))
    return lines
