"""Importing a workbook: plan first (every row new, updated, unchanged, rejected or skipped, with the
reason), then commit all of it in one transaction as an ImportBatch that can be undone.

Rules a clerk can rely on:
- rows are matched by their keys (enterprises by 统一社会信用代码; annual rows by code and year …);
- an empty cell never erases what is stored (a partial list only adds what it knows);
- the same key twice in one file with different content: the later row is rejected, naming the earlier;
- nothing is written unless every row is valid, or `skip_invalid` commits the valid ones;
- importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from openpyxl.utils import get_column_letter
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from zjtx_desktop.audit import chain_rows
from zjtx_desktop.bulk import insert_rows, without_cyclic_gc
from zjtx_desktop.clock import format_local
from zjtx_desktop.errors import PermissionDenied, UserError
from zjtx_desktop.exchange.layout import SheetLayout, detect_layout, expected_headers
from zjtx_desktop.exchange.package import PackageMeta, canonical_digest, data_rows, parse_metadata
from zjtx_desktop.exchange.reading import RawSheet, UnusableFile, read_workbook
from zjtx_desktop.exchange.sheets import (
    FORMAT_VERSION,
    LISTS_SHEET,
    METADATA_SHEET,
    SHEET_BY_KIND,
    SHEET_BY_NAME,
    SheetSpec,
)
from zjtx_desktop.exchange.values import Lookups, ParseOptions, column_reader
from zjtx_desktop.models import (
    AnnualReport,
    AuditEntry,
    Cultivation,
    Enterprise,
    HelpVisit,
    ImportBatch,
    Target,
    utcnow,
)
from zjtx_desktop.permissions import require_write, visible_units
from zjtx_desktop.search_text import enterprise_search_text, name_initials, search_columns
from zjtx_desktop.settings import CITY_CODE
from zjtx_desktop.targets import ensure_plans

Action = Literal["new", "update", "unchanged", "error", "skipped", "conflict"]
ACTION_LABELS: dict[str, str] = {
    "new": "新增",
    "update": "更新",
    "unchanged": "不变",
    "error": "错误",
    "skipped": "跳过",
    "conflict": "冲突",
}
SUMMARY_WORDS = ("合计", "总计", "小计")  # compared with spaces removed
FOOTNOTE_PREFIXES = ("注", "说明", "备注", "填表", "制表", "审核", "单位负责人", "联系人", "联系电话", "数据来源")
ProgressFn = Callable[[int, int, str], None]
CancelFn = Callable[[], bool]

MODELS: dict[str, Any] = {
    "enterprises": Enterprise,
    "cultivation": Cultivation,
    "monitoring": AnnualReport,
    "visits": HelpVisit,
    "targets": Target,
}
AUDIT_ENTITIES = {
    "enterprises": "enterprise",
    "cultivation": "cultivation",
    "monitoring": "annual_report",
    "visits": "help_visit",
    "targets": "target",
}
# Enterprises first: the other sheets refer to them by code.
COMMIT_ORDER = ("enterprises", "targets", "cultivation", "monitoring", "visits")


class ImportCancelled(UserError):
    pass


@dataclass(frozen=True)
class CellError:
    """One rejected value: where it is (as Excel shows it), what it was, and why."""

    sheet: str
    row: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class RowPlan:
    sheet: str
    kind: str
    row: int  # as Excel numbers it
    action: Action
    key: tuple[Any, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    note: str = ""
    target_id: int | None = None
    target_version: int | None = None
    raw: list[Any] = field(default_factory=list)

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class SheetPlan:
    name: str
    spec: SheetSpec
    layout: SheetLayout
    rows: list[RowPlan] = field(default_factory=list)


@dataclass
class ImportPlan:
    """Everything an import would do, before anything is written."""

    file_name: str
    file_hash: str
    sheets: list[SheetPlan]
    warnings: list[str] = field(default_factory=list)
    package: PackageMeta | None = None  # set when the file is a 报送包 or an export of this program
    scope_unit: str | None = None  # the unit the rows were checked for (None: every unit)

    def rows(self, *actions: Action) -> Iterable[RowPlan]:
        for sheet in self.sheets:
            for row in sheet.rows:
                if not actions or row.action in actions:
                    yield row

    def count(self, *actions: Action) -> int:
        return sum(1 for _ in self.rows(*actions))

    @property
    def errors(self) -> list[CellError]:
        return [error for row in self.rows("error") for error in row.errors]

    @property
    def kind(self) -> str:
        return "、".join(sheet.spec.name for sheet in self.sheets)


@dataclass(frozen=True)
class ImportResult:
    batch_id: int | None
    created: int
    updated: int
    unchanged: int
    rejected: int
    skipped: int
    committed: bool


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- reading rows --------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _skip_reason(cells: list[Any], key_columns: list[int]) -> str | None:
    """Blank rows, 合计 rows and footnotes are skipped, not rejected."""
    first = next((c for c in cells if c != "" and c is not None and not (isinstance(c, str) and not c.strip())), None)
    if first is None:
        return "空行"
    if not isinstance(first, str):
        return None  # a data row starts with a number (序号) or a code more often than not
    head = first.replace(" ", "").replace("\u3000", "")
    if head.startswith(SUMMARY_WORDS):
        return "合计行"
    if any(index < len(cells) and not _blank(cells[index]) for index in key_columns):
        return None
    filled = [c for c in cells if not _blank(c)]
    if len(filled) <= 2 and head.startswith(FOOTNOTE_PREFIXES):
        return "表尾说明"
    if len(filled) == 1 and len(head) > 15:
        return "表尾说明"
    return None


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _everyday_row(cells: list[Any], key_columns: list[int]) -> bool:
    """A row that plainly holds data: it starts with a number, or with text that cannot begin a 合计
    row, and a key column is filled. Anything else gets the careful look of `_skip_reason`."""
    if not cells:
        return False
    first = cells[0]
    if first.__class__ is float or first.__class__ is int:
        return True
    if first.__class__ is not str or not first or first[0] in _SPECIAL_FIRST:
        return False
    return any(
        (k := cells[i]).__class__ is float or (k.__class__ is str and k and k[0] not in _SPECIAL_FIRST)
        for i in key_columns
        if i < len(cells)
    )


_SPECIAL_FIRST = frozenset(" \t\r\n\u3000" + "".join(word[0] for word in SUMMARY_WORDS))


def _parse_rows(
    layout: SheetLayout,
    lookups: Lookups,
    options: ParseOptions,
    today: dt.date,
    default_unit: str | None,
) -> list[RowPlan]:
    spec = layout.spec
    sheet_name = layout.sheet.name
    plans: list[RowPlan] = []
    key_columns = [c.index for c in layout.columns if c.spec.key in spec.match_keys]
    first_row = layout.first_data_row
    kept_rows: list[int] = []  # Excel row numbers of the rows that hold data
    kept: list[list[Any]] = []
    for excel_row, cells in enumerate(layout.sheet.rows[first_row:], start=first_row + 1):
        if _everyday_row(cells, key_columns):
            kept_rows.append(excel_row)
            kept.append(cells)
            continue
        reason = _skip_reason(cells, key_columns)
        if reason is None:
            kept_rows.append(excel_row)
            kept.append(cells)
        elif reason != "空行":
            plans.append(RowPlan(sheet_name, spec.kind, excel_row, "skipped", note=reason, raw=cells))
    # Column by column: the sheet is transposed once and each column decides its ordinary cells in bulk.
    width = max((c.index for c in layout.columns), default=-1) + 1
    padded = [cells if len(cells) >= width else [*cells, *[""] * (width - len(cells))] for cells in kept]
    transposed = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    keys = [column.spec.key for column in layout.columns]
    parsed_columns: list[list[Any]] = []
    row_errors: dict[int, list[CellError]] = {}
    for column in layout.columns:
        cells_of_column = transposed[column.index]
        read = column_reader(column.spec, lookups, options, today=today, factor=column.factor)
        parsed, problems = read(cells_of_column)
        parsed_columns.append(parsed)
        letter = get_column_letter(column.index + 1)
        for position, message in problems.items():
            cell_error = CellError(
                sheet_name, kept_rows[position], letter, _display(cells_of_column[position]), message
            )
            row_errors.setdefault(position, []).append(cell_error)
    fill_unit = spec.kind == "enterprises" and default_unit is not None
    match_keys = spec.match_keys
    parsed_rows = list(zip(*parsed_columns, strict=True)) if parsed_columns else [() for _ in kept]
    for position, (excel_row, cells, parsed_row) in enumerate(zip(kept_rows, kept, parsed_rows, strict=True)):
        values = {key: value for key, value in zip(keys, parsed_row, strict=True) if value is not None}
        errors = row_errors.get(position, [])
        if fill_unit and values.get("region_code") is None:
            values["region_code"] = default_unit
        row_key = tuple([values.get(k) for k in match_keys])
        if None in row_key and not errors:
            for key_name in match_keys:
                if values.get(key_name) is None:
                    label = spec.column(key_name).label
                    errors.append(
                        CellError(sheet_name, excel_row, _letter_of(layout, key_name), "", f"{label}不能为空")
                    )
                    break
        plans.append(
            RowPlan(
                sheet_name,
                spec.kind,
                excel_row,
                "error" if errors else "new",
                row_key,
                values,
                errors=errors,
                raw=cells,
            )
        )
    if len(plans) > len(kept):  # skipped rows were listed first
        plans.sort(key=lambda plan: plan.row)
    return plans


def _require_complete(sheet: SheetPlan) -> None:
    """A row that creates a record must fill every required field; an update may leave them out."""
    for plan in sheet.rows:
        if plan.action != "new":
            continue
        for spec in sheet.spec.columns:
            if spec.required and plan.values.get(spec.key) is None:
                if spec.key == "region_code" and "region_code" not in sheet.layout.keys:
                    _reject(plan, "新企业必须填写所属单位（表中没有“所属单位”列）")
                else:
                    _reject(plan, f"新增记录的{spec.label}不能为空", _letter_of(sheet.layout, spec.key))


def _letter_of(layout: SheetLayout, key: str) -> str:
    for column in layout.columns:
        if column.spec.key == key:
            return str(get_column_letter(column.index + 1))
    return ""


def _reject(plan: RowPlan, message: str, column: str = "") -> None:
    plan.action = "error"
    plan.errors.append(CellError(plan.sheet, plan.row, column, "", message))


def _mark_duplicates(plans: list[RowPlan]) -> None:
    """Same key twice: identical rows are skipped, different ones rejected, naming the earlier row."""
    seen: dict[tuple[Any, ...], RowPlan] = {}
    for plan in plans:
        if plan.action != "new" or any(k is None for k in plan.key):
            continue
        earlier = seen.get(plan.key)
        if earlier is None:
            seen[plan.key] = plan
        elif earlier.values == plan.values:
            plan.action, plan.note = "skipped", f"与第 {earlier.row} 行重复"
        else:
            _reject(plan, f"与第 {earlier.row} 行的关键字段相同但内容不同，已保留第 {earlier.row} 行")


# --- matching against the database ------------------------------------------------------------


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_enterprises(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The stored enterprises (recycled ones too) with these codes, as code → column values."""
    table: Table = Enterprise.__table__  # type: ignore[assignment]
    connection = session.connection()
    if len(codes) > 2000:
        # A long list: which codes exist is one scan of the unique index; most rows of a large
        # import are usually new, and only the stored ones are then read in full.
        stored_codes = set(connection.execute(select(table.c.uscc)).scalars())
        codes = [code for code in codes if code in stored_codes]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(codes):
        for row in connection.execute(select(table).where(table.c.uscc.in_(chunk))).mappings():
            found[row["uscc"]] = dict(row)
    return found


