"""Recognising what a sheet holds and where its header is, as people really lay sheets out.

Title rows above the header, merged and two-line headers, reordered columns, header synonyms,
full-width characters, stray spaces and line breaks in header cells. Each column is matched to a
field of one of the exchange sheets (`sheets.py`); a header whose unit differs from the field's is
converted when the conversion is exact (元 → 万元) and refused otherwise.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from zjtx_desktop.exchange.reading import RawSheet
from zjtx_desktop.exchange.sheets import LISTS_SHEET, METADATA_SHEET, SHEET_BY_NAME, SHEETS, UPDATED_AT, SheetSpec
from zjtx_desktop.fields import FieldSpec

HEADER_SEARCH_ROWS = 20
IGNORED_HEADERS = {"序号", "编号", "no", "no.", "序"}
# Exact conversions into the unit a field is kept in: factor to multiply the written value by.
UNIT_CONVERSIONS = {("元", "万元"): 0.0001, ("亿元", "万元"): 10_000.0, ("平方米", "亩"): 0.0015}
_UNIT_SPLIT = re.compile(r"^(?P<label>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")


def _fold(text: str) -> str:
    """Header text compared without width, spaces, line breaks, quotes or a trailing colon."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\"'“”‘’:：*]", "", folded)


@functools.lru_cache(maxsize=4096)
def split_header(text: str) -> tuple[str, str | None]:
    """营业收入（万元） → (营业收入, 万元); 企业名称 → (企业名称, None)."""
    folded = _fold(text)
    match = _UNIT_SPLIT.match(folded)
    if match and match["label"]:
        return match["label"], match["unit"] or None
    return folded, None


@dataclass(frozen=True)
class ColumnMatch:
    index: int
    spec: FieldSpec
    header: str  # as written in the file
    factor: float = 1.0  # unit conversion to apply to numbers


@dataclass
class SheetLayout:
    """Where a sheet's header is and which column feeds which field."""

    sheet: RawSheet
    spec: SheetSpec
    header_rows: tuple[int, ...]  # 0-based indexes
    columns: list[ColumnMatch]
    unknown: list[str] = field(default_factory=list)  # headers that match nothing (ignored, reported)
    unit_problems: list[str] = field(default_factory=list)

    @property
    def first_data_row(self) -> int:
        return self.header_rows[-1] + 1

    @property
    def keys(self) -> set[str]:
        return {column.spec.key for column in self.columns}


@functools.cache
def _columns_by_label(spec: SheetSpec) -> dict[str, list[FieldSpec]]:
    """Folded header text → the sheet's fields it can name, in the sheet's column order."""
    columns = [*spec.columns, UPDATED_AT] if UPDATED_AT not in spec.columns else list(spec.columns)
    by_label: dict[str, list[FieldSpec]] = {}
    for column in columns:
        for label in dict.fromkeys([_fold(column.label), *(_fold(s) for s in column.synonyms)]):
            by_label.setdefault(label, []).append(column)
    return by_label


def _fill_merged(sheet: RawSheet) -> list[list[Any]]:
    """Copy each merged range's value into all its cells, so a two-line header reads column by column."""
    rows = [list(row) for row in sheet.rows[: HEADER_SEARCH_ROWS + 2]]
    for r0, c0, r1, c1 in sheet.merged:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, c1 + 1):
                while len(rows[r]) <= c:
                    rows[r].append("")
                rows[r][c] = value
    return rows


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def _candidate_headers(rows: list[list[Any]], top: int, span: int) -> list[str]:
    width = max((len(rows[r]) for r in range(top, top + span)), default=0)
    headers = []
    for c in range(width):
        parts = [_text(rows[r][c]) if c < len(rows[r]) else "" for r in range(top, top + span)]
        if span == 2 and parts[0] and parts[1] and parts[0] != parts[1]:
            # A group heading over sub-columns ("2023年主要指标" / "营业收入"): the lower line names the
            # column, unless together they spell it ("营业收入" / "(万元)").
            headers.append(parts[1] if _fold(parts[1])[:1] not in "([" else parts[0] + parts[1])
        else:
            headers.append(parts[-1] or parts[0])
    return headers


def _match_columns(spec: SheetSpec, headers: list[str]) -> tuple[list[ColumnMatch], list[str], list[str]]:
    matches: list[ColumnMatch] = []
    unknown: list[str] = []
    unit_problems: list[str] = []
    taken: set[str] = set()
    by_label = _columns_by_label(spec)
    for index, header in enumerate(headers):
        if not header:
            continue
        label, unit = split_header(header)
        if label in IGNORED_HEADERS:
            continue
        found = next((c for c in by_label.get(label, ()) if c.key not in taken), None)
        if found is None:
            unknown.append(header)
            continue
        factor = 1.0
        if unit and found.unit and unit != _fold(found.unit):
            conversion = UNIT_CONVERSIONS.get((unit, found.unit))
            if conversion is None:
                unit_problems.append(f"列“{header}”的单位是“{unit}”，应为“{found.unit}”")
                continue
            factor = conversion
        taken.add(found.key)
        matches.append(ColumnMatch(index, found, header, factor))
    return matches, unknown, unit_problems


def _score(spec: SheetSpec, matches: list[ColumnMatch]) -> int:
    """How many fields the columns feed; 0 unless every column that identifies a row is there.

    An enterprise list may leave out 所属单位: a county installation knows its own unit.
    """
    keys = {m.spec.key for m in matches}
    required = {"uscc", "name"} if spec.kind == "enterprises" else set(spec.match_keys)
    return len(keys) if required <= keys else 0


def detect_layout(sheet: RawSheet) -> SheetLayout | None:
    """The best reading of the sheet's header, or None when it looks like no exchange sheet."""
    if sheet.name in (METADATA_SHEET, LISTS_SHEET):
        return None
    rows = _fill_merged(sheet)
    named = SHEET_BY_NAME.get(sheet.name)
    best: SheetLayout | None = None
    best_rank: tuple[int, int, int] = (0, 0, 0)
    for top in range(min(HEADER_SEARCH_ROWS, len(rows))):
        for span in (1, 2):
            if top + span > len(rows):
                continue
            headers = _candidate_headers(rows, top, span)
            for spec in SHEETS:
                matches, unknown, unit_problems = _match_columns(spec, headers)
                score = _score(spec, matches)
                # More fields wins; then a single-line header; then the spec the sheet is named after.
                rank = (score, -span, 1 if spec is named else 0)
                if score >= 2 and (best is None or rank > best_rank):
                    best = SheetLayout(sheet, spec, tuple(range(top, top + span)), matches, unknown, unit_problems)
                    best_rank = rank
    return best


def expected_headers() -> str:
    """What an importable sheet looks like, for the message when nothing matches."""
    lines = [f"“{spec.name}”：{'、'.join(c.header for c in spec.columns[:6])}…" for spec in SHEETS]
    return "；".join(lines)
