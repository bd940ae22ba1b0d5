"""GUI test fixtures: offscreen Qt, a fresh database per test, throw-away window settings."""

from __future__ import annotations

import os

# Before anything imports Qt: without a display Qt would abort the test run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.app import prepare_application
from ui.main_window import MainWindow
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.settings import configure_installation


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Window geometry and other QSettings go to a temporary folder, never the user's own."""
    folder = str(tmp_path_factory.mktemp("qsettings"))
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, folder)


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    """The application set up as the real program does: bundled font, stylesheet, names."""
    return prepare_application()


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    """A freshly migrated and seeded database (city-level, not yet configured)."""
    context = open_database(resolve_location(str(tmp_path / "t.sqlite3")))
    yield context
    context.close()


def _configure(ctx: AppContext, unit: str, organisation: str | None = None) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, unit, organisation, "2024-01-02T03:04:05")


@pytest.fixture
def configure_unit() -> Callable[..., None]:
    """configure_unit(ctx, unit_code, organisation=None): set the installation as the wizard would."""
    return _configure


@pytest.fixture
def county_ctx(ctx: AppContext) -> AppContext:
    """The same database configured as 青田县's installation."""
    _configure(ctx, "331121")
    return ctx


@pytest.fixture
def make_window(qtbot: QtBot, app: QApplication) -> Callable[..., MainWindow]:
    """Build main windows that qtbot closes at teardown."""

    def build(context: AppContext, remember_geometry: bool = True) -> MainWindow:
        window = MainWindow(context, remember_geometry=remember_geometry)
        qtbot.addWidget(window)
        return window

    return build