def _compare(plan: RowPlan, stored: dict[str, Any], keys: Iterable[str]) -> None:
    """Set the action to update or unchanged from the non-empty incoming values."""
    changes = {
        key: (stored.get(key), value)
        for key in keys
        if (value := plan.values.get(key)) is not None and key != "updated_at" and not _same(stored.get(key), value)
    }
    plan.target_id, plan.target_version = stored["id"], stored.get("version")
    plan.changes = changes
    plan.action = "update" if changes else "unchanged"


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and abs(float(old) - float(new)) <= 1e-9 * max(1.0, abs(float(new)))
    if isinstance(old, dt.datetime) and isinstance(new, dt.date) and not isinstance(new, dt.datetime):
        return old.date() == new
    return bool(old == new)


def _stale(plan: RowPlan, stored: dict[str, Any]) -> bool:
    """A package row older than what is stored here: taking it would undo a newer correction."""
    incoming, current = plan.values.get("updated_at"), stored.get("updated_at")
    if not isinstance(incoming, str | dt.datetime) or not isinstance(current, dt.datetime):
        return False
    try:
        stamp = incoming if isinstance(incoming, dt.datetime) else dt.datetime.fromisoformat(incoming)
    except ValueError:
        return False
    return stamp < current


def _plan_enterprises(session: Session, sheet: SheetPlan, scope_unit: str | None) -> dict[str, int | None]:
    """Match enterprise rows; returns code → id (None for enterprises this file creates)."""
    valid = [p for p in sheet.rows if p.action == "new"]
    stored = _existing_enterprises(session, [p.values["uscc"] for p in valid])
    known: dict[str, int | None] = {code: row["id"] for code, row in stored.items()}
    for plan in valid:
        code = plan.values["uscc"]
        if scope_unit and plan.values.get("region_code") != scope_unit:
            _reject(
                plan,
                f"该企业不属于本单位（{scope_unit}），县级安装只能导入本单位企业",
                _letter_of(sheet.layout, "region_code"),
            )
            continue
        current = stored.get(code)
        if current is None:
            known[code] = None
            continue
        if scope_unit and current["region_code"] != scope_unit:
            # Not ours to move or to see: the firm is registered in another unit.
            _reject(plan, "该代码已在其他单位登记（请与市局核实企业归属）", _letter_of(sheet.layout, "uscc"))
            continue
        if current["deleted_at"] is not None:
            _reject(plan, f"“{current['name']}”在回收站中，请先恢复再导入", _letter_of(sheet.layout, "uscc"))
            continue
        _compare(plan, current, sheet.layout.keys)
        if plan.action == "update" and _stale(plan, current):
            plan.action, plan.note = "conflict", "表中数据比本机的旧"
        elif plan.action == "update" and "region_code" in plan.changes:
            plan.action, plan.note = "conflict", "同一企业来自不同单位"
    return known


