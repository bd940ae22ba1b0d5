"""Starting the GUI (`run_gui`) and rendering a page to an image without a display (`render_screenshot`).

Start-up order: the QApplication, then the main window's shell, shown at once; the database is opened
(migrated, seeded) on the worker meanwhile, and handed to the window when it is ready. Nothing imported
here loads SQLAlchemy, Alembic or matplotlib; the worker does, off the GUI thread.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QLibraryInfo, QLocale, QSize, Qt, QTimer, QTranslator, SignalInstance
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from ui.gc_guard import collect_on_gui_thread
from ui.jobs import Job, JobRunner
from ui.main_window import SETTINGS_APPLICATION, SETTINGS_ORGANISATION, MainWindow
from ui.page_names import check_page_name
from ui.theme import app_icon, application_font, load_stylesheet
from ui.widgets import PageState
from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.errors import UserError
from zjtx_desktop.instance_lock import InstanceLock

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.database import DatabaseLocation
    from zjtx_desktop.principal import Principal
    from zjtx_desktop.settings import Installation

log = logging.getLogger(__name__)

NO_DISPLAY_MESSAGE = "没有可用的图形显示（DISPLAY 未设置），无法启动图形界面；可在桌面环境中运行，或使用命令行子命令。"

SETTLE_TIMEOUT_MS = 10_000
# Opening may include a migration of a large database (after a backup): allow it much longer.
OPEN_TIMEOUT_MS = 300_000

# bench/run.py sets this to time the start-up of the real program (see _report_start_to_bench).
BENCH_VARIABLE = "ZJTX_BENCH_EXIT_AFTER_SHOW"
# With it, "user:password" typed into the sign-in dialog (bench databases have a bench account).
BENCH_LOGIN_VARIABLE = "ZJTX_BENCH_LOGIN"

# Kept for the life of the process: Qt does not own the translators it is given.
_translators: list[object] = []


def has_display() -> bool:
    """False on Linux without X11/Wayland when no Qt platform was chosen explicitly."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def prepare_application() -> QApplication:
    """The QApplication, set up once: names, icon, Chinese Qt dialogs, the bundled font and the stylesheet."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    if app.property("zjtx_prepared"):
        return app
    collect_on_gui_thread(app)
    app.setOrganizationName(SETTINGS_ORGANISATION)
    app.setApplicationName(SETTINGS_APPLICATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    # Fusion looks the same on every Windows version and takes the stylesheet predictably; the light
    # scheme because the stylesheet is light (in Windows dark mode, Fusion would turn text white).
    app.setStyle("Fusion")
    app.styleHints().setColorScheme(Qt.ColorScheme.Light)
    # Qt's own texts (message box buttons, context menus) in Chinese too.
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", folder):
        app.installTranslator(translator)
        _translators.append(translator)
    app.setFont(application_font())
    app.setStyleSheet(load_stylesheet())
    app.setProperty("zjtx_prepared", True)
    return app


def _show_unexpected_error(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    """Unexpected errors in the event loop: tell the user instead of failing silently."""
    details = "".join(traceback.format_exception(kind, error, trace))
    log.error("unexpected error\n%s", details)
    if isinstance(error, UserError):
        QMessageBox.warning(None, APP_NAME, str(error))
        return
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, "程序发生了意外错误，刚才的操作可能没有完成。")
    box.setInformativeText("数据库中已提交的数据不受影响。请把下面的详细信息发给技术支持人员。")
    box.setDetailedText(details)
    box.exec()


@dataclass(frozen=True)
class OpenedDatabase:
    ctx: AppContext
    installation: Installation
    has_accounts: bool = True


def open_installation(location: DatabaseLocation) -> OpenedDatabase:
    """Open the database (check, back up and migrate, seed) and read the installation; runs on the worker."""
    from zjtx_desktop.accounts import has_accounts
    from zjtx_desktop.context import open_database
    from zjtx_desktop.settings import installation

    ctx = open_database(location)
    try:
        with ctx.sessions() as session:
            return OpenedDatabase(ctx, installation(session), has_accounts(session))
    except BaseException:
        ctx.close()
        raise


def _start_opening(jobs: JobRunner, location: DatabaseLocation) -> Job:
    return jobs.submit(lambda _control: open_installation(location), name="打开数据库")


def _close_opened(opening: Job) -> None:
    # The result is there even when its delivery was dropped (window closed while the database opened).
    opened = opening.result
    if isinstance(opened, OpenedDatabase):
        from zjtx_desktop.backup import exit_backup

        try:
            exit_backup(opened.ctx.location.sqlite_path)
        except Exception:  # leaving must not fail; the next start takes the daily backup
            log.exception("backup on exit failed")
        opened.ctx.close()


def _event_loop(app: QApplication) -> int:
    return int(app.exec())


def _on_opened(app: QApplication, window: MainWindow, opened: OpenedDatabase) -> None:
    """First run: the wizard (unit, organisation, the administrator). Otherwise: sign in, and a new password
    first when an administrator has reset it. Then the window gets the database as the account sees it."""
    ctx, inst = opened.ctx, opened.installation
    if not inst.configured or not opened.has_accounts:
        from ui.first_run import FirstRunDialog

        wizard = FirstRunDialog(ctx, window, create_admin=not opened.has_accounts)
        if wizard.exec() != QDialog.DialogCode.Accepted or wizard.installation is None:
            app.exit(1)
            return
        principal = wizard.principal
    else:
        principal = _sign_in(window, ctx, inst)
        if principal is None:
            app.exit(1)
            return
    if principal is not None:
        ctx.sign_in(principal)
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
    window.set_context(ctx, inst)


def _sign_in(window: MainWindow, ctx: AppContext, inst: Installation) -> Principal | None:
    from ui.dialogs.login import LoginDialog

    login = LoginDialog(ctx, inst, window)
    bench_login = os.environ.get(BENCH_LOGIN_VARIABLE) if os.environ.get(BENCH_VARIABLE) else None
    if bench_login:
        # The start-up benchmark signs in as a user typing fast would: same checks, no shortcut.
        name, _, password = bench_login.partition(":")
        login.username_edit.setText(name)
        login.password_edit.setText(password)
        QTimer.singleShot(0, login.accept)
    if login.exec() != QDialog.DialogCode.Accepted or login.principal is None:
        return None
    if login.must_change_password:
        from ui.dialogs.change_password import ChangePasswordDialog

        assert login.principal.user_id is not None
        change = ChangePasswordDialog(ctx, window.jobs, login.principal.user_id, forced=True, parent=window)
        if change.exec() != QDialog.DialogCode.Accepted:
            return None
    return login.principal


def _on_open_failed(app: QApplication, window: MainWindow, message: str) -> None:
    QMessageBox.critical(window, APP_NAME, message)
    app.exit(1)


def run_gui(location: DatabaseLocation) -> int:
    """Start the GUI on the database at `location`; returns the process exit code."""
    entered = time.time()
    if not has_display():
        # Before any Qt object: Qt would otherwise abort the process with an English message.
        raise UserError(NO_DISPLAY_MESSAGE)
    app = prepare_application()
    # One running instance per database (DESIGN §8): taken before the window shows, released only
    # after the database has been closed (the exit backup included), also when leaving by an error.
    lock = InstanceLock(location.sqlite_path, purpose="图形界面", create_folder=True)
    try:
        lock.acquire()
    except UserError as exc:
        QMessageBox.warning(None, APP_NAME, str(exc))
        return 1
    try:
        return _run_main_window(app, location, entered)
    finally:
        lock.release()


def _run_main_window(app: QApplication, location: DatabaseLocation, entered: float) -> int:
    jobs = JobRunner()
    window = MainWindow(jobs)
    window.show()
    opening = _start_opening(jobs, location)
    opening.finished.connect(lambda opened: _on_opened(app, window, opened))
    opening.failed.connect(lambda message: _on_open_failed(app, window, message))
    if os.environ.get(BENCH_VARIABLE):
        _report_start_to_bench(app, window, entered)
    previous_hook = sys.excepthook
    sys.excepthook = _show_unexpected_error
    try:
        return _event_loop(app)
    finally:
        sys.excepthook = previous_hook
        window.close()
        window.deleteLater()
        jobs.shutdown()
        _close_opened(opening)


def _report_start_to_bench(app: QApplication, window: MainWindow, entered: float) -> None:
    """Print when the window is up (first event-loop turn after show) and when its first page has settled.

    Lines "READY <epoch seconds> <1 if the window, its navigation and first page are visible> <epoch
    seconds run_gui was called>" and "SETTLED <epoch seconds>" (or "FAILED <message>"), then the program
    quits. Only bench/run.py asks for this.
    """

    def settled() -> None:
        page = window.current_page()
        if page.state is PageState.FAILED:
            print(f"FAILED {page.error_message}", flush=True)
            app.exit(1)
        elif window.ctx is not None and page.is_settled():
            print(f"SETTLED {time.time()}", flush=True)
            app.exit(0)

    def ready() -> None:
        page = window.current_page()
        visible = window.isVisible() and window.navigation.isVisible() and page.isVisible()
        print(f"READY {time.time()} {int(visible)} {entered}", flush=True)
        page.settled.connect(settled)

    QTimer.singleShot(0, window, ready)


def _run_until(done: Callable[[], bool], wake: SignalInstance, timeout_ms: int) -> bool:
    """Run the event loop until done() holds, checking whenever `wake` is emitted; False after timeout_ms."""
    if done():
        return True
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    wake.connect(loop.quit)
    timer.start(timeout_ms)
    try:
        while not done() and timer.isActive():
            loop.exec()
    finally:
        wake.disconnect(loop.quit)
    return done()


def render_screenshot(location: DatabaseLocation, page: str, out: Path, width: int = 1366, height: int = 768) -> None:
    """Render one page of the main window at width×height into an image file (PNG by its suffix).

    The picture is taken once the page has its data and has drawn its charts (waited for, bounded).
    """
    check_page_name(page)
    if width < 200 or height < 200:
        raise UserError(f"截图尺寸过小：{width}×{height}（宽和高至少 200 像素）")
    if QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = prepare_application()
    jobs = JobRunner()
    window = MainWindow(jobs, remember_geometry=False)
    opening = _start_opening(jobs, location)
    try:
        # Laid out and painted like a shown window, but never put on a real screen.
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        window.setMinimumSize(window.minimumSize().boundedTo(QSize(width, height)))
        window.resize(width, height)
        shown = window.show_page(page)
        window.show()
        if not _run_until(jobs.is_idle, jobs.idle, OPEN_TIMEOUT_MS):
            raise UserError(f"打开数据库超时：{location.describe()}")
        if opening.error is not None:
            raise UserError(opening.error)
        opened = opening.result
        assert isinstance(opened, OpenedDatabase)
        # No first-run wizard here: an unconfigured database shows the city-level defaults.
        window.set_context(opened.ctx, opened.installation)
        if not _run_until(shown.is_settled, shown.settled, SETTLE_TIMEOUT_MS):
            log.warning("screenshot of %s taken before the page settled", page)
        if shown.state is PageState.FAILED:
            raise UserError(f"页面“{shown.title}”未能加载：{shown.error_message}")
        app.processEvents()
        image = window.grab()
        out = Path(out)
        if not image.save(str(out)):
            raise UserError(f"无法写入截图文件：{out}（检查文件夹是否存在、扩展名是否为 .png）")
    finally:
        window.close()
        window.deleteLater()
        jobs.shutdown()
        _close_opened(opening)
