"""GUI test fixtures: offscreen Qt, a fresh database per test, a job runner joined at teardown, throw-away settings."""

from __future__ import annotations

import os

# Before anything imports Qt: without a display Qt would abort the test run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.app import prepare_application
from ui.gc_guard import collect_on_gui_thread
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.widgets import Page, PageState
from zjtx_desktop import passwords
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.settings import configure_installation, installation


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Window geometry and other QSettings go to a temporary folder, never the user's own."""
    folder = str(tmp_path_factory.mktemp("qsettings"))
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, folder)


@pytest.fixture(autouse=True)
def _collect_on_gui_thread(qapp: QApplication) -> None:
    """As in the program: the cycle collector never runs on the database worker (see ui/gc_guard.py)."""
    collect_on_gui_thread(qapp)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts made in GUI tests hash with cheap parameters (stored with each hash, so checks still hold);
    tests/core/test_accounts.py checks the real, memory-hard default."""
    monkeypatch.setattr(passwords, "DEFAULT_PARAMETERS", passwords.KdfParameters(n=2**10))


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    """The application set up as the real program does: bundled font, stylesheet, names."""
    return prepare_application()


@pytest.fixture
def ctx(request: pytest.FixtureRequest) -> Iterator[AppContext]:
    """A freshly migrated and seeded database (city-level, not yet configured): a SQLite file, or a server
    database when the suites run on PostgreSQL (ZJTX_TEST_BACKEND=postgresql, see tests/conftest.py) and for
    tests marked `postgres`."""
    from tests.conftest import on_postgres_backend

    on_server = on_postgres_backend() or request.node.get_closest_marker("postgres") is not None
    target = request.getfixturevalue("pg_url") if on_server else str(request.getfixturevalue("db_path"))
    context = open_database(resolve_location(target))
    yield context
    context.close()


@pytest.fixture
def jobs(app: QApplication, ctx: AppContext) -> Iterator[JobRunner]:
    """The windows' job runner; it depends on ctx so that it is joined before the database is closed."""
    runner = JobRunner()
    yield runner
    assert runner.shutdown(timeout_ms=10_000), "a background job was still running at teardown"


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
def wait_loaded(qtbot: QtBot) -> Callable[[Page], Page]:
    """wait_loaded(page): wait until the page shows its data (not its deferred chart), and return it."""

    def wait(page: Page) -> Page:
        qtbot.waitUntil(lambda: page.state in (PageState.READY, PageState.FAILED))
        assert page.state is PageState.READY, page.error_message
        return page

    return wait


@pytest.fixture
def make_window(qtbot: QtBot, jobs: JobRunner, wait_loaded: Callable[[Page], Page]) -> Callable[..., MainWindow]:
    """make_window(ctx): a main window on the database, its first page loaded; qtbot closes it at teardown."""

    def build(context: AppContext, remember_geometry: bool = True) -> MainWindow:
        window = MainWindow(jobs, remember_geometry=remember_geometry)
        qtbot.addWidget(window)
        with context.sessions() as session:
            window.set_context(context, installation(session))
        wait_loaded(window.current_page())
        return window

    return build


# The administrator of `signed_in_county_ctx`; the sign-in dialog of run_gui answers with these.
ADMIN, PASSWORD = "admin", "Lishui-2026-zjtx"


@pytest.fixture
def signed_in_county_ctx(county_ctx: AppContext) -> AppContext:
    """青田县's installation with its administrator: run_gui asks to sign in (not the first-run wizard)."""
    from zjtx_desktop.accounts import create_first_admin

    with transaction(county_ctx.sessions) as session:
        create_first_admin(session, county_ctx.actor, ADMIN, "王丽", PASSWORD)
    return county_ctx


@pytest.fixture(autouse=True)
def typed_sign_in(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """A modal sign-in dialog would wait for ever in a test: it is answered as a user would, with the
    administrator's name and password, then 登录. The dialogs shown are listed."""
    from PySide6.QtWidgets import QDialog

    from ui.dialogs.login import LoginDialog

    shown: list[object] = []

    def answer(dialog: LoginDialog) -> QDialog.DialogCode:
        shown.append(dialog)
        dialog.username_edit.setText(ADMIN)
        dialog.password_edit.setText(PASSWORD)
        dialog.accept()
        return QDialog.DialogCode(dialog.result())

    monkeypatch.setattr(LoginDialog, "exec", answer)
    return shown
