"""系统管理 → 账户: the administrator's account list (role, unit, state, last sign-in) with 新建, 修改, 重置密码, 解锁."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ui.dialogs import prompts
from ui.dialogs.account_dialogs import AccountChoices, EditAccountDialog, NewAccountDialog, ResetPasswordDialog
from ui.dialogs.account_form import AccountFormDialog, WriteOutcome, write_account
from ui.field_form import set_severity
from ui.jobs import Job, JobRunner
from ui.models.table_rows import TextRowsModel
from ui.theme import SPACING, TONE_COLOURS
from ui.widgets import make_table_view, note_label
from zjtx_desktop.clock import format_local

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zjtx_desktop.accounts import AccountRow
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.passwords import KdfParameters

TAB_TITLE = "账户"
HEADERS = ("用户名", "姓名", "角色", "所属单位", "状态", "最近登录")
STATUS_COLUMN = HEADERS.index("状态")
NEVER = "从未登录"
COLUMN_GAP = 16
NOTE = (
    "只有管理员能看到和管理账户。新建账户或重置密码后，用户第一次登录时必须改成自己的密码；"
    "连续 5 次输错密码的账户会锁定 15 分钟，可在这里解锁。不再使用的账户请停用，不要转给别人。"
)


@dataclass(frozen=True)
class AccountsData:
    rows: list[AccountRow]
    choices: AccountChoices
    now: dt.datetime  # UTC, when read: whether a lock still holds


def load_accounts(ctx: AppContext) -> AccountsData:
    """The accounts and what the pickers offer on this installation; runs on the worker."""
    from sqlalchemy import select

    from zjtx_desktop.accounts import list_accounts
    from zjtx_desktop.clock import utcnow
    from zjtx_desktop.models import Region
    from zjtx_desktop.settings import configured_installation

    with ctx.sessions() as session:
        rows = list_accounts(session)  # refuses anyone but an administrator
        own = configured_installation(session)
        regions = session.execute(
            select(Region.code, Region.name).where(Region.kind != "city").order_by(Region.sort_order, Region.code)
        ).all()
    units = tuple((code, name) for code, name in regions if own.is_city or code == own.unit_code)
    return AccountsData(rows, AccountChoices(own.is_city, units), utcnow())


def is_locked(row: AccountRow, now: dt.datetime) -> bool:
    return row.locked_until is not None and row.locked_until > now


class AccountsTab(QWidget):
    """The 账户 tab, added to `tabs` on construction and shown only while an administrator is signed in.

    It reloads each time it is shown and after every write. `params` (None: the production cost) is the
    password hashing cost handed to the dialogs.
    """

    loaded = Signal()

    def __init__(self, jobs: JobRunner, tabs: QTabWidget, params: KdfParameters | None = None) -> None:
        super().__init__()
        self.jobs = jobs
        self.tabs = tabs
        self.params = params
        self.ctx: AppContext | None = None
        self.data: AccountsData | None = None
        self.load_job: Job | None = None
        self.write_job: Job | None = None
        self.dialog: AccountFormDialog | None = None

        self.model = TextRowsModel(HEADERS, colour=self._status_colour)
        self.view = make_table_view(self.model)
        self.view.doubleClicked.connect(lambda _index: self.open_edit_dialog())
        self.view.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        self.status = QLabel()
        self.status.setObjectName("formSummary")
        self.status.setWordWrap(True)
        self.new_button = QPushButton("新建账户…")
        self.edit_button = QPushButton("修改…")
        self.reset_button = QPushButton("重置密码…")
        self.unlock_button = QPushButton("解锁")
        self.new_button.clicked.connect(self.open_new_dialog)
        self.edit_button.clicked.connect(self.open_edit_dialog)
        self.reset_button.clicked.connect(self.open_reset_dialog)
        self.unlock_button.clicked.connect(self.unlock_selected)
        buttons = QHBoxLayout()
        buttons.setSpacing(SPACING)
        buttons.addWidget(self.status, 1)
        for button in (self.new_button, self.edit_button, self.reset_button, self.unlock_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(NOTE))
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        tabs.addTab(self, TAB_TITLE)
        tabs.setTabVisible(tabs.indexOf(self), False)
        self._update_buttons()

    # --- who may see it ---------------------------------------------------------------------------

    def follow(self, ctx: AppContext | None) -> None:
        """Show the tab to administrators only (who is signed in may have changed since the last call)."""
        self.ctx = ctx
        principal = ctx.principal if ctx is not None else None
        allowed = principal is not None and principal.is_admin
        self.tabs.setTabVisible(self.tabs.indexOf(self), allowed)
        if not allowed and self.data is not None:
            self.data = None  # nothing of the list stays behind for the next account
            self.model.set_rows([])
            self._update_buttons()

    def is_shown_in_tabs(self) -> bool:
        return self.tabs.isTabVisible(self.tabs.indexOf(self))

    # --- loading ----------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.reload()

    def reload(self) -> Job | None:
        ctx = self.ctx
        if ctx is None or not self.is_shown_in_tabs():
            return None
        if self.load_job is not None:  # only the newest load is shown
            self.load_job.finished.disconnect(self._show_data)
            self.load_job.failed.disconnect(self._load_failed)
            self.load_job.cancel()
        job = self.jobs.submit(lambda _control: load_accounts(ctx), name="加载账户")
        job.finished.connect(self._show_data)
        job.failed.connect(self._load_failed)
        self.load_job = job
        return job

    def _show_data(self, data: Any) -> None:
        assert isinstance(data, AccountsData)
        self.load_job = None
        selected = self.selected_row()
        self.data = data
        self.model.set_rows([(self._cells(row), row) for row in data.rows])
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        for column in range(len(HEADERS) - 1):  # room between the columns; the last one stretches
            header.resizeSection(column, header.sectionSize(column) + COLUMN_GAP)
        header.setStretchLastSection(True)
        if selected is not None:
            ids = [row.id for row in data.rows]
            if selected.id in ids:
                self.view.selectRow(ids.index(selected.id))
        self._update_buttons()
        self.loaded.emit()

    def _load_failed(self, message: str) -> None:
        self.load_job = None
        self._show_status(f"无法加载账户：{message}", "error")

    def _cells(self, row: AccountRow) -> list[str]:
        now = self.data.now if self.data is not None else None
        return [
            row.username,
            row.display_name,
            row.role_label,
            row.unit_name,
            row.status(now),
            format_local(row.last_login_at) or NEVER,
        ]

    def _status_colour(self, row: Any, column: int) -> str | None:
        if column != STATUS_COLUMN or self.data is None:
            return None
        if not row.active:
            return TONE_COLOURS["neutral"]
        if is_locked(row, self.data.now):
            return TONE_COLOURS["bad"]
        return TONE_COLOURS["warn"] if row.must_change_password else None

    # --- selection and buttons --------------------------------------------------------------------

    def row_of(self, username: str) -> int:
        """The table row showing `username` (-1 if none)."""
        texts = self.model.column_texts(0)
        return texts.index(username) if username in texts else -1

    def select(self, username: str) -> None:
        self.view.selectRow(self.row_of(username))

    def selected_row(self) -> AccountRow | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.payload(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        row = self.selected_row()
        idle = self.write_job is None and self.data is not None
        self.new_button.setEnabled(idle)
        self.edit_button.setEnabled(idle and row is not None)
        self.reset_button.setEnabled(idle and row is not None)
        self.unlock_button.setEnabled(
            idle and row is not None and self.data is not None and is_locked(row, self.data.now)
        )

    def _show_status(self, text: str, severity: str = "hint") -> None:
        self.status.setText(text)
        set_severity(self.status, severity)

    # --- writes -----------------------------------------------------------------------------------

    def _open(self, dialog: AccountFormDialog) -> AccountFormDialog:
        if self.dialog is not None and not self.dialog.isVisible():
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.saved.connect(self._show_status)
        dialog.saved.connect(lambda _text: self.reload())
        dialog.outdated.connect(self.reload)
        dialog.open()
        return dialog

    def open_new_dialog(self) -> AccountFormDialog | None:
        if self.ctx is None or self.data is None:
            return None
        return self._open(NewAccountDialog(self.ctx, self.jobs, self.data.choices, params=self.params, parent=self))

    def open_edit_dialog(self) -> AccountFormDialog | None:
        row = self.selected_row()
        if self.ctx is None or self.data is None or row is None:
            return None
        return self._open(EditAccountDialog(self.ctx, self.jobs, row, self.data.choices, parent=self))

    def open_reset_dialog(self) -> AccountFormDialog | None:
        row = self.selected_row()
        if self.ctx is None or row is None:
            return None
        return self._open(ResetPasswordDialog(self.ctx, self.jobs, row, params=self.params, parent=self))

    def unlock_selected(self) -> Job | None:
        ctx, row = self.ctx, self.selected_row()
        if ctx is None or row is None or self.write_job is not None:
            return None
        actor, user_id, username = ctx.actor, row.id, row.username

        def unlock(session: Session) -> None:
            from zjtx_desktop.accounts import unlock_account

            unlock_account(session, actor, user_id)

        job = self.jobs.submit(lambda _control: write_account(ctx, unlock), name="解锁账户")
        self.write_job = job
        self._update_buttons()

        def finished(outcome: WriteOutcome) -> None:
            self.write_job = None
            self._show_status(f"已解锁账户“{username}”。")
            self.reload()

        def failed(message: str) -> None:
            self.write_job = None
            self._update_buttons()
            prompts.warn(self, "解锁账户", message)

        job.finished.connect(finished)
        job.failed.connect(failed)
        return job
