"""Exports of the exchange workbook: layout, typed values, drop-downs, formula safety, filters,
templates, target progress and the 报送包 with its content digest."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import update

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.demo import generate_demo
from zjtx_desktop.enterprise_records import ANNUAL, CULTIVATION, VISIT, add_record
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange import export as export_module
from zjtx_desktop.exchange.export import (
    EXPORT_KINDS,
    PROGRESS_SHEET,
    TEMPLATE_ROWS,
    ExportCancelled,
    export_units,
    write_template,
    write_workbook,
)
from zjtx_desktop.exchange.package import (
    FIRST_DATA_ROW,
    canonical_cell,
    canonical_digest,
    data_rows,
    read_metadata,
    verify_package,
    write_package,
)
from zjtx_desktop.exchange.sheets import FORMAT_VERSION, LISTS_SHEET, METADATA_SHEET, SHEET_BY_KIND, SHEETS, UPDATED_AT
from zjtx_desktop.models import Enterprise
from zjtx_desktop.registry import create_enterprise, recycle_enterprise
from zjtx_desktop.settings import configure_installation

ACTOR = "测试员"
QINGTIAN = "331121"
LIANDU = "331102"
QT_CODE = "91331121MA2A0B1C4A"
LD_CODE = uscc.make("9", "1", LIANDU, "MA2B3C4D")
RISKY_TEXTS = ('=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "#N/A", "a_x0041_b")


def _firm(session: Any, name: str, code: str, unit: str, **values: Any) -> int:
    return create_enterprise(session, ACTOR, {"name": name, "uscc": code, "region_code": unit, **values}).id


@pytest.fixture
def firms(ctx: AppContext) -> dict[str, int]:
    """Two enterprises in two units, with a cultivation entry, annual figures and a visit each."""
    with transaction(ctx.sessions) as session:
        qt = _firm(
            session,
            "青田县瓯江阀门有限公司",
            QT_CODE,
            QINGTIAN,
            registered_on=dt.date(2008, 3, 15),
            registered_capital=1250.5,
            industry_code="C34",
            scale_type="规上",
            size_class="小型",
            employees=86,
            is_listed=False,
            own_trademark=True,
            phone="0578-6512345",
            note="主导产品：球阀",
        )
        ld = _firm(session, "莲都区南明精密机械有限公司", LD_CODE, LIANDU, industry_code="C35")
        for firm, year in ((qt, 2019), (ld, 2020)):
            add_record(session, ACTOR, CULTIVATION, firm, {"program_code": "ZJTX_POOL", "year": year})
            add_record(session, ACTOR, ANNUAL, firm, {"year": 2022, "revenue": 5600.25, "employees_avg": 80})
            add_record(session, ACTOR, ANNUAL, firm, {"year": 2023, "revenue": 6100.0, "employees_avg": 90})
            add_record(
                session,
                ACTOR,
                VISIT,
                firm,
                {"visited_on": dt.date(2023, 4, 2), "officer": "王干部", "kind": "走访", "problem": "用地紧张"},
            )
        add_record(session, ACTOR, CULTIVATION, qt, {"program_code": "XJR", "year": 2023})
    return {"qt": qt, "ld": ld}


def export(ctx: AppContext, path: Path, kinds: list[str] | None = None, **options: Any) -> Any:
    with transaction(ctx.sessions) as session:
        return write_workbook(path, session, kinds or list(EXPORT_KINDS), **options)


def header_index(ws: Any, header: str) -> int:
    headers = [cell.value for cell in ws[2]]
    return headers.index(header) + 1


def column_values(ws: Any, header: str) -> list[Any]:
    col = header_index(ws, header)
    return [ws.cell(row=r, column=col).value for r in range(FIRST_DATA_ROW, ws.max_row + 1)]


def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    return [
        list(row)
        for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    ]


def sheet_xml(path: Path, index: int) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


# --- layout and typed values ----------------------------------------------------------------------


def test_sheets_titles_headers_and_frozen_panes(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "all.xlsx"
    result = export(ctx, path)
    assert result.rows == {
        "enterprises": 2,
        "cultivation": 3,
        "monitoring": 4,
        "visits": 2,
        "targets": result.rows["targets"],
        "progress": result.rows["progress"],
    }
    assert result.rows["targets"] > 0 and result.rows["progress"] > 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [spec.name for spec in SHEETS] + [PROGRESS_SHEET, LISTS_SHEET]
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    for spec in SHEETS:
        ws = wb[spec.name]
        assert [cell.value for cell in ws[2]] == spec.headers
        assert ws["A1"].value.startswith(spec.title) and "丽水市" in ws["A1"].value
        merged = [str(r) for r in ws.merged_cells.ranges]
        assert merged == [f"A1:{openpyxl.utils.get_column_letter(len(spec.columns))}1"]
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("3")
        for index in range(1, len(spec.columns) + 1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(index)].width
            assert 8 <= width <= 50
    enterprises = wb["企业信息"]
    assert "注册资本(万元)" in SHEET_BY_KIND["enterprises"].headers
    assert enterprises.freeze_panes == "B3"
    name_width = enterprises.column_dimensions["A"].width
    assert name_width >= 24  # 青田县瓯江阀门有限公司 is 11 Chinese characters


def test_codes_are_text_dates_are_dates_numbers_are_numbers(
    ctx: AppContext, firms: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "all.xlsx"
    export(ctx, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["企业信息"]
    row = {cell.value: ws.cell(row=FIRST_DATA_ROW + 1, column=cell.column) for cell in ws[2]}  # sorted by USCC
    code = row["统一社会信用代码"]
    assert code.value == QT_CODE and code.data_type == "s" and code.number_format == "@"
    founded = row["成立日期"]
    assert founded.value == dt.datetime(2008, 3, 15) and founded.is_date and "yy" in founded.number_format
    assert row["注册资本(万元)"].value == 1250.5 and row["注册资本(万元)"].data_type == "n"
    assert row["从业人员(人)"].value == 86
    assert row["所属单位"].value == "青田县"
    assert row["所属行业"].value == "C34 通用设备制造业"
    assert (row["是否上市"].value, row["自主商标"].value, row["浙江制造认证"].value) == ("否", "是", None)
    assert row["联系电话"].value == "0578-6512345" and row["联系电话"].data_type == "s"
    assert column_values(ws, "统一社会信用代码") == sorted([QT_CODE, LD_CODE])

    cultivation = wb["培育记录"]
    assert column_values(cultivation, "培育层级") == [
        "省“专精特新”培育库企业",
        "省“专精特新”培育库企业",
        "专精特新“小巨人”企业",
    ]
    assert column_values(cultivation, "统一社会信用代码") == [LD_CODE, QT_CODE, QT_CODE]
    assert all(cell.number_format == "@" for cell in cultivation["A"][FIRST_DATA_ROW - 1 :])
    visits = wb["帮扶记录"]
    assert column_values(visits, "走访日期") == [dt.datetime(2023, 4, 2)] * 2
    monitoring = wb["年度监测"]
    assert column_values(monitoring, "年度") == [2022, 2023, 2022, 2023]
    assert column_values(monitoring, "营业收入(万元)") == [5600.25, 6100, 5600.25, 6100]


def test_drop_downs_have_prompts_errors_and_long_lists_on_the_hidden_sheet(
    ctx: AppContext, firms: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "all.xlsx"
    export(ctx, path)
    wb = openpyxl.load_workbook(path)
    lists = wb[LISTS_SHEET]
    ws = wb["企业信息"]
    by_column: dict[str, Any] = {}
    for validation in ws.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            by_column[openpyxl.utils.get_column_letter(cell_range.min_col)] = validation
        assert validation.showInputMessage and validation.prompt and validation.promptTitle
        if validation.type == "list":
            assert validation.showErrorMessage and validation.error and validation.errorTitle
            assert validation.errorStyle == "stop"
            assert len(validation.formula1) <= 255
    letter = openpyxl.utils.get_column_letter

    def source(header: str) -> list[str]:
        formula = by_column[letter(header_index(ws, header))].formula1
        if formula.startswith('"'):
            return formula.strip('"').split(",")
        match = re.fullmatch(r"'(.+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
        assert match and match.group(1) == LISTS_SHEET, formula
        return [c.value for (c,) in lists[f"{match.group(2)}{match.group(3)}:{match.group(4)}{match.group(5)}"]]

    assert "青田县" in source("所属单位") and "莲都区" in source("所属单位")
    industries = source("所属行业")
    assert "C34 通用设备制造业" in industries and len(industries) == 31
    assert len('"' + ",".join(industries) + '"') > 255  # so it has to live on the hidden sheet
    assert source("企业规模") == ["大型", "中型", "小型", "微型"]
    assert source("是否上市") == ["是", "否"]
    code_prompt = by_column[letter(header_index(ws, "统一社会信用代码"))]
    assert code_prompt.type is None and "18位" in code_prompt.prompt
    validation = by_column[letter(header_index(ws, "所属单位"))]
    assert str(validation.sqref) == f"C3:C{2 + 2 + TEMPLATE_ROWS}"
    programs = wb["培育记录"].data_validations.dataValidation
    assert any(v.type == "list" and LISTS_SHEET in v.formula1 for v in programs)


# --- formula text -------------------------------------------------------------------------------


def test_formula_like_text_is_stored_as_plain_text(ctx: AppContext, tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        for index, text in enumerate(RISKY_TEXTS):
            code = uscc.make("9", "1", QINGTIAN, f"MA2A0B{index}X")
            _firm(session, f"{text}公司" if not text.startswith("=") else text, code, QINGTIAN, note=text)
        tabbed = _firm(session, "制表符公司", uscc.make("9", "1", QINGTIAN, "MA2A0C9X"), QINGTIAN)
        # Stored by other means (an old import, a database tool): leading tab and line break.
        session.execute(update(Enterprise).where(Enterprise.id == tabbed).values(note="\t=1+1", address="\n=2"))
    path = tmp_path / "risky.xlsx"
    export(ctx, path, ["enterprises"])
    ws = openpyxl.load_workbook(path)["企业信息"]
    notes = column_values(ws, "备注")
    expected = {*RISKY_TEXTS, "\t=1+1"}
    # Excel's own _xHHHH_ escapes are escaped in turn (_x005F_ is "_"); openpyxl shows the file's text.
    assert set(notes) == (expected - {"a_x0041_b"}) | {"a_x005F_x0041_b"}
    note_column = header_index(ws, "备注")
    for row in range(FIRST_DATA_ROW, ws.max_row + 1):
        cell = ws.cell(row=row, column=note_column)
        assert cell.data_type == "s", cell.value
        if cell.value != "a_x005F_x0041_b":
            assert cell.quotePrefix, cell.value
    names = column_values(ws, "企业名称")
    assert '=HYPERLINK("http://x","y")' in names
    xml = sheet_xml(path, 1)
    assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml
    # What a reader (the importer uses python-calamine) gets back is the same text.
    read = [row[header_index(ws, "备注") - 1] for row in calamine_rows(path, "企业信息")[2:]]
    assert set(read) == expected
    addresses = [row[header_index(ws, "注册地址") - 1] for row in calamine_rows(path, "企业信息")[2:]]
    assert "\n=2" in addresses

    # Packages take the other path (shown values first, for the digest): the same protection.
    package = tmp_path / "risky-package.xlsx"
    with transaction(ctx.sessions) as session:
        write_package(package, session, ACTOR, unit_code=QINGTIAN)
    assert verify_package(package).matches
    assert "<f>" not in sheet_xml(package, 2) and "<f " not in sheet_xml(package, 2)
    ws = openpyxl.load_workbook(package)["企业信息"]
    note_column = header_index(ws, "备注")
    cells = [ws.cell(row=r, column=note_column) for r in range(FIRST_DATA_ROW, ws.max_row + 1)]
    assert all(c.data_type == "s" for c in cells) and sum(bool(c.quotePrefix) for c in cells) == 6
    read = [row[note_column - 1] for row in calamine_rows(package, "企业信息")[2:]]
    assert set(read) == expected


# --- filters --------------------------------------------------------------------------------------


def test_a_county_export_holds_only_its_unit(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "qt.xlsx"
    result = export(ctx, path, unit_codes=[QINGTIAN])
    wb = openpyxl.load_workbook(path)
    assert column_values(wb["企业信息"], "统一社会信用代码") == [QT_CODE]
    for kind in ("cultivation", "monitoring", "visits"):
        assert set(column_values(wb[SHEET_BY_KIND[kind].name], "统一社会信用代码")) == {QT_CODE}
    assert set(column_values(wb["目标任务"], "所属单位")) == {"青田县"}
    units = {value for value in column_values(wb[PROGRESS_SHEET], "单位") if value and not value.startswith("统计口径")}
    assert units == {"青田县", "合计"}
    assert "青田县" in wb["企业信息"]["A1"].value
    assert [c.value for (c,) in wb[LISTS_SHEET]["A2:A2"]] == ["青田县"]  # the unit drop-down offers its own unit
    assert result.rows["enterprises"] == 1


def test_county_installation_may_export_its_own_unit_only(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        assert export_units(session, None) is None
        assert export_units(session, "青田") == [QINGTIAN]
        configure_installation(session, QINGTIAN, None, "2024-01-01T00:00:00")
        assert export_units(session, None) == [QINGTIAN]
        assert export_units(session, "331121") == [QINGTIAN]
        with pytest.raises(UserError, match="只能导出本单位"):
            export_units(session, LIANDU)
        with pytest.raises(UserError, match="未知的单位"):
            export_units(session, "火星")


def test_recycled_enterprises_and_their_records_are_never_exported(
    ctx: AppContext, firms: dict[str, int], tmp_path: Path
) -> None:
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, ACTOR, firms["ld"])
    path = tmp_path / "live.xlsx"
    export(ctx, path)
    wb = openpyxl.load_workbook(path)
    for kind in ("enterprises", "cultivation", "monitoring", "visits"):
        assert set(column_values(wb[SHEET_BY_KIND[kind].name], "统一社会信用代码")) == {QT_CODE}
    with transaction(ctx.sessions) as session:
        result = write_package(tmp_path / "pkg.xlsx", session, ACTOR, unit_code=LIANDU)
    assert result.rows["targets"] > 0
    assert result.rows == {
        "enterprises": 0,
        "cultivation": 0,
        "monitoring": 0,
        "visits": 0,
        "targets": result.rows["targets"],
    }


def test_year_program_and_enterprise_filters(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    result = export(ctx, path, ["enterprises", "cultivation", "monitoring", "visits"], year=2023)
    assert result.rows == {"enterprises": 2, "cultivation": 1, "monitoring": 2, "visits": 2}
    assert set(column_values(openpyxl.load_workbook(path)["年度监测"], "年度")) == {2023}

    result = export(ctx, path, ["enterprises", "cultivation", "monitoring"], program_code="XJR")
    assert result.rows == {"enterprises": 1, "cultivation": 1, "monitoring": 2}
    result = export(ctx, path, ["enterprises", "cultivation"], program_code="ZJTX_POOL", year=2020)
    assert result.rows == {"enterprises": 1, "cultivation": 1}
    assert column_values(openpyxl.load_workbook(path)["企业信息"], "统一社会信用代码") == [LD_CODE]

    result = export(ctx, path, ["enterprises", "monitoring", "targets"], enterprise_ids=[firms["ld"]])
    assert result.rows["enterprises"] == 1 and result.rows["monitoring"] == 2 and result.rows["targets"] > 0
    assert column_values(openpyxl.load_workbook(path)["企业信息"], "统一社会信用代码") == [LD_CODE]


def test_a_long_id_list_is_filtered_while_writing(
    ctx: AppContext, firms: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "_SQL_ID_LIMIT", 0)
    path = tmp_path / "ids.xlsx"
    result = export(ctx, path, ["enterprises", "visits"], enterprise_ids=[firms["qt"], 999_999])
    assert result.rows == {"enterprises": 1, "visits": 1}
    assert column_values(openpyxl.load_workbook(path)["帮扶记录"], "统一社会信用代码") == [QT_CODE]


# --- templates and progress --------------------------------------------------------------------------


def test_template_has_all_sheets_no_rows_and_drop_downs(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    with transaction(ctx.sessions) as session:
        result = write_template(path, session)
    assert result.total_rows == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*(spec.name for spec in SHEETS), LISTS_SHEET]
    for spec in SHEETS:
        ws = wb[spec.name]
        assert ws.max_row == 2
        assert [cell.value for cell in ws[2]] == spec.headers
        assert UPDATED_AT.header not in spec.headers
        validations = ws.data_validations.dataValidation
        assert validations and all(v.showInputMessage and v.prompt for v in validations), spec.name
        assert all(re.fullmatch(rf"(?P<col>[A-Z]+)3:(?P=col){2 + TEMPLATE_ROWS}", str(v.sqref)) for v in validations)
        if spec.kind == "monitoring":  # all numbers: the year is checked, no lists
            assert any(v.type == "whole" and v.showErrorMessage and v.error for v in validations)
        else:
            assert any(v.type == "list" for v in validations), spec.name


def test_progress_sheet_has_rates_and_totals(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "progress.xlsx"
    result = export(ctx, path, ["progress"], program_code="ZJTX_POOL")
    ws = openpyxl.load_workbook(path)[PROGRESS_SHEET]
    assert [c.value for c in ws[2]] == ["单位", "培育层级", "目标期间", "目标数(家)", "完成数(家)", "完成率"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    totals = [row for row in rows if row[0] == "合计"]
    assert totals and result.rows["progress"] == len([r for r in rows if r[1]])
    qingtian = [row for row in rows if row[0] == "青田县" and row[2] == "2017—2020年"]
    assert qingtian and qingtian[0][4] == 1
    rate_cell = ws.cell(row=3 + rows.index(qingtian[0]), column=6)
    assert rate_cell.number_format == "0.0%" and rate_cell.value == pytest.approx(1 / qingtian[0][3], abs=1e-4)
    assert rows[-1][0].startswith("统计口径")


# --- packages -------------------------------------------------------------------------------------


def package_sheets(path: Path) -> dict[str, list[list[Any]]]:
    workbook = CalamineWorkbook.from_path(str(path))
    return {
        spec.name: list(data_rows(workbook.get_sheet_by_name(spec.name).to_python(skip_empty_area=False)))
        for spec in SHEETS
    }


def test_package_has_metadata_stamps_and_a_digest_calamine_agrees_with(ctx: AppContext, tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        generate_demo(session, 200, 1)
    path = tmp_path / "package.xlsx"
    with transaction(ctx.sessions) as session:
        result = write_package(path, session, ACTOR, unit_code="331100")
    meta = result.metadata
    assert meta is not None and len(meta.digest) == 64
    assert meta.row_counts == {
        kind: result.rows[kind] for kind in ("enterprises", "cultivation", "monitoring", "visits", "targets")
    }
    assert meta.row_counts["enterprises"] == 200

    assert canonical_digest(package_sheets(path)) == meta.digest
    read = read_metadata(path)
    assert read == meta
    assert (read.format_version, read.unit_code, read.unit_name, read.exporter) == (
        FORMAT_VERSION,
        "331100",
        "丽水市",
        ACTOR,
    )
    assert dt.datetime.fromisoformat(read.exported_at).tzinfo is not None
    check = verify_package(path)
    assert check.matches and check.actual_digest == meta.digest and check.actual_counts == meta.row_counts

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == METADATA_SHEET
    info = {row[0]: row[1] for row in wb[METADATA_SHEET].iter_rows(min_row=3, values_only=True)}
    assert info["单位代码"] == "331100" and wb[METADATA_SHEET]["B4"].number_format == "@"
    assert info["行数（企业信息）"] == 200 and info["内容校验"] == meta.digest
    for spec in SHEETS:
        ws = wb[spec.name]
        assert [c.value for c in ws[2]] == [*spec.headers, UPDATED_AT.header]
        stamps = column_values(ws, UPDATED_AT.header)
        assert len(stamps) == meta.row_counts[spec.kind]
        assert all(isinstance(s, str) and dt.datetime.fromisoformat(s) for s in stamps)


def test_a_county_package_of_demo_data_verifies(ctx: AppContext, tmp_path: Path) -> None:
    """The digest's cell rules hold for every value the demo data produces (floats, dates, text)."""
    with transaction(ctx.sessions) as session:
        generate_demo(session, 120, 7)
    path = tmp_path / "package.xlsx"
    with transaction(ctx.sessions) as session:
        result = write_package(path, session, ACTOR, unit_code=QINGTIAN)
    assert result.metadata is not None
    assert verify_package(path).matches
    monitoring = package_sheets(path)["年度监测"]
    assert any(isinstance(v, float) and not v.is_integer() for row in monitoring for v in row)


