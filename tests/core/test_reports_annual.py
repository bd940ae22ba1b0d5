"""年度发展报告 read back from the PDF: the printed figures equal independent SQL counts and the core's own
numbers, the charts and the landscape annex are there, the pages are A4 and the font is embedded."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.demo import generate_demo
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.reports.catalog import REPORTS, generate_report
from zjtx_desktop.reports.request import ReportRequest

A4_PORTRAIT = (595.3, 841.9)
TODAY = dt.date(2025, 9, 30)
# Enterprises in a pool on 31 December of :year, outside the recycle bin (written out here, not taken
# from the code under test).
CULTIVATED_AT_YEAR_END = """
    SELECT COUNT(DISTINCT c.enterprise_id) FROM cultivation c JOIN enterprise e ON e.id = c.enterprise_id
    WHERE e.deleted_at IS NULL AND c.year <= :year
      AND (c.status != '已退出' OR (c.exited_on IS NOT NULL AND c.exited_on > :end))
"""
ENTERED_IN_YEAR = """
    SELECT COUNT(DISTINCT c.enterprise_id) FROM cultivation c JOIN enterprise e ON e.id = c.enterprise_id
    WHERE e.deleted_at IS NULL AND c.year = :year
"""


@dataclass
class Built:
    path: Path
    reader: PdfReader

    def text(self, page: int) -> str:
        return self.reader.pages[page].extract_text()

    @property
    def all_text(self) -> str:
        return "\n".join(page.extract_text() for page in self.reader.pages)


@pytest.fixture(scope="module")
def demo(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """A city database with 1,200 demo enterprises (annual monitoring 2019–2023), shared by the module."""
    path = tmp_path_factory.mktemp("annual") / "demo.sqlite3"
    shutil.copyfile(template_db, path)
    ctx = open_database(resolve_location(str(path)), actor="测试员")
    with transaction(ctx.sessions) as session:
        generate_demo(session, 1200, 4)
    yield ctx
    ctx.close()


def build(ctx: AppContext, folder: Path, **request: Any) -> Built:
    out = folder / f"annual-{len(list(folder.iterdir()))}.pdf"
    with transaction(ctx.sessions) as session:
        generate_report(session, ReportRequest("annual", today=TODAY, **request), out)
    return Built(out, PdfReader(out))


@pytest.fixture(scope="module")
def report_2020(demo: AppContext, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(demo, tmp_path_factory.mktemp("pdf2020"), year=2020)


@pytest.fixture(scope="module")
def report_2019(demo: AppContext, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(demo, tmp_path_factory.mktemp("pdf2019"), year=2019)


def scalar(ctx: AppContext, sql: str, **params: Any) -> int:
    with transaction(ctx.sessions) as session:
        return int(session.execute(text(sql), params).scalar_one())


def flat(value: str) -> str:
    """Extracted text with the line breaks of wrapped paragraphs taken out."""
    return re.sub(r"\s*\n\s*", "", value)


def test_key_figures_equal_independent_counts(demo: AppContext, report_2020: Built) -> None:
    entered = scalar(demo, ENTERED_IN_YEAR, year=2020)
    cultivated = scalar(demo, CULTIVATED_AT_YEAR_END, year=2020, end="2020-12-31")
    assert entered > 0 and cultivated > 0
    overview = flat(report_2020.text(1))
    assert "一、总体情况" in overview
    assert f"新入库培育企业 {entered} 家" in overview
    assert f"年底在库培育企业 {cultivated} 家" in overview
    big_numbers = report_2020.text(1).split()[:8]  # the key figures come first on the page
    assert f"{entered:,}" in big_numbers and f"{cultivated:,}" in big_numbers


def test_target_totals_equal_the_progress_core(demo: AppContext, report_2020: Built) -> None:
    # 2017–2020 has ended by the end of 2020: the year-end figure is the core's final count.
    with transaction(demo.sessions) as session:
        totals = progress_by_unit(session, year=2020).totals
    pool = next(t for t in totals if t.program_code == "ZJTX_POOL" and (t.start_year, t.end_year) == (2017, 2020))
    assert flat(report_2020.text(1)).count(f"{pool.target} 家，至年底完成 {pool.done} 家") == 1
    annex = flat(report_2020.all_text)
    for total in totals:
        # The 合计 row of each progress table: target and done side by side.
        assert f"合计{total.target}{total.done}" in annex


def test_progress_is_counted_to_the_end_of_the_year(demo: AppContext, report_2019: Built) -> None:
    done_2019 = scalar(
        demo,
        """SELECT COUNT(DISTINCT c.enterprise_id) FROM cultivation c JOIN enterprise e ON e.id = c.enterprise_id
           WHERE e.deleted_at IS NULL AND c.program_code = 'ZJTX_POOL' AND c.year BETWEEN 2017 AND 2019
             AND e.region_code IN (SELECT region_code FROM target WHERE program_code = 'ZJTX_POOL'
                                   AND start_year = 2017 AND end_year = 2020)""",
    )
    with transaction(demo.sessions) as session:
        final = next(t for t in progress_by_unit(session, year=2019).totals if t.program_code == "ZJTX_POOL")
    assert done_2019 < final.done  # the 2020 entries came later and must not count in the 2019 report
    assert f"至年底完成 {done_2019} 家" in flat(report_2019.text(1))


def test_leaders_are_the_top_enterprises_by_tax_per_mu_and_growth(demo: AppContext, report_2020: Built) -> None:
    with transaction(demo.sessions) as session:
        by_tax = session.execute(
            text(
                f"""SELECT e.name, a.tax_paid / a.land_area FROM annual_report a JOIN enterprise e ON e.id = a.enterprise_id
                    WHERE a.year = 2020 AND a.land_area >= 3 AND a.tax_paid IS NOT NULL AND e.deleted_at IS NULL
                      AND e.id IN ({CULTIVATED_AT_YEAR_END.replace("COUNT(DISTINCT c.enterprise_id)", "c.enterprise_id")})
                    ORDER BY 2 DESC, e.name LIMIT 10"""
            ),
            {"year": 2020, "end": "2020-12-31"},
        ).all()
        by_growth = session.execute(
            text(
                """SELECT e.name FROM annual_report a JOIN annual_report b
                     ON b.enterprise_id = a.enterprise_id AND b.year = 2019
                   JOIN enterprise e ON e.id = a.enterprise_id
                   JOIN cultivation c ON c.enterprise_id = e.id AND c.year <= 2020
                     AND (c.status != '已退出' OR c.exited_on > '2020-12-31')
                   WHERE a.year = 2020 AND b.revenue >= 1000 AND a.revenue IS NOT NULL AND e.deleted_at IS NULL
                   GROUP BY e.id ORDER BY a.revenue / b.revenue DESC, e.name LIMIT 1"""
            )
        ).scalar_one()
    assert len(by_tax) == 10
    pages = flat(report_2020.all_text)
    section = pages[pages.index("（一）2020年亩均税收前 10 位") : pages.index("（二）2020年营业收入增长率前 10 位")]
    positions = [section.index(name) for name, _ in by_tax]
    assert positions == sorted(positions)  # all ten, in order
    assert f"{by_tax[0][1]:.2f}" in section
    assert by_growth in pages[pages.index("（二）2020年营业收入增长率前 10 位") :]


def test_a_section_without_data_says_so_in_one_line(report_2019: Built) -> None:
    # Monitoring starts in 2019: no enterprise has both 2018 and 2019 revenue.
    pages = flat(report_2019.all_text)
    assert "没有在库培育企业同时填报2018年和2019年的营业收入。" in pages
    assert "2018年营收" not in pages  # no empty table under it


def test_pages_charts_font_and_landscape_annex(report_2020: Built) -> None:
    reader = report_2020.reader
    sizes = [(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in reader.pages]
    assert sizes[0] == A4_PORTRAIT
    assert set(sizes) == {A4_PORTRAIT, A4_PORTRAIT[::-1]}
    landscape = [i for i, size in enumerate(sizes) if size == A4_PORTRAIT[::-1]]
    assert landscape and "附表1" in report_2020.text(landscape[0])
    assert "附表3" in flat(report_2020.text(landscape[-1]))  # the fifteen tasks, wide, in the landscape part
    assert all(size == A4_PORTRAIT for size in sizes[: landscape[0]])
    # Charts: the trend and the per-unit bars on the overview page, the industries on the next.
    assert len(reader.pages[1].images) >= 2
    assert len(reader.pages[2].images) >= 1 and "行业分布" in report_2020.text(2)
    assert "第 1 页  共" in report_2020.text(0)
    descriptors = [
        font.get_object()["/FontDescriptor"].get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/FontDescriptor" in font.get_object()
    ]
    assert descriptors and all("/FontFile2" in descriptor for descriptor in descriptors)


def test_unit_narrows_and_the_year_defaults_to_last_year(demo: AppContext, tmp_path: Path) -> None:
    entered = scalar(
        demo,
        ENTERED_IN_YEAR.replace("WHERE", "WHERE e.region_code = '331121' AND"),
        year=TODAY.year - 1,
    )
    built = build(demo, tmp_path, unit="青田县")
    assert (
        built.reader.metadata is not None
        and built.reader.metadata.title == f"{TODAY.year - 1}年度“专精特新”企业发展报告"
    )
    overview = flat(built.text(1))
    assert f"{TODAY.year - 1}年，青田县新入库培育企业 {entered} 家" in overview
    annex = flat(built.all_text)
    assert "青田县" in annex and "缙云县" not in annex


def test_registered_for_the_command_line() -> None:
    assert REPORTS["annual"].uses == ("year", "unit")
    assert REPORTS["evaluation"].uses == ("year",)
