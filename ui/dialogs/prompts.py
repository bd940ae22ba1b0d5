"""The questions and notices the GUI puts to the user, in one place so that tests can answer them.

Callers use them through the module (`prompts.confirm(...)`), never by importing the names: the GUI tests
replace these functions with stubs instead of clicking real message boxes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget


def confirm(parent: QWidget | None, title: str, text: str, *, ok_text: str = "确定", cancel_text: str = "取消") -> bool:
    """Ask a yes/no question; True only if the user chose ok_text (the safe answer is the default)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(cancel_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is ok


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """Ask for a line of text; None when cancelled."""
    value, accepted = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if accepted else None


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def warn(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def choose_save_path(parent: QWidget | None, title: str, suggested: str, filters: str) -> str | None:
    """Ask where to write a file; None when cancelled."""
    path, _selected = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None


def choose_open_path(parent: QWidget | None, title: str, directory: str, filters: str) -> str | None:
    """Ask which file to open; None when cancelled."""
    path, _selected = QFileDialog.getOpenFileName(parent, title, directory, filters)
    return path or None
