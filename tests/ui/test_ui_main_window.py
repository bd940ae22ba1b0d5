"""The main window: title, navigation, status bar, and geometry remembered between runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from pytestqt.qtbot import QtBot

from ui import main_window
from ui.jobs import UNEXPECTED_MESSAGE, JobRunner
from ui.main_window import GEOMETRY_KEY, MainWindow, window_settings
from ui.page_names import PAGE_NAMES, PAGE_TITLES
from ui.pages import dashboard as dashboard_module
from ui.widgets import LOADING_TEXT, OPENING_TEXT, PageState
from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.context import AppContext
from zjtx_desktop.errors import UserError
from zjtx_desktop.settings import installation


def test_title_names_the_organisation(make_window: Callable[..., MainWindow], ctx: AppContext) -> None:
    window = make_window(ctx)
    assert window.windowTitle() == "专精特新企业培育管理系统 — 丽水市经济和信息化局"


def test_title_of_a_county_installation(
    make_window: Callable[..., MainWindow], ctx: AppContext, configure_unit: Callable[..., None]
) -> None:
    configure_unit(ctx, "331121", "青田县经济和信息化局（测试）")
    window = make_window(ctx)
    assert "青田县经济和信息化局（测试）" in window.windowTitle()
    assert "青田县" in window.unit_status.text()


def test_status_bar_shows_unit_database_and_version(make_window: Callable[..., MainWindow], ctx: AppContext) -> None:
    window = make_window(ctx)
    assert "丽水市" in window.unit_status.text()
    assert "丽水市经济和信息化局" in window.unit_status.text()
    assert ctx.location.describe() in window.database_status.text()
    assert __version__ in window.version_status.text()


def test_clicking_each_navigation_entry_shows_its_page(
    qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext
) -> None:
    window = make_window(ctx)
    window.show()
    qtbot.waitExposed(window)
    assert window.current_page_name() == "dashboard"
    nav = window.navigation
    for name in reversed(PAGE_NAMES):  # reversed: the first click must change the page
        row = PAGE_NAMES.index(name)
        rect = nav.visualItemRect(nav.item(row))
        qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.stack.currentWidget() is window.pages[name]
        assert window.current_page_name() == name
        assert window.pages[name].title_label.isVisible()
    assert [nav.item(row).text() for row in range(nav.count())] == [PAGE_TITLES[n] for n in PAGE_NAMES]


def test_show_page_and_shortcuts(qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext) -> None:
    window = make_window(ctx)
    window.show()
    window.activateWindow()
    # Shortcuts only reach the active window (qtbot.waitActive returns early offscreen).
    qtbot.waitUntil(window.isActiveWindow)
    window.show_page("admin")
    assert window.navigation.currentRow() == PAGE_NAMES.index("admin")
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == PAGE_NAMES[4]
    with pytest.raises(UserError, match="dashboard"):
        window.show_page("nonsense")


def test_geometry_is_remembered_between_windows(
    qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small enough for the offscreen test screen (800×600), which restoreGeometry clamps to.
    monkeypatch.setattr(main_window, "MINIMUM_SIZE", QSize(400, 300))
    first = make_window(ctx)
    first.show()
    qtbot.waitExposed(first)
    first.setGeometry(QRect(30, 40, 700, 500))
    first.close()
    assert window_settings().contains(GEOMETRY_KEY)

    second = make_window(ctx)
    assert second.geometry() == QRect(30, 40, 700, 500)


def test_screenshot_windows_leave_the_remembered_geometry_alone(
    make_window: Callable[..., MainWindow], ctx: AppContext
) -> None:
    window = make_window(ctx, remember_geometry=False)
    window.resize(1100, 650)
    window.close()
    assert not window_settings().contains(GEOMETRY_KEY)


def test_dashboard_fits_a_1366_by_768_screen(
    qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext
) -> None:
    window = make_window(ctx)
    # Client area of a maximised window on 1366×768 with the Windows taskbar and title bar.
    window.resize(1366, 700)
    window.show()
    qtbot.waitExposed(window)
    assert window.minimumSize().width() <= 1366 and window.minimumSize().height() <= 700
    table = window.dashboard.table
    assert table.verticalScrollBar().maximum() == 0, "all units and 合计 visible without scrolling"
    assert table.horizontalScrollBar().maximum() == 0
    assert window.dashboard.rule_label.isVisible()


def test_the_window_is_usable_before_the_database_is_open(qtbot: QtBot, jobs: JobRunner) -> None:
    window = MainWindow(jobs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == APP_NAME
    assert window.unit_status.text() == OPENING_TEXT
    assert window.dashboard.state_label.text() == OPENING_TEXT
    assert window.dashboard.empty_label.text() == LOADING_TEXT
    # Only the first page is built with the window; the others on their first visit.
    assert list(window.pages) == ["dashboard"]
    qtbot.keyClick(window.navigation, Qt.Key.Key_End)
    assert window.current_page_name() == "admin"
    assert window.pages["admin"].state_label.text() == OPENING_TEXT
    assert jobs.is_idle(), "nothing is loaded before there is a database"


def test_pages_built_before_the_database_load_when_it_arrives(qtbot: QtBot, jobs: JobRunner, ctx: AppContext) -> None:
    window = MainWindow(jobs)
    qtbot.addWidget(window)
    window.show_page("targets")
    with ctx.sessions() as session:
        inst = installation(session)
    with qtbot.waitSignal(window.pages["targets"].loaded):
        window.set_context(ctx, inst)
    assert window.pages["targets"].state is PageState.READY
    # The dashboard, built but not visible, loads only when it is shown.
    assert window.dashboard.state is PageState.WAITING
    with qtbot.waitSignal(window.dashboard.loaded):
        window.show_page("dashboard")
    assert window.dashboard.model.rowCount() > 0


def test_a_page_that_fails_to_load_says_why(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_ctx: AppContext) -> None:
        raise ValueError("no such column: target.count")

    monkeypatch.setattr(dashboard_module, "load_dashboard", broken)
    window = MainWindow(jobs)
    qtbot.addWidget(window)
    with ctx.sessions() as session:
        inst = installation(session)
    with qtbot.waitSignal(window.dashboard.settled):
        window.set_context(ctx, inst)
    assert window.dashboard.state is PageState.FAILED
    assert window.dashboard.state_label.text() == f"加载失败：{UNEXPECTED_MESSAGE}"
    # The next visit tries again.
    monkeypatch.undo()
    window.show_page("admin")
    with qtbot.waitSignal(window.dashboard.loaded):
        window.show_page("dashboard")
    assert window.dashboard.state_label.text() == ""
