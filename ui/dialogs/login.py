"""The sign-in dialog at start: user name and password; after repeated failures it counts down the wait."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.field_form import set_severity
from ui.theme import PAGE_MARGIN, SPACING, app_icon
from zjtx_desktop import APP_NAME
from zjtx_desktop.accounts import LoginResult, attempt_login
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.principal import Principal
from zjtx_desktop.settings import Installation


class LoginDialog(QDialog):
    """Signs a user in; `principal` and `must_change_password` hold the outcome once accepted."""

    def __init__(self, ctx: AppContext, installation: Installation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.principal: Principal | None = None
        self.must_change_password = False
        self._wait_until = 0.0  # time.monotonic() when the account may be tried again
        self.setWindowTitle(f"登录 — {APP_NAME}")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(420)

        heading = QLabel(f"{installation.organisation}")
        heading.setObjectName("dialogHeading")
        heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.username_edit = QLineEdit()
        self.username_edit.setMaxLength(40)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setMaxLength(128)
        self.message_label = QLabel()
        # The stylesheet's red for form messages (ui/field_form.py), not a colour of its own.
        self.message_label.setObjectName("formSummary")
        set_severity(self.message_label, "error")
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        form = QFormLayout()
        form.setHorizontalSpacing(SPACING)
        form.setVerticalSpacing(SPACING)
        form.addRow("用户名：", self.username_edit)
        form.addRow("密码：", self.password_edit)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.login_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.login_button.setText("登录")
        self.login_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("退出")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        layout.setSpacing(SPACING + 4)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addWidget(self.buttons)

        # Ticks check a deadline rather than count themselves: coarse timers may fire a little early.
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._tick)
        self.username_edit.setFocus()

    def accept(self) -> None:
        if self._waiting():
            return
        name = self.username_edit.text().strip()
        if not name or not self.password_edit.text():
            self._show("请输入用户名和密码。")
            return
        # One password check is about a third of a second (memory-hard on purpose): short enough to wait for.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            with transaction(self.ctx.sessions) as session:
                result = attempt_login(session, name, self.password_edit.text())
        finally:
            QApplication.restoreOverrideCursor()
        self._handle(result)

    def _handle(self, result: LoginResult) -> None:
        if result.principal is not None:
            self.principal = result.principal
            self.must_change_password = result.must_change_password
            super().accept()
            return
        self.password_edit.clear()
        self.password_edit.setFocus()
        self._show(result.message)
        if result.wait_seconds:
            # A little after the account's own release time, which was stamped before this answer came.
            self._wait_until = time.monotonic() + result.wait_seconds + 0.3
            self.login_button.setEnabled(False)
            self._timer.start()
            self._tick()

    def _waiting(self) -> bool:
        return time.monotonic() < self._wait_until

    def _tick(self) -> None:
        if not self._waiting():
            self._timer.stop()
            self.login_button.setEnabled(True)
            self.login_button.setText("登录")
            return
        left = math.ceil(self._wait_until - time.monotonic() - 0.3)
        self.login_button.setText(f"请等待 {max(left, 1)} 秒" if left <= 90 else f"请等待 {(left + 59) // 60} 分钟")

    def _show(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.show()
