"""修改密码: the signed-in user's own change (current password, the new one twice), also when a reset forces it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from ui.dialogs.account_form import (
    PASSWORD_HINT,
    AccountFormDialog,
    FieldProblem,
    WriteOutcome,
    new_password_problems,
    password_edit,
    write_account,
)
from ui.jobs import JobRunner

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.context import AppContext
    from zjtx_desktop.passwords import KdfParameters

TITLE = "修改密码"
INTRO = "请输入当前密码，再输入两遍新密码。新密码只有您自己知道，请勿告诉他人或写在电脑旁。"
FORCED_TITLE = "请设置新密码"
FORCED_INTRO = (
    "管理员为您的账户设置了临时密码。继续使用前，请把它改成只有您自己知道的新密码。"
    "如果现在取消，程序将退出，下次登录时仍需修改。"
)


class ChangePasswordDialog(AccountFormDialog):
    """Runs accounts.change_password on the worker for `user_id` (who must be the signed-in account).

    Accepted once the new password is saved. With forced=True (a temporary password after a reset) the
    heading says the administrator requires a new one and 取消 says it quits; quitting is the caller's job.
    """

    def __init__(
        self,
        ctx: AppContext,
        jobs: JobRunner,
        user_id: int,
        forced: bool = False,
        *,
        params: KdfParameters | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, jobs, FORCED_TITLE if forced else TITLE, FORCED_INTRO if forced else INTRO, parent=parent)
        self.user_id = user_id
        self.forced = forced
        self.params = params
        if forced:
            self.cancel_button.setText("取消并退出")
        self.old_edit = password_edit()
        self.new_edit = password_edit()
        self.confirm_edit = password_edit()
        self.add_field("old_password", "临时密码" if forced else "当前密码", self.old_edit)
        self.add_field("new_password", "新密码", self.new_edit, PASSWORD_HINT)
        self.add_field("new_password_confirm", "再输入一遍", self.confirm_edit)
        self.old_edit.setFocus()

    def save(self) -> None:
        old, new, confirm = self.old_edit.text(), self.new_edit.text(), self.confirm_edit.text()
        # The user name is not known here; the core checks "not the user name" again with it.
        problems = new_password_problems(new, confirm, "", "new_password", "new_password_confirm")
        if not old:
            problems.insert(0, FieldProblem("old_password", "请输入当前密码"))
        if problems:
            self.show_problems(problems)
            return
        ctx, user_id, params = self.ctx, self.user_id, self.params

        def change(session: Session) -> None:
            from zjtx_desktop.accounts import change_password

            change_password(session, user_id, old, new, params)

        self.submit(lambda: write_account(ctx, change), "修改密码")

    def succeeded(self, outcome: WriteOutcome) -> str:
        return "密码已修改，下次登录请使用新密码。"
