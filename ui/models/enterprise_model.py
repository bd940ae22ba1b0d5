"""The 企业库 list: a table model that holds only the ordered ids and fetches the rows it shows, in blocks.

100,000 enterprises open at once because the model never holds more than the id list and a bounded
cache of rows. `data()` for a row not in the cache returns a placeholder and asks for the row's block;
the blocks asked for most recently are fetched first, one job at a time on the database worker, so
dragging the scroll bar across the list fetches what is on screen at the end, not everything passed on
the way. `invalidate()` marks cached rows stale: they stay on screen (no flashing) while fresh copies
are fetched.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor

from ui.jobs import Job, JobRunner
from ui.models import ROOT, AnyIndex
from ui.theme import TEXT_MUTED
from zjtx_desktop.clock import format_local as local_time

if TYPE_CHECKING:
    from zjtx_desktop.enterprise_query import EnterpriseRow

# Rows are fetched in blocks of this many (a few screens; one query of ≈ 5 ms).
BLOCK_SIZE = 100
# Rows kept in the cache at most; the least recently shown go first.
CACHE_LIMIT = 5_000
# Blocks waiting to be fetched at most: older wishes (rows scrolled past) are dropped.
MAX_WANTED_BLOCKS = 6
PLACEHOLDER = "…"
GONE_TEXT = "（已不存在）"

Fetch = Callable[[list[int]], "list[EnterpriseRow]"]


@dataclass(frozen=True)
class Column:
    """One column of the list: the EnterpriseRow attribute it shows, its header and sort key."""

    key: str
    header: str
    width: int
    sort_key: str | None = None  # a key of enterprise_query.SORT_KEYS, or None: the column cannot be sorted
    numeric: bool = False
    hidden_by_default: bool = False
    recycle_bin_only: bool = False  # shown only in the 回收站 view, not offered in the column chooser


COLUMNS: tuple[Column, ...] = (
    Column("name", "企业名称", 250, "name"),
    Column("uscc", "统一社会信用代码", 176, "uscc"),
    Column("unit", "所属单位", 140, "unit"),
    Column("industry", "所属行业", 170, "industry"),
    Column("scale_type", "企业类型", 76, "scale_type"),
    Column("program", "培育层级", 130),
    Column("status", "培育状态", 76),
    Column("entry_year", "入库年份", 76, numeric=True),
    Column("open_help", "未办结帮扶", 90, numeric=True, hidden_by_default=True),
    Column("help_officer", "联系干部", 90, hidden_by_default=True),
    Column("contact_person", "联系人", 90, hidden_by_default=True),
    Column("phone", "联系电话", 130, hidden_by_default=True),
    Column("updated_at", "最后修改", 136, "updated_at", hidden_by_default=True),
    Column("deleted_at", "删除时间", 136, recycle_bin_only=True),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
COL_NAME = COLUMN_KEYS.index("name")
COL_DELETED = COLUMN_KEYS.index("deleted_at")

# The enterprise id of a row (int), for views and tests.
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def cell_text(row: EnterpriseRow, key: str) -> str:
    value = getattr(row, key)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_time(value)
    if key == "open_help":
        return str(value) if value else ""
    return str(value)


class EnterpriseTableModel(QAbstractTableModel):
    """Rows of the 企业库 list by id; cells come from a cache filled in blocks through `fetch` on the worker.

    `fetch(ids)` runs on the worker thread and returns the EnterpriseRows of those ids (vanished ones
    left out); the page sets it when the database is open.
    """

    rows_fetched = Signal()  # a block of rows arrived (tests and the page wait on it)
    fetch_failed = Signal(str)

    def __init__(self, jobs: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._fetch: Fetch | None = None
        self._ids: list[int] = []
        self._positions: dict[int, int] | None = None  # id → row, built on demand
        self._ids_version = 0
        # id → (epoch fetched in, row or None if the enterprise no longer exists)
        self._cache: OrderedDict[int, tuple[int, EnterpriseRow | None]] = OrderedDict()
        self._epoch = 0
        self._wanted: OrderedDict[int, None] = OrderedDict()  # block numbers, most recent last
        self._in_flight: Job | None = None
        self._scheduled = False
        self._failed = False
        self._muted = QBrush(QColor(TEXT_MUTED))

    def set_fetcher(self, fetch: Fetch | None) -> None:
        self._fetch = fetch
        self._failed = False

    # --- ids --------------------------------------------------------------------------------

    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, enterprise_id: int) -> int | None:
        if self._positions is None:
            self._positions = {value: number for number, value in enumerate(self._ids)}
        return self._positions.get(enterprise_id)

    def set_ids(self, ids: Sequence[int]) -> None:
        """Show these ids, in this order (a new search): the view starts again at the top."""
        self.beginResetModel()
        self._replace_ids(ids)
        self.endResetModel()

    def show_ids(self, ids: Sequence[int]) -> bool:
        """Show these ids with as little disturbance as possible; True if the view had to be reset.

        Nothing happens when they are what is shown; rows are appended when the shown ids are their
        beginning (the first screenful of a search, then the whole list); otherwise the model resets.
        """
        new = list(ids)
        count = len(self._ids)
        if new == self._ids:
            return False
        if count and len(new) > count and new[:count] == self._ids:
            self.beginInsertRows(ROOT, count, len(new) - 1)
            self._replace_ids(new)
            self.endInsertRows()
            return False
        self.set_ids(new)
        return True

    def starts_with(self, ids: Sequence[int]) -> bool:
        return self._ids[: len(ids)] == list(ids)

    def _replace_ids(self, ids: Sequence[int]) -> None:
        self._ids = list(ids)
        self._positions = None
        self._ids_version += 1
        self._wanted.clear()

    # --- the row cache -----------------------------------------------------------------------

    def add_rows(self, rows: Sequence[EnterpriseRow]) -> None:
        """Rows read along with the ids (the first screenful), so that they show without another query."""
        for row in rows:
            self._store(row.id, row, self._epoch)
        self._trim()

    def invalidate(self, ids: Sequence[int] | None = None) -> None:
        """The database changed: cached rows (all, or these) are stale and are fetched again when shown."""
        if ids is None:
            self._epoch += 1
        else:
            for enterprise_id in ids:
                entry = self._cache.get(enterprise_id)
                if entry is not None:
                    self._cache[enterprise_id] = (-1, entry[1])
        self._failed = False
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1))

    def row_at(self, row: int) -> EnterpriseRow | None:
        """The row's data if it is cached (fresh or stale), else None (and its block is asked for)."""
        enterprise_id = self.id_at(row)
        if enterprise_id is None:
            return None
        entry = self._cache.get(enterprise_id)
        if entry is None or entry[0] < self._epoch:
            self._want(row)
        if entry is None:
            return None
        self._cache.move_to_end(enterprise_id)
        return entry[1]

    def is_fetched(self, row: int) -> bool:
        enterprise_id = self.id_at(row)
        entry = self._cache.get(enterprise_id) if enterprise_id is not None else None
        return entry is not None and entry[0] >= self._epoch

    def is_busy(self) -> bool:
        return self._in_flight is not None or self._scheduled

    def _store(self, enterprise_id: int, row: EnterpriseRow | None, epoch: int) -> None:
        self._cache[enterprise_id] = (epoch, row)
        self._cache.move_to_end(enterprise_id)

    def _trim(self) -> None:
        while len(self._cache) > CACHE_LIMIT:
            self._cache.popitem(last=False)

    def _want(self, row: int) -> None:
        if self._fetch is None or self._failed:
            return
        block = row // BLOCK_SIZE
        if block in self._wanted:
            self._wanted.move_to_end(block)
        else:
            self._wanted[block] = None
            while len(self._wanted) > MAX_WANTED_BLOCKS:
                self._wanted.popitem(last=False)
        if not self._scheduled and self._in_flight is None:
            # After the paint that asked: one job for what the whole paint needed.
            self._scheduled = True
            QTimer.singleShot(0, self, self._fetch_next)

    def _fetch_next(self) -> None:
        self._scheduled = False
        fetch = self._fetch
        if fetch is None or self._in_flight is not None:
            return
        while self._wanted:
            block, _ = self._wanted.popitem(last=True)
            first = block * BLOCK_SIZE
            last = min(first + BLOCK_SIZE, len(self._ids)) - 1
            ids = [
                enterprise_id
                for enterprise_id in self._ids[first : last + 1]
                if (entry := self._cache.get(enterprise_id)) is None or entry[0] < self._epoch
            ]
            if ids:
                self._submit(fetch, ids, first, last)
                return

    def _submit(self, fetch: Fetch, ids: list[int], first: int, last: int) -> None:
        epoch, version = self._epoch, self._ids_version
        job = self._jobs.submit(lambda _control: fetch(ids), name="读取企业列表")
        self._in_flight = job

        def arrived(rows: list[EnterpriseRow]) -> None:
            self._in_flight = None
            found = {row.id: row for row in rows}
            for enterprise_id in ids:
                self._store(enterprise_id, found.get(enterprise_id), epoch)
            self._trim()
            if version == self._ids_version and last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
            self.rows_fetched.emit()
            if self._wanted:
                self._fetch_next()

        def failed(message: str) -> None:
            self._in_flight = None
            self._failed = True  # no retry loop: the next invalidate() or search tries again
            self.fetch_failed.emit(message)

        job.finished.connect(arrived)
        job.failed.connect(failed)
        job.cancelled.connect(lambda: setattr(self, "_in_flight", None))

    # --- Qt's model interface ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"按{column.header}排序（再点一次反向）" if column.sort_key else f"{column.header}：此列不能排序"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        column = COLUMNS[index.column()]
        if role == ID_ROLE:
            return self._ids[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole):
            return None
        enterprise_id = self._ids[index.row()]
        entry = self._cache.get(enterprise_id)
        if entry is None or entry[0] < self._epoch:
            self._want(index.row())
        else:
            self._cache.move_to_end(enterprise_id)  # recently shown rows are the last to leave the cache
        row = entry[1] if entry is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._muted if row is None else None
        if entry is None:
            return PLACEHOLDER if column.key == "name" and role == Qt.ItemDataRole.DisplayRole else None
        if row is None:
            return GONE_TEXT if column.key == "name" else None
        text = cell_text(row, column.key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return text if column.key in ("name", "industry", "program") and text else None
        return text

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
