"""The first-run wizard: choose the unit, confirm the organisation, create the administrator with a chosen
password, and the installation is configured — all or nothing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from ui.first_run import CITY_CHOICE, FirstRunDialog
from zjtx_desktop.accounts import attempt_login, has_accounts
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.settings import Installation, installation


def current(ctx: AppContext) -> Installation:
    with ctx.sessions() as session:
        return installation(session)


@pytest.fixture
def dialog(qtbot: QtBot, app: QApplication, ctx: AppContext) -> FirstRunDialog:
    wizard = FirstRunDialog(ctx)
    qtbot.addWidget(wizard)
    wizard.display_name_edit.setText("王丽")
    wizard.password_edit.setText(PASSWORD)
    wizard.confirm_edit.setText(PASSWORD)
    return wizard


PASSWORD = "Lishui-2026-zjtx"


def test_offers_the_city_and_the_ten_units_in_annex_order(dialog: FirstRunDialog) -> None:
    combo = dialog.unit_combo
    names = [combo.itemText(i) for i in range(combo.count())]
    assert names[0] == CITY_CHOICE == "丽水市（市级，查看全部单位）"
    assert names[1:] == [
        "丽水经济技术开发区", "莲都区", "龙泉市", "青田县", "云和县",
        "庆元县", "缙云县", "遂昌县", "松阳县", "景宁畲族自治县",
    ]  # fmt: skip
    assert dialog.organisation() == "丽水市经济和信息化局"


def test_choosing_a_county_configures_it(qtbot: QtBot, dialog: FirstRunDialog, ctx: AppContext) -> None:
    assert not current(ctx).configured
    dialog.select_unit("331121")
    assert dialog.organisation() == "青田县经济和信息化局"
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = current(ctx)
    assert saved.configured
    assert (saved.unit_code, saved.organisation) == ("331121", "青田县经济和信息化局")
    assert dialog.installation == saved


def test_a_typed_organisation_is_kept_when_the_unit_changes(
    qtbot: QtBot, dialog: FirstRunDialog, ctx: AppContext
) -> None:
    dialog.organisation_edit.selectAll()
    # insert() edits as typing does (QTest cannot type Chinese characters).
    dialog.organisation_edit.insert("丽水市经信局企业服务处")
    dialog.select_unit("331102")
    assert dialog.organisation() == "丽水市经信局企业服务处"
    dialog.accept()
    assert current(ctx).organisation == "丽水市经信局企业服务处"
    assert current(ctx).unit_code == "331102"


def test_an_empty_organisation_is_refused(dialog: FirstRunDialog, ctx: AppContext) -> None:
    dialog.organisation_edit.clear()
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "单位名称" in dialog.error_label.text()
    assert not current(ctx).configured


def test_cancel_changes_nothing(qtbot: QtBot, dialog: FirstRunDialog, ctx: AppContext) -> None:
    dialog.select_unit("331181")
    dialog.reject()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not current(ctx).configured


def test_the_administrator_is_created_with_the_chosen_password(dialog: FirstRunDialog, ctx: AppContext) -> None:
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.principal is not None and dialog.principal.role == "admin"
    with transaction(ctx.sessions) as session:
        assert has_accounts(session)
        assert attempt_login(session, "admin", PASSWORD).principal == dialog.principal
        assert attempt_login(session, "admin", "admin").principal is None  # no default password


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [("Lishui-2026-zjtx", "Lishui-2026-zjtY", "两次输入的密码不一致"), ("short", "short", "密码至少 8 个字符")],
)
def test_a_bad_password_configures_nothing(
    dialog: FirstRunDialog, ctx: AppContext, password: str, confirm: str, message: str
) -> None:
    dialog.password_edit.setText(password)
    dialog.confirm_edit.setText(confirm)
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert message in dialog.error_label.text()
    assert not current(ctx).configured
    with ctx.sessions() as session:
        assert not has_accounts(session)


def test_without_account_creation_only_the_unit_is_asked(qtbot: QtBot, app: QApplication, ctx: AppContext) -> None:
    wizard = FirstRunDialog(ctx, create_admin=False)
    qtbot.addWidget(wizard)
    assert wizard.admin_box.isHidden()
    wizard.accept()
    assert wizard.result() == QDialog.DialogCode.Accepted and wizard.principal is None
