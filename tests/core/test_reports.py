"""Reports read back from the PDF: the figures equal the core's, A4, font embedded, headers repeat."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.demo import generate_demo
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import Cultivation, Enterprise
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.reports.catalog import generate_report
from zjtx_desktop.reports.document import ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest
from zjtx_desktop.settings import configure_installation

A4 = (595.28, 841.89)


def text_of(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def page_size(path: Path, index: int = 0) -> tuple[float, float]:
    box = PdfReader(str(path)).pages[index].mediabox
    return float(box.width), float(box.height)


def embedded_font_files(path: Path) -> list[str]:
    found = []
    for page in PdfReader(str(path)).pages:
        fonts: Any = page["/Resources"]["/Font"]
        for font in fonts.values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    found.append(str(descendant.get_object()["/BaseFont"]))
    return found


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    with transaction(ctx.sessions) as session:
        generate_demo(session, 600, seed=5)
    return ctx


def test_roster_lists_every_entry_grouped_by_unit_with_header_on_every_page(demo: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "名单.pdf"
    with transaction(demo.sessions) as session:
        built = generate_report(session, ReportRequest("roster", program_code="ZJTX_POOL", year=2018), out)
        expected = session.scalar(
            select(func.count())
            .select_from(Cultivation)
            .join(Enterprise)
            .where(Cultivation.program_code == "ZJTX_POOL", Cultivation.year == 2018, Enterprise.deleted_at.is_(None))
        )
        codes = set(
            session.scalars(
                select(Enterprise.uscc)
                .join(Cultivation)
                .where(Cultivation.program_code == "ZJTX_POOL", Cultivation.year == 2018)
            )
        )
    pages = text_of(out)
    assert built.pages == len(pages) >= 2
    assert expected and f"共 {expected} 家" in pages[0]
    assert re.search(rf"合计\s*{expected} 家", pages[-1])
    whole = "\n".join(pages)
    assert all(code in whole for code in codes)
    # The table header repeats on page 2; every page has the header line and its page number.
    assert "统一社会信用代码" in pages[1] and "企业名称" in pages[1]
    assert all(f"第 {n} 页" in page and f"共 {len(pages)} 页" in page for n, page in enumerate(pages, 1))
    assert all(built.content_hash in page for page in pages)
    assert "小计" in whole and "制表人" in pages[-1]
    assert page_size(out) == pytest.approx(A4, abs=1)
    assert embedded_font_files(out)


def test_roster_hash_identifies_the_data(demo: AppContext, tmp_path: Path) -> None:
    request = ReportRequest("roster", program_code="ZJTX_POOL", year=2019)
    with transaction(demo.sessions) as session:
        first = generate_report(session, request, tmp_path / "a.pdf")
        again = generate_report(session, request, tmp_path / "b.pdf")
        enterprise = Enterprise(
            uscc=uscc.make("9", "1", "331102", "MA2X0001"), name="丽水新增测试有限公司", region_code="331102"
        )
        session.add(enterprise)
        session.flush()
        session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_POOL", year=2019))
        session.flush()
        changed = generate_report(session, request, tmp_path / "c.pdf")
    assert first.content_hash == again.content_hash != changed.content_hash


def test_progress_report_totals_equal_the_cli_figures(demo: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "完成情况.pdf"
    with transaction(demo.sessions) as session:
        generate_report(session, ReportRequest("progress"), out)
        report = progress_by_unit(session)
    pages = text_of(out)
    whole = "\n".join(pages)
    for total in report.totals:
        rate = f"{(total.rate or 0) * 100:.1f}%"
        assert re.search(rf"合计\s+{total.target}\s+{total.done}\s+{re.escape(rate)}", whole), (total, whole[:400])
    for row in report.rows:
        assert re.search(rf"{row.unit}\s+{row.target}\s+{row.done}\s", whole)
    width, height = page_size(out)
    assert (width, height) == pytest.approx((A4[1], A4[0]), abs=1)  # landscape
    assert "时间进度" in pages[0] and "排名" in pages[0]


def test_reports_respect_the_installation_scope(demo: AppContext, tmp_path: Path) -> None:
    with transaction(demo.sessions) as session:
        configure_installation(session, "331121", None, "2024-01-02T03:04:05")
    with transaction(demo.sessions) as session:
        generate_report(session, ReportRequest("progress"), tmp_path / "own.pdf")
        with pytest.raises(UserError, match="只能生成本单位"):
            generate_report(session, ReportRequest("progress", unit="莲都区"), tmp_path / "other.pdf")
        with pytest.raises(UserError, match="培育层级"):
            generate_report(session, ReportRequest("roster"), tmp_path / "no-program.pdf")
    whole = "\n".join(text_of(tmp_path / "own.pdf"))
    assert "青田县" in whole and "莲都区" not in whole


def test_characters_missing_from_the_font_are_marked_and_reported(tmp_path: Path) -> None:
    writer = ReportWriter(ReportInfo("测试", "丽水市经济和信息化局", dt.datetime(2024, 5, 1, 2, 0)))
    writer.title_block()
    writer.paragraph("浙江𠮷祥机械有限公司")  # 𠮷 (U+20BB7) lies outside the bundled font
    built = writer.write(tmp_path / "t.pdf", {"x": 1})
    assert "□祥" in text_of(tmp_path / "t.pdf")[0]
    assert built.warnings and "𠮷" in built.warnings[0]
