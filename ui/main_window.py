"""The main window: navigation on the left, the pages on the right, the installation in the status bar.

The window is built before the database is open (so that it appears at once) and gets the database with
`set_context`. Pages other than the first are built on their first visit. Nothing here imports SQLAlchemy,
Alembic or matplotlib: start-up must not wait for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.jobs import JobRunner
from ui.page_names import PAGE_NAMES, PAGE_TITLES, check_page_name
from ui.pages.dashboard import DashboardPage
from ui.theme import NAV_ROW_HEIGHT, NAV_WIDTH, app_icon, icon
from ui.widgets import OPENING_TEXT, ElidedLabel, Page, PageState
from zjtx_desktop import APP_NAME, __version__

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.settings import Installation

SETTINGS_ORGANISATION = "ZJTX"
SETTINGS_APPLICATION = "ZJTXDesktop"
GEOMETRY_KEY = "main_window/geometry"

# Small enough for a 1366×768 screen at 125 % scaling (about 1093×574 usable).
MINIMUM_SIZE = QSize(960, 540)
DEFAULT_SIZE = QSize(1280, 720)


def window_settings() -> QSettings:
    return QSettings(SETTINGS_ORGANISATION, SETTINGS_APPLICATION)


class MainWindow(QMainWindow):
    """The application's one main window over one database, whose pages load through `jobs`.

    remember_geometry=False (used for screenshots) neither restores nor saves the window geometry.
    """

    def __init__(self, jobs: JobRunner, *, remember_geometry: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.installation: Installation | None = None
        self.remember_geometry = remember_geometry

        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setMinimumSize(MINIMUM_SIZE)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.stack = QStackedWidget()
        # Built on first visit (see page()).
        self.pages: dict[str, Page] = {}
        for number, name in enumerate(PAGE_NAMES):
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
        self.navigation_header = QLabel()
        self.navigation_header.setObjectName("navigationHeader")
        side_layout.addWidget(self.navigation_header)
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
        # The first page comes with the window; the others' modules load on their first visit.
        if name == "dashboard":
            dashboard = DashboardPage(self.jobs)
            dashboard.open_enterprise.connect(self.open_enterprise)
            dashboard.navigate.connect(self.navigate)
            return dashboard
        if name == "enterprises":
            from ui.pages.enterprises import EnterprisesPage

            return EnterprisesPage(self.jobs)
        if name == "exchange":
            from ui.pages.exchange import ExchangePage

            exchange = ExchangePage(self.jobs)
            exchange.receipt_requested.connect(self.print_import_receipt)
            return exchange
        if name == "targets":
            from ui.pages.targets import TargetsPage

            targets = TargetsPage(self.jobs)
            targets.open_enterprise.connect(self.open_enterprise)
            return targets
        if name == "cultivation":
            from ui.pages.cultivation import CultivationPage

            cultivation = CultivationPage(self.jobs)
            cultivation.open_enterprise.connect(self.open_enterprise)
            return cultivation
        if name == "monitoring":
            from ui.pages.monitoring import MonitoringPage

            monitoring = MonitoringPage(self.jobs)
            monitoring.open_enterprise.connect(self.open_enterprise)
            return monitoring
        if name == "visits":
            from ui.pages.visits import VisitsPage

            visits = VisitsPage(self.jobs)
            visits.open_enterprise.connect(self.open_enterprise)
            return visits
        if name == "reports":
            from ui.pages.reports import ReportsPage

            return ReportsPage(self.jobs)
        assert name == "admin", name
        from ui.pages.admin import AdminPage

        return AdminPage(self.jobs)

    def _build_status_bar(self) -> None:
        self.unit_status = QLabel(OPENING_TEXT)
        self.database_status = ElidedLabel()
        self.version_status = QLabel(f"版本 {__version__}")
        # Who is signed in, with their own account actions (the password change) one click away.
        self.account_status = QToolButton()
        self.account_status.setAutoRaise(True)
        self.account_status.setObjectName("accountStatus")  # styled as status text in app.qss
        self.account_status.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.account_status.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.account_menu = QMenu(self.account_status)
        self.change_password_action = self.account_menu.addAction("修改密码…")
        self.change_password_action.triggered.connect(self.change_password)
        self.account_status.setMenu(self.account_menu)
        # No taller than the text beside it: the status bar takes the height of its tallest widget, hidden
        # or not, and every pixel counts on a 1366×768 screen.
        self.account_status.setMaximumHeight(self.unit_status.sizeHint().height() + 2)
        self.account_status.hide()
        status = self.statusBar()
        status.setSizeGripEnabled(True)
        status.addWidget(self.unit_status)
        status.addWidget(self.database_status, 1)
        status.addPermanentWidget(self.account_status)
        status.addPermanentWidget(self.version_status)

    # --- the database ---------------------------------------------------------------------

    def set_context(self, ctx: AppContext, installation: Installation) -> None:
        """The database is open: name the installation, fill the status bar, and load the current page."""
        self.ctx = ctx
        self.installation = installation
        self.setWindowTitle(f"{APP_NAME} — {installation.organisation}")
        self.navigation_header.setText(installation.unit_name)
        self.navigation_header.setToolTip(installation.organisation)
        scope = "市级" if installation.is_city else "县级"
        self.unit_status.setText(f"本机单位：{installation.unit_name}（{scope}）　{installation.organisation}")
        self.database_status.setText(f"数据库：{ctx.location.describe()}")
        principal = ctx.principal
        signed_in = principal is not None and principal.user_id is not None
        if principal is not None and signed_in:
            rights = "" if installation.can_write else "，只读"
            self.account_status.setText(f"当前用户：{principal.display_name}（{principal.role_label}{rights}）")
        self.account_status.setVisible(signed_in)
        for page in self.pages.values():
            page.set_context(ctx)
        self.current_page().activate()

    # --- pages ----------------------------------------------------------------------------

    @property
    def dashboard(self) -> DashboardPage:
        page = self.page("dashboard")
        assert isinstance(page, DashboardPage)
        return page

    def page(self, name: str) -> Page:
        """The page by its name, built now if it has not been visited yet."""
        check_page_name(name)
        page = self.pages.get(name)
        if page is None:
            page = self._make_page(name)
            if self.ctx is not None:
                page.set_context(self.ctx)
            self.pages[name] = page
            self.stack.addWidget(page)
        return page

    def current_page(self) -> Page:
        return self.page(self.current_page_name())

    def current_page_name(self) -> str:
        return PAGE_NAMES[max(self.navigation.currentRow(), 0)]

    def show_page(self, name: str) -> Page:
        """Switch to a page by its name (see ui.page_names); an unknown name raises UserError."""
        self.navigation.setCurrentRow(PAGE_NAMES.index(check_page_name(name)))
        return self.page(name)

    def navigate(self, where: str) -> None:
        """Go to a page, or a tab of it: "targets", "targets:supervision"."""
        name, _, tab = where.partition(":")
        page = self.show_page(name)
        if tab == "supervision":
            from ui.pages.targets import TAB_SUPERVISION, TargetsPage

            if isinstance(page, TargetsPage):
                page.show_tab(TAB_SUPERVISION)

    def print_import_receipt(self, batch_id: int) -> None:
        """Show the report centre with the 导入回执 of one import."""
        from ui.pages.reports import ReportsPage

        page = self.show_page("reports")
        assert isinstance(page, ReportsPage)
        if page.generate_receipt(batch_id) is None:
            from ui.dialogs import prompts

            prompts.warn(self, "请稍候", "报表中心正在生成另一份报表，完成后再打印回执。")

    def open_enterprise(self, enterprise_id: int) -> None:
        """Open an enterprise's detail view from anywhere (a drill-down, an alert)."""
        from ui.pages.enterprises import EnterprisesPage

        page = self.page("enterprises")
        assert isinstance(page, EnterprisesPage)
        if page.setup is not None:
            page.open_detail(enterprise_id)
            return
        # The detail view needs the enterprise page's lists (units, industries): load them first.

        def open_when_loaded() -> None:
            page.loaded.disconnect(open_when_loaded)
            page.open_detail(enterprise_id)

        page.loaded.connect(open_when_loaded)
        if page.state is not PageState.LOADING:
            page.refresh()

    def change_password(self) -> bool:
        """The signed-in user's own password change; True if it was changed."""
        from ui.dialogs.change_password import ChangePasswordDialog

        if self.ctx is None or self.ctx.principal is None or self.ctx.principal.user_id is None:
            return False
        dialog = ChangePasswordDialog(self.ctx, self.jobs, self.ctx.principal.user_id, forced=False, parent=self)
        return dialog.exec() == QDialog.DialogCode.Accepted

    def refresh_current(self) -> None:
        self.current_page().refresh()

    def _on_navigation(self, row: int) -> None:
        if row < 0:
            return
        page = self.page(PAGE_NAMES[row])
        self.stack.setCurrentWidget(page)
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

    def close_dialogs(self) -> bool:
        """Close the window's open dialogs (details, forms); False if one stays open (unsaved, kept)."""
        dialogs = [dialog for dialog in self.findChildren(QDialog) if dialog.isVisible()]

        def depth(widget: QWidget) -> int:
            levels = 0
            while (parent := widget.parentWidget()) is not None:
                widget, levels = parent, levels + 1
            return levels

        # Deepest first: a form opened from a detail view asks about its changes before the view closes.
        for dialog in sorted(dialogs, key=depth, reverse=True):
            if dialog.isVisible() and not dialog.close():
                return False
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        # Dialogs are windows of their own: left open, they would keep the program running after the
        # main window is gone. A form with unsaved changes asks first; kept, the window stays too.
        if not self.close_dialogs():
            event.ignore()
            return
        self.save_geometry()
        super().closeEvent(event)
