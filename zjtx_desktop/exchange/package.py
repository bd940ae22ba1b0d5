"""The 报送包 (submission package): layout constants, the 说明 metadata sheet, the content digest and its check.

A package is an exchange workbook (see `export.py`) holding, in this order:

- `说明` (METADATA_SHEET, the first sheet): title row, a 项目/内容 header row, then key/value rows —
  格式版本, 单位代码, 单位名称, 导出时间, 导出人, 程序版本, one `行数（<sheet name>）` row per entity sheet,
  内容校验 (SHA-256 hex, see `canonical_digest`) and notes;
- the five entity sheets of `sheets.SHEETS`, each with `UPDATED_AT` (最后修改时间) as the last column:
  the row's last-modified stamp as text, `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (as stored);
- the hidden drop-down list sheet `选项` (LISTS_SHEET).

Every entity sheet (in packages, exports and templates alike) has its title in row 1, the header in
row 2 and data from row 3 (`TITLE_ROW`, `HEADER_ROW`, `FIRST_DATA_ROW`).

The digest covers the data rows (below the header) of the entity sheets only, canonicalised so that
what openpyxl writes and what python-calamine reads back hash alike. Editing any data cell after the
export changes it; the title, header, 说明 and 选项 sheets are not covered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from python_calamine import CalamineWorkbook
from sqlalchemy.orm import Session

from zjtx_desktop import __version__
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange.sheets import FORMAT_VERSION, METADATA_SHEET, SHEET_BY_NAME, SHEETS
from zjtx_desktop.models import Region
from zjtx_desktop.settings import CITY_CODE

if TYPE_CHECKING:
    from zjtx_desktop.exchange.export import CancelCallback, ExportResult, ProgressCallback

TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3

META_TITLE = "“专精特新”企业培育数据报送包说明"
META_HEADERS = ("项目", "内容")
KEY_FORMAT_VERSION = "格式版本"
KEY_UNIT_CODE = "单位代码"
KEY_UNIT_NAME = "单位名称"
KEY_EXPORTED_AT = "导出时间"
KEY_EXPORTER = "导出人"
KEY_APP_VERSION = "程序版本"
KEY_DIGEST = "内容校验"
KEY_NOTE = "说明"
_ROW_COUNT = re.compile(r"^行数（(.+)）$")
META_NOTES = (
    "本文件为报送包，由程序导出，请勿修改。",
    "内容校验为各数据表（标题行和表头以下各行）内容的 SHA-256 摘要；导出后修改、增删任何数据，导入时都会提示“报送包已被修改”。",
    "“最后修改时间”为各行数据在导出单位的最后修改时间（协调世界时 UTC），用于导入时判断新旧、发现冲突。",
)

DIGEST_TAG = "zjtx-exchange-content/1\n"  # changes if the canonical form ever does


def row_count_key(sheet_name: str) -> str:
    return f"行数（{sheet_name}）"


# --- metadata -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageMeta:
    """What the 说明 sheet says about a package. Row counts are keyed by sheet kind (enterprises, …)."""

    format_version: int
    unit_code: str
    unit_name: str
    exported_at: str  # ISO 8601 local time with offset, e.g. 2024-05-01T09:30:00+08:00
    exporter: str
    app_version: str
    row_counts: dict[str, int] = field(default_factory=dict)
    digest: str = ""


@dataclass(frozen=True)
class PackageCheck:
    """The result of re-computing a package's digest: does the content still match its 说明?"""

    meta: PackageMeta | None  # None: the workbook has no (readable) 说明 sheet, so it is not a package
    actual_digest: str
    matches: bool
    actual_counts: dict[str, int] = field(default_factory=dict)  # non-empty data rows per sheet kind


