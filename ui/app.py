"""Starting the GUI (`run_gui`) and rendering a page to an image without a display (`render_screenshot`)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEventLoop, QLibraryInfo, QLocale, QSize, Qt, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from ui.first_run import FirstRunDialog
from ui.main_window import SETTINGS_APPLICATION, SETTINGS_ORGANISATION, MainWindow
from ui.page_names import check_page_name
from ui.theme import app_icon, application_font, load_stylesheet
from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import DatabaseLocation
from zjtx_desktop.errors import UserError
from zjtx_desktop.settings import installation

log = logging.getLogger(__name__)

NO_DISPLAY_MESSAGE = "没有可用的图形显示（DISPLAY 未设置），无法启动图形界面；可在桌面环境中运行，或使用命令行子命令。"

SETTLE_TIMEOUT_MS = 10_000

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


def _event_loop(app: QApplication) -> int:
    return int(app.exec())


def run_gui(location: DatabaseLocation) -> int:
    """Start the GUI on the database at `location`; returns the process exit code."""
    if not has_display():
        # Before any Qt object: Qt would otherwise abort the process with an English message.
        raise UserError(NO_DISPLAY_MESSAGE)
    app = prepare_application()
    try:
        ctx = open_database(location)
    except UserError as error:
        QMessageBox.critical(None, APP_NAME, str(error))
        return 1
    try:
        with ctx.sessions() as session:
            configured = installation(session).configured
        if not configured:
            wizard = FirstRunDialog(ctx)
            if wizard.exec() != QDialog.DialogCode.Accepted:
                return 1
        window = MainWindow(ctx)
        window.show()
        previous_hook = sys.excepthook
        sys.excepthook = _show_unexpected_error
        try:
            return _event_loop(app)
        finally:
            sys.excepthook = previous_hook
    finally:
        ctx.close()


def render_screenshot(location: DatabaseLocation, page: str, out: Path, width: int = 1366, height: int = 768) -> None:
    """Render one page of the main window at width×height into an image file (PNG by its suffix)."""
    check_page_name(page)
    if width < 200 or height < 200:
        raise UserError(f"截图尺寸过小：{width}×{height}（宽和高至少 200 像素）")
    if QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = prepare_application()
    ctx: AppContext = open_database(location)
    try:
        # No first-run wizard here: an unconfigured database shows the city-level defaults.
        window = MainWindow(ctx, remember_geometry=False)
        # Laid out and painted like a shown window, but never put on a real screen.
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        window.setMinimumSize(window.minimumSize().boundedTo(QSize(width, height)))
        window.resize(width, height)
        shown = window.show_page(page)
        window.show()
        app.processEvents()
        if not shown.is_settled():
            # Wait (in the event loop, bounded) for deferred drawing such as the dashboard's chart.
            loop = QEventLoop()
            shown.settled.connect(loop.quit)
            QTimer.singleShot(SETTLE_TIMEOUT_MS, loop, loop.quit)
            loop.exec()
        app.processEvents()
        image = window.grab()
        window.close()
        window.deleteLater()
        out = Path(out)
        if not image.save(str(out)):
            raise UserError(f"无法写入截图文件：{out}（检查文件夹是否存在、扩展名是否为 .png）")
    finally:
        ctx.close()
