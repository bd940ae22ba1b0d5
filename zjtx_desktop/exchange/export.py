"""Writing the exchange workbook: templates, exports of the entity sheets, target progress and packages.

Every sheet is streamed with openpyxl's write-only mode. The layout (see `package.py`): the title in
row 1 (merged over all columns: sheet title and unit), the header in row 2 (`FieldSpec.header`, units
included), data from row 3, panes frozen below the header and right of the identifying columns.

Values are written as what they are: numbers as numbers, dates as dates (yyyy-mm-dd), codes (USCC) as
text in "@" format, booleans as 是/否, units by their full name (青田县), industries as "C34 通用设备制造业",
programs by their full name. Drop-down lists (units, programs, industries, choices, 是/否) carry input
prompts and error messages; the lists that come from the database live on the hidden sheet 选项.

Text a spreadsheet would treat as a formula (leading = + - @, tab, CR, LF) or as an error code is
stored as a plain string with a quote prefix, never as a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import chain, islice, zip_longest
from os import PathLike
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import ColumnElement, Select, and_, exists, func, null, select
from sqlalchemy.orm import Session, aliased

from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange.package import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    KEY_UNIT_CODE,
    META_HEADERS,
    META_TITLE,
    TITLE_ROW,
    ContentDigest,
    PackageMeta,
    metadata_rows,
)
from zjtx_desktop.exchange.sheets import LISTS_SHEET, METADATA_SHEET, SHEETS, UPDATED_AT, SheetSpec
from zjtx_desktop.fields import FieldSpec
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, HelpVisit, Industry, Program, Region, Target
from zjtx_desktop.permissions import narrowed
from zjtx_desktop.progress import COUNTING_RULE, progress_by_unit
from zjtx_desktop.settings import CITY_CODE, find_region, installation

ProgressCallback = Callable[[int, int, str], None]  # (done, total, message)
CancelCallback = Callable[[], bool]  # True: stop now

PROGRESS_KIND = "progress"
PROGRESS_SHEET = "目标完成情况"
EXPORT_KINDS: tuple[str, ...] = (*(spec.kind for spec in SHEETS), PROGRESS_KIND)
TEMPLATE_ROWS = 5000  # rows below the data that still get the drop-down lists
TEXT_FORMAT = "@"
PERCENT_FORMAT = "0.0%"

_SQL_ID_LIMIT = 500  # more enterprise ids than this are filtered in Python (SQL variable limits)
_TICK = 1000  # rows between progress reports and cancel checks
_SAMPLE_ROWS = 300  # rows looked at to size the columns
_MAX_WIDTH = 50
_RISKY_START = frozenset("=+-@\t\r\n")
_ERROR_TEXTS = frozenset(ERROR_CODES)
_NEEDS_CLEANING = re.compile(r"[\000-\010\013\014\016-\037\r]")
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_BOOL_TEXT: dict[object, str] = {True: "是", False: "否"}
_FROZEN_COLUMNS = {"enterprises": 1, "cultivation": 2, "monitoring": 2, "visits": 2, "targets": 0}
_KIND_WIDTH = {
    "date": 12,
    "uscc": 22,
    "industry": 28,
    "program": 26,
    "region": 16,
    "phone": 15,
    "email": 22,
    "bool": 8,
    "choice": 10,
}


class ExportCancelled(UserError):
    """The user cancelled; nothing was written."""

    def __init__(self) -> None:
        super().__init__("已取消导出，未生成文件。")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: dict[str, int]  # data rows written, by sheet kind (enterprises, …, progress)
    metadata: PackageMeta | None = None  # packages: the 说明 as written, with counts and digest

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# --- which rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    unit_codes: tuple[str, ...] | None
    year: int | None
    program_code: str | None
    enterprise_ids: frozenset[int] | None

    @property
    def python_ids(self) -> frozenset[int] | None:
        """Ids too many for an SQL IN list: rows are filtered by these while writing."""
        ids = self.enterprise_ids
        return ids if ids is not None and len(ids) > _SQL_ID_LIMIT else None

    def enterprise_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Enterprise.deleted_at.is_(None)]
        if self.unit_codes is not None:
            conditions.append(Enterprise.region_code.in_(self.unit_codes))
        if self.enterprise_ids is not None and self.python_ids is None:
            conditions.append(Enterprise.id.in_(sorted(self.enterprise_ids)))
        if self.program_code is not None:
            # An alias, so that the cultivation sheet's own query does not swallow the subquery's table.
            other = aliased(Cultivation)
            entry = [other.enterprise_id == Enterprise.id, other.program_code == self.program_code]
            if self.year is not None:
                entry.append(other.year == self.year)
            conditions.append(exists().where(and_(*entry)))
        return conditions


_CHILD_MODELS: dict[str, Any] = {"cultivation": Cultivation, "monitoring": AnnualReport, "visits": HelpVisit}


def _statement(spec: SheetSpec, scope: _Scope) -> Select[Any]:
    """Rows of (the sheet's columns…, updated_at, enterprise id or NULL), in the sheet's fixed order."""
    if spec.kind == "enterprises":
        columns = [getattr(Enterprise, column.key) for column in spec.columns]
        return (
            select(*columns, Enterprise.updated_at, Enterprise.id)
            .where(*scope.enterprise_conditions())
            .order_by(Enterprise.uscc)
        )
    if spec.kind == "targets":
        conditions: list[ColumnElement[bool]] = []
        if scope.unit_codes is not None:
            conditions.append(Target.region_code.in_(scope.unit_codes))
        if scope.program_code is not None:
            conditions.append(Target.program_code == scope.program_code)
        if scope.year is not None:
            conditions += [Target.start_year <= scope.year, Target.end_year >= scope.year]
        columns = [getattr(Target, column.key) for column in spec.columns]
        return (
            select(*columns, Target.updated_at, null())
            .join(Region, Region.code == Target.region_code)
            .join(Program, Program.code == Target.program_code)
            .where(*conditions)
            .order_by(Program.sort_order, Target.start_year, Target.end_year.desc(), Region.sort_order, Target.id)
        )
    model = _CHILD_MODELS[spec.kind]
    names = {"uscc": Enterprise.uscc, "enterprise_name": Enterprise.name}
    columns = [names.get(column.key) or getattr(model, column.key) for column in spec.columns]
    statement = (
        select(*columns, model.updated_at, Enterprise.id)
        .join(Enterprise, Enterprise.id == model.enterprise_id)
        .where(*scope.enterprise_conditions())
    )
    if spec.kind == "cultivation":
        if scope.program_code is not None:
            statement = statement.where(Cultivation.program_code == scope.program_code)
        if scope.year is not None:
            statement = statement.where(Cultivation.year == scope.year)
        return statement.join(Program, Program.code == Cultivation.program_code).order_by(
            Enterprise.uscc, Cultivation.year, Program.sort_order, Cultivation.program_code, Cultivation.id
        )
    if spec.kind == "monitoring":
        if scope.year is not None:
            statement = statement.where(AnnualReport.year == scope.year)
        return statement.order_by(Enterprise.uscc, AnnualReport.year, AnnualReport.id)
    if scope.year is not None:
        statement = statement.where(
            HelpVisit.visited_on >= dt.date(scope.year, 1, 1), HelpVisit.visited_on <= dt.date(scope.year, 12, 31)
        )
    return statement.order_by(Enterprise.uscc, HelpVisit.visited_on, HelpVisit.officer, HelpVisit.kind, HelpVisit.id)


def _count(session: Session, statement: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0)


# --- reference data: display names and drop-down lists --------------------------------------------


@dataclass(frozen=True)
class _Lookups:
    regions: dict[str, str]  # code → full name
    industries: dict[str, str]  # code → "C34 通用设备制造业"
    programs: dict[str, str]  # code → full name
    region_choices: list[str]
    industry_choices: list[str]
    program_choices: list[str]

    @classmethod
    def load(cls, session: Session, unit_codes: Sequence[str] | None) -> _Lookups:
        regions = [
            (code, name) for code, name in session.execute(select(Region.code, Region.name).order_by(Region.sort_order))
        ]
        industries = [
            (code, f"{code} {name}")
            for code, name in session.execute(select(Industry.code, Industry.name).order_by(Industry.code))
        ]
        programs = [
            (code, name)
            for code, name in session.execute(select(Program.code, Program.name).order_by(Program.sort_order))
        ]
        own = set(unit_codes) if unit_codes is not None else None
        return cls(
            dict(regions),
            dict(industries),
            dict(programs),
            [name for code, name in regions if own is None or code in own],
            [label for _, label in industries],
            [name for _, name in programs],
        )


class _Lists:
    """Drop-down sources: short fixed lists inline, database lists as ranges on the hidden sheet 选项."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, list[str]]] = []
        self._references: dict[str, str] = {}

    def reference(self, key: str, title: str, items: list[str]) -> str:
        if key not in self._references:
            letter = get_column_letter(len(self.columns) + 1)
            self.columns.append((title, items))
            last = max(2, len(items) + 1)
            self._references[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${last}"
        return self._references[key]

    def formula(self, key: str, title: str, items: list[str]) -> str:
        inline = '"' + ",".join(items) + '"'
        if len(inline) <= 255 and not any("," in item or '"' in item for item in items):
            return inline
        return self.reference(key, title, items)


# --- cell values --------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: Chinese characters count twice."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def clean_text(value: str | None) -> str | None:
    """Text as it can be stored: no XML-illegal control characters, line breaks as LF, ≤ 32,767 characters."""
    if not value:
        return None
    if len(value) > 32767 or (not value.isprintable() and _NEEDS_CLEANING.search(value)):
        value = _ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))[:32767]
    return value or None


