"""企业档案, 监测分析, 政策任务督查表 and 导入回执: what the printed PDFs say, on A4 with the font embedded."""

from __future__ import annotations

import datetime as dt
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.clock import format_local
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, HelpVisit, ImportBatch, PolicyTask, Program
from zjtx_desktop.reports.catalog import REPORTS, generate_report
from zjtx_desktop.reports.receipt import build_import_receipt
from zjtx_desktop.reports.request import ReportRequest
from zjtx_desktop.settings import configure_installation

TODAY = dt.date(2024, 3, 15)
_serial = count(1)


# --- building data ----------------------------------------------------------------------------


def _enterprise(session: Session, region: str, name: str, *, deleted: bool = False) -> Enterprise:
    n = next(_serial)
    area = region if region.isdigit() else "331100"
    enterprise = Enterprise(
        uscc=uscc.make("9", "1", area, f"MA2C{n:04d}"),
        name=name,
        region_code=region,
        industry_code="C34",
        scale_type="规上",
        legal_representative="周建国",
        deleted_at=dt.datetime(2024, 1, 5) if deleted else None,
    )
    session.add(enterprise)
    session.flush()
    return enterprise


def _enter(session: Session, enterprise: Enterprise, program: str, year: int, **values: Any) -> None:
    values.setdefault("status", "培育中")
    session.add(Cultivation(enterprise_id=enterprise.id, program_code=program, year=year, **values))


def _report(session: Session, enterprise: Enterprise, year: int, **figures: float) -> None:
    session.add(AnnualReport(enterprise_id=enterprise.id, year=year, **figures))


def _figures(
    revenue: float, tax: float, rd: float, land: float, energy: float, va: float, main: float
) -> dict[str, float]:
    return {
        "revenue": revenue,
        "tax_paid": tax,
        "rd_expense": rd,
        "land_area": land,
        "energy_use": energy,
        "value_added": va,
        "main_revenue": main,
    }


# --- reading PDFs -----------------------------------------------------------------------------


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def _text(path: Path) -> str:
    return "\n".join(_pages(path))


def _assert_a4_with_embedded_font(path: Path, *, landscape: bool | None = None) -> None:
    reader = PdfReader(path)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert sorted((round(width), round(height))) in ([595, 842], [596, 842]), (width, height)
        if landscape is not None:
            assert (width > height) is landscape
        embedded = []
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/FontDescriptor" in font:
                embedded.append("/FontFile2" in font["/FontDescriptor"].get_object())
        assert embedded and all(embedded), "the CJK font is embedded as TrueType on every page"


def _row_after(lines: list[str], label: str, cells: int, start: int = 0) -> list[str]:
    """The `cells` values printed after a row's first cell (pypdf gives each cell its own line)."""
    index = lines.index(label, start)
    return lines[index + 1 : index + 1 + cells]


# --- 企业档案 -----------------------------------------------------------------------------------


def _profiled(session: Session, visits: int = 2) -> Enterprise:
    enterprise = _enterprise(session, "331121", "浙江青田测试阀门股份有限公司")
    _enter(session, enterprise, "ZJTX_POOL", 2018, batch="第一批", document_no="丽经信〔2018〕88号")
    _enter(
        session,
        enterprise,
        "YXGJ_CITY_POOL",
        2020,
        batch="第二批",
        document_no="丽经信〔2020〕142号",
        status="已退出",
        exited_on=dt.date(2022, 12, 31),
        exit_reason="迁出本市",
    )
    _report(session, enterprise, 2021, **_figures(3200.5, 160, 96, 20, 500, 800, 3000))
    _report(session, enterprise, 2022, **_figures(3600, 180, 120, 20, 520, 900, 3400))
    for n in range(visits):
        session.add(
            HelpVisit(
                enterprise_id=enterprise.id,
                visited_on=dt.date(2023, 1, 1) + dt.timedelta(days=n),
                officer="李勇建",
                kind="走访",
                problem=f"第{n + 1}次走访：企业反映技改项目用地指标紧张，希望协调解决",
                action="已与自然资源部门对接，列入下一批供地计划",
                status="已办结",
                closed_on=dt.date(2023, 6, 30),
            )
        )
    session.flush()
    return enterprise


