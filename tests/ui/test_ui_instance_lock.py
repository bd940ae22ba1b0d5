"""The GUI holds its database's instance lock for its whole life and refuses a database another instance has."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ui import app as app_module
from ui.app import run_gui
from ui.main_window import MainWindow
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import resolve_location
from zjtx_desktop.instance_lock import InstanceLock, InstanceLocked, lock_path_for

# The instance lock guards a SQLite file; a server has none.
pytestmark = pytest.mark.sqlite_file


def test_a_database_another_instance_has_is_refused_with_its_holder_named(
    app: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown: list[str] = []

    def warning(_parent: QWidget | None, _title: str, text: str) -> None:
        shown.append(text)

    monkeypatch.setattr(QMessageBox, "warning", warning)
    database = tmp_path / "t.sqlite3"
    with InstanceLock(database, purpose="命令行 restore"):
        assert run_gui(resolve_location(str(database))) == 1
        holder = json.loads(lock_path_for(database).read_text(encoding="utf-8"))
    assert holder["purpose"] == "命令行 restore"  # the holder's lock stays as it was
    (message,) = shown
    assert "另一个程序实例" in message and "命令行 restore" in message and f"进程 {os.getpid()}" in message
    # Refused before anything was opened or shown.
    assert not database.exists()
    assert not any(isinstance(w, MainWindow) and w.isVisible() for w in QApplication.topLevelWidgets())


def test_the_gui_holds_the_lock_until_the_database_is_closed(
    app: QApplication, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, signed_in_county_ctx: AppContext
) -> None:
    county_ctx = signed_in_county_ctx
    database = county_ctx.location.sqlite_path
    assert database is not None
    seen: list[str] = []

    def event_loop(_app: QApplication) -> int:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        qtbot.waitUntil(lambda: window.ctx is not None, timeout=20_000)  # the database is open
        record = json.loads(lock_path_for(database).read_text(encoding="utf-8"))
        seen.append(record["purpose"])
        with pytest.raises(InstanceLocked):  # what a CLI restore run now would meet
            InstanceLock(database).acquire()
        return 0

    closed: list[bool] = []
    original_close = AppContext.close

    def close(ctx: AppContext) -> None:
        closed.append(lock_path_for(database).exists())
        original_close(ctx)

    monkeypatch.setattr(app_module, "_event_loop", event_loop)
    monkeypatch.setattr(AppContext, "close", close)
    assert run_gui(county_ctx.location) == 0
    assert seen == ["图形界面"]
    assert closed and all(closed)  # still held while the database was being closed
    assert not lock_path_for(database).exists()


def test_the_lock_is_released_when_the_gui_fails(
    app: QApplication, monkeypatch: pytest.MonkeyPatch, county_ctx: AppContext
) -> None:
    database = county_ctx.location.sqlite_path
    assert database is not None

    def event_loop(_app: QApplication) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(app_module, "_event_loop", event_loop)
    with pytest.raises(RuntimeError):
        run_gui(county_ctx.location)
    assert not lock_path_for(database).exists()
    with InstanceLock(database) as lock:  # the next start finds nothing to recover
        assert lock.recovered is None