def _plain(number: float | None) -> str:
    """1000000.0 → "1000000" (not "1e+06"), 0.5 → "0.5"."""
    value = float(number or 0)
    return str(int(value)) if value.is_integer() else repr(value)


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="microseconds") if value is not None else None


def is_risky_text(text: str) -> bool:
    """Would a spreadsheet run this text as a formula (or read it as an error value) when it is edited?"""
    return text[0] in _RISKY_START or text in _ERROR_TEXTS


class _Styles:
    """Cell styles of one workbook, made once and shared by the cells that use them (never mutated)."""

    def __init__(self, ws: Any) -> None:
        self.sheet = ws  # the sheet new cells belong to (styles are the workbook's)
        thin = Side(style="thin", color="9CA3AF")
        border = Border(left=thin, right=thin, top=thin, bottom=thin)
        header_fill = PatternFill("solid", fgColor="DCE6F1")
        centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.title = self._make(
            font=Font(bold=True, size=14), alignment=Alignment(horizontal="center", vertical="center")
        )
        self.header = self._make(font=Font(bold=True), fill=header_fill, border=border, alignment=centred)
        self.header_required = self._make(
            font=Font(bold=True, color="C00000"), fill=header_fill, border=border, alignment=centred
        )
        self.code_style = self._make(number_format=TEXT_FORMAT)
        self.code_quoted = self._make(number_format=TEXT_FORMAT, quotePrefix=True)
        self.quoted = self._make(quotePrefix=True)
        self.bold = self._make(font=Font(bold=True))
        self.percent = self._make(number_format=PERCENT_FORMAT)
        self.percent_bold = self._make(number_format=PERCENT_FORMAT, font=Font(bold=True))
        self.note = self._make(font=Font(color="595959"))

    def _make(self, **attributes: Any) -> Any:
        probe = WriteOnlyCell(self.sheet)
        for name, value in attributes.items():
            setattr(probe, name, value)
        return probe._style

    def cell(self, value: Any, style: Any, *, text: bool = False) -> Any:
        cell = WriteOnlyCell(self.sheet)
        cell._style = style
        cell.value = value
        if text:
            cell.data_type = "s"  # never a formula or an error value
        return cell

    def text(self, value: str | None) -> Any:
        """A text value as written: Excel's own _xHHHH_ escapes escaped, risky text quoted."""
        if value is None:
            return None
        if "_x" in value:
            value = _EXCEL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), value)
        if is_risky_text(value):
            return self.cell(value, self.quoted, text=True)
        return value

    def raw_text(self, value: str | None) -> Any:
        """`text(clean_text(value))` in one step (plain exports need no separate shown value)."""
        if not value:
            return None
        if len(value) > 32767 or (not value.isprintable() and _NEEDS_CLEANING.search(value)):
            value = clean_text(value)
            if value is None:
                return None
        if "_x" in value:
            value = _EXCEL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), value)
        if value[0] in _RISKY_START or value in _ERROR_TEXTS:
            return self.cell(value, self.quoted, text=True)
        return value

    def raw_code(self, value: str | None) -> Any:
        return self.code(clean_text(value))

    def code(self, value: str | None) -> Any:
        if value is None:
            return None
        if "_x" in value:
            value = _EXCEL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), value)
        return self.cell(value, self.code_quoted if is_risky_text(value) else self.code_style, text=True)


