"""目标设置 tables: the rounds of targets, and the selected round's editable unit rows with a checked 合计."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, Qt, Signal
from PySide6.QtGui import QColor, QFont

from ui.models import ROOT, AnyIndex
from ui.theme import DONE_COMPLETE, TOTAL_ROW_BACKGROUND

if TYPE_CHECKING:
    from zjtx_desktop.targets import PlanView, UnitTarget

# --- 目标设置: the rounds and the selected round's unit rows ----------------------------------------

MISMATCH_TEXT = "#b3261e"  # keep in step with the error red of app.qss
MISMATCH_BACKGROUND = "#fbeeed"
MUTED_TEXT = "#8a93a0"

PLAN_HEADERS = ("培育层级", "目标期间", "标题", "文号", "文件所列合计", "各单位合计", "合计核对")
PLAN_COL_STATED = 4
PLAN_COL_SUM = 5
PLAN_COL_CHECK = 6


class PlansModel(QAbstractTableModel):
    """The rounds of targets (目标轮次), one per program and period, with the result of the 合计 check."""

    def __init__(self) -> None:
        super().__init__()
        self._plans: list[PlanView] = []
        self.partial = False

    def set_plans(self, plans: Sequence[PlanView]) -> None:
        self.beginResetModel()
        self._plans = list(plans)
        # A county lists its own rows only: the sum column is then its own target, and nothing is checked.
        self.partial = any(not plan.complete for plan in plans)
        self.endResetModel()

    def plan(self, row: int) -> PlanView | None:
        return self._plans[row] if 0 <= row < len(self._plans) else None

    def row_of(self, key: tuple[str, int, int]) -> int | None:
        return next((row for row, plan in enumerate(self._plans) if plan.key == key), None)

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._plans)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(PLAN_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return "本单位目标" if self.partial and section == PLAN_COL_SUM else PLAN_HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (PLAN_COL_STATED, PLAN_COL_SUM):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    @staticmethod
    def check_text(plan: PlanView) -> str:
        if not plan.complete:
            return "—"
        if plan.stated_total is None:
            return "文件未列合计"
        return "相符" if plan.total_matches else "不符"

    def cells(self, plan: PlanView) -> tuple[str, ...]:
        stated = "" if plan.stated_total is None else str(plan.stated_total)
        return (
            plan.program_name,
            plan.period_label,
            plan.title or ("（尚无轮次信息）" if plan.id is None else ""),
            plan.document_no or "",
            stated,
            str(plan.units_sum),
            self.check_text(plan),
        )

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        plan = self._plans[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(plan)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == PLAN_COL_CHECK and plan.total_message:
                return plan.total_message
            return self.cells(plan)[column] or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = column in (PLAN_COL_STATED, PLAN_COL_SUM)
            return (
                Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            ) | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole:
            if not plan.total_matches and column in (PLAN_COL_SUM, PLAN_COL_CHECK):
                return QColor(MISMATCH_TEXT)
            if column == PLAN_COL_CHECK and plan.total_matches:
                return QColor(DONE_COMPLETE if plan.stated_total is not None and plan.complete else MUTED_TEXT)
        if role == Qt.ItemDataRole.FontRole and column == PLAN_COL_CHECK and not plan.total_matches:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


UNIT_HEADERS = ("单位", "目标数(家)", "文号", "备注")
UNIT_COL_UNIT = 0
UNIT_COL_COUNT = 1
UNIT_COL_DOCUMENT = 2
UNIT_COL_NOTE = 3
NO_TARGET_TEXT = "未下达"


@dataclass(frozen=True)
class UnitLine:
    """A unit in the selected round: its target, or None when the round gives it none."""

    region_code: str
    region_name: str
    target: UnitTarget | None


@dataclass(frozen=True)
class TargetEdit:
    """A change typed into the unit table, for the panel to save: None keeps the stored text."""

    region_code: str
    region_name: str
    count: int
    document_no: str | None
    note: str | None
    target_id: int | None
    expected_version: int | None


def parse_count(text: str) -> tuple[int | None, str | None]:
    """(count, None) for a whole number ≥ 0 as a clerk types it (full-width digits, 1,200); else (None, why)."""
    compact = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "").strip()
    if not compact:
        return None, "目标数不能为空；如该单位没有目标，请用“删除单位目标”"
    try:
        number = float(compact)
    except ValueError:
        return None, f"目标数应为整数，“{text.strip()}”不是整数"
    if not number.is_integer():
        return None, f"目标数应为整数，“{text.strip()}”不是整数"
    if number < 0:
        return None, "目标数不能为负数"
    if number > 100_000:
        return None, "目标数不能大于 100000"
    return int(number), None


class PlanUnitsModel(QAbstractTableModel):
    """The selected round's units (单位, 目标数, 文号, 备注) and a last 合计 row checked against the document.

    When editable, the count, document and note cells edit in place: a valid change is not written here
    but handed out as `edit_requested(TargetEdit)`, shown as typed until the table is reloaded; an invalid
    one is refused with `edit_rejected(message)`.
    """

    edit_requested = Signal(object)
    edit_rejected = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.plan: PlanView | None = None
        self.lines: list[UnitLine] = []
        self.editable = False
        self._pending: dict[tuple[int, int], str] = {}

    def set_plan(self, plan: PlanView | None, regions: Sequence[tuple[str, str]], *, editable: bool) -> None:
        """Show a round. Editable (the city): every unit is listed, those without a target too, so that one
        can be given by typing its count. Read-only: only the units that have a row."""
        self.beginResetModel()
        self.plan = plan
        self.editable = editable and plan is not None
        self._pending = {}
        targets = {row.region_code: row for row in plan.units} if plan is not None else {}
        if plan is None:
            self.lines = []
        elif self.editable:
            names = dict(regions)
            known = [UnitLine(code, name, targets.get(code)) for code, name in regions]
            extra = [UnitLine(t.region_code, t.region_name, t) for t in plan.units if t.region_code not in names]
            self.lines = known + extra
        else:
            self.lines = [UnitLine(t.region_code, t.region_name, t) for t in plan.units]
        self.endResetModel()

    def line(self, row: int) -> UnitLine | None:
        return self.lines[row] if 0 <= row < len(self.lines) else None

    def row_of(self, region_code: str) -> int | None:
        return next((row for row, line in enumerate(self.lines) if line.region_code == region_code), None)

    @property
    def total_row(self) -> int:
        return len(self.lines)

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        if parent.isValid() or self.plan is None:
            return 0
        return len(self.lines) + 1

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(UNIT_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return UNIT_HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == UNIT_COL_COUNT:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def total_cells(self) -> tuple[str, str, str, str]:
        plan = self.plan
        assert plan is not None
        if not plan.complete:
            stated = "未列" if plan.stated_total is None else str(plan.stated_total)
            return ("合计（本单位）", str(plan.units_sum), "", f"文件所列全市合计：{stated}")
        if plan.stated_total is None:
            return ("合计", str(plan.units_sum), "", "文件未列合计，不作核对")
        if plan.total_message:
            return ("合计", str(plan.units_sum), "", plan.total_message)
        return ("合计", str(plan.units_sum), "", f"与文件所列合计 {plan.stated_total} 相符")

    def line_cells(self, row: int) -> tuple[str, str, str, str]:
        line = self.lines[row]
        target = line.target
        if target is None:
            cells = [line.region_name, "", "", NO_TARGET_TEXT]
        else:
            cells = [line.region_name, str(target.count), target.document_no or "", target.note or ""]
        for (pending_row, column), text in self._pending.items():
            if pending_row == row:
                cells[column] = text
        return (cells[0], cells[1], cells[2], cells[3])

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.plan is None:
            return None
        row, column = index.row(), index.column()
        is_total = row == self.total_row
        cells = self.total_cells() if is_total else self.line_cells(row)
        mismatch = is_total and not self.plan.total_matches
        if role == Qt.ItemDataRole.DisplayRole:
            return cells[column]
        if role == Qt.ItemDataRole.EditRole:
            # Text, so that the count is edited in a line edit (a spin box would stop at 99) and checked here.
            line = self.lines[row] if not is_total else None
            if line is not None and line.target is None and column == UNIT_COL_NOTE:
                return ""
            return cells[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if is_total and column == UNIT_COL_NOTE:
                return cells[column]
            if not is_total and self.lines[row].target is None and self.editable:
                return "该单位在本轮没有目标；填写目标数即可下达"
            if self.editable and not is_total and column != UNIT_COL_UNIT:
                return "双击或按 F2 修改"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = column == UNIT_COL_COUNT
            return (
                Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            ) | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole:
            if is_total or (row, column) in self._pending:
                font = QFont()
                font.setBold(is_total)
                font.setItalic((row, column) in self._pending)
                return font
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if mismatch and column in (UNIT_COL_COUNT, UNIT_COL_NOTE):
                return QColor(MISMATCH_TEXT)
            if not is_total and self.lines[row].target is None:
                return QColor(MUTED_TEXT)
            return None
        if role == Qt.ItemDataRole.BackgroundRole and is_total:
            return QColor(MISMATCH_BACKGROUND if mismatch else TOTAL_ROW_BACKGROUND)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable and index.row() < self.total_row and index.column() != UNIT_COL_UNIT:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not (self.flags(index) & Qt.ItemFlag.ItemIsEditable):
            return False
        row, column = index.row(), index.column()
        line = self.lines[row]
        target = line.target
        text = "" if value is None else str(value)
        if column == UNIT_COL_COUNT:
            count, problem = parse_count(text)
            if count is None:
                self.edit_rejected.emit(f"{line.region_name}：{problem}")
                return False
            if target is not None and count == target.count:
                return True
            shown = str(count)
            document_no, note = None, None
        else:
            if target is None:
                self.edit_rejected.emit(f"{line.region_name}在本轮还没有目标：请先填写目标数")
                return False
            shown = text.strip()
            current = (target.document_no if column == UNIT_COL_DOCUMENT else target.note) or ""
            if shown == current:
                return True
            count = target.count
            document_no = shown if column == UNIT_COL_DOCUMENT else None
            note = shown if column == UNIT_COL_NOTE else None
        self._pending[(row, column)] = shown
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(UNIT_HEADERS) - 1))
        self.edit_requested.emit(
            TargetEdit(
                line.region_code,
                line.region_name,
                count,
                document_no,
                note,
                target.id if target is not None else None,
                target.version if target is not None else None,
            )
        )
        return True

    def drop_pending(self) -> None:
        """Show the stored values again (the save was refused)."""
        if self._pending:
            self._pending = {}
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, len(UNIT_HEADERS) - 1))