def test_profile_prints_the_record_the_entries_and_the_figures(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "profile.pdf"
    with transaction(ctx.sessions) as session:
        enterprise = _profiled(session)
        code = enterprise.uscc
        programs = {code: name for code, name in session.execute(select(Program.code, Program.name))}
        built = generate_report(session, ReportRequest("profile", enterprise=code.lower(), today=TODAY), out)
    text = _text(out)
    flat = text.replace("\n", "")  # wrapped cells come out a line at a time
    assert built.title == "企业档案" and built.warnings == []
    assert "浙江青田测试阀门股份有限公司" in text and code in text
    for entry in (programs["ZJTX_POOL"], "丽经信〔2018〕88号", programs["YXGJ_CITY_POOL"], "丽经信〔2020〕142号"):
        assert entry in flat
    assert "2022-12-31 迁出本市" in flat  # the exit: date and reason
    assert "青田县" in text and "C34 通用设备制造业" in text  # codes printed as names
    assert "3,200.5" in text and "3,600.0" in text
    assert "8.00" in text and "9.00" in text  # 亩均税收 160 ÷ 20 and 180 ÷ 20
    assert "12.48" in text  # revenue growth: 3600 ÷ 3200.5 − 1
    assert "第1次走访" in flat and "李勇建" in text
    assert "制表人" in text and "2024年03月15日" in text
    _assert_a4_with_embedded_font(out, landscape=False)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (None, "--enterprise"),
        ("", "--enterprise"),
        (uscc.make("9", "1", "331121", "MA2CYYYY"), "没有统一社会信用代码为"),
        ("91331121MA2C0000", "无效"),
    ],
)
def test_profile_needs_a_known_enterprise(ctx: AppContext, tmp_path: Path, code: str | None, message: str) -> None:
    with transaction(ctx.sessions) as session, pytest.raises(UserError, match=message):
        generate_report(session, ReportRequest("profile", enterprise=code), tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_a_county_prints_only_its_own_enterprises(ctx: AppContext, tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        own = _enterprise(session, "331121", "青田本县测试有限公司")
        other = _enterprise(session, "331102", "莲都外县测试有限公司")
        configure_installation(session, "331121", None, "2024-01-01T00:00:00")
        own_code, other_code = own.uscc, other.uscc
    with transaction(ctx.sessions) as session:
        built = generate_report(session, ReportRequest("profile", enterprise=own_code), tmp_path / "own.pdf")
        with pytest.raises(UserError, match="只能打印本单位"):
            generate_report(session, ReportRequest("profile", enterprise=other_code), tmp_path / "other.pdf")
    assert built.pages >= 1 and "青田县经济和信息化局" in _text(tmp_path / "own.pdf")
    assert not (tmp_path / "other.pdf").exists()


def test_a_long_table_repeats_its_header_on_the_next_page(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "long.pdf"
    with transaction(ctx.sessions) as session:
        code = _profiled(session, visits=40).uscc
        generate_report(session, ReportRequest("profile", enterprise=code, today=TODAY), out)
    pages = [page for page in _pages(out) if "李勇建" in page]
    assert len(pages) >= 2, "the visits run over more than one page"
    for page in pages:
        assert "走访日期" in page and "反映问题" in page and "办理情况" in page
    assert "第40次走访" in pages[-1].replace("\n", "")
    _assert_a4_with_embedded_font(out, landscape=False)


# --- 监测分析 -----------------------------------------------------------------------------------


def _monitoring_data(session: Session) -> None:
    """莲都: one firm reporting both years, one new in 2023; 青田: one firm both years; and three that do not count."""
    lian_a = _enterprise(session, "331102", "莲都甲测试有限公司")
    lian_b = _enterprise(session, "331102", "莲都乙测试有限公司")
    qing = _enterprise(session, "331121", "青田丙测试有限公司")
    exited = _enterprise(session, "331102", "莲都已退出测试有限公司")
    deleted = _enterprise(session, "331121", "青田回收站测试有限公司", deleted=True)
    never = _enterprise(session, "331102", "莲都未入库测试有限公司")
    for enterprise in (lian_a, lian_b, qing, deleted):
        _enter(session, enterprise, "ZJTX_POOL", 2019)
    _enter(session, exited, "ZJTX_POOL", 2019, status="已退出")
    _report(session, lian_a, 2022, **_figures(1000, 50, 30, 10, 100, 250, 900))
    _report(session, lian_a, 2023, **_figures(1200, 60, 36, 10, 110, 300, 1100))
    _report(session, lian_b, 2023, **_figures(500, 20, 10, 5, 40, 120, 480))
    _report(session, qing, 2022, **_figures(2000, 80, 50, 20, 300, 400, 1900))
    _report(session, qing, 2023, **_figures(1800, 90, 54, 20, 280, 420, 1750))
    for enterprise in (exited, deleted, never):
        _report(session, enterprise, 2022, **_figures(9000, 900, 90, 9, 900, 900, 9000))
        _report(session, enterprise, 2023, **_figures(99999, 9999, 999, 99, 9999, 9999, 99999))
    session.flush()


def _expected(session: Session, region: str | None, year: int) -> dict[str, Any]:
    """Independent sums: ORM rows filtered by the stated rule, added up in Python."""

    def counted(enterprise: Enterprise) -> bool:
        return (
            enterprise.deleted_at is None
            and any(entry.status != "已退出" for entry in enterprise.cultivations)
            and (region is None or enterprise.region_code == region)
        )

    reports = {
        (r.enterprise_id, r.year): r
        for r in session.scalars(select(AnnualReport).where(AnnualReport.year.in_((year - 1, year))))
        if counted(r.enterprise)
    }
    now = [r for (_, y), r in reports.items() if y == year]
    pairs = [(r, reports[(r.enterprise_id, year - 1)]) for r in now if (r.enterprise_id, year - 1) in reports]

    def total(key: str) -> float:
        return sum(getattr(r, key) for r in now)

    def growth(key: str) -> float:
        return (sum(getattr(a, key) for a, _ in pairs) / sum(getattr(b, key) for _, b in pairs) - 1) * 100

    return {
        "cultivated": sum(1 for enterprise in session.scalars(select(Enterprise)) if counted(enterprise)),
        "reporting": len(now),
        "comparable": len(pairs),
        "revenue": total("revenue"),
        "revenue_growth": growth("revenue"),
        "tax": total("tax_paid"),
        "tax_growth": growth("tax_paid"),
        "land": total("land_area"),
        "tax_per_mu": total("tax_paid") / total("land_area"),
        "rd_intensity": total("rd_expense") / total("main_revenue") * 100,
    }


def test_monitoring_sums_per_unit_match_independent_sums(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "monitoring.pdf"
    with transaction(ctx.sessions) as session:
        _monitoring_data(session)
        expected = {
            "莲都区": _expected(session, "331102", 2023),
            "青田县": _expected(session, "331121", 2023),
            "全市合计": _expected(session, None, 2023),
        }
        built = generate_report(session, ReportRequest("monitoring", today=TODAY), out)  # year: the latest, 2023
    # The hand-made numbers themselves, as a check on the independent sums.
    assert expected["莲都区"]["revenue"] == 1700 and round(expected["莲都区"]["revenue_growth"], 1) == 20.0
    assert expected["青田县"]["revenue"] == 1800 and round(expected["青田县"]["revenue_growth"], 1) == -10.0
    assert expected["全市合计"]["tax"] == 170 and round(expected["全市合计"]["tax_growth"], 1) == 15.4

    text = _text(out)
    assert "2023年度" in text and built.title == "“专精特新”培育企业监测分析"
    lines = [line.strip() for line in text.splitlines()]
    second = lines.index("三、研发投入、资源消耗与亩均效益")
    for unit, figures in expected.items():
        cultivated, reporting, comparable, revenue, revenue_yoy, _va, _va_yoy, tax, tax_yoy = _row_after(lines, unit, 9)
        assert [int(cultivated), int(reporting), int(comparable)] == [
            figures["cultivated"],
            figures["reporting"],
            figures["comparable"],
        ]
        assert revenue == f"{figures['revenue']:,.0f}" and revenue_yoy == f"{figures['revenue_growth']:+.1f}"
        assert tax == f"{figures['tax']:,.0f}" and tax_yoy == f"{figures['tax_growth']:+.1f}"
        efficiency = _row_after(lines, unit, 12, second)
        assert efficiency[2] == f"{figures['land']:,.0f}"
        assert efficiency[6] == f"{figures['tax_per_mu']:,.2f}"
        assert efficiency[10] == f"{figures['rd_intensity']:,.2f}"
    assert expected["莲都区"]["cultivated"] == 2  # not the exited one, not the one never entered
    assert _row_after(lines, "全市合计", 9)[4] == "+0.0"  # (1200 + 1800) ÷ (1000 + 2000)
    assert "99,999" not in text and "可比口径" in text
    _assert_a4_with_embedded_font(out, landscape=True)


def test_monitoring_narrows_to_a_unit_and_year(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "lianqu.pdf"
    with transaction(ctx.sessions) as session:
        _monitoring_data(session)
        generate_report(session, ReportRequest("monitoring", year=2022, unit="莲都区", today=TODAY), out)
    lines = [line.strip() for line in _text(out).splitlines()]
    assert "莲都区 2022年度" in lines  # (the ideographic space comes back as a space)
    assert "青田县" not in lines and "全市合计" not in lines and "合计" not in lines
    # 2022: only 莲都甲 reported; nothing to compare with in 2021.
    assert _row_after(lines, "莲都区", 9) == ["2", "1", "0", "1,000", "—", "250", "—", "50", "—"]


def test_monitoring_without_annual_reports_says_so(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "empty.pdf"
    with transaction(ctx.sessions) as session:
        generate_report(session, ReportRequest("monitoring", today=TODAY), out)
    assert "还没有培育企业的年度监测数据" in _text(out)


# --- 政策任务督查表 ------------------------------------------------------------------------------


def test_supervision_lists_fifteen_tasks_and_marks_the_overdue(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "supervision.pdf"
    with transaction(ctx.sessions) as session:
        tasks = {task.number: task for task in session.scalars(select(PolicyTask))}
        tasks[3].status, tasks[3].deadline = "推进中", dt.date(2023, 12, 31)  # past: overdue
        tasks[4].status, tasks[4].deadline = "已完成", dt.date(2023, 12, 31)  # finished: not overdue
        tasks[5].status, tasks[5].deadline = "推进中", TODAY  # due today: still in time
        titles = [tasks[n].title for n in sorted(tasks)]
        built = generate_report(session, ReportRequest("supervision", today=TODAY), out)
    text = _text(out)
    lines = [line.strip() for line in text.splitlines()]
    numerals = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五"]
    assert [line for line in lines if line in numerals] == numerals  # fifteen rows, in order
    assert len(titles) == 15 and all(title in text.replace("\n", "") for title in titles)
    assert lines.count("推进中（逾期）") == 1 and "2023-12-31" in text
    assert "其中逾期 1 项" in text
    assert built.title == "政策任务督查表"
    _assert_a4_with_embedded_font(out, landscape=True)


# --- 导入回执 -----------------------------------------------------------------------------------


def test_import_receipt_names_the_file_its_hash_and_the_counts(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "receipt.pdf"
    digest = "3f9a" * 16
    with transaction(ctx.sessions) as session:
        batch = ImportBatch(
            at=dt.datetime(2024, 3, 1, 2, 30, 5),
            actor="测试员",
            file_name="2023年度监测数据（青田）.xlsx",
            file_hash=digest,
            kind="年度监测",
            created=3,
            updated=2,
            unchanged=17,
            rejected=1,
            details={
                "created": {"monitoring": [1, 2, 3]},
                "updated": {"monitoring": [{"id": 4}, {"id": 5}]},
                "skipped": 4,
                "warnings": ["工作表“说明”不是可导入的表格，已忽略"],
            },
        )
        session.add(batch)
        session.flush()
        built = build_import_receipt(session, batch.id, out, today=TODAY)
        stamp = format_local(batch.at, seconds=True)
    text = _text(out)
    lines = [line.strip() for line in text.splitlines()]
    assert "2023年度监测数据（青田）.xlsx" in text and digest in text
    assert stamp in text and "测试员" in text and "有效（未撤销）" in text
    values = lines.index("3")
    assert lines[values : values + 10] == ["3", "2", "17", "1", "4", "新增", "更新", "未变", "拒绝", "跳过"]
    assert "工作表“说明”不是可导入的表格，已忽略" in text
    assert built.title == "数据导入回执" and built.pages == 1
    _assert_a4_with_embedded_font(out, landscape=False)


def test_an_undone_import_says_so_and_an_unknown_batch_is_refused(ctx: AppContext, tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        batch = ImportBatch(actor="甲", file_name="a.xlsx", file_hash="0" * 64, kind="企业信息")
        batch.undone_at, batch.undone_by = dt.datetime(2024, 3, 2), "乙"
        session.add(batch)
        session.flush()
        build_import_receipt(session, batch.id, tmp_path / "undone.pdf")
        with pytest.raises(UserError, match="没有编号为 9999 的导入记录"):
            build_import_receipt(session, 9999, tmp_path / "none.pdf")
    assert "由 乙 撤销" in _text(tmp_path / "undone.pdf")


def test_catalogue_offers_the_new_kinds() -> None:
    assert {"profile", "monitoring", "supervision"} <= set(REPORTS)
    assert REPORTS["profile"].uses == ("enterprise",)
    assert "receipt" not in REPORTS