_TEXT_KINDS = frozenset({"text", "choice", "phone", "email", "region", "industry", "program", "bool"})
_LOOKUP_KINDS = frozenset({"region", "industry", "program", "bool"})  # shown values from reference data


def _named(names: dict[str, str]) -> Callable[[Any], Any]:
    def name(code: Any) -> Any:
        return names.get(code, code)

    return name


def _converter(spec: FieldSpec, lookups: _Lookups) -> Callable[[Any], Any] | None:
    """Database value → the value the cell shows (None: unchanged)."""
    kind = spec.kind
    if spec is UPDATED_AT:
        return _stamp
    if kind == "region":
        return _named(lookups.regions)
    if kind == "industry":
        return _named(lookups.industries)
    if kind == "program":
        return _named(lookups.programs)
    if kind == "bool":
        return _BOOL_TEXT.get
    if kind == "float":
        return _finite
    if kind in ("int", "date"):
        return None
    return clean_text


def _renderer(spec: FieldSpec, styles: _Styles) -> Callable[[Any], Any] | None:
    """Shown value → what openpyxl is given (None: unchanged)."""
    if spec.kind == "uscc":
        return styles.code
    if spec.kind in _TEXT_KINDS:
        return styles.text
    return None


def _writer(spec: FieldSpec, lookups: _Lookups, styles: _Styles) -> Callable[[Any], Any] | None:
    """Database value → what openpyxl is given, in one step (exports without a digest)."""
    if spec.kind == "uscc":
        return styles.raw_code
    if spec.kind in _LOOKUP_KINDS or spec is UPDATED_AT or spec.kind not in _TEXT_KINDS:
        return _converter(spec, lookups)  # names, 是/否, numbers, dates and stamps need no escaping
    return styles.raw_text


