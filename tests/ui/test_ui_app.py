"""Entry points: run_gui's start-up paths and render_screenshot's image; page names without Qt."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ADMIN, PASSWORD
from ui import app as app_module
from ui.app import (
    BENCH_LOGIN_VARIABLE,
    BENCH_VARIABLE,
    NO_DISPLAY_MESSAGE,
    OpenedDatabase,
    render_screenshot,
    run_gui,
)
from ui.dialogs.login import LoginDialog
from ui.first_run import FirstRunDialog
from ui.jobs import JobRunner
from ui.main_window import GEOMETRY_KEY, MainWindow, window_settings
from ui.page_names import PAGE_NAMES
from ui.widgets import OPENING_TEXT
from zjtx_desktop.accounts import create_account, create_first_admin
from zjtx_desktop.charts import TARGET_FILL
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import DatabaseLocation, resolve_location, transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import User
from zjtx_desktop.settings import Installation, configure_installation, installation

ROOT = Path(__file__).resolve().parents[2]
# A run_gui test that goes wrong fails after this long instead of waiting for ever in the event loop.
GUARD_MS = 30_000


@pytest.fixture(autouse=True)
def _loop_guard(app: QApplication) -> Iterator[None]:
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: app.exit(99))
    timer.start(GUARD_MS)
    yield
    timer.stop()


@pytest.fixture
def shutdowns(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each JobRunner.shutdown returned (True: its thread was joined)."""
    results: list[bool] = []
    original = JobRunner.shutdown

    def recording(runner: JobRunner, timeout_ms: int = -1) -> bool:
        results.append(original(runner, timeout_ms))
        return results[-1]

    monkeypatch.setattr(JobRunner, "shutdown", recording)
    return results


@pytest.fixture
def close_when_ready(monkeypatch: pytest.MonkeyPatch) -> list[MainWindow]:
    """The main window closes itself (as a user would) once it has the database; the windows are listed."""
    windows: list[MainWindow] = []
    original = MainWindow.set_context

    def set_context(window: MainWindow, ctx: AppContext, inst: Installation) -> None:
        original(window, ctx, inst)
        windows.append(window)
        QTimer.singleShot(0, window.close)

    monkeypatch.setattr(MainWindow, "set_context", set_context)
    return windows


@pytest.fixture
def county_ctx(signed_in_county_ctx: AppContext) -> AppContext:
    return signed_in_county_ctx


def _main_window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())


def test_page_names_load_without_qt() -> None:
    script = "import sys, ui.page_names as p; print(len(p.PAGE_NAMES), 'PySide6' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["9", "False"]


