"""The first-run wizard: which unit this installation belongs to, the organisation named on reports, and the
administrator account with a password the user chooses (there is no default password)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from ui.field_form import set_severity
from ui.theme import PAGE_MARGIN, SPACING, app_icon
from zjtx_desktop import APP_NAME
from zjtx_desktop.accounts import create_first_admin
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import Region
from zjtx_desktop.passwords import MIN_LENGTH
from zjtx_desktop.principal import Principal
from zjtx_desktop.settings import CITY_CODE, Installation, configure_installation, default_organisation, installation

CITY_CHOICE = "丽水市（市级，查看全部单位）"


class FirstRunDialog(QDialog):
    """Asks for the installation's unit and organisation and, while the database has no account, the first
    administrator; saves them in one transaction. `installation` and `principal` hold the result."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, create_admin: bool = True) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.create_admin = create_admin
        self.installation: Installation | None = None
        self.principal: Principal | None = None
        self.setWindowTitle(f"首次使用设置 — {APP_NAME}")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(520)

        with ctx.sessions() as session:
            current = installation(session)
            regions = list(session.scalars(select(Region).order_by(Region.sort_order)))
        self._defaults: dict[str, str] = {region.code: default_organisation(region) for region in regions}

        intro = QLabel(
            "请选择本机所属的单位并确认单位名称：市级安装可查看全部单位，县（市、区）级安装只处理本单位的数据，"
            "单位名称将用于报表和报送包的署名。"
        )
        intro.setWordWrap(True)

        self.unit_combo = QComboBox()
        self.unit_combo.addItem(CITY_CHOICE, CITY_CODE)
        for region in regions:
            if not region.is_city:
                self.unit_combo.addItem(region.name, region.code)
        self.organisation_edit = QLineEdit()
        self.organisation_edit.setMaxLength(60)
        self.organisation_edit.setPlaceholderText("例如：青田县经济和信息化局")
        self.error_label = QLabel()
        # The stylesheet's red for form messages (ui/field_form.py), not a colour of its own.
        self.error_label.setObjectName("formSummary")
        set_severity(self.error_label, "error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        form = QFormLayout()
        form.setHorizontalSpacing(SPACING)
        form.setVerticalSpacing(SPACING)
        form.addRow("本机单位：", self.unit_combo)
        form.addRow("单位名称：", self.organisation_edit)

        self.username_edit = QLineEdit("admin")
        self.username_edit.setMaxLength(40)
        self.display_name_edit = QLineEdit()
        self.display_name_edit.setMaxLength(40)
        self.display_name_edit.setPlaceholderText("例如：王丽")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(f"至少 {MIN_LENGTH} 个字符")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.admin_box = QGroupBox("管理员账户")
        admin_form = QFormLayout(self.admin_box)
        admin_form.setHorizontalSpacing(SPACING)
        admin_form.setVerticalSpacing(SPACING)
        admin_note = QLabel(
            "管理员可以添加、停用账户和重置密码。请牢记密码：程序没有默认密码，忘记后只能由其他管理员重置。"
        )
        admin_note.setWordWrap(True)
        admin_form.addRow(admin_note)
        admin_form.addRow("用户名：", self.username_edit)
        admin_form.addRow("姓名：", self.display_name_edit)
        admin_form.addRow("密码：", self.password_edit)
        admin_form.addRow("确认密码：", self.confirm_edit)
        self.admin_box.setVisible(create_admin)
        for edit in (self.username_edit, self.display_name_edit, self.password_edit, self.confirm_edit):
            edit.textEdited.connect(self.error_label.hide)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("确定")
        self.ok_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        layout.setSpacing(SPACING + 4)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.admin_box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        # The name follows the chosen unit until the user types a name of their own.
        self._follow_unit = True
        index = self.unit_combo.findData(current.unit_code)
        self.unit_combo.setCurrentIndex(max(index, 0))
        self.organisation_edit.setText(
            current.organisation if current.configured else self._defaults.get(self.unit_code(), "")
        )
        self._follow_unit = not current.configured
        self.unit_combo.currentIndexChanged.connect(self._on_unit_changed)
        self.organisation_edit.textEdited.connect(self._on_organisation_edited)

    def unit_code(self) -> str:
        return str(self.unit_combo.currentData())

    def organisation(self) -> str:
        return self.organisation_edit.text().strip()

    def select_unit(self, code: str) -> None:
        index = self.unit_combo.findData(code)
        if index < 0:
            raise ValueError(f"unknown unit code {code}")
        self.unit_combo.setCurrentIndex(index)

    def _on_unit_changed(self) -> None:
        if self._follow_unit or not self.organisation():
            self.organisation_edit.setText(self._defaults.get(self.unit_code(), ""))
            self._follow_unit = True

    def _on_organisation_edited(self, text: str) -> None:
        self._follow_unit = text.strip() in ("", self._defaults.get(self.unit_code(), ""))
        self.error_label.hide()

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def accept(self) -> None:
        if not self.organisation():
            self._show_error("请填写单位名称（将用于报表署名）。")
            self.organisation_edit.setFocus()
            return
        if self.create_admin and self.password_edit.text() != self.confirm_edit.text():
            self._show_error("两次输入的密码不一致。")
            self.confirm_edit.setFocus()
            return
        try:
            # The password hash takes a moment (memory-hard on purpose).
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                with transaction(self.ctx.sessions) as session:
                    installation_now = configure_installation(
                        session, self.unit_code(), self.organisation(), dt.datetime.now().isoformat(timespec="seconds")
                    )
                    if self.create_admin:
                        self.principal = create_first_admin(
                            session,
                            self.ctx.actor,
                            self.username_edit.text(),
                            self.display_name_edit.text(),
                            self.password_edit.text(),
                        )
            finally:
                QApplication.restoreOverrideCursor()
        except UserError as error:
            self.principal = None
            self._show_error(str(error))
            return
        self.installation = installation_now
        super().accept()