def test_editing_a_package_breaks_its_digest(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "package.xlsx"
    with transaction(ctx.sessions) as session:
        write_package(path, session, ACTOR, unit_code=QINGTIAN)
    assert verify_package(path).matches
    wb = openpyxl.load_workbook(path)
    wb["企业信息"]["A1"].value = None  # the title is not content: the sheet now starts at its header
    wb.save(path)
    assert verify_package(path).matches
    ws = wb["年度监测"]
    column = header_index(ws, "营业收入(万元)")
    ws.cell(row=FIRST_DATA_ROW, column=column).value = 9999
    wb.save(path)
    check = verify_package(path)
    assert check.meta is not None and not check.matches
    assert check.actual_digest != check.meta.digest


def test_exports_are_deterministic(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    digests = []
    for name in ("a.xlsx", "b.xlsx"):
        with transaction(ctx.sessions) as session:
            result = write_package(tmp_path / name, session, ACTOR, unit_code="331100")
        assert result.metadata is not None
        digests.append(result.metadata.digest)
    assert digests[0] == digests[1]
    assert package_sheets(tmp_path / "a.xlsx") == package_sheets(tmp_path / "b.xlsx")
    export(ctx, tmp_path / "c.xlsx", ["enterprises", "monitoring"])
    export(ctx, tmp_path / "d.xlsx", ["enterprises", "monitoring"])
    assert sheet_xml(tmp_path / "c.xlsx", 1) == sheet_xml(tmp_path / "d.xlsx", 1)
    assert sheet_xml(tmp_path / "c.xlsx", 2) == sheet_xml(tmp_path / "d.xlsx", 2)


def test_a_workbook_without_metadata_is_no_package(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    export(ctx, path, ["enterprises"])
    assert read_metadata(path) is None
    check = verify_package(path)
    assert check.meta is None and not check.matches
    bogus = tmp_path / "bogus.xlsx"
    bogus.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(UserError, match="无法读取"):
        read_metadata(bogus)


# --- progress, cancel, files -----------------------------------------------------------------------


def test_progress_is_reported_and_cancel_leaves_no_file(ctx: AppContext, tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        generate_demo(session, 300, 3)
    calls: list[tuple[int, int, str]] = []
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "out.xlsx"
    result = export(ctx, path, ["enterprises", "monitoring"], progress=lambda d, t, m: calls.append((d, t, m)))
    total = result.total_rows
    assert calls[-1] == (total, total, "导出完成")
    assert any(0 < done < total for done, _, _ in calls)
    assert all(t == total for _, t, _ in calls)

    path.write_bytes(b"previous export")
    seen = 0

    def cancel() -> bool:
        nonlocal seen
        seen += 1
        return seen > 2

    with pytest.raises(ExportCancelled, match="已取消导出"):
        export(ctx, path, ["enterprises", "monitoring"], cancel=cancel)
    assert path.read_bytes() == b"previous export"  # the old file is untouched
    assert sorted(p.name for p in folder.iterdir()) == ["out.xlsx"]  # no partial file left


def test_a_missing_folder_is_a_clear_error(ctx: AppContext, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="输出文件夹不存在"):
        export(ctx, tmp_path / "nope" / "x.xlsx", ["enterprises"])


def test_canonical_cells() -> None:
    assert canonical_cell(None) == "" and canonical_cell("") == ""
    assert canonical_cell(True) == "是" and canonical_cell(False) == "否"
    assert canonical_cell(12) == "12" and canonical_cell(12.0) == "12" and canonical_cell(-0.0) == "0"
    assert canonical_cell(0.1 + 0.2) == "0.3" == canonical_cell(0.3)  # openpyxl writes 16 significant digits
    assert canonical_cell(1234.5) == "1234.5"
    assert canonical_cell(dt.date(2018, 6, 15)) == "2018-06-15"
    assert canonical_cell(dt.datetime(2018, 6, 15)) == "2018-06-15"
    assert canonical_cell(dt.datetime(2018, 6, 15, 8, 30, 0, 999_999)) == "2018-06-15T08:30:01"
    assert canonical_cell(" 原样 ") == " 原样 "
    rows = {"企业信息": [["a", None, ""], [None, ""], ["b", 1.0]], "说明": [["ignored"]]}
    assert canonical_digest(rows) == canonical_digest({"企业信息": [["a"], ["b", 1]]})
    assert canonical_digest(rows) != canonical_digest({"企业信息": [["b", 1], ["a"]]})
    assert canonical_digest({"企业信息": []}) != canonical_digest({})