def test_the_window_modules_load_without_the_slow_libraries() -> None:
    # The window must not wait for these: the worker loads them while the window is already up.
    script = (
        "import sys, ui.app, ui.main_window, ui.jobs; "
        "print(*[name for name in ('sqlalchemy', 'alembic', 'matplotlib') if name in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == []


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


def test_run_gui_shows_the_window_before_the_database_is_open(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    county_ctx: AppContext,
    shutdowns: list[bool],
    close_when_ready: list[MainWindow],
) -> None:
    release = threading.Event()
    real_open = app_module.open_installation

    def held_open(location: DatabaseLocation) -> OpenedDatabase:
        assert release.wait(20), "the test never let the database open"
        return real_open(location)

    def event_loop(app: QApplication) -> int:
        # The database is still being opened: the window is up, says so, and can be used.
        window = _main_window()
        assert window.ctx is None
        assert window.navigation.count() == len(PAGE_NAMES)
        assert window.unit_status.text() == OPENING_TEXT
        assert window.dashboard.state_label.text() == OPENING_TEXT
        nav = window.navigation
        qtbot.mouseClick(
            nav.viewport(),
            Qt.MouseButton.LeftButton,
            pos=nav.visualItemRect(nav.item(PAGE_NAMES.index("targets"))).center(),
        )
        assert window.current_page_name() == "targets"
        assert window.stack.currentWidget() is window.pages["targets"]
        assert window.pages["targets"].state_label.text() == OPENING_TEXT
        release.set()
        return int(app.exec())

    monkeypatch.setattr(app_module, "open_installation", held_open)
    monkeypatch.setattr(app_module, "_event_loop", event_loop)
    assert run_gui(county_ctx.location) == 0
    # When the database arrived, the status bar and the page the user had chosen filled in.
    (window,) = close_when_ready
    assert "青田县" in window.unit_status.text()
    assert county_ctx.location.describe() in window.database_status.text()
    assert window.current_page_name() == "targets"
    assert shutdowns == [True]


def test_run_gui_reports_a_database_it_cannot_open(
    app: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shutdowns: list[bool]
) -> None:
    shown: list[tuple[bool, str]] = []

    def critical(parent: QWidget, _title: str, text: str) -> None:
        shown.append((isinstance(parent, MainWindow) and parent.isVisible(), text))

    monkeypatch.setattr(QMessageBox, "critical", critical)
    folder = tmp_path / "a folder"
    folder.mkdir()
    assert run_gui(resolve_location(str(folder))) == 1
    # Over the main window, which was on screen before the database was tried.
    assert len(shown) == 1
    over_window, message = shown[0]
    assert over_window and "文件夹" in message
    assert shutdowns == [True]


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
    app: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close_when_ready: list[MainWindow]
) -> None:
    def accept(dialog: FirstRunDialog) -> QDialog.DialogCode:
        assert isinstance(dialog.parent(), MainWindow)
        dialog.select_unit("331121")
        dialog.display_name_edit.setText("王丽")
        dialog.password_edit.setText(PASSWORD)
        dialog.confirm_edit.setText(PASSWORD)
        dialog.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(FirstRunDialog, "exec", accept)
    assert run_gui(resolve_location(str(tmp_path / "t.sqlite3"))) == 0
    (window,) = close_when_ready
    assert "青田县经济和信息化局" in window.windowTitle()
    # Signed in as the administrator just created: the audit trail names them from now on.
    assert window.ctx is not None and window.ctx.actor == ADMIN


def test_run_gui_signs_in_and_the_window_acts_as_the_account(
    county_ctx: AppContext, close_when_ready: list[MainWindow], typed_sign_in: list[object]
) -> None:
    assert run_gui(county_ctx.location) == 0
    (window,) = close_when_ready
    assert len(typed_sign_in) == 1
    assert window.ctx is not None and window.ctx.principal is not None
    assert window.ctx.principal.role == "admin" and window.ctx.actor == ADMIN
    assert "王丽" in window.account_status.text() and "管理员" in window.account_status.text()


def test_a_county_account_on_a_city_installation_works_as_its_county(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch, close_when_ready: list[MainWindow]
) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, None, None, "2026-03-02T08:00:00")
        admin = create_first_admin(session, ctx.actor, ADMIN, "王丽", PASSWORD)
    ctx.sign_in(admin)
    with transaction(ctx.sessions) as session:
        clerk = create_account(session, ADMIN, "qt_li", "李青田", "county", "331121", "Qt-county-01")
        # Straight to work for the test (no forced change at the first sign-in).
        session.get(User, clerk).must_change_password = False  # type: ignore[union-attr]

    def answer(dialog: LoginDialog) -> QDialog.DialogCode:
        dialog.username_edit.setText("qt_li")
        dialog.password_edit.setText("Qt-county-01")
        dialog.accept()
        return QDialog.DialogCode(dialog.result())

    monkeypatch.setattr(LoginDialog, "exec", answer)
    assert run_gui(ctx.location) == 0
    (window,) = close_when_ready
    assert window.installation is not None and window.installation.unit_code == "331121"
    assert "青田县经济和信息化局" in window.windowTitle()


def test_cancelled_sign_in_leaves(county_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LoginDialog, "exec", lambda _self: QDialog.DialogCode.Rejected)
    assert run_gui(county_ctx.location) == 1


