"""报表中心: a report is generated off the GUI thread, previewed page by page, printed, saved; choices remembered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from ui.dialogs import prompts
from ui.main_window import MainWindow
from ui.pages.reports import ReportsPage
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.demo import generate_demo


@pytest.fixture
def reports(make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext) -> ReportsPage:
    with transaction(ctx.sessions) as session:
        generate_demo(session, 300, seed=9)
    page = wait_loaded(make_window(ctx).show_page("reports"))
    assert isinstance(page, ReportsPage)
    return page


def choose(page: ReportsPage, kind: str) -> None:
    kinds = [choice.kind for choice in page.data.reports]  # type: ignore[union-attr]
    page.report_list.setCurrentRow(kinds.index(kind))


def generate(qtbot: QtBot, page: ReportsPage) -> None:
    with qtbot.waitSignal(page.generated, timeout=30_000):
        assert page.generate() is not None
        assert not page.generate_button.isEnabled()  # one report at a time, the window stays live


def test_generate_preview_print_and_save_a_roster(
    qtbot: QtBot, reports: ReportsPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose(reports, "roster")
    assert reports.program_combo.isVisible() or not reports.isVisible()
    reports.program_combo.setCurrentIndex(reports.program_combo.findData("ZJTX_POOL"))
    reports.prepared_edit.setText("张科员")
    generate(qtbot, reports)
    built = reports.built
    assert built is not None and built.pages >= 1
    assert reports.page_count() == built.pages  # the preview shows the very PDF
    assert "共" in reports.result_label.text() and built.content_hash in reports.result_label.text()
    assert "张科员" in (PdfReader(str(built.path)).pages[-1].extract_text() or "")

    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed_file = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed_file))
    assert reports.print_to(printer) == built.pages
    assert len(PdfReader(str(printed_file)).pages) == built.pages

    target = tmp_path / "培育名单"
    monkeypatch.setattr(prompts, "choose_save_path", lambda *_args: str(target))
    saved = reports.save_copy()
    assert saved == target.with_suffix(".pdf") and saved.read_bytes() == built.path.read_bytes()


def test_landscape_pages_print_landscape_and_choices_are_remembered(
    qtbot: QtBot, reports: ReportsPage, make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext,
    tmp_path: Path,
) -> None:  # fmt: skip
    choose(reports, "progress")
    reports.year_combo.setCurrentIndex(reports.year_combo.findData(2018))
    assert not reports.enterprise_edit.isVisibleTo(reports)  # the progress table takes no enterprise
    generate(qtbot, reports)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "p.pdf"))
    assert reports.print_to(printer) >= 1
    box = PdfReader(str(tmp_path / "p.pdf")).pages[0].mediabox
    assert float(box.width) > float(box.height)
    # A new window opens the report centre on the same report and year.
    again = wait_loaded(make_window(ctx).show_page("reports"))
    assert isinstance(again, ReportsPage)
    assert again.current_choice().kind == "progress"  # type: ignore[union-attr]
    assert again.year_combo.currentData() == 2018


def test_a_bad_request_is_explained_and_nothing_is_shown(
    qtbot: QtBot, reports: ReportsPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: warnings.append(text))
    choose(reports, "roster")
    reports.program_combo.setCurrentIndex(-1)  # no program chosen
    job = reports.generate()
    assert job is not None
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "培育层级" in warnings[0]
    assert reports.built is None and reports.generate_button.isEnabled()


def test_an_import_receipt_is_printed_from_the_import_history(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext, tmp_path: Path
) -> None:
    from sqlalchemy import select as sql_select

    from tests.corpus import county_list
    from zjtx_desktop.exchange.importer import commit_plan, plan_import
    from zjtx_desktop.models import ImportBatch

    path = county_list(tmp_path / "青田名单.xlsx")
    with transaction(ctx.sessions) as session:
        commit_plan(session, "张科员", plan_import(session, path))
        batch_id = session.scalars(sql_select(ImportBatch.id)).one()
    window = make_window(ctx)
    exchange = wait_loaded(window.show_page("exchange"))
    history = exchange.history_panel  # type: ignore[attr-defined]
    assert history.select_batch(batch_id) and history.receipt_button.isEnabled()
    reports = window.page("reports")
    assert isinstance(reports, ReportsPage)
    with qtbot.waitSignal(reports.generated, timeout=30_000):
        history.receipt_button.click()
    assert window.current_page_name() == "reports"
    assert reports.built is not None and reports.page_count() == reports.built.pages
    text = PdfReader(str(reports.built.path)).pages[0].extract_text() or ""
    assert "青田名单.xlsx" in text and "张科员" in text
