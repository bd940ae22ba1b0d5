"""系统管理: facts about this installation (unit, database, schema revision, version) and its backups:
take one now, restore one (a safety copy of the current database is kept), open the folder. Each
section of the page is a tab, so further ones (审计日志, 账户) sit beside 概况与备份."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.jobs import Job, JobRunner, Work
from ui.models.table_rows import TextRowsModel
from ui.page_names import PAGE_TITLES
from ui.pages.admin_accounts import AccountsTab
from ui.pages.admin_audit import AuditLogTab
from ui.theme import SPACING
from ui.widgets import Page, make_table_view, mark_other_pages_stale, note_label
from zjtx_desktop import __version__

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext

FACTS = ("本机单位", "单位名称", "数据库位置", "数据库结构版本", "程序版本")
BACKUP_HEADERS = ("备份时间", "原因", "大小", "文件")
BACKUP_NOTE = (
    "每天第一次打开和退出程序时（有改动才备份）、升级数据库结构前、每次导入前和恢复前自动备份；最近 48 小时的备份全部保留，"
    "更早的保留最近 7 天每天、5 周每周、12 个月每月各一份。备份文件在数据库旁的 backups 文件夹中，"
    "请定期复制到 U 盘或其他电脑。"
)
SERVER_BACKUP_NOTE = (
    "本数据库在数据库服务器上（PostgreSQL），由各单位共用：备份与恢复由市局信息中心在服务器上用 pg_dump 定期备份、"
    "用 pg_restore 恢复（证明材料也保存在数据库中，一并备份），本程序不在本机另存副本。需要恢复某一时点的数据时，"
    "请联系数据库管理员。"
)


@dataclass(frozen=True)
class AdminData:
    facts: dict[str, str]
    backups: list[tuple[str, str, str, Path]] = field(default_factory=list)  # when, reason, size, path
    folder: Path | None = None
    server: bool = False  # a shared server database: its backups are the server's business


def load_admin(ctx: AppContext) -> AdminData:
    """The facts and the backups folder's contents; runs on the worker."""
    from zjtx_desktop.backup import backups_folder, list_backups

    facts = load_facts(ctx)
    path = ctx.location.sqlite_path
    if path is None:
        return AdminData(facts, server=True)
    rows = [
        (b.taken.strftime("%Y-%m-%d %H:%M:%S"), b.reason_label, f"{b.size / 1024 / 1024:.1f} MB", b.path)
        for b in list_backups(path)
    ]
    return AdminData(facts, rows, backups_folder(path))


def take_manual_backup(ctx: AppContext) -> Path:
    from zjtx_desktop.backup import take_backup

    assert ctx.location.sqlite_path is not None
    return take_backup(ctx.location.sqlite_path, "manual")


def restore_from(ctx: AppContext, backup: Path) -> Path:
    """Restore on the worker (the only job running), then audit it in the restored database."""
    from zjtx_desktop.audit import record
    from zjtx_desktop.backup import restore_backup
    from zjtx_desktop.database import transaction

    assert ctx.location.sqlite_path is not None
    ctx.engine.dispose()  # no pooled connection may keep a transaction or cached pages across the swap
    safety = restore_backup(ctx.location.sqlite_path, backup)
    with transaction(ctx.sessions) as session:
        record(session, ctx.actor, "restore", "database", backup.name, after={"safety_copy": safety.name})
    return safety


def load_facts(ctx: AppContext) -> dict[str, str]:
    """The installation and the database's schema revision, as display texts; runs on the worker thread."""
    from zjtx_desktop.migrations import migration_state
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
    state = migration_state(ctx.location)
    scope = "市级，查看全部单位" if inst.is_city else "县级，只处理本单位数据"
    revision = state.current or "（未初始化）"
    if state.current is not None:
        revision += "（最新）" if state.up_to_date else f"（程序支持 {state.head}）"
    return {
        "本机单位": f"{inst.unit_name}（{inst.unit_code}，{scope}）",
        "单位名称": inst.organisation,
        "数据库位置": ctx.location.describe(),
        "数据库结构版本": revision,
        "程序版本": __version__,
    }


