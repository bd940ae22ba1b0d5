"""The read-only table of targets (目标任务) in the database: unit, program, period, count, document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, Qt

from ui.models import ROOT, AnyIndex

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

COL_UNIT = 0
COL_PROGRAM = 1
COL_PERIOD = 2
COL_COUNT = 3
COL_DOCUMENT = 4
COL_NOTE = 5
HEADERS = ("单位", "培育层级", "目标期间", "目标数", "文件依据", "说明")


@dataclass(frozen=True)
class TargetRow:
    unit: str
    program: str
    period: str
    count: int
    document_no: str
    note: str


def load_target_rows(session: Session, unit_code: str | None = None) -> list[TargetRow]:
    """Targets in display order (program, period, unit); only one unit's when unit_code is given.

    Runs on the worker thread; SQLAlchemy is imported here so that opening the page never waits for it.
    """
    from sqlalchemy import select

    from zjtx_desktop.models import Program, Region, Target
    from zjtx_desktop.progress import period_label

    query = (
        select(Target, Region.name, Program.name)
        .join(Region, Region.code == Target.region_code)
        .join(Program, Program.code == Target.program_code)
        .order_by(Program.sort_order, Target.start_year, Target.end_year.desc(), Region.sort_order)
    )
    if unit_code is not None:
        query = query.where(Target.region_code == unit_code)
    return [
        TargetRow(
            unit,
            program,
            period_label(target.start_year, target.end_year),
            target.count,
            target.document_no or "",
            target.note or "",
        )
        for target, unit, program in session.execute(query)
    ]


class TargetsTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[TargetRow] = []

    def set_rows(self, rows: Sequence[TargetRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_COUNT:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (row.unit, row.program, row.period, str(row.count), row.document_no, row.note)
            return values[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column == COL_COUNT else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
