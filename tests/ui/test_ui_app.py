"""Entry points: run_gui's start-up paths and render_screenshot's image; page names without Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from ui import app as app_module
from ui.app import NO_DISPLAY_MESSAGE, render_screenshot, run_gui
from ui.first_run import FirstRunDialog
from ui.main_window import GEOMETRY_KEY, window_settings
from ui.page_names import PAGE_NAMES
from ui.theme import CHART_TARGET
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location
from zjtx_desktop.errors import UserError
from zjtx_desktop.settings import installation

ROOT = Path(__file__).resolve().parents[2]


def test_page_names_load_without_qt() -> None:
    script = "import sys, ui.page_names as p; print(len(p.PAGE_NAMES), 'PySide6' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["9", "False"]


def test_page_names_match_the_command_line() -> None:
    from zjtx_desktop import cli

    assert tuple(cli.PAGE_NAMES) == PAGE_NAMES


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check applies to Linux")
def test_run_gui_without_a_display_explains(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError) as raised:
        run_gui(resolve_location(str(tmp_path / "t.sqlite3")))
    assert str(raised.value) == NO_DISPLAY_MESSAGE
    assert not (tmp_path / "t.sqlite3").exists()


def test_run_gui_reports_a_database_it_cannot_open(
    app: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    folder = tmp_path / "a folder"
    folder.mkdir()
    assert run_gui(resolve_location(str(folder))) == 1
    assert shown and "文件夹" in shown[0]


def test_run_gui_cancelled_wizard_leaves_the_database_unconfigured(
    app: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(FirstRunDialog, "exec", lambda _self: QDialog.DialogCode.Rejected)
    location = resolve_location(str(tmp_path / "t.sqlite3"))
    assert run_gui(location) == 1
    ctx = open_database(location)
    try:
        with ctx.sessions() as session:
            assert not installation(session).configured
    finally:
        ctx.close()


def test_run_gui_shows_the_window_after_the_wizard(
    app: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown_titles: list[str] = []

    def accept(dialog: FirstRunDialog) -> QDialog.DialogCode:
        dialog.select_unit("331121")
        dialog.accept()
        return QDialog.DialogCode.Accepted

    def event_loop() -> int:
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.windowTitle()]
        shown_titles.extend(w.windowTitle() for w in windows)
        for window in windows:
            window.close()
        return 0

    monkeypatch.setattr(FirstRunDialog, "exec", accept)
    monkeypatch.setattr(app_module, "_event_loop", lambda _app: event_loop())
    assert run_gui(resolve_location(str(tmp_path / "t.sqlite3"))) == 0
    assert any("青田县经济和信息化局" in title for title in shown_titles)


def test_render_screenshot_writes_a_png_of_the_requested_size(app: QApplication, tmp_path: Path) -> None:
    location = resolve_location(str(tmp_path / "t.sqlite3"))
    out = tmp_path / "dashboard.png"
    render_screenshot(location, "dashboard", out)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1366, 768)
    # Not a blank image: the navigation's grey and the content's white are both there ...
    assert len({image.pixel(x, 300) for x in range(0, 1366, 7)}) > 3
    # ... and the chart has been drawn (its target bars), not only its placeholder.
    target_grey = QColor(CHART_TARGET).rgb()
    chart_pixels = sum(image.pixel(x, y) == target_grey for x in range(700, 1366, 3) for y in range(100, 700, 3))
    assert chart_pixels > 500

    small = tmp_path / "admin.png"
    render_screenshot(location, "admin", small, width=1024, height=640)
    assert (QImage(str(small)).width(), QImage(str(small)).height()) == (1024, 640)
    assert not window_settings().contains(GEOMETRY_KEY)


def test_render_screenshot_names_the_valid_pages(app: QApplication, tmp_path: Path) -> None:
    with pytest.raises(UserError) as raised:
        render_screenshot(resolve_location(str(tmp_path / "t.sqlite3")), "首页", tmp_path / "x.png")
    assert all(name in str(raised.value) for name in PAGE_NAMES)
    assert not (tmp_path / "x.png").exists()


def test_render_screenshot_into_a_missing_folder_explains(app: QApplication, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="无法写入截图文件"):
        render_screenshot(resolve_location(str(tmp_path / "t.sqlite3")), "admin", tmp_path / "nope" / "x.png")