def metadata_rows(meta: PackageMeta) -> list[tuple[str, str | int]]:
    """The key/value rows of the 说明 sheet, in order (below its title and header rows)."""
    rows: list[tuple[str, str | int]] = [
        (KEY_FORMAT_VERSION, meta.format_version),
        (KEY_UNIT_CODE, meta.unit_code),
        (KEY_UNIT_NAME, meta.unit_name),
        (KEY_EXPORTED_AT, meta.exported_at),
        (KEY_EXPORTER, meta.exporter),
        (KEY_APP_VERSION, meta.app_version),
    ]
    for spec in SHEETS:
        if spec.kind in meta.row_counts:
            rows.append((row_count_key(spec.name), meta.row_counts[spec.kind]))
    rows.append((KEY_DIGEST, meta.digest))
    rows.extend((KEY_NOTE, note) for note in META_NOTES)
    return rows


def _as_int(value: object) -> int | None:
    text = canonical_cell(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def parse_metadata(rows: Sequence[Sequence[object]]) -> PackageMeta | None:
    """A PackageMeta from the 说明 sheet's rows (as python-calamine gives them), or None when the
    sheet does not carry a 格式版本 row (a workbook's own 说明 page, not a package's).

    Values that cannot be read come back empty (format version 0, digest "") so the caller can refuse
    with its own message instead of crashing."""
    values: dict[str, object] = {}
    counts: dict[str, int] = {}
    for row in rows:
        if len(row) < 2 or not isinstance(row[0], str):
            continue
        key = row[0].strip()
        match = _ROW_COUNT.match(key)
        if match:
            spec = SHEET_BY_NAME.get(match.group(1))
            count = _as_int(row[1])
            if spec is not None and count is not None:
                counts[spec.kind] = count
        elif key not in values:
            values[key] = row[1]
    if KEY_FORMAT_VERSION not in values:
        return None

    def text(key: str) -> str:
        return canonical_cell(values.get(key)).strip()

    return PackageMeta(
        format_version=_as_int(values[KEY_FORMAT_VERSION]) or 0,
        unit_code=text(KEY_UNIT_CODE),
        unit_name=text(KEY_UNIT_NAME),
        exported_at=text(KEY_EXPORTED_AT),
        exporter=text(KEY_EXPORTER),
        app_version=text(KEY_APP_VERSION),
        row_counts=counts,
        digest=text(KEY_DIGEST).lower(),
    )


# --- the canonical content and its digest -------------------------------------------------------


def canonical_cell(value: object) -> str:
    """One cell as text, such that a value openpyxl writes and the value python-calamine reads back agree.

    None → ""; bool → 是/否; int and integral float → decimal integer ("12", not "12.0"); other floats →
    repr of the value rounded to the 16 significant digits openpyxl writes (a value read back from a file
    is unchanged by that rounding); date → ISO date; datetime → ISO date at midnight, else ISO date and
    time rounded to the second; str → unchanged.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""  # openpyxl writes NaN and infinities as empty cells
        value = float(f"{value:.16g}")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    return str(value)


def canonical_row(cells: Iterable[object]) -> list[str]:
    """A row's canonical cells without its trailing empty ones (an empty list for an empty row)."""
    texts = [canonical_cell(cell) for cell in cells]
    while texts and texts[-1] == "":
        texts.pop()
    return texts


class ContentDigest:
    """Incremental SHA-256 of the canonical content; the exporter feeds it while writing.

    The hashed text is DIGEST_TAG, then for every entity sheet present (in SHEETS order) one line with
    the sheet name as a JSON string, then one line per non-empty data row: the JSON array of its
    canonical cells (`canonical_row`), UTF-8, compact separators, no ASCII escaping.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256(DIGEST_TAG.encode())

    def start_sheet(self, name: str) -> None:
        self._hash.update(json.dumps(name, ensure_ascii=False).encode() + b"\n")

    def add_row(self, cells: Iterable[object]) -> bool:
        """Hash one data row; False (and nothing hashed) when the row is empty."""
        texts = canonical_row(cells)
        if not texts:
            return False
        self._hash.update(json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        return True

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def canonical_digest(sheet_rows: Mapping[str, Sequence[Sequence[object]]]) -> str:
    """SHA-256 (hex) of the entity sheets' data rows, keyed by sheet name (企业信息 …).

    Pass only the rows below the header (`data_rows`); sheets other than the five entity sheets are
    ignored, and an entity sheet missing from the mapping is left out (so dropping a sheet changes the
    digest). Row and cell rules: see `canonical_cell` and `ContentDigest`.
    """
    digest = ContentDigest()
    for spec in SHEETS:
        if spec.name in sheet_rows:
            digest.start_sheet(spec.name)
            for row in sheet_rows[spec.name]:
                digest.add_row(row)
    return digest.hexdigest()


def data_rows(rows: Sequence[Sequence[object]]) -> Sequence[Sequence[object]]:
    """The rows below the header, from a sheet read from A1 (python-calamine `to_python(skip_empty_area=False)`)."""
    return rows[FIRST_DATA_ROW - 1 :]


# --- reading a package back -----------------------------------------------------------------------


def _open(path: str | PathLike[str]) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise UserError(
            f"无法读取文件 {Path(path).name}：{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc


def _sheet(workbook: CalamineWorkbook, name: str) -> Sequence[Sequence[object]]:
    """A sheet's rows from A1 (empty leading rows and columns kept, so positions are Excel's)."""
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise UserError(f"无法读取工作表“{name}”：{exc}") from exc


def read_metadata(path: str | PathLike[str]) -> PackageMeta | None:
    """The package's 说明, or None when the workbook has none (an ordinary export or a hand-made list).

    Run the importer's size and zip-expansion checks first on a file from outside."""
    workbook = _open(path)
    if METADATA_SHEET not in workbook.sheet_names:
        return None
    return parse_metadata(_sheet(workbook, METADATA_SHEET))


