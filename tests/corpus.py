"""Spreadsheets as people really send them, built for the import tests (and the import benchmark)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

from zjtx_desktop import uscc

# (name as written, code as written, unit as written, founded as written, capital as written, phone)
COUNTY_ROWS = [
    ("丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", "莲都区", dt.date(2012, 3, 8), 500, "0578-2123456"),
    ("浙江龙泉三鑫汽车空调部件有限公司 ", "91331181ma2a0b1c47", "龙泉", "2010/6/15", "1,200.5", "13857812345"),
    (
        "ＱＴ青田县瓯江阀门有限公司",
        "９１３３１１２１ＭＡ２Ａ０Ｂ１Ｃ４Ａ",
        "青田县",
        "2015年9月1日",
        "３００",
        "0578-6543210",
    ),
    ("云和县童乐木制玩具厂", uscc.make("9", "2", "331125", "MA2C0001"), "云和", "2016.5", 50, "(0578)5123456"),
    ("缙云县锯力机床有限公司", uscc.make("9", "1", "331122", "MA2C0002"), "缙云县", 41275, 800, "0578-3123456"),
    ("庆元县竹韵文具有限公司", uscc.make("9", "1", "331126", "MA2C0003"), "庆元县", "20130301", 260, "13967812345"),
]


def county_list(path: Path) -> Path:
    """A county's list: merged title, a two-line header with a group heading, synonyms, a 合计 row
    and footnotes; dates in six forms, numbers as text, full-width characters, stray spaces."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(["2023年“专精特新”培育企业名单（第一批）"])
    sheet.merge_cells("A1:G1")
    sheet.append(["填报单位：某县经信局", None, None, None, None, "填报日期：2023年12月"])
    sheet.append(["序号", "单位名称", "统一社会\n信用代码", "所属地区", "基本情况", None, "联系电话"])
    sheet.append([None, None, None, None, "成立时间", "注册资本（万元）", None])
    for cell in ("A3:A4", "B3:B4", "C3:C4", "D3:D4", "G3:G4", "E3:F3"):
        sheet.merge_cells(cell)
    for number, (name, code, unit, founded, capital, phone) in enumerate(COUNTY_ROWS, start=1):
        sheet.append([number, name, code, unit, founded, capital, phone])
    sheet.append(["合计", None, None, None, None, "=SUM(F5:F10)", None])
    sheet.append(["注：注册资本单位为万元。"])
    sheet.append(["填表人：张伟      审核人：李娜"])
    workbook.save(path)
    return path


def monitoring_sheet(path: Path, rows: list[tuple[str, str, object, object, object]]) -> Path:
    """An annual monitoring sheet with a group heading over its figures: (code, name, year, revenue, tax)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "年度监测"
    sheet.append(["统一社会信用代码", "企业名称", "年度", "2023年主要指标", None])
    sheet.append([None, None, None, "营业收入(万元)", "实缴税金（万元）"])
    sheet.merge_cells("D1:E1")
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def gbk_csv(path: Path) -> Path:
    """The county list as a GBK CSV, the way Excel on a Chinese Windows saves it."""
    lines = ["企业名称,统一社会信用代码,所属单位,成立日期,注册资本(万元)"]
    for name, code, unit, founded, capital, _phone in COUNTY_ROWS[:3]:
        founded_text = founded.isoformat() if isinstance(founded, dt.date) else str(founded)
        lines.append(f'{name.strip()},{code},{unit},{founded_text},"{capital}"')
    path.write_bytes("\r\n".join(lines).encode("gb18030"))
    return path


def zip_bomb(path: Path, megabytes: int = 600) -> Path:
    """An .xlsx-looking zip whose one part expands to `megabytes` of zeros (it packs to under 1 MB).

    Written in a stream, so that the test process never holds it (a child process inherits the
    resident size of its parent, which would spoil memory measurements)."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                part.write(block)
    return path