def test_closing_the_window_while_the_database_opens_closes_the_database(
    monkeypatch: pytest.MonkeyPatch, county_ctx: AppContext, shutdowns: list[bool]
) -> None:
    release = threading.Event()
    real_open = app_module.open_installation
    opened: list[OpenedDatabase] = []
    closed: list[AppContext] = []

    def held_open(location: DatabaseLocation) -> OpenedDatabase:
        assert release.wait(20), "the test never let the database open"
        opened.append(real_open(location))
        return opened[-1]

    def event_loop(app: QApplication) -> int:
        window = _main_window()
        # The user gives up before the database is open; only then does the worker finish opening it.
        QTimer.singleShot(0, lambda: (window.close(), release.set()))
        return int(app.exec())

    original_close = AppContext.close
    monkeypatch.setattr(AppContext, "close", lambda ctx: (closed.append(ctx), original_close(ctx))[1])
    monkeypatch.setattr(app_module, "open_installation", held_open)
    monkeypatch.setattr(app_module, "_event_loop", event_loop)
    set_context_calls: list[object] = []
    monkeypatch.setattr(MainWindow, "set_context", lambda *args: set_context_calls.append(args))
    assert run_gui(county_ctx.location) == 0
    assert shutdowns == [True]
    assert len(opened) == 1 and opened[0].ctx in closed
    assert set_context_calls == []  # nothing was delivered to the closed window


def test_the_real_program_reports_its_start_to_the_bench(county_ctx: AppContext) -> None:
    env = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", **{BENCH_VARIABLE: "1", BENCH_LOGIN_VARIABLE: f"{ADMIN}:{PASSWORD}"}
    )
    db = str(county_ctx.location.sqlite_path or county_ctx.location.url)  # a file, or the server's database
    result = subprocess.run(
        [sys.executable, "main.py", "--db", db], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert [line[0] for line in lines] == ["READY", "SETTLED"]
    assert lines[0][2] == "1", "window, navigation and first page visible"
    assert float(lines[0][1]) <= float(lines[1][1])


def test_render_screenshot_writes_a_png_of_the_requested_size(app: QApplication, tmp_path: Path) -> None:
    location = resolve_location(str(tmp_path / "t.sqlite3"))
    out = tmp_path / "dashboard.png"
    render_screenshot(location, "dashboard", out)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1366, 768)
    # Not a blank image: the navigation's grey and the content's white are both there ...
    assert len({image.pixel(x, 300) for x in range(0, 1366, 7)}) > 3
    # ... and the chart has been drawn (its target bars), not only its placeholder.
    target_grey = QColor(TARGET_FILL).rgb()
    chart_pixels = sum(image.pixel(x, y) == target_grey for x in range(700, 1366, 3) for y in range(100, 700, 3))
    assert chart_pixels > 500

    small = tmp_path / "admin.png"
    render_screenshot(location, "admin", small, width=1024, height=640)
    assert (QImage(str(small)).width(), QImage(str(small)).height()) == (1024, 640)
    assert not window_settings().contains(GEOMETRY_KEY)


def test_render_screenshot_of_a_database_it_cannot_open_explains(app: QApplication, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="文件夹"):
        render_screenshot(resolve_location(str(tmp_path)), "dashboard", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_render_screenshot_names_the_valid_pages(app: QApplication, tmp_path: Path) -> None:
    with pytest.raises(UserError) as raised:
        render_screenshot(resolve_location(str(tmp_path / "t.sqlite3")), "首页", tmp_path / "x.png")
    assert all(name in str(raised.value) for name in PAGE_NAMES)
    assert not (tmp_path / "x.png").exists()


def test_render_screenshot_into_a_missing_folder_explains(app: QApplication, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="无法写入截图文件"):
        render_screenshot(resolve_location(str(tmp_path / "t.sqlite3")), "admin", tmp_path / "nope" / "x.png")
