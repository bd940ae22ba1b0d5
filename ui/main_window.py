"""The main window: navigation on the left, the pages on the right, the installation in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.page_names import PAGE_NAMES, PAGE_TITLES, check_page_name
from ui.pages.admin import AdminPage
from ui.pages.dashboard import DashboardPage
from ui.pages.placeholder import PlannedPage
from ui.pages.targets import TargetsPage
from ui.theme import NAV_ROW_HEIGHT, NAV_WIDTH, app_icon, icon
from ui.widgets import ElidedLabel, Page
from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.context import AppContext
from zjtx_desktop.settings import Installation, installation

SETTINGS_ORGANISATION = "ZJTX"
SETTINGS_APPLICATION = "ZJTXDesktop"
GEOMETRY_KEY = "main_window/geometry"

# Small enough for a 1366×768 screen at 125 % scaling (about 1093×574 usable).
MINIMUM_SIZE = QSize(960, 540)
DEFAULT_SIZE = QSize(1280, 720)


def window_settings() -> QSettings:
    return QSettings(SETTINGS_ORGANISATION, SETTINGS_APPLICATION)


class MainWindow(QMainWindow):
    """The application's one main window over one open database.

    remember_geometry=False (used for screenshots) neither restores nor saves the window geometry.
    """

    def __init__(self, ctx: AppContext, *, remember_geometry: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.remember_geometry = remember_geometry
        with ctx.sessions() as session:
            self.installation: Installation = installation(session)

        self.setWindowTitle(f"{APP_NAME} — {self.installation.organisation}")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(MINIMUM_SIZE)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.stack = QStackedWidget()
        self.pages: dict[str, Page] = {}
        for number, name in enumerate(PAGE_NAMES):
            page = self._make_page(name)
            self.pages[name] = page
            self.stack.addWidget(page)
            item = QListWidgetItem(icon(name), PAGE_TITLES[name])
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f"{PAGE_TITLES[name]}（Ctrl+{number + 1}）")
            item.setSizeHint(QSize(NAV_WIDTH, NAV_ROW_HEIGHT))
            self.navigation.addItem(item)

        side = QWidget()
        side.setFixedWidth(NAV_WIDTH)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        header = QLabel(self.installation.unit_name)
        header.setObjectName("navigationHeader")
        header.setToolTip(self.installation.organisation)
        side_layout.addWidget(header)
        side_layout.addWidget(self.navigation, 1)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(side)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_status_bar()

        self.navigation.currentRowChanged.connect(self._on_navigation)
        for number in range(min(len(PAGE_NAMES), 9)):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number + 1}"), self)
            shortcut.activated.connect(lambda row=number: self.navigation.setCurrentRow(row))
        # Only F5: adding the platform's Refresh key too would make F5 ambiguous where they coincide.
        QShortcut(QKeySequence("F5"), self, self.refresh_current)

        self.navigation.setCurrentRow(0)
        self._restore_geometry()

    def _make_page(self, name: str) -> Page:
        if name == "dashboard":
            return DashboardPage(self.ctx)
        if name == "targets":
            return TargetsPage(self.ctx)
        if name == "admin":
            return AdminPage(self.ctx)
        return PlannedPage(self.ctx, name)

    def _build_status_bar(self) -> None:
        inst = self.installation
        scope = "市级" if inst.is_city else "县级"
        self.unit_status = QLabel(f"本机单位：{inst.unit_name}（{scope}）　{inst.organisation}")
        self.database_status = ElidedLabel()
        self.database_status.setText(f"数据库：{self.ctx.location.describe()}")
        self.version_status = QLabel(f"版本 {__version__}")
        status = self.statusBar()
        status.setSizeGripEnabled(True)
        status.addWidget(self.unit_status)
        status.addWidget(self.database_status, 1)
        status.addPermanentWidget(self.version_status)

    # --- pages ----------------------------------------------------------------------------

    @property
    def dashboard(self) -> DashboardPage:
        page = self.pages["dashboard"]
        assert isinstance(page, DashboardPage)
        return page

    def page(self, name: str) -> Page:
        return self.pages[check_page_name(name)]

    def current_page_name(self) -> str:
        return PAGE_NAMES[self.stack.currentIndex()]

    def show_page(self, name: str) -> Page:
        """Switch to a page by its name (see ui.page_names); an unknown name raises UserError."""
        self.navigation.setCurrentRow(PAGE_NAMES.index(check_page_name(name)))
        return self.pages[name]

    def refresh_current(self) -> None:
        page = self.stack.currentWidget()
        if isinstance(page, Page):
            page.refresh()

    def _on_navigation(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        if isinstance(page, Page):
            page.activate()

    # --- geometry -------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        saved = window_settings().value(GEOMETRY_KEY) if self.remember_geometry else None
        if isinstance(saved, QByteArray) and not saved.isEmpty() and self.restoreGeometry(saved):
            return
        size = QSize(DEFAULT_SIZE)
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            # Leave room for the taskbar and title bar on a 1366×768 office screen.
            available = screen.availableGeometry()
            size = size.boundedTo(QSize(available.width() - 40, available.height() - 60)).expandedTo(MINIMUM_SIZE)
            self.resize(size)
            frame = self.frameGeometry()
            frame.moveCenter(available.center())
            self.move(frame.topLeft())
        else:
            self.resize(size)

    def save_geometry(self) -> None:
        if self.remember_geometry:
            settings = window_settings()
            settings.setValue(GEOMETRY_KEY, self.saveGeometry())
            settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        super().closeEvent(event)