def _plan_children(session: Session, sheet: SheetPlan, known: dict[str, int | None], scope_unit: str | None) -> None:
    model = MODELS[sheet.spec.kind]
    table: Table = model.__table__
    valid = [p for p in sheet.rows if p.action == "new"]
    codes = sorted({p.values["uscc"] for p in valid} - known.keys())
    for code, row in _existing_enterprises(session, codes).items():
        known[code] = None if row["deleted_at"] is not None else row["id"]
        if scope_unit and row["region_code"] != scope_unit:
            known[code] = -1
    ids = sorted({i for i in known.values() if i is not None and i > 0})
    stored: dict[tuple[Any, ...], dict[str, Any]] = {}
    key_columns = [k for k in sheet.spec.match_keys if k != "uscc"]
    for chunk in _chunks(ids):
        for mapping in session.connection().execute(select(table).where(table.c.enterprise_id.in_(chunk))).mappings():
            stored[(mapping["enterprise_id"], *(mapping[k] for k in key_columns))] = dict(mapping)
    for plan in valid:
        code = plan.values["uscc"]
        if code not in known:
            _reject(
                plan, f"找不到统一社会信用代码为 {code} 的企业（请先导入企业信息）", _letter_of(sheet.layout, "uscc")
            )
            continue
        enterprise_id = known[code]
        if enterprise_id == -1:
            _reject(plan, "该企业不属于本单位，县级安装只能导入本单位的数据", _letter_of(sheet.layout, "uscc"))
            continue
        if enterprise_id is None:
            continue  # the enterprise is new in this very file: the row is new too
        current = stored.get((enterprise_id, *(plan.values.get(k) for k in key_columns)))
        if current is not None:
            _compare(plan, current, sheet.layout.keys - {"uscc", "enterprise_name"})
            if plan.action == "update" and _stale(plan, current):
                plan.action, plan.note = "conflict", "表中数据比本机的旧"


