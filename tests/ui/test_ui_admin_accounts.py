"""系统管理 → 账户: an administrator creates, corrects, resets and unlocks accounts through the dialogs (problems
shown beside the fields, nothing created by a bad entry); others do not see the tab; 修改密码 checks the
current password and saves the new one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ui.dialogs import prompts
from ui.dialogs.account_dialogs import UNIT_HINT, EditAccountDialog, NewAccountDialog, ResetPasswordDialog
from ui.dialogs.change_password import ChangePasswordDialog
from ui.jobs import JobRunner
from ui.pages.admin import AdminPage
from ui.pages.admin_accounts import AccountsTab
from ui.widgets import Page
from zjtx_desktop.accounts import LoginResult, attempt_login, create_account, create_first_admin, update_account
from zjtx_desktop.clock import utcnow
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import User
from zjtx_desktop.passwords import KdfParameters
from zjtx_desktop.principal import Principal

FAST = KdfParameters(n=2**10)  # the production cost takes a third of a second per hash
ADMIN_PASSWORD = "丽水专精特新2026"
CLERK_PASSWORD = "Qt-county-01"


@pytest.fixture
def admin(ctx: AppContext) -> Principal:
    """The first administrator, signed in."""
    with transaction(ctx.sessions) as session:
        principal = create_first_admin(session, ctx.actor, "admin", "王管理", ADMIN_PASSWORD, FAST)
    ctx.sign_in(principal)
    return principal


def add_clerk(ctx: AppContext, name: str = "qt_li", unit: str = "331121") -> int:
    with transaction(ctx.sessions) as session:
        return create_account(session, ctx.actor, name, "李明", "county", unit, CLERK_PASSWORD, FAST)


def login(ctx: AppContext, name: str, password: str, at: dt.datetime | None = None) -> LoginResult:
    with transaction(ctx.sessions) as session:
        return attempt_login(session, name, password, now=at, params=FAST)


@pytest.fixture
def open_admin(qtbot: QtBot, jobs: JobRunner, wait_loaded: Callable[[Page], Page]) -> Callable[[AppContext], AdminPage]:
    """open_admin(ctx): the 系统管理 page shown and loaded, with cheap password hashing for its dialogs."""

    def build(context: AppContext) -> AdminPage:
        page = AdminPage(jobs)
        qtbot.addWidget(page)
        page.accounts_tab.params = FAST
        page.resize(1100, 640)
        page.show()
        page.set_context(context)
        page.activate()
        wait_loaded(page)
        return page

    return build


def show_accounts(qtbot: QtBot, page: AdminPage) -> AccountsTab:
    tab = page.accounts_tab
    assert tab.is_shown_in_tabs()
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        page.tabs.setCurrentWidget(tab)
    return tab


def cells(tab: AccountsTab, username: str) -> list[str]:
    row = tab.row_of(username)
    assert row >= 0, f"{username} is not listed"
    return [tab.model.text(row, column) for column in range(tab.model.columnCount())]


def usernames(ctx: AppContext) -> list[str]:
    with ctx.sessions() as session:
        return list(session.scalars(select(User.username).order_by(User.id)))


def test_a_county_account_is_created_through_the_dialog(
    qtbot: QtBot, ctx: AppContext, admin: Principal, open_admin: Callable[[AppContext], AdminPage]
) -> None:
    page = open_admin(ctx)  # kept: qtbot holds widgets weakly
    tab = show_accounts(qtbot, page)
    assert cells(tab, "admin")[2:5] == ["管理员", "全部单位", "正常"]
    dialog = tab.open_new_dialog()
    assert isinstance(dialog, NewAccountDialog) and dialog.isVisible()
    assert "第一次登录时必须" in dialog.intro.text()
    dialog.pickers.select("city")
    assert not dialog.pickers.unit_combo.isEnabled()  # city staff are not limited to a unit
    dialog.username_edit.setText("qt_li")
    dialog.display_name_edit.setText("李明")
    dialog.pickers.select("county", "331121")
    assert dialog.pickers.unit_combo.isEnabled()
    dialog.password_edit.setText(CLERK_PASSWORD)
    dialog.confirm_edit.setText(CLERK_PASSWORD)
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        dialog.save_button.click()
    assert not dialog.isVisible()
    assert cells(tab, "qt_li")[:5] == ["qt_li", "李明", "县级工作人员", "青田县", "待修改密码"]
    assert cells(tab, "qt_li")[5] == "从未登录"
    assert "已创建账户“qt_li”" in tab.status.text()
    first = login(ctx, "qt_li", CLERK_PASSWORD)
    assert first.principal is not None and first.must_change_password
    assert first.principal.unit_code == "331121" and first.principal.role == "county"


def test_a_bad_entry_shows_the_problems_and_creates_nothing(
    qtbot: QtBot, ctx: AppContext, admin: Principal, open_admin: Callable[[AppContext], AdminPage]
) -> None:
    page = open_admin(ctx)  # kept: qtbot holds widgets weakly
    tab = show_accounts(qtbot, page)
    dialog = tab.open_new_dialog()
    assert isinstance(dialog, NewAccountDialog)
    dialog.username_edit.setText("qt_wang")
    dialog.display_name_edit.setText("王五")
    dialog.pickers.select("county")  # but no unit chosen
    dialog.password_edit.setText("short")
    dialog.confirm_edit.setText("short")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=10_000)
    assert "县级工作人员必须指定所属单位" in dialog.message("unit_code")
    assert "密码至少 8 个字符" in dialog.message("password")
    assert dialog.isVisible() and usernames(ctx) == ["admin"]

    # A good password typed differently the second time: refused here, before anything is hashed.
    dialog.pickers.select("county", "331121")
    dialog.password_edit.setText("Qt-county-02")
    dialog.confirm_edit.setText("Qt-county-03")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=10_000)
    assert dialog.message("password_confirm") == "两次输入的密码不一致"
    assert dialog.message("unit_code") == UNIT_HINT  # the unit's problem is gone, its hint is back
    assert dialog.isVisible() and usernames(ctx) == ["admin"]

    # The user name already taken (names are not case-sensitive).
    dialog.username_edit.setText("ADMIN")
    dialog.confirm_edit.setText("Qt-county-02")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=10_000)
    assert "已被使用" in dialog.message("username") and usernames(ctx) == ["admin"]


def test_reset_and_unlock(
    qtbot: QtBot,
    ctx: AppContext,
    admin: Principal,
    open_admin: Callable[[AppContext], AdminPage],
) -> None:
    add_clerk(ctx)
    start = utcnow() - dt.timedelta(seconds=60)
    for at in (0, 0, 0, 5, 40):  # the fifth failure in a row locks the account for 15 minutes
        login(ctx, "qt_li", "wrong-guess", start + dt.timedelta(seconds=at))
    page = open_admin(ctx)  # kept: qtbot holds widgets weakly
    tab = show_accounts(qtbot, page)
    assert cells(tab, "qt_li")[4].startswith("已锁定（至 ")
    tab.select("admin")
    assert not tab.unlock_button.isEnabled()
    tab.select("qt_li")
    assert tab.unlock_button.isEnabled()
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        tab.unlock_button.click()
    assert cells(tab, "qt_li")[4] == "待修改密码" and "已解锁" in tab.status.text()
    assert not tab.unlock_button.isEnabled()  # still selected, no longer locked
    assert login(ctx, "qt_li", CLERK_PASSWORD).principal is not None

    dialog = tab.open_reset_dialog()
    assert isinstance(dialog, ResetPasswordDialog) and "qt_li" in dialog.windowTitle()
    dialog.password_edit.setText("qt_li")
    dialog.confirm_edit.setText("qt_li")
    dialog.save_button.click()
    assert "密码至少 8 个字符" in dialog.message("password") and dialog.isVisible()
    dialog.password_edit.setText("Temp-pass-77")
    dialog.confirm_edit.setText("Temp-pass-77")
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        dialog.save_button.click()
    assert not dialog.isVisible() and "已重置“qt_li”的密码" in tab.status.text()
    assert login(ctx, "qt_li", CLERK_PASSWORD).principal is None
    again = login(ctx, "qt_li", "Temp-pass-77")
    assert again.principal is not None and again.must_change_password


def test_editing_refusals_and_a_version_conflict(
    qtbot: QtBot,
    ctx: AppContext,
    admin: Principal,
    open_admin: Callable[[AppContext], AdminPage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: warnings.append(text))
    clerk = add_clerk(ctx)
    page = open_admin(ctx)  # kept: qtbot holds widgets weakly
    tab = show_accounts(qtbot, page)

    # The last administrator stays one: refused as a whole, in a message box; the dialog stays open.
    tab.select("admin")
    dialog = tab.open_edit_dialog()
    assert isinstance(dialog, EditAccountDialog)
    dialog.pickers.select("city")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert warnings == ["至少要保留一个可用的管理员账户"] and dialog.isVisible()
    dialog.reject()

    # A unit the county role needs, then a change made elsewhere meanwhile.
    tab.select("qt_li")
    dialog = tab.open_edit_dialog()
    assert isinstance(dialog, EditAccountDialog)
    assert dialog.pickers.unit_code() == "331121" and dialog.active_check.isChecked()
    dialog.pickers.select("readonly", "331102")
    dialog.display_name_edit.setText("李明明")
    dialog.active_check.setChecked(False)
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        dialog.save_button.click()
    assert cells(tab, "qt_li")[1:5] == ["李明明", "只读", "莲都区", "已停用"]

    tab.select("qt_li")
    dialog = tab.open_edit_dialog()
    assert isinstance(dialog, EditAccountDialog)
    with transaction(ctx.sessions) as session:
        version = session.get(User, clerk).version  # type: ignore[union-attr]
        update_account(
            session, ctx.actor, clerk, version, display_name="李四", role="readonly", unit_code=None, active=True
        )
    dialog.display_name_edit.setText("李明")
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        dialog.save_button.click()
    assert "已被其他人修改" in warnings[-1] and not dialog.isVisible()
    assert cells(tab, "qt_li")[1] == "李四"  # the other change stands, and the list shows it


def test_only_an_administrator_sees_the_accounts_tab(
    qtbot: QtBot, ctx: AppContext, admin: Principal, open_admin: Callable[[AppContext], AdminPage]
) -> None:
    add_clerk(ctx)
    clerk = login(ctx, "qt_li", CLERK_PASSWORD).principal
    assert clerk is not None
    ctx.sign_in(clerk)
    page = open_admin(ctx)
    assert not page.accounts_tab.is_shown_in_tabs()
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count()) if page.tabs.isTabVisible(i)]
    assert "账户" not in titles and "概况与备份" in titles
    # Another account signs in on the same window: the tab follows on the next visit.
    ctx.sign_in(admin)
    page.activate()
    assert show_accounts(qtbot, page).model.rowCount() == 2
    ctx.sign_in(clerk)
    page.activate()
    assert not page.accounts_tab.is_shown_in_tabs() and page.accounts_tab.model.rowCount() == 0


def test_change_password_checks_the_current_one_and_saves_the_new(
    qtbot: QtBot, ctx: AppContext, admin: Principal, jobs: JobRunner
) -> None:
    clerk_id = add_clerk(ctx)
    clerk = login(ctx, "qt_li", CLERK_PASSWORD).principal
    assert clerk is not None
    ctx.sign_in(clerk)
    dialog = ChangePasswordDialog(ctx, jobs, clerk_id, forced=True, params=FAST)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "管理员" in dialog.intro.text() and "退出" in dialog.intro.text()
    assert dialog.cancel_button.text() == "取消并退出"
    assert "至少 8 个字符" in dialog.message("new_password")  # the rules, before anything is typed

    dialog.old_edit.setText("not-the-password")
    dialog.new_edit.setText("New-pass-2026")
    dialog.confirm_edit.setText("New-pass-2026")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=10_000)
    assert dialog.message("old_password") == "当前密码不正确" and dialog.isVisible()

    dialog.old_edit.setText(CLERK_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.save_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    done = login(ctx, "qt_li", "New-pass-2026")
    assert done.principal is not None and not done.must_change_password
    assert login(ctx, "qt_li", CLERK_PASSWORD).principal is None


def test_change_password_unforced_keeps_plain_wording(
    qtbot: QtBot, ctx: AppContext, admin: Principal, jobs: JobRunner
) -> None:
    dialog = ChangePasswordDialog(ctx, jobs, admin.user_id or 0)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "修改密码" and dialog.cancel_button.text() == "取消"
    dialog.old_edit.setText(ADMIN_PASSWORD)
    dialog.new_edit.setText("abcabcab")
    dialog.confirm_edit.setText("abcabcaX")
    dialog.save()
    assert dialog.message("new_password_confirm") == "两次输入的密码不一致" and not dialog.is_saving()
