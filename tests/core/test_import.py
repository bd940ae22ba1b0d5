"""Importing spreadsheets as people send them: tolerant where certain, strict where not, all or nothing."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.corpus import COUNTY_ROWS, county_list, gbk_csv, monitoring_sheet, zip_bomb
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange.importer import ImportPlan, commit_plan, plan_import, undo_batch
from zjtx_desktop.exchange.reading import UnusableFile
from zjtx_desktop.models import AnnualReport, AuditEntry, Enterprise, ImportBatch
from zjtx_desktop.registry import enterprise_history, get_enterprise, update_enterprise

TODAY = dt.date(2024, 5, 20)


def plan(ctx: AppContext, path: Path, **options: object) -> ImportPlan:
    with transaction(ctx.sessions) as session:
        return plan_import(session, path, today=TODAY, **options)  # type: ignore[arg-type]


def run_import(ctx: AppContext, path: Path, **options: object) -> tuple[ImportPlan, int | None]:
    with transaction(ctx.sessions) as session:
        result_plan = plan_import(session, path, today=TODAY)
        result = commit_plan(session, "张科员", result_plan, **options)  # type: ignore[arg-type]
    return result_plan, result.batch_id


def enterprise_count(ctx: AppContext) -> int:
    with transaction(ctx.sessions) as session:
        return session.scalar(select(func.count()).select_from(Enterprise)) or 0


def test_a_messy_county_list_is_read_correctly(ctx: AppContext, tmp_path: Path) -> None:
    result = plan(ctx, county_list(tmp_path / "名单.xlsx"))
    actions = [(row.row, row.action, row.note) for row in result.rows()]
    assert actions == [
        (5, "new", ""), (6, "new", ""), (7, "new", ""), (8, "new", ""), (9, "new", ""), (10, "new", ""),
        (11, "skipped", "合计行"), (12, "skipped", "表尾说明"), (13, "skipped", "表尾说明"),
    ]  # fmt: skip
    values = {row.values["uscc"]: row.values for row in result.rows("new")}
    longquan = values["91331181MA2A0B1C47"]  # lower-case code, trailing space in the name, 龙泉 alias
    assert longquan["name"] == "浙江龙泉三鑫汽车空调部件有限公司"
    assert (longquan["region_code"], longquan["registered_on"], longquan["registered_capital"]) == (
        "331181", dt.date(2010, 6, 15), 1200.5,
    )  # fmt: skip
    qingtian = values["91331121MA2A0B1C4A"]  # full-width code and digits
    assert qingtian["registered_on"] == dt.date(2015, 9, 1) and qingtian["registered_capital"] == 300.0
    dates = [row.values["registered_on"] for row in result.rows("new")]
    assert dates == [
        dt.date(2012, 3, 8), dt.date(2010, 6, 15), dt.date(2015, 9, 1), dt.date(2016, 5, 1), dt.date(2013, 1, 1), dt.date(2013, 3, 1),
    ]  # fmt: skip


def test_import_commits_once_and_reimport_changes_nothing(ctx: AppContext, tmp_path: Path) -> None:
    path = county_list(tmp_path / "名单.xlsx")
    _, batch_id = run_import(ctx, path)
    assert enterprise_count(ctx) == len(COUNTY_ROWS)
    again = plan(ctx, path)
    assert again.count("unchanged") == len(COUNTY_ROWS) and again.count("new", "update") == 0
    with transaction(ctx.sessions) as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None and (batch.created, batch.actor, batch.file_name) == (6, "张科员", "名单.xlsx")
        audited = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "import"))
        longquan = session.scalars(select(Enterprise).where(Enterprise.uscc == "91331181MA2A0B1C47")).one()
        history = enterprise_history(session, longquan.id)
    assert audited == len(COUNTY_ROWS)
    # The enterprise's history says which import created it, from which file.
    assert [(item.action, item.new) for item in history] == [("导入", f"导入批次：{batch_id}；文件：名单.xlsx")]
    assert longquan.name_initials.startswith("zjlqsx") and "91331181ma2a0b1c47" in longquan.search_text


def test_updates_list_the_changed_fields_and_empty_cells_erase_nothing(ctx: AppContext, tmp_path: Path) -> None:
    run_import(ctx, county_list(tmp_path / "名单.xlsx"))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "注册资本(万元)", "联系电话"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", 650, None])
    workbook.save(tmp_path / "更正.xlsx")
    [row] = list(plan(ctx, tmp_path / "更正.xlsx").rows())
    assert row.action == "update"
    assert row.changes == {"registered_capital": (500.0, 650.0)}
    run_import(ctx, tmp_path / "更正.xlsx")
    with transaction(ctx.sessions) as session:
        stored = session.scalars(select(Enterprise).where(Enterprise.uscc == "91331102MA2A0B1C4R")).one()
        assert (stored.registered_capital, stored.phone, stored.version) == (650.0, "0578-2123456", 2)


def test_bad_values_are_rejected_with_row_column_value_and_reason(ctx: AppContext, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位", "成立日期", "注册资本(万元)", "从业人员(人)"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4X", "莲都区", "2012-03-08", 500, 40])
    sheet.append(["丽水市正确机械有限公司", "91331181MA2A0B1C47", "杭州市", "2012-02-30", "五百", 12.5])
    sheet.append(["丽水市另一家有限公司", 913311021234567890, "莲都区", 60, -3, 10])
    workbook.save(tmp_path / "错误.xlsx")
    result = plan(ctx, tmp_path / "错误.xlsx")
    errors = {(e.row, e.column): (e.value, e.message) for e in result.errors}
    assert errors[(2, "B")] == ("91331102MA2A0B1C4X", "统一社会信用代码：校验位（第18位）应为 R，现为 X")
    assert errors[(3, "C")][1] == "所属单位：未知的单位“杭州市”"
    assert errors[(3, "D")][1].startswith("成立日期：“2012-02-30”不是有效的日期")
    assert errors[(3, "E")][1] == "注册资本：“五百”不是数字"
    assert errors[(3, "F")][1] == "从业人员：“12.5”应为整数"
    assert "存成了数字" in errors[(4, "B")][1]
    assert "1900年2月29日" in errors[(4, "D")][1]
    assert errors[(4, "E")][1] == "注册资本不能为负数"
    with transaction(ctx.sessions) as session:
        outcome = commit_plan(session, "张科员", result)
    assert not outcome.committed and enterprise_count(ctx) == 0


def test_skip_invalid_commits_the_valid_rows(ctx: AppContext, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", "莲都"])
    sheet.append(["坏代码公司", "91331102MA2A0B1C4X", "莲都"])
    workbook.save(tmp_path / "部分.xlsx")
    _, batch_id = run_import(ctx, tmp_path / "部分.xlsx", skip_invalid=True)
    assert batch_id is not None and enterprise_count(ctx) == 1


def test_same_code_twice_with_different_content(ctx: AppContext, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", "莲都"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", "莲都区"])  # the same after normalising
    sheet.append(["丽水市宏达机械有限公司", "91331102ma2a0b1c4r", "莲都"])
    workbook.save(tmp_path / "重复.xlsx")
    rows = list(plan(ctx, tmp_path / "重复.xlsx").rows())
    assert [(r.action, r.note) for r in rows[:2]] == [("new", ""), ("skipped", "与第 2 行重复")]
    assert rows[2].action == "error" and "第 2 行" in rows[2].errors[0].message


def test_percent_columns_refuse_what_is_ambiguous(ctx: AppContext, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位", "细分市场占有率(%)"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", "莲都", "12.5%"])
    sheet.append(["浙江龙泉三鑫汽车空调部件有限公司", "91331181MA2A0B1C47", "龙泉", 0.35])
    workbook.save(tmp_path / "占有率.xlsx")
    rows = list(plan(ctx, tmp_path / "占有率.xlsx").rows())
    assert rows[0].values["market_share"] == 12.5
    assert rows[1].action == "error" and "0.35% 还是 35%" in rows[1].errors[0].message


def test_header_in_yuan_is_converted_exactly(ctx: AppContext, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位", "注册资本（元）"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", "莲都", "5,000,000"])
    workbook.save(tmp_path / "元.xlsx")
    [row] = list(plan(ctx, tmp_path / "元.xlsx").rows())
    assert row.values["registered_capital"] == 500.0


def test_monitoring_with_a_group_heading_needs_known_enterprises(ctx: AppContext, tmp_path: Path) -> None:
    run_import(ctx, county_list(tmp_path / "名单.xlsx"))
    path = monitoring_sheet(
        tmp_path / "监测.xlsx",
        [
            ("91331102MA2A0B1C4R", "丽水市宏达精密机械有限公司", 2023, "2,345.6", 98.5),
            ("91331181MA2A0B1C47", "浙江龙泉三鑫汽车空调部件有限公司", "2023", 18000, "1,024"),
            ("91331124MA2A0B1C4Q", "未登记企业", 2023, 100, 1),
        ],
    )
    rows = list(plan(ctx, path).rows())
    assert [r.action for r in rows] == ["new", "new", "error"]
    assert rows[0].values["revenue"] == 2345.6 and rows[1].values["tax_paid"] == 1024.0
    assert "找不到统一社会信用代码" in rows[2].errors[0].message or "校验位" in rows[2].errors[0].message
    run_import(ctx, path, skip_invalid=True)
    with transaction(ctx.sessions) as session:
        assert session.scalar(select(func.count()).select_from(AnnualReport)) == 2


def test_gbk_csv(ctx: AppContext, tmp_path: Path) -> None:
    rows = list(plan(ctx, gbk_csv(tmp_path / "名单.csv")).rows())
    assert [r.action for r in rows] == ["new", "new", "new"]
    assert rows[1].values["registered_capital"] == 1200.5


def test_county_installation_only_takes_its_own_unit(ctx: AppContext, tmp_path: Path) -> None:
    result = plan(ctx, county_list(tmp_path / "名单.xlsx"), scope_unit="331102")
    assert [r.action for r in result.rows("new", "error")] == ["new", "error", "error", "error", "error", "error"]
    assert "不属于本单位" in next(iter(result.rows("error"))).errors[0].message


def test_undo_restores_and_is_refused_after_later_edits(ctx: AppContext, tmp_path: Path) -> None:
    _, first = run_import(ctx, county_list(tmp_path / "名单.xlsx"))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "注册资本(万元)"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", 650])
    workbook.save(tmp_path / "更正.xlsx")
    _, second = run_import(ctx, tmp_path / "更正.xlsx")
    assert second is not None and first is not None
    with transaction(ctx.sessions) as session:
        undo_batch(session, "张科员", second)
        stored = session.scalars(select(Enterprise).where(Enterprise.uscc == "91331102MA2A0B1C4R")).one()
        assert stored.registered_capital == 500.0
    with transaction(ctx.sessions) as session:
        record = get_enterprise(session, stored.id)
        update_enterprise(session, "李科长", stored.id, record.version, {"phone": "13857812345"})
    with pytest.raises(UserError, match="不能撤销"), transaction(ctx.sessions) as session:
        undo_batch(session, "张科员", first)
    assert enterprise_count(ctx) == len(COUNTY_ROWS)
    with pytest.raises(UserError, match="已于"), transaction(ctx.sessions) as session:
        undo_batch(session, "张科员", second)


def _entity_bomb(path: Path, template: Path) -> Path:
    """A real workbook whose sheet XML declares nested entities ("billion laughs")."""
    declaration = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = declaration + (data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data)
            target.writestr(item, data)
    return path


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: _written(d / "空.xlsx", b""), "空的"),
        (lambda d: _written(d / "名单.xlsx", "这其实是文本".encode()), "不是 Excel 工作簿"),
        (lambda d: _truncated(d), "损坏"),
        (lambda d: zip_bomb(d / "炸弹.xlsx"), "过大"),
        (lambda d: _entity_bomb(d / "实体.xlsx", county_list(d / "t.xlsx")), "实体声明"),
        (lambda d: _unknown_layout(d), "没有可识别的表格"),
    ],
    ids=["empty", "text-named-xlsx", "truncated", "zip-bomb", "entity-bomb", "unknown-layout"],
)
def test_hostile_files_are_refused_and_change_nothing(
    ctx: AppContext, tmp_path: Path, make: object, fragment: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(UnusableFile, match=fragment):
        plan(ctx, path)
    assert enterprise_count(ctx) == 0


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(folder: Path) -> Path:
    whole = county_list(folder / "完整.xlsx").read_bytes()
    path = folder / "截断.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _unknown_layout(folder: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "年龄", "籍贯"])
    sheet.append(["张三", 30, "丽水"])
    path = folder / "花名册.xlsx"
    workbook.save(path)
    return path


def test_old_excel_format(ctx: AppContext) -> None:
    rows = list(plan(ctx, Path(__file__).parent.parent / "data" / "county_list.xls").rows())
    assert [r.action for r in rows] == ["new"] * 6 + ["skipped", "skipped"]
    first = rows[0].values
    assert (first["uscc"], first["region_code"], first["registered_on"]) == (
        "91331102MA2A0B1C4R",
        "331102",
        dt.date(2012, 3, 8),
    )
    assert rows[2].values["uscc"] == "91331121MA2A0B1C4A"  # full-width code in the old format too