class AdminPage(Page):
    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["admin"], jobs, parent)
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs, 1)
        overview = QWidget()
        overview_layout = QVBoxLayout(overview)
        overview_layout.setContentsMargins(0, SPACING, 0, 0)
        overview_layout.setSpacing(SPACING)
        self.tabs.addTab(overview, "概况与备份")
        box = QGroupBox("本机信息")
        form = QFormLayout(box)
        form.setHorizontalSpacing(SPACING * 2)
        form.setVerticalSpacing(SPACING)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.fact_labels: dict[str, QLabel] = {}
        for name in FACTS:
            value = QLabel("—")
            value.setObjectName("factValue")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            form.addRow(f"{name}：", value)
            self.fact_labels[name] = value
        overview_layout.addWidget(box)

        backups = QGroupBox("数据备份")
        backup_layout = QVBoxLayout(backups)
        self.backup_note = note_label(BACKUP_NOTE)
        backup_layout.addWidget(self.backup_note)
        self.backups_model = TextRowsModel(BACKUP_HEADERS)
        self.backups_view = make_table_view(self.backups_model)
        self.backups_view.horizontalHeader().setStretchLastSection(True)
        backup_layout.addWidget(self.backups_view, 1)
        buttons = QHBoxLayout()
        self.backup_button = QPushButton("立即备份")
        self.restore_button = QPushButton("用所选备份恢复…")
        self.restore_button.setObjectName("dangerButton")
        self.folder_button = QPushButton("打开备份文件夹")
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button.clicked.connect(self.restore_selected)
        self.folder_button.clicked.connect(self.open_folder)
        buttons.addStretch(1)
        for button in (self.folder_button, self.backup_button, self.restore_button):
            buttons.addWidget(button)
        backup_layout.addLayout(buttons)
        self.backup_widgets = (self.backups_view, self.backup_button, self.restore_button, self.folder_button)
        overview_layout.addWidget(backups, 1)
        overview_layout.addStretch(0)  # takes the room instead of an empty backups box on a server
        self.overview_layout, self.backups_box = overview_layout, backups
        self.accounts_tab = AccountsTab(jobs, self.tabs)  # shown to administrators only
        self.audit_tab = AuditLogTab(jobs, self.tabs, lambda: self.ctx)
        self.data: AdminData | None = None
        self.job: Job | None = None

    def activate(self) -> None:
        self.accounts_tab.follow(self.ctx)  # who is signed in may have changed since the last visit
        super().activate()

    def fact(self, name: str) -> str:
        return self.fact_labels[name].text()

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_admin(ctx)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, AdminData)
        self.data = data
        for name, value in data.facts.items():
            self.fact_labels[name].setText(value)
        self.backups_model.set_rows(
            [([when, reason, size, path.name], path) for when, reason, size, path in data.backups]
        )
        self.backups_view.resizeColumnsToContents()
        self.backups_view.horizontalHeader().setStretchLastSection(True)
        self.backup_note.setText(SERVER_BACKUP_NOTE if data.server else BACKUP_NOTE)
        for widget in self.backup_widgets:
            widget.setVisible(not data.server)
        self.overview_layout.setStretchFactor(self.backups_box, 0 if data.server else 1)
        self.overview_layout.setStretch(self.overview_layout.count() - 1, 1 if data.server else 0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_file = self.data is not None and self.data.folder is not None
        idle = self.job is None
        self.backup_button.setEnabled(has_file and idle)
        self.folder_button.setEnabled(has_file)
        self.restore_button.setEnabled(has_file and idle and bool(self.data and self.data.backups))

    def selected_backup(self) -> Path | None:
        index = self.backups_view.currentIndex()
        payload = self.backups_model.payload(index.row()) if index.isValid() else None
        return payload if isinstance(payload, Path) else None

    def _run(self, work: Work, name: str, done: Any) -> Job | None:
        if self.ctx is None or self.job is not None:
            return None
        job = self.jobs.submit(work, name=name)
        self.job = job
        self._update_buttons()

        def finished(result: Any) -> None:
            self.job = None
            done(result)
            self.refresh()

        def failed(message: str) -> None:
            self.job = None
            self._update_buttons()
            prompts.warn(self, name, message)

        job.finished.connect(finished)
        job.failed.connect(failed)
        return job

    def backup_now(self) -> Job | None:
        ctx = self.ctx
        if ctx is None:
            return None
        return self._run(
            lambda _control: take_manual_backup(ctx),
            "备份数据库",
            lambda path: prompts.inform(self, "已备份", f"已备份并校验：{path}"),
        )

    def restore_selected(self) -> Job | None:
        ctx, backup = self.ctx, self.selected_backup()
        if ctx is None or backup is None:
            return None
        question = (
            f"用备份“{backup.name}”恢复数据库吗？\n\n当前数据库会先另存为一份“恢复前”备份；"
            "恢复后，备份之后录入和导入的数据都不在数据库中（可从“恢复前”备份找回）。"
        )
        if not prompts.confirm(self, "恢复数据库", question, ok_text="恢复"):
            return None

        def done(safety: Path) -> None:
            mark_other_pages_stale(self)
            prompts.inform(self, "已恢复", f"已恢复。恢复前的数据库另存为：{safety.name}")

        return self._run(lambda _control: restore_from(ctx, backup), "恢复数据库", done)

    def open_folder(self) -> bool:
        if self.data is None or self.data.folder is None:
            return False
        self.data.folder.mkdir(parents=True, exist_ok=True)
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data.folder))))