def _column_width(spec: FieldSpec, values: Iterable[Any]) -> float:
    width = max(display_width(spec.header) + 2, _KIND_WIDTH.get(spec.kind, 8))
    if spec is UPDATED_AT:
        width = max(width, 27)
    elif spec.kind == "text" and spec.max_length:
        width = max(width, 28 if spec.max_length >= 100 else 14 if spec.max_length >= 40 else 10)
    for value in values:
        if not isinstance(value, str | int | float | dt.date | None):
            value = getattr(value, "value", None)  # a styled cell
        if isinstance(value, str):
            width = max(width, display_width(value.split("\n", 1)[0]) + 2)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            width = max(width, len(f"{value:,.2f}") + 2)
    return float(min(width, _MAX_WIDTH))


# --- the workbook ---------------------------------------------------------------------------------


class _Run:
    """One export: the workbook being streamed, its counters and callbacks."""

    def __init__(
        self,
        session: Session,
        scope: _Scope,
        *,
        package: bool,
        template: bool,
        unit_label: str,
        progress: ProgressCallback | None,
        cancel: CancelCallback | None,
    ) -> None:
        self.session = session
        self.scope = scope
        self.package = package
        self.template = template
        self.unit_label = unit_label
        self.progress = progress
        self.cancel = cancel
        self.workbook = Workbook(write_only=True)
        self.workbook.properties.creator = f"{APP_NAME} {__version__}"
        self.lookups = _Lookups.load(session, scope.unit_codes)
        self.lists = _Lists()
        self.digest = ContentDigest() if package else None
        self.rows: dict[str, int] = {}
        self.done = 0
        self.total = 0
        self._styles: _Styles | None = None

    def styles(self, ws: Any) -> _Styles:
        if self._styles is None:
            self._styles = _Styles(ws)
        self._styles.sheet = ws
        return self._styles

    def tick(self, message: str) -> None:
        if self.cancel is not None and self.cancel():
            raise ExportCancelled()
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, message)

    # --- sheet furniture ----------------------------------------------------------------------

    def start_sheet(
        self, ws: Any, title: str, headers: Sequence[tuple[str, bool]], widths: Sequence[float], frozen: int
    ) -> None:
        """Widths, frozen panes, print setup, the merged title row and the header row of a new sheet."""
        styles = self.styles(ws)
        last = get_column_letter(len(headers))
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = f"{get_column_letter(frozen + 1)}{FIRST_DATA_ROW}"
        ws.row_dimensions[TITLE_ROW].height = 30
        ws.row_dimensions[HEADER_ROW].height = 30
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
        if len(headers) > 1:
            ws.merged_cells.add(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
        ws.append([styles.cell(title, styles.title, text=True)])
        ws.append(
            [
                styles.cell(header, styles.header_required if required else styles.header, text=True)
                for header, required in headers
            ]
        )

    def title(self, sheet_title: str) -> str:
        extra = [self.unit_label]
        if self.scope.year is not None and not self.template:
            extra.append(f"{self.scope.year}年")
        if self.scope.program_code is not None and not self.template:
            extra.append(self.lookups.programs.get(self.scope.program_code, self.scope.program_code))
        return f"{sheet_title}（{'，'.join(extra)}）"

    # --- entity sheets ------------------------------------------------------------------------

    def write_entity_sheet(self, spec: SheetSpec) -> None:
        columns = [*spec.columns, UPDATED_AT] if self.package else list(spec.columns)
        ws = self.workbook.create_sheet(spec.name)
        styles = self.styles(ws)
        if self.package:  # the digest needs the shown values before they become cells
            converters = [_converter(column, self.lookups) for column in columns]
            renderers = [_renderer(column, styles) for column in columns]
        else:
            converters = [_writer(column, self.lookups, styles) for column in columns]
            renderers = []
        ids = self.scope.python_ids
        message = f"正在导出{spec.name}…"

        def converted_rows() -> Iterator[list[Any]]:
            if self.template:
                return
            result = self.session.connection().execute(_statement(spec, self.scope))
            id_index = len(spec.columns) + 1
            for raw in result:
                if ids is not None and raw[id_index] not in ids:
                    continue
                # Every converter maps None to None: skip the call for the many empty cells.
                yield [
                    value if value is None or convert is None else convert(value)
                    for convert, value in zip(converters, raw, strict=False)
                ]

        rows = converted_rows()
        sample = list(islice(rows, _SAMPLE_ROWS))
        widths = [_column_width(column, (row[i] for row in sample)) for i, column in enumerate(columns)]
        headers = [(column.header, column.required) for column in columns]
        self.start_sheet(ws, self.title(spec.title), headers, widths, _FROZEN_COLUMNS[spec.kind])
        digest = self.digest
        if digest is not None:
            digest.start_sheet(spec.name)
        count = 0
        for row in chain(sample, rows):
            if digest is not None:
                digest.add_row(row)
                row = [render(value) if render else value for render, value in zip(renderers, row, strict=True)]
            ws.append(row)
            count += 1
            self.done += 1
            if count % _TICK == 0:
                self.tick(message)
        self.rows[spec.kind] = count
        last_row = FIRST_DATA_ROW - 1 + count + TEMPLATE_ROWS
        for index, column in enumerate(columns, 1):
            validation = self.validation(
                column, f"{get_column_letter(index)}{FIRST_DATA_ROW}:{get_column_letter(index)}{last_row}"
            )
            if validation is not None:
                ws.data_validations.append(validation)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{HEADER_ROW + max(count, 1)}"
        self.tick(message)

    def validation(self, spec: FieldSpec, sqref: str) -> DataValidation | None:
        """A column's drop-down list, whole-number check or input prompt (None: the column needs none)."""
        lookups, kind = self.lookups, spec.kind
        formula: str | None = None
        check: str | None = None  # a validation type other than a list
        if kind == "region":
            formula = self.lists.reference("region", "单位", lookups.region_choices)
            example = f"，如“{lookups.region_choices[-1]}”" if lookups.region_choices else ""
            prompt = f"请从下拉列表中选择单位{example}。"
        elif kind == "program":
            formula = self.lists.reference("program", "培育层级", lookups.program_choices)
            prompt = "请从下拉列表中选择培育层级。"
        elif kind == "industry":
            formula = self.lists.reference("industry", "所属行业", lookups.industry_choices)
            prompt = "请从下拉列表中选择国民经济行业大类（GB/T 4754-2017），如“C34 通用设备制造业”。"
        elif kind == "choice":
            formula = self.lists.formula(f"choice:{spec.key}", spec.label, list(spec.choices))
            prompt = f"可选：{'、'.join(spec.choices)}。"
        elif kind == "bool":
            formula = '"是,否"'
            prompt = "请选择“是”或“否”。"
        elif kind == "int" and spec.min_value is not None and spec.max_value is not None:
            check = "whole"
            low, high = _plain(spec.min_value), _plain(spec.max_value)
            prompt = f"请填写 {low} 到 {high} 之间的整数。"
        elif kind == "date":
            prompt = "请填写日期，如 2018-06-15。"
        elif kind == "uscc":
            prompt = "请按文本填写18位代码。"
        elif spec.hint:
            prompt = ""
        else:
            return None
        if spec.hint:
            prompt += spec.hint + "。"
        if spec.required:
            prompt = "必填。" + prompt
        validation = DataValidation(
            type="list" if formula is not None else check,
            formula1=formula,
            allow_blank=True,
            showInputMessage=True,
            showErrorMessage=formula is not None or check is not None,
            promptTitle=spec.label[:32],
            prompt=prompt[:255],
            sqref=sqref,
        )
        if formula is not None:
            validation.error = f"“{spec.label}”请从下拉列表中选择，不要手工输入其他内容。"
        elif check is not None:
            validation.operator = "between"
            validation.formula1, validation.formula2 = low, high
            validation.error = f"“{spec.label}”应为 {low} 到 {high} 之间的整数。"
        if validation.showErrorMessage:
            validation.errorStyle = "stop"
            validation.errorTitle = "输入有误"
        if kind == "uscc":
            validation.imeMode = "off"  # a Chinese input method would type full-width characters
        return validation

    # --- target progress ------------------------------------------------------------------------

    def write_progress_sheet(self) -> None:
        scope = self.scope
        report = progress_by_unit(
            self.session,
            year=scope.year,
            program_code=scope.program_code,
            unit_codes=list(scope.unit_codes) if scope.unit_codes is not None else None,
        )
        headers = [
            ("单位", False),
            ("培育层级", False),
            ("目标期间", False),
            ("目标数(家)", False),
            ("完成数(家)", False),
            ("完成率", False),
        ]
        widths = [18.0, 30.0, 16.0, 12.0, 12.0, 10.0]
        ws = self.workbook.create_sheet(PROGRESS_SHEET)
        self.start_sheet(ws, self.title("“专精特新”培育目标完成情况"), headers, widths, 0)
        styles = self.styles(ws)
        count = 0
        for total in report.totals:
            key = (total.program_code, total.start_year, total.end_year)
            for row in report.rows:
                if (row.program_code, row.start_year, row.end_year) == key:
                    rate = styles.cell(row.rate, styles.percent) if row.rate is not None else None
                    ws.append(
                        [styles.text(row.unit), styles.text(row.program), row.period_label, row.target, row.done, rate]
                    )
                    count += 1
            bold = styles.bold
            ws.append(
                [
                    styles.cell("合计", bold, text=True),
                    styles.cell(total.program, bold, text=True),
                    styles.cell(total.period_label, bold, text=True),
                    styles.cell(total.target, bold),
                    styles.cell(total.done, bold),
                    styles.cell(total.rate, styles.percent_bold) if total.rate is not None else None,
                ]
            )
            count += 1
        ws.append([])
        ws.append([styles.cell(f"统计口径：{COUNTING_RULE}", styles.note, text=True)])
        self.rows[PROGRESS_KIND] = count
        self.done += count
        self.tick("正在导出目标完成情况…")

    # --- packages and lists -----------------------------------------------------------------------

    def write_metadata_sheet(self, ws: Any, meta: PackageMeta) -> None:
        styles = self.styles(ws)
        ws.column_dimensions["A"].width = 20
        ws.column_dimensions["B"].width = 110
        ws.row_dimensions[TITLE_ROW].height = 30
        ws.merged_cells.add(f"A{TITLE_ROW}:B{TITLE_ROW}")
        ws.append([styles.cell(META_TITLE, styles.title, text=True)])
        ws.append([styles.cell(header, styles.header, text=True) for header in META_HEADERS])
        for key, value in metadata_rows(meta):
            shown = styles.code(value) if key == KEY_UNIT_CODE and isinstance(value, str) else value
            if isinstance(shown, str):
                shown = styles.text(shown)
            ws.append([styles.cell(key, styles.bold, text=True), shown])

    def write_lists_sheet(self) -> None:
        if not self.lists.columns:
            return
        ws = self.workbook.create_sheet(LISTS_SHEET)
        ws.sheet_state = "hidden"
        styles = self.styles(ws)
        for index, (_, items) in enumerate(self.lists.columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = max(
                [12, *(display_width(item) + 2 for item in items)]
            )
        ws.append([styles.cell(title, styles.bold, text=True) for title, _ in self.lists.columns])
        for values in zip_longest(*(items for _, items in self.lists.columns)):
            ws.append([styles.text(value) for value in values])


def _unit_label(session: Session, unit_codes: Sequence[str] | None) -> str:
    if unit_codes is None:
        return installation(session).unit_name
    names = [region.name for code in unit_codes if (region := session.get(Region, code)) is not None]
    return "、".join(names) or "、".join(unit_codes)


def temporary_path(path: Path) -> Path:
    """Where a workbook is written before it replaces `path` (a cancelled export leaves nothing behind)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.part{path.suffix}")


def discard_workbook(workbook: Any) -> None:
    """Close and remove the temporary files of the sheets streamed so far."""
    for ws in workbook.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            rows = getattr(ws, "_rows", None)
            if rows is not None:
                rows.close()  # ends the sheet's XML stream before its file is closed
            writer.close()
        with contextlib.suppress(OSError, ValueError):
            writer.cleanup()


def write_workbook(
    path: str | PathLike[str],
    session: Session,
    sheets: Sequence[str],
    *,
    unit_codes: Sequence[str] | None = None,
    year: int | None = None,
    program_code: str | None = None,
    enterprise_ids: Iterable[int] | None = None,
    template: bool = False,
    metadata: PackageMeta | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> ExportResult:
    """Write an exchange workbook with the given sheet kinds (in SHEETS order, `progress` last).

    Filters: `unit_codes` (the enterprises' units, and the targets' units), `year` (monitoring rows,
    cultivation entries and help visits of that year; targets whose period contains it),
    `program_code` (cultivation entries of that program and the enterprises that have them, with
    `year` their entry year), `enterprise_ids` (those enterprises and their records: the GUI's
    filtered view). Enterprises in the recycle bin and their records are never exported.

    `template=True` writes the sheets without data (drop-downs on the first TEMPLATE_ROWS rows).
    With `metadata` it writes a package: the 说明 sheet first, the UPDATED_AT column last in every
    entity sheet, and the digest. Run inside one transaction so that all sheets show one moment.

    The file appears only when complete (written beside it, then renamed). `progress(done, total,
    message)` is called every few thousand rows; `cancel()` returning True stops the export with
    ExportCancelled and leaves no file.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise UserError(f"输出文件夹不存在：{target.parent}")
    unit_codes = narrowed(session, unit_codes)  # rows are read through plain Core: narrowed by hand
    kinds = set(sheets)
    unknown = kinds - set(EXPORT_KINDS)
    if unknown:
        raise ValueError(f"unknown sheet kinds: {sorted(unknown)}")
    if not kinds:
        raise ValueError("no sheet kinds to write")
    if metadata is not None and template:
        raise ValueError("a package is never a template")
    scope = _Scope(
        tuple(unit_codes) if unit_codes is not None else None,
        year,
        program_code,
        frozenset(enterprise_ids) if enterprise_ids is not None else None,
    )
    run = _Run(
        session,
        scope,
        package=metadata is not None,
        template=template,
        unit_label=_unit_label(session, unit_codes),
        progress=progress,
        cancel=cancel,
    )
    specs = [spec for spec in SHEETS if spec.kind in kinds]
    temporary = temporary_path(target)
    try:
        meta_ws = run.workbook.create_sheet(METADATA_SHEET) if metadata is not None else None
        if not template:
            run.total = sum(_count(session, _statement(spec, scope)) for spec in specs)
        run.tick("正在准备导出…")
        for spec in specs:
            run.write_entity_sheet(spec)
        if PROGRESS_KIND in kinds and not template:
            run.write_progress_sheet()
        written = metadata
        if meta_ws is not None and metadata is not None and run.digest is not None:
            counts = {spec.kind: run.rows.get(spec.kind, 0) for spec in specs}
            written = replace(metadata, row_counts=counts, digest=run.digest.hexdigest())
            run.write_metadata_sheet(meta_ws, written)
        run.write_lists_sheet()
        run.tick("正在保存文件…")
        run.workbook.save(temporary)
        os.replace(temporary, target)
    except BaseException as exc:
        discard_workbook(run.workbook)
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, PermissionError):
            raise UserError(f"无法写入 {target.name}：文件可能正在 Excel 或 WPS 中打开，请关闭后重试。") from exc
        if isinstance(exc, OSError):
            raise UserError(f"无法写入 {target}：{exc.strerror or exc}") from exc
        raise
    if progress is not None:
        progress(run.total, run.total, "导出完成")
    return ExportResult(target, dict(run.rows), written)


def write_template(
    path: str | PathLike[str], session: Session, *, unit_codes: Sequence[str] | None = None
) -> ExportResult:
    """The empty exchange template: all five sheets with headers, drop-downs and prompts, no data."""
    return write_workbook(path, session, [spec.kind for spec in SHEETS], unit_codes=unit_codes, template=True)


def export_units(session: Session, unit: str | None) -> list[str] | None:
    """The unit codes an export may cover: a county installation its own unit only (a different
    `unit` is refused); the city everything (None) or the one unit asked for."""
    own = installation(session)
    if unit is None:
        return None if own.is_city else [own.unit_code]
    region = find_region(session, unit)
    if region is None:
        raise UserError(f"未知的单位“{unit}”：请使用单位代码（如 331102）或名称（如 莲都区）")
    if not own.is_city and region.code != own.unit_code:
        raise UserError(f"本安装属于“{own.unit_name}”，只能导出本单位的数据，不能导出“{region.name}”。")
    return None if region.code == CITY_CODE else [region.code]