def _plan_targets(session: Session, sheet: SheetPlan) -> None:
    valid = [p for p in sheet.rows if p.action == "new"]
    stored = {(t.region_code, t.program_code, t.start_year, t.end_year): t for t in session.scalars(select(Target))}
    for plan in valid:
        if plan.values["start_year"] > plan.values["end_year"]:
            _reject(plan, "起始年份晚于截止年份", _letter_of(sheet.layout, "start_year"))
            continue
        current = stored.get(plan.key)
        if current is not None:
            _compare(
                plan,
                {c: getattr(current, c) for c in ("id", "version", "count", "document_no", "note", "updated_at")},
                ("count", "document_no", "note"),
            )


@without_cyclic_gc
def plan_import(
    session: Session,
    path: Path,
    *,
    scope_unit: str | None = None,
    today: dt.date | None = None,
    trusted_numbers: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> ImportPlan:
    """Read and check a file against the database without writing anything.

    scope_unit: a county installation's own unit — its rows only, and the default unit for lists
    without a 所属单位 column. Raises UnusableFile when the file itself cannot be used.
    """
    require_write(session)
    units = visible_units(session)
    if units is not None:
        # The account's (or installation's) unit decides, whatever the caller asked for.
        if scope_unit not in (None, units[0]):
            raise PermissionDenied("当前账户只能导入本单位的数据")
        scope_unit = units[0]
    today = today or dt.date.today()
    report = progress or (lambda done, total, message: None)
    report(0, 100, "正在读取文件…")
    raw_sheets = read_workbook(path)
    if cancel and cancel():
        raise ImportCancelled("已取消导入，未作任何更改")
    lookups = Lookups.load(session)
    warnings: list[str] = []
    package = _check_package(raw_sheets, scope_unit, warnings)
    # Our own unedited exports write percentages as percent points: only there is 0.5 certainly 0.5%.
    options = ParseOptions(trusted_numbers=trusted_numbers or (package is not None and package.matches))
    plans: list[SheetPlan] = []
    for raw in raw_sheets:
        if raw.hidden:
            continue
        layout = detect_layout(raw)
        if layout is None:
            if raw.name not in (METADATA_SHEET, LISTS_SHEET) and _has_content(raw):
                warnings.append(f"工作表“{raw.name}”不是可导入的表格，已忽略")
            continue
        if layout.unit_problems:
            raise UnusableFile(f"工作表“{raw.name}”：" + "；".join(layout.unit_problems))
        if layout.unknown:
            warnings.append(f"工作表“{raw.name}”中以下列无法识别，已忽略：{'、'.join(layout.unknown[:10])}")
        plans.append(SheetPlan(raw.name, layout.spec, layout))
    if not plans:
        raise UnusableFile(f"文件中没有可识别的表格。可导入的表头例如：{expected_headers()}")

    for index, sheet in enumerate(plans):
        if cancel and cancel():
            raise ImportCancelled("已取消导入，未作任何更改")
        report(10 + 60 * index // len(plans), 100, f"正在检查“{sheet.name}”…")
        sheet.rows = _parse_rows(sheet.layout, lookups, options, today, scope_unit)
        _mark_duplicates(sheet.rows)

    report(75, 100, "正在与数据库比对…")
    known: dict[str, int | None] = {}
    for sheet in sorted(plans, key=lambda s: COMMIT_ORDER.index(s.spec.kind)):
        if sheet.spec.kind == "enterprises":
            known.update(_plan_enterprises(session, sheet, scope_unit))
        elif sheet.spec.kind == "targets":
            if scope_unit:
                for plan in sheet.rows:
                    if plan.action == "new":
                        _reject(plan, "目标任务由市局下达，县级安装不能导入")
            else:
                _plan_targets(session, sheet)
        else:
            _plan_children(session, sheet, known, scope_unit)
        _require_complete(sheet)
    report(100, 100, "检查完成")
    return ImportPlan(path.name, file_sha256(path), plans, warnings, package.meta if package else None, scope_unit)


@dataclass(frozen=True)
class _PackageState:
    meta: PackageMeta
    matches: bool


def _check_package(raw_sheets: list[RawSheet], scope_unit: str | None, warnings: list[str]) -> _PackageState | None:
    """A file with our 说明 sheet: refuse another unit's package in a county installation and a newer
    format; warn when the content was edited after export (the check no longer matches)."""
    metadata_sheet = next((s for s in raw_sheets if s.name == METADATA_SHEET), None)
    if metadata_sheet is None:
        return None
    meta = parse_metadata(metadata_sheet.rows)
    if meta is None:
        return None
    if meta.format_version > FORMAT_VERSION:
        raise UnusableFile(
            f"该文件由更新版本的程序导出（格式版本 {meta.format_version}，本程序支持 {FORMAT_VERSION}），请先升级程序"
        )
    if scope_unit and meta.unit_code and meta.unit_code not in (scope_unit, CITY_CODE):
        raise UnusableFile(f"这是“{meta.unit_name}”（{meta.unit_code}）的报送包，本安装属于另一单位，不能导入")
    if not meta.digest:
        return _PackageState(meta, False)
    actual = canonical_digest({s.name: data_rows(s.rows) for s in raw_sheets if s.name in SHEET_BY_NAME})
    matches = actual == meta.digest
    if not matches:
        counts = {
            s.name: len([r for r in data_rows(s.rows) if any(c not in ("", None) for c in r)])
            for s in raw_sheets
            if s.name in SHEET_BY_NAME
        }
        changed = [
            f"{name}（导出时 {meta.row_counts.get(kind, 0)} 行，现在 {counts.get(name, 0)} 行）"
            for kind, name in ((k, SHEET_BY_KIND[k].name) for k in meta.row_counts)
            if counts.get(name, 0) != meta.row_counts.get(kind, 0)
        ]
        detail = "；行数有变化的表：" + "、".join(changed) if changed else "；各表行数未变，说明有单元格被修改"
        warnings.append(f"报送包导出后被修改过（内容校验不符）{detail}。请核对后再导入")
    return _PackageState(meta, matches)


def _has_content(sheet: RawSheet) -> bool:
    return sum(1 for row in sheet.rows if any(not _blank(c) for c in row)) >= 2


# --- committing ------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


@without_cyclic_gc
def commit_plan(
    session: Session,
    actor: str,
    plan: ImportPlan,
    *,
    skip_invalid: bool = False,
    take_conflicts: Iterable[tuple[str, int]] = (),
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Write the plan in the caller's transaction. Nothing is written when rows were rejected, unless
    skip_invalid. Conflicting rows are kept as stored unless listed in take_conflicts as (sheet, row)."""
    require_write(session)
    units = visible_units(session)
    if units is not None and plan.scope_unit != units[0]:
        raise PermissionDenied("这份导入检查结果不是按当前账户的单位检查的，请重新检查文件后再导入")
    rejected = plan.count("error")
    counts = dict(
        created=plan.count("new"), unchanged=plan.count("unchanged"), rejected=rejected, skipped=plan.count("skipped")
    )
    taken = set(take_conflicts)
    updates = [r for r in plan.rows("update", "conflict") if r.action == "update" or (r.sheet, r.row) in taken]
    if rejected and not skip_invalid:
        return ImportResult(
            None, counts["created"], len(updates), counts["unchanged"], rejected, counts["skipped"], False
        )
    if not updates and not counts["created"]:
        # Nothing to write (the same file again): no batch, so the database really is unchanged.
        return ImportResult(None, 0, 0, counts["unchanged"], rejected, counts["skipped"], True)
    report = progress or (lambda done, total, message: None)
    now = utcnow()
    batch = ImportBatch(at=now, actor=actor, file_name=plan.file_name, file_hash=plan.file_hash, kind=plan.kind)
    session.add(batch)
    session.flush()
    created: dict[str, list[int]] = {}
    updated: dict[str, list[dict[str, Any]]] = {}
    audit: list[dict[str, Any]] = []
    created_audit: list[tuple[str, list[dict[str, Any]]]] = []
    enterprise_ids: dict[str, int] = {}
    sheets = sorted(plan.sheets, key=lambda s: COMMIT_ORDER.index(s.spec.kind))
    for index, sheet in enumerate(sheets):
        report(index, len(sheets), f"正在写入“{sheet.name}”…")
        kind = sheet.spec.kind
        model = MODELS[kind]
        table: Table = model.__table__
        entity = AUDIT_ENTITIES[kind]
        new_rows = [r for r in sheet.rows if r.action == "new"]
        if kind != "enterprises" and kind != "targets":
            missing = sorted(
                {r.values["uscc"] for r in new_rows + [u for u in updates if u.kind == kind]} - enterprise_ids.keys()
            )
            for code, stored_row in _existing_enterprises(session, missing).items():
                enterprise_ids[code] = stored_row["id"]
        if new_rows:
            values_list = _new_row_values(kind, new_rows, enterprise_ids, now)
            stamps = {"created_at": now, "version": 1}
            if not any("updated_at" in row for row in values_list):
                stamps["updated_at"] = now  # a package row brings its own stamp; a plain list does not
            else:
                for values in values_list:
                    values.setdefault("updated_at", now)
            new_ids = insert_rows(session.connection(), table, values_list, constants=stamps)
            created[kind] = new_ids
            if kind == "enterprises":
                enterprise_ids.update(zip((row.values["uscc"] for row in new_rows), new_ids, strict=True))
                owners: list[int | None] = list(new_ids)
            else:
                owners = [values.get("enterprise_id") for values in values_list]
            # A created row's content is the row itself (later edits are audited with before and after),
            # so its audit entry names the batch and the file rather than repeating every value.
            created_audit.append(
                (entity, [{"entity_id": str(i), "enterprise_id": e} for i, e in zip(new_ids, owners, strict=True)])
            )
        for row in (u for u in updates if u.kind == kind):
            changes = {k: new for k, (_, new) in row.changes.items()}
            if kind == "enterprises":
                changes.update(_derived_enterprise(row, changes))
            result = session.connection().execute(
                update(table)
                .where(table.c.id == row.target_id, table.c.version == row.target_version)
                .values(**changes, version=table.c.version + 1, updated_at=_stamp(row.values, now))
            )
            if result.rowcount != 1:
                raise UserError(f"“{row.sheet}”第 {row.row} 行对应的记录在导入期间被修改，已放弃整个导入，请重新导入")
            before = {k: old for k, (old, _) in row.changes.items()}
            updated.setdefault(kind, []).append(
                {"id": row.target_id, "before": _json_dict(before), "version": (row.target_version or 0) + 1}
            )
            enterprise_id = row.target_id if kind == "enterprises" else enterprise_ids.get(row.values.get("uscc", ""))
            audit.append(
                _audit_row(actor, now, "import", entity, row.target_id, before, changes, enterprise_id, batch.id)
            )
    if audit:
        chain_rows(session.connection(), audit, {})
        insert_rows(session.connection(), _table(AuditEntry), audit, want_ids=False)
    if created.get("targets"):
        ensure_plans(session, actor)  # targets for a new period: the round appears in 目标设置 at once
    for entity, entries in created_audit:
        shared = {
            "at": now,
            "actor": actor,
            "action": "import",
            "entity": entity,
            "after": {"导入批次": batch.id, "文件": plan.file_name},
        }
        chain_rows(session.connection(), entries, shared)
        insert_rows(session.connection(), _table(AuditEntry), entries, constants=shared, want_ids=False)
    batch.created = sum(len(v) for v in created.values())
    batch.updated = sum(len(v) for v in updated.values())
    batch.unchanged = counts["unchanged"]
    batch.rejected = rejected
    batch.details = {"created": created, "updated": updated, "skipped": counts["skipped"], "warnings": plan.warnings}
    session.flush()
    return ImportResult(batch.id, batch.created, batch.updated, counts["unchanged"], rejected, counts["skipped"], True)


def _json_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in values.items()}


def _audit_row(
    actor: str,
    at: dt.datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    enterprise_id: int | None,
    batch_id: int,
) -> dict[str, Any]:
    after_json = {
        k: _jsonable(v)
        for k, v in after.items()
        if v is not None and k not in ("created_at", "updated_at", "version", "search_text", "name_initials")
    }
    return {
        "at": at,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "enterprise_id": enterprise_id,
        "before": _json_dict(before) if before is not None else None,
        "after": {**after_json, "导入批次": batch_id},
    }


def _derived_enterprise(row: RowPlan, changes: dict[str, Any]) -> dict[str, Any]:
    if not {"name", "uscc", "address"} & changes.keys():
        return {}
    name = str(changes.get("name") or row.values.get("name") or "")
    return {
        "name_initials": name_initials(name),
        "search_text": enterprise_search_text(name, row.values["uscc"], row.values.get("address")),
    }


def _stamp(values: dict[str, Any], now: dt.datetime) -> dt.datetime:
    """A package row keeps its last-modified stamp, so export → import → export is the identity."""
    incoming = values.get("updated_at")
    if isinstance(incoming, dt.datetime):
        return incoming
    if isinstance(incoming, str):
        try:
            return dt.datetime.fromisoformat(incoming)
        except ValueError:
            return now
    return now


def _new_row_values(
    kind: str, rows: list[RowPlan], enterprise_ids: dict[str, int], now: dt.datetime
) -> list[dict[str, Any]]:
    """The columns to insert for rows that create records (timestamps and version are added by the caller)."""
    dropped = ("enterprise_name", "updated_at") if kind == "enterprises" else ("uscc", "enterprise_name", "updated_at")
    values_list: list[dict[str, Any]] = []
    for row in rows:
        values = row.values.copy()
        for key in dropped:
            values.pop(key, None)
        if row.values.get("updated_at") is not None:
            values["updated_at"] = _stamp(row.values, now)
        values_list.append(values)
    if kind == "enterprises":
        for values in values_list:
            values["name_initials"], values["search_text"] = search_columns(
                values["name"], values["uscc"], values.get("address")
            )
    elif kind != "targets":
        default_status = {"cultivation": "培育中", "visits": "办理中"}.get(kind)
        for row, values in zip(rows, values_list, strict=True):
            values["enterprise_id"] = enterprise_ids[row.values["uscc"]]
            if default_status is not None:
                values.setdefault("status", default_status)
    return values_list


# --- undo ------------------------------------------------------------------------------------


def _batch_units(session: Session, details: dict[str, Any]) -> set[str]:
    """The units of every enterprise an import created or changed (directly or through its records)."""
    connection = session.connection()
    enterprises: Table = Enterprise.__table__  # type: ignore[assignment]
    enterprise_ids: set[int] = set()
    for part in ("created", "updated"):
        for kind, entries in (details.get(part) or {}).items():
            ids = [e if isinstance(e, int) else e["id"] for e in entries]
            if kind == "enterprises":
                enterprise_ids.update(ids)
            elif kind in MODELS and kind != "targets":
                table: Table = MODELS[kind].__table__
                for chunk in _chunks(ids):
                    enterprise_ids.update(
                        connection.execute(select(table.c.enterprise_id).where(table.c.id.in_(chunk))).scalars()
                    )
            elif kind == "targets" and entries:
                return {CITY_CODE}  # targets are the city's
    units: set[str] = set()
    for chunk in _chunks(sorted(enterprise_ids)):
        units.update(connection.execute(select(enterprises.c.region_code).where(enterprises.c.id.in_(chunk))).scalars())
    return units


def undo_batch(session: Session, actor: str, batch_id: int) -> None:
    """Undo a whole import: restore updated rows, remove created ones — refused when later edits
    touched those rows, because undoing would silently throw those edits away."""
    require_write(session)
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise UserError(f"找不到编号为 {batch_id} 的导入记录")
    units = visible_units(session)
    if units is not None and _batch_units(session, batch.details or {}) - set(units):
        raise PermissionDenied("这次导入涉及其他单位的企业，当前账户不能撤销")
    if batch.undone_at is not None:
        raise UserError(f"这次导入已于 {format_local(batch.undone_at)} 撤销")
    details = batch.details or {}
    touched: list[str] = []
    for kind, entries in (details.get("updated") or {}).items():
        table: Table = MODELS[kind].__table__
        for entry in entries:
            version = session.connection().execute(select(table.c.version).where(table.c.id == entry["id"])).scalar()
            if version != entry["version"]:
                touched.append(f"{AUDIT_ENTITIES[kind]}#{entry['id']}")
    for kind, ids in (details.get("created") or {}).items():
        table = MODELS[kind].__table__
        for chunk in _chunks(ids):
            rows = session.connection().execute(select(table.c.id, table.c.version).where(table.c.id.in_(chunk))).all()
            touched += [f"{AUDIT_ENTITIES[kind]}#{rid}" for rid, version in rows if version != 1]
    created_enterprises = set((details.get("created") or {}).get("enterprises", []))
    if created_enterprises:
        own_children = {(k, i) for k, ids in (details.get("created") or {}).items() for i in ids}
        for kind in ("cultivation", "monitoring", "visits"):
            table = MODELS[kind].__table__
            for chunk in _chunks(sorted(created_enterprises)):
                for (rid,) in session.connection().execute(select(table.c.id).where(table.c.enterprise_id.in_(chunk))):
                    if (kind, rid) not in own_children:
                        touched.append(f"{AUDIT_ENTITIES[kind]}#{rid}")
    if touched:
        raise UserError(f"导入之后已有 {len(touched)} 条相关记录被修改或新增，撤销会丢失这些修改，因此不能撤销。")
    now = utcnow()
    audit: list[dict[str, Any]] = []
    for kind in reversed(COMMIT_ORDER):
        table = MODELS[kind].__table__
        for entry in (details.get("updated") or {}).get(kind, []):
            spec_types = {c.name: c.type.python_type for c in table.columns if c.name in entry["before"]}
            restored = {k: _from_json(v, spec_types.get(k)) for k, v in entry["before"].items()}
            session.connection().execute(
                update(table)
                .where(table.c.id == entry["id"])
                .values(**restored, version=table.c.version + 1, updated_at=now)
            )
            audit.append(
                _audit_row(actor, now, "undo", AUDIT_ENTITIES[kind], entry["id"], None, restored, None, batch_id)
            )
        ids = (details.get("created") or {}).get(kind, [])
        for chunk in _chunks(ids):
            session.connection().execute(table.delete().where(table.c.id.in_(chunk)))
        for rid in ids:
            audit.append(
                _audit_row(
                    actor,
                    now,
                    "undo",
                    AUDIT_ENTITIES[kind],
                    rid,
                    None,
                    {},
                    rid if kind == "enterprises" else None,
                    batch_id,
                )
            )
    if audit:
        chain_rows(session.connection(), audit, {})
        session.connection().execute(insert(_table(AuditEntry)), audit)
    batch.undone_at = now
    batch.undone_by = actor
    session.flush()


def _from_json(value: Any, python_type: type | None) -> Any:
    if value is None or python_type is None:
        return value
    if python_type is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if python_type is dt.datetime and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value
