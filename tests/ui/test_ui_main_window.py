"""The main window: title, navigation, status bar, and geometry remembered between runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from pytestqt.qtbot import QtBot

from ui import main_window
from ui.main_window import GEOMETRY_KEY, MainWindow, window_settings
from ui.page_names import PAGE_NAMES, PAGE_TITLES
from zjtx_desktop import __version__
from zjtx_desktop.context import AppContext
from zjtx_desktop.errors import UserError


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
    assert str(ctx.location.sqlite_path) in window.database_status.text()
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
