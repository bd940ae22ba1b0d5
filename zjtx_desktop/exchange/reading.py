"""Opening untrusted spreadsheet files safely: size and zip-expansion limits, no XML entities, any format.

.xlsx / .xlsm / .xls / .ods are read with python-calamine (fast; it never executes formulas), .csv
in UTF-8 (with or without BOM) or GBK/GB18030. A file that cannot be read for sure is refused with
one Chinese sentence (`UnusableFile`, exit code 2 on the command line) and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zjtx_desktop.errors import UserError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # real workbooks compress 5–20×; a zip bomb compresses 1000× and more
MAX_ROWS = 300_000
MAX_COLUMNS = 500
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old .xls (BIFF) container
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt"}


class UnusableFile(UserError):
    """The file itself cannot be imported (not a workbook, too large, damaged, dangerous)."""


@dataclass
class RawSheet:
    """A sheet's cells as read ('' for empty), with merged ranges as (first_row, first_col, last_row, last_col)."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False


def _refuse(message: str) -> UnusableFile:
    return UnusableFile(message)


def check_zip(path: Path) -> None:
    """Refuse zip bombs and XML with entity declarations before any parser sees the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            packed = sum(member.compress_size for member in members) or 1
            if total > MAX_UNCOMPRESSED_BYTES:
                raise _refuse(
                    f"文件解压后过大（{total / 1024 / 1024:.0f} MB，上限 {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB）"
                )
            for member in members:
                if (
                    member.file_size > 10 * 1024 * 1024
                    and member.file_size / max(member.compress_size, 1) > MAX_COMPRESSION_RATIO
                ):
                    raise _refuse("文件的压缩比异常（疑似“压缩炸弹”），为安全起见不予读取")
            if total > 10 * 1024 * 1024 and total / packed > MAX_COMPRESSION_RATIO:
                raise _refuse("文件的压缩比异常（疑似“压缩炸弹”），为安全起见不予读取")
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise _refuse("文件中含有 XML 实体声明（Excel 不会生成这种内容），为安全起见不予读取")
    except zipfile.BadZipFile as exc:
        raise _refuse("文件已损坏或不完整（无法解压），请重新保存或重新发送") from exc


def read_workbook(path: Path) -> list[RawSheet]:
    """Every sheet of a spreadsheet or CSV file; raises UnusableFile with the reason otherwise."""
    if not path.is_file():
        raise _refuse(f"找不到文件：{path}")
    size = path.stat().st_size
    if size == 0:
        raise _refuse("文件是空的（0 字节）")
    if size > MAX_FILE_BYTES:
        raise _refuse(f"文件过大（{size / 1024 / 1024:.0f} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB）")
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC):
        check_zip(path)
        return _read_calamine(path)
    if head.startswith(OLE_MAGIC):
        return _read_calamine(path)
    if suffix in TEXT_SUFFIXES:
        return [_read_csv(path)]
    if suffix in SPREADSHEET_SUFFIXES:
        raise _refuse(f"文件扩展名是 {suffix}，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件，或文件已损坏）")
    raise _refuse(f"不支持的文件类型“{suffix or '无扩展名'}”：请使用 .xlsx、.xls、.ods 或 .csv 文件")


def _read_calamine(path: Path) -> list[RawSheet]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise _refuse(f"无法读取工作簿（文件可能已损坏或加密）：{_first_line(exc)}") from exc
    try:
        hidden = {
            meta.name
            for meta in workbook.sheets_metadata
            if str(meta.visible).lower().endswith(("hidden", "veryhidden"))
        }
        sheets: list[RawSheet] = []
        for name in workbook.sheet_names:
            try:
                sheet = workbook.get_sheet_by_name(name)
                if sheet.height > MAX_ROWS or sheet.width > MAX_COLUMNS:
                    raise _refuse(f"工作表“{name}”过大（{sheet.height} 行 × {sheet.width} 列），请拆分后导入")
                rows = sheet.to_python(skip_empty_area=False)
                merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            except UnusableFile:
                raise
            except Exception as exc:
                raise _refuse(f"工作表“{name}”无法读取（文件可能已损坏）：{_first_line(exc)}") from exc
            sheets.append(RawSheet(name, rows, merged, name in hidden))
        return sheets
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("无法识别 CSV 文件的编码（应为 UTF-8 或 GBK）")


def _read_csv(path: Path) -> RawSheet:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise _refuse("文件内容不是文本（CSV 文件中不应有二进制数据）")
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    if len(rows) > MAX_ROWS:
        raise _refuse(f"CSV 文件过大（{len(rows)} 行），请拆分后导入")
    return RawSheet(path.stem, [list(row) for row in rows])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
