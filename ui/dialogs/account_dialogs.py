"""The administrator's account dialogs: 新建账户, 修改账户 and 重置密码, each saved through the core on the worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QWidget

from ui.dialogs.account_form import (
    PASSWORD_HINT,
    AccountFormDialog,
    WriteOutcome,
    new_password_problems,
    password_edit,
    write_account,
)
from ui.jobs import JobRunner
from zjtx_desktop.principal import ROLE_LABELS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.accounts import AccountRow
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.passwords import KdfParameters

UNIT_ROLES = ("county", "readonly")  # the roles that may be bound to one unit
ALL_UNITS_TEXT = "全部单位（不限）"
CHOOSE_UNIT_TEXT = "（请选择单位）"
ROLE_HINT = "县级工作人员只处理所属单位的数据；只读账户只能查看，不能修改"
UNIT_HINT = "县级工作人员必须选择；只读账户可不选（可查看本机的全部单位）"


@dataclass(frozen=True)
class AccountChoices:
    """What the role and unit pickers offer on this installation, read on the worker with the list."""

    is_city: bool  # a county installation has neither city staff nor other units
    units: tuple[tuple[str, str], ...]  # (code, name) of the counties, districts and the zone

    def roles(self) -> list[str]:
        return [role for role in ROLE_LABELS if self.is_city or role != "city"]


class RoleAndUnit:
    """The 角色 and 所属单位 pickers: the unit can be chosen only for county staff and read-only accounts."""

    def __init__(self, choices: AccountChoices, role: str, unit_code: str | None) -> None:
        self.role_combo = QComboBox()
        for code in choices.roles():
            self.role_combo.addItem(ROLE_LABELS[code], code)
        if self.role_combo.findData(role) < 0:  # e.g. a city account left on a county installation
            self.role_combo.addItem(ROLE_LABELS.get(role, role), role)
        self.unit_combo = QComboBox()
        self.unit_combo.addItem(ALL_UNITS_TEXT, None)
        for code, name in choices.units:
            self.unit_combo.addItem(name, code)
        if unit_code is not None and self.unit_combo.findData(unit_code) < 0:
            self.unit_combo.addItem(unit_code, unit_code)
        self.role_combo.setCurrentIndex(max(self.role_combo.findData(role), 0))
        self.unit_combo.setCurrentIndex(max(self.unit_combo.findData(unit_code), 0))
        self._follow_role()
        self.role_combo.currentIndexChanged.connect(lambda _index: self._follow_role())

    def role(self) -> str:
        return str(self.role_combo.currentData())

    def unit_code(self) -> str | None:
        data = self.unit_combo.currentData()
        return str(data) if data else None

    def select(self, role: str, unit_code: str | None = None) -> None:
        self.role_combo.setCurrentIndex(self.role_combo.findData(role))
        if unit_code is not None:
            self.unit_combo.setCurrentIndex(self.unit_combo.findData(unit_code))

    def _follow_role(self) -> None:
        bound = self.role() in UNIT_ROLES
        if not bound:
            self.unit_combo.setCurrentIndex(0)  # administrators and city staff are not limited to a unit
        self.unit_combo.setEnabled(bound)
        self.unit_combo.setItemText(0, CHOOSE_UNIT_TEXT if self.role() == "county" else ALL_UNITS_TEXT)


def _name_edit(text: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setMaxLength(40)
    return edit


class NewAccountDialog(AccountFormDialog):
    """新建账户: user name, name, role, unit and a first password the user must change at the first sign-in."""

    def __init__(
        self,
        ctx: AppContext,
        jobs: JobRunner,
        choices: AccountChoices,
        *,
        params: KdfParameters | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            ctx,
            jobs,
            "新建账户",
            "新账户第一次登录时必须把初始密码改成自己的密码。请把初始密码当面或电话告诉本人，不要写在纸上留在电脑旁。",
            save_text="创建",
            parent=parent,
        )
        self.params = params
        self.username_edit = _name_edit()
        self.username_edit.setPlaceholderText("登录时输入，例如 qt_li")
        self.display_name_edit = _name_edit()
        self.display_name_edit.setPlaceholderText("例如 李明")
        self.pickers = RoleAndUnit(choices, "county", None)
        self.password_edit = password_edit()
        self.confirm_edit = password_edit()
        self.add_field("username", "用户名", self.username_edit, "2–40 个字母、数字、汉字或 _ . -，登录时不区分大小写")
        self.add_field("display_name", "姓名", self.display_name_edit)
        self.add_field("role", "角色", self.pickers.role_combo, ROLE_HINT)
        self.add_field("unit_code", "所属单位", self.pickers.unit_combo, UNIT_HINT)
        self.add_field("password", "初始密码", self.password_edit, PASSWORD_HINT)
        self.add_field("password_confirm", "再输入一遍", self.confirm_edit)
        self.username_edit.setFocus()

    def save(self) -> None:
        username, display_name = self.username_edit.text().strip(), self.display_name_edit.text()
        role, unit_code = self.pickers.role(), self.pickers.unit_code()
        password = self.password_edit.text()
        local = new_password_problems(password, self.confirm_edit.text(), username, "password", "password_confirm")
        # With a password already refused here the core is still asked, with an empty password it always
        # refuses after checking the other fields: every problem shows at once, and nothing can be created.
        sent = "" if local else password
        ctx, actor, params = self.ctx, self.ctx.actor, self.params

        def create(session: Session) -> int:
            from zjtx_desktop.accounts import create_account

            return create_account(session, actor, username, display_name, role, unit_code, sent, params)

        def work() -> WriteOutcome:
            outcome = write_account(ctx, create)
            if not local:
                return outcome
            others = [problem for problem in outcome.problems if problem.field != "password"]
            return WriteOutcome(problems=[*others, *local], conflict=outcome.conflict)

        self.submit(work, "新建账户")

    def succeeded(self, outcome: WriteOutcome) -> str:
        return f"已创建账户“{self.username_edit.text().strip()}”；首次登录时须修改初始密码。"


class EditAccountDialog(AccountFormDialog):
    """修改账户: name, role, unit and whether it may sign in (停用 keeps the account and its history)."""

    def __init__(
        self, ctx: AppContext, jobs: JobRunner, row: AccountRow, choices: AccountChoices, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            ctx,
            jobs,
            f"修改账户 {row.username}",
            "用户名不能修改。停用的账户不能登录，但保留其记录；需要时可重新启用。",
            parent=parent,
        )
        self.row = row
        self.display_name_edit = _name_edit(row.display_name)
        self.pickers = RoleAndUnit(choices, row.role, row.unit_code)
        self.active_check = QCheckBox("启用（允许登录）")
        self.active_check.setChecked(row.active)
        username = QLabel(row.username)
        username.setObjectName("factValue")
        self.add_field("username", "用户名", username)
        self.add_field("display_name", "姓名", self.display_name_edit)
        self.add_field("role", "角色", self.pickers.role_combo, ROLE_HINT)
        self.add_field("unit_code", "所属单位", self.pickers.unit_combo, UNIT_HINT)
        self.add_field("active", "状态", self.active_check)
        self.display_name_edit.setFocus()

    def save(self) -> None:
        ctx, actor, row = self.ctx, self.ctx.actor, self.row
        display_name, role, unit_code = self.display_name_edit.text(), self.pickers.role(), self.pickers.unit_code()
        active = self.active_check.isChecked()

        def update(session: Session) -> None:
            from zjtx_desktop.accounts import update_account

            update_account(
                session,
                actor,
                row.id,
                row.version,
                display_name=display_name,
                role=role,
                unit_code=unit_code,
                active=active,
            )

        self.submit(lambda: write_account(ctx, update), "修改账户")

    def succeeded(self, outcome: WriteOutcome) -> str:
        return f"已保存账户“{self.row.username}”。"


class ResetPasswordDialog(AccountFormDialog):
    """重置密码: a temporary password set twice; the account is unlocked and must choose its own at sign-in."""

    def __init__(
        self,
        ctx: AppContext,
        jobs: JobRunner,
        row: AccountRow,
        *,
        params: KdfParameters | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            ctx,
            jobs,
            f"重置 {row.username} 的密码",
            f"为“{row.display_name}”（{row.username}）设置一个临时密码，账户同时解锁。"
            "用户用临时密码登录后必须立即改成自己的新密码。请把临时密码当面或电话告诉本人。",
            save_text="重置密码",
            parent=parent,
        )
        self.row = row
        self.params = params
        self.password_edit = password_edit()
        self.confirm_edit = password_edit()
        self.add_field("password", "临时密码", self.password_edit, PASSWORD_HINT)
        self.add_field("password_confirm", "再输入一遍", self.confirm_edit)
        self.password_edit.setFocus()

    def save(self) -> None:
        password, row = self.password_edit.text(), self.row
        local = new_password_problems(password, self.confirm_edit.text(), row.username, "password", "password_confirm")
        if local:
            self.show_problems(local)
            return
        ctx, actor, params = self.ctx, self.ctx.actor, self.params

        def reset(session: Session) -> None:
            from zjtx_desktop.accounts import reset_password

            reset_password(session, actor, row.id, password, params)

        self.submit(lambda: write_account(ctx, reset), "重置密码")

    def succeeded(self, outcome: WriteOutcome) -> str:
        return f"已重置“{self.row.username}”的密码并解锁；用户下次登录时须修改密码。"
