"""The 错误清单: the rejected rows as they were sent, with a 错误说明 column and the bad cells marked,
so the clerk corrects them in Excel and imports that same file again."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

from zjtx_desktop.exchange.importer import ImportPlan
from zjtx_desktop.exchange.values import clean

ERROR_HEADER = "错误说明"
BAD_CELL = PatternFill("solid", fgColor="FFC7CE")
NOTE_FONT = Font(color="9C0006")


def _blank_to_none(value: object) -> object:
    return None if value == "" else value


def _disarm(row: tuple[Cell, ...]) -> None:
    """Keep what was sent, but never as a live formula: text starting with = stays text."""
    for cell in row:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
            cell.quotePrefix = True


def write_error_workbook(plan: ImportPlan, path: Path) -> int:
    """Write the rejected rows of every sheet; returns how many rows were written."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        default.title = "无错误"  # out of the way of a sheet named "Sheet"; removed when rows were written
    written = 0
    for sheet_plan in plan.sheets:
        rejected = [row for row in sheet_plan.rows if row.action == "error"]
        if not rejected:
            continue
        sheet = workbook.create_sheet(sheet_plan.name[:31])
        layout = sheet_plan.layout
        width = max(len(r) for r in [layout.sheet.rows[i] for i in layout.header_rows] + [row.raw for row in rejected])
        for index in layout.header_rows:
            header = list(layout.sheet.rows[index]) + [""] * (width - len(layout.sheet.rows[index]))
            sheet.append([_blank_to_none(clean(v) if isinstance(v, str) else v) for v in header] + [ERROR_HEADER])
            _disarm(sheet[sheet.max_row])
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        note_column = width + 1
        for row in rejected:
            cells = [_blank_to_none(v) for v in row.raw] + [None] * (width - len(row.raw))
            sheet.append([*cells, "；".join(e.message for e in row.errors)])
            current = sheet.max_row
            _disarm(sheet[current])
            note = sheet.cell(current, note_column)
            note.font = NOTE_FONT
            note.alignment = Alignment(wrap_text=True)
            for error in row.errors:
                if error.column:
                    cell = sheet.cell(current, column_index_from_string(error.column))
                    cell.fill = BAD_CELL
                    cell.comment = Comment(error.message, "导入检查")
            written += 1
        sheet.column_dimensions[get_column_letter(note_column)].width = 60
        sheet.freeze_panes = sheet.cell(len(layout.header_rows) + 1, 1)
    if default is not None and written:
        workbook.remove(default)
    workbook.save(path)
    return written