def verify_package(path: str | PathLike[str]) -> PackageCheck:
    """Re-compute the digest of a package's content and compare it with the one in its 说明."""
    workbook = _open(path)
    names = set(workbook.sheet_names)
    meta = parse_metadata(_sheet(workbook, METADATA_SHEET)) if METADATA_SHEET in names else None
    digest = ContentDigest()
    counts: dict[str, int] = {}
    # The order and rules of canonical_digest, one sheet in memory at a time. (`to_python` from A1:
    # python-calamine's `iter_rows` does not say where its rows start when the first ones are empty.)
    for spec in SHEETS:
        if spec.name in names:
            digest.start_sheet(spec.name)
            counts[spec.kind] = sum(digest.add_row(row) for row in data_rows(_sheet(workbook, spec.name)))
    actual = digest.hexdigest()
    matches = meta is not None and bool(meta.digest) and meta.digest == actual
    return PackageCheck(meta, actual, matches, counts)


# --- writing ------------------------------------------------------------------------------------


def new_metadata(session: Session, actor: str, unit_code: str, *, now: dt.datetime | None = None) -> PackageMeta:
    """The 说明 of a package about to be written (counts and digest are filled in by the exporter)."""
    region = session.get(Region, unit_code)
    if region is None:
        raise UserError(f"未知的单位代码“{unit_code}”，无法导出报送包。")
    moment = (now or dt.datetime.now()).astimezone().replace(microsecond=0)
    return PackageMeta(
        format_version=FORMAT_VERSION,
        unit_code=region.code,
        unit_name=region.name,
        exported_at=moment.isoformat(),
        exporter=actor,
        app_version=__version__,
    )


def write_package(
    path: str | PathLike[str],
    session: Session,
    actor: str,
    *,
    unit_code: str,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> ExportResult:
    """Write the 报送包 of a unit: every entity sheet of its enterprises (all units for the city's
    code) with the rows' last-modified stamps, and the 说明 sheet with counts and digest.

    The caller decides which unit it may export (a county installation: its own only)."""
    # export.py builds on this module's layout and digest, so it is imported here, not at the top.
    from zjtx_desktop.exchange.export import write_workbook

    meta = new_metadata(session, actor, unit_code)
    return write_workbook(
        path,
        session,
        [spec.kind for spec in SHEETS],
        unit_codes=None if meta.unit_code == CITY_CODE else [meta.unit_code],
        metadata=meta,
        progress=progress,
        cancel=cancel,
    )
