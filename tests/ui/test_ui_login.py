"""The sign-in dialog: the right password signs in, a wrong one explains, and after repeated failures the
button counts down the wait instead of letting guesses through."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from ui.dialogs.login import LoginDialog
from zjtx_desktop.accounts import create_first_admin
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.settings import installation

PASSWORD = "Lishui-2026-zjtx"


@pytest.fixture
def dialog(qtbot: QtBot, app: QApplication, ctx: AppContext) -> LoginDialog:
    with transaction(ctx.sessions) as session:
        create_first_admin(session, ctx.actor, "admin", "王丽", PASSWORD)
        inst = installation(session)
    login = LoginDialog(ctx, inst)
    qtbot.addWidget(login)
    return login


def sign_in(qtbot: QtBot, dialog: LoginDialog, name: str, password: str) -> None:
    dialog.username_edit.setText(name)
    dialog.password_edit.setText(password)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)


def test_the_right_password_signs_in(qtbot: QtBot, dialog: LoginDialog) -> None:
    sign_in(qtbot, dialog, "admin", PASSWORD)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.principal is not None and dialog.principal.display_name == "王丽"
    assert not dialog.must_change_password


def test_a_wrong_password_explains_and_clears_the_field(qtbot: QtBot, dialog: LoginDialog) -> None:
    sign_in(qtbot, dialog, "admin", "not-the-password")
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.principal is None
    assert "用户名或密码不正确" in dialog.message_label.text()
    assert dialog.password_edit.text() == ""


def test_empty_fields_are_asked_for(qtbot: QtBot, dialog: LoginDialog) -> None:
    sign_in(qtbot, dialog, "", "")
    assert "请输入用户名和密码" in dialog.message_label.text()


def test_the_third_failure_holds_the_button_and_counts_down(qtbot: QtBot, dialog: LoginDialog) -> None:
    for n in range(3):
        sign_in(qtbot, dialog, "admin", f"wrong-guess-{n}")
    assert not dialog.login_button.isEnabled()
    assert dialog.login_button.text() == "请等待 5 秒"
    # Even the right password cannot be tried while it waits.
    sign_in(qtbot, dialog, "admin", PASSWORD)
    assert dialog.principal is None
    qtbot.waitUntil(lambda: dialog.login_button.text() == "请等待 4 秒", timeout=3000)
    qtbot.waitUntil(dialog.login_button.isEnabled, timeout=8000)
    sign_in(qtbot, dialog, "admin", PASSWORD)
    assert dialog.principal is not None
