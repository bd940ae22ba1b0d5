"""Forms generated from the core's field specifications: one editor per FieldSpec, its message beside it.

The intake form, the record dialogs (培育记录, 年度监测, 帮扶记录) and the read-only detail view are all
built from the same `FieldSpec` tuples in `zjtx_desktop.fields`: the spec decides the editor (text, number,
date, 是/否, choice, unit, industry, tier), the label and unit, the hint and the order. Nothing here
touches the database: the dialogs validate through the core services on the worker and hand the
problems back to `FieldForm.show_problems`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from ui.theme import SPACING
from zjtx_desktop.clock import format_local
from zjtx_desktop.fields import FieldSpec

EMPTY_CHOICE = "（未填）"
DATE_PLACEHOLDER = "如 2018-06-15"
EDITOR_WIDTH = 300
NUMBER_WIDTH = 160
LONG_TEXT_LENGTH = 1000  # texts allowed to be this long get a multi-line editor
MESSAGE_MIN_WIDTH = 220
ERROR_COLOR = "#b3261e"  # keep in step with fieldMessage[severity="error"] in app.qss

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class ProblemLike(Protocol):
    """What the services report (zjtx_desktop.registry.Problem), without importing the database layer."""

    @property
    def field(self) -> str | None: ...
    @property
    def message(self) -> str: ...
    @property
    def severity(self) -> str: ...


@dataclass(frozen=True)
class Choices:
    """The lists the pickers offer, read once on the worker: (code, label) pairs."""

    units: tuple[tuple[str, str], ...] = ()
    industries: tuple[tuple[str, str], ...] = ()  # ("C34", "C34 通用设备制造业")
    programs: tuple[tuple[str, str], ...] = ()

    def pairs(self, kind: str) -> tuple[tuple[str, str], ...]:
        if kind == "region":
            return self.units
        if kind == "industry":
            return self.industries
        if kind == "program":
            return self.programs
        return ()

    def label(self, kind: str, code: str) -> str:
        for value, text in self.pairs(kind):
            if value == code:
                return text
        return code


# --- values as text -------------------------------------------------------------------------------


def plain_number(value: float | int) -> str:
    """A number as a clerk would type it: no exponent, no trailing zeros, at most four decimals."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def format_value(spec: FieldSpec, value: Any, choices: Choices | None = None) -> str:
    """A value for display (detail view, record tables): 是/否, names for codes, numbers without exponents."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return plain_number(value)
    if isinstance(value, dt.datetime):
        return format_local(value)  # stored as UTC
    if isinstance(value, dt.date):
        return value.isoformat()
    if spec.kind in ("region", "industry", "program") and choices is not None:
        return choices.label(spec.kind, str(value))
    return str(value)


def with_unit(spec: FieldSpec, text: str) -> str:
    return f"{text} {spec.unit}" if text and spec.unit else text


def parse_date(text: str) -> dt.date:
    """A date typed as 2018-06-15, 2018/6/15, 2018.6.15, 20180615 or 2018年6月15日; ValueError otherwise."""
    compact = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.match(compact) or _DATE_COMPACT.match(compact)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return dt.date(year, month, day)


def parse_number(text: str, integer: bool) -> float | int:
    """A number typed with or without thousands separators, full-width digits allowed; ValueError otherwise."""
    compact = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "").strip()
    number = float(compact)
    if not math.isfinite(number):
        raise ValueError(text)
    if integer and number.is_integer():
        return int(number)
    return number  # a fraction in an integer field: check_value says "应为整数"


# --- editors --------------------------------------------------------------------------------------


class FieldEditor(QObject):
    """The editor of one field: its widget, the parsed value (or why it cannot be parsed), change signal."""

    changed = Signal()

    def __init__(self, spec: FieldSpec, widget: QWidget) -> None:
        super().__init__(widget)
        self.spec = spec
        self.widget = widget

    @property
    def focus_widget(self) -> QWidget:
        return self.widget

    def read(self) -> tuple[Any, str | None]:
        """(value, None) or (None, a Chinese message saying why the text is not a value)."""
        raise NotImplementedError

    def raw(self) -> object:
        """What the clerk sees, compared to tell whether anything was changed."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def set_locked(self, locked: bool) -> None:
        self.widget.setEnabled(not locked)


class LineEditor(FieldEditor):
    """Text, code, phone, e-mail: one line, trimmed; empty means not filled in."""

    def __init__(self, spec: FieldSpec) -> None:
        self.line = QLineEdit()
        super().__init__(spec, self.line)
        self.line.setMinimumWidth(EDITOR_WIDTH)
        if spec.kind == "uscc":
            self.line.setMaxLength(40)  # generous: pasted codes carry spaces and dashes that are removed
        self.line.textChanged.connect(self.changed)

    def read(self) -> tuple[Any, str | None]:
        text = self.line.text().strip()
        return (text or None), None

    def raw(self) -> object:
        return self.line.text().strip()

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))


class TextAreaEditor(FieldEditor):
    """Long free text (备注, 反映问题, 办理情况): a few lines."""

    def __init__(self, spec: FieldSpec) -> None:
        self.text = QPlainTextEdit()
        super().__init__(spec, self.text)
        self.text.setTabChangesFocus(True)
        self.text.setMinimumWidth(EDITOR_WIDTH)
        self.text.setFixedHeight(64)
        self.text.textChanged.connect(self.changed)

    def read(self) -> tuple[Any, str | None]:
        text = self.text.toPlainText().strip()
        return (text or None), None

    def raw(self) -> object:
        return self.text.toPlainText().strip()

    def set_value(self, value: Any) -> None:
        self.text.setPlainText("" if value is None else str(value))


class NumberEditor(FieldEditor):
    """A number in a line edit (empty allowed, unlike a spin box); parsed strictly."""

    def __init__(self, spec: FieldSpec) -> None:
        self.line = QLineEdit()
        super().__init__(spec, self.line)
        self.line.setFixedWidth(NUMBER_WIDTH)
        self.line.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.line.textChanged.connect(self.changed)

    def read(self) -> tuple[Any, str | None]:
        text = self.line.text().strip()
        if not text:
            return None, None
        try:
            return parse_number(text, self.spec.kind == "int"), None
        except ValueError:
            kind = "整数" if self.spec.kind == "int" else "数字"
            return None, f"{self.spec.label}应为{kind}，“{text}”不是{kind}"

    def raw(self) -> object:
        return self.line.text().strip()

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else value if isinstance(value, str) else plain_number(value))


class DateEditor(FieldEditor):
    """A date typed in a line edit (empty allowed) or picked from a calendar; parsed strictly."""

    def __init__(self, spec: FieldSpec) -> None:
        box = QWidget()
        super().__init__(spec, box)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.line = QLineEdit()
        self.line.setFixedWidth(NUMBER_WIDTH)
        self.line.setPlaceholderText(DATE_PLACEHOLDER)
        self.line.textChanged.connect(self.changed)
        self.calendar_button = QToolButton()
        self.calendar_button.setText("日历")
        self.calendar_button.setToolTip(f"从日历中选择{spec.label}")
        self.calendar_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        menu = QMenu(self.calendar_button)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        if not spec.allow_future:
            self.calendar.setMaximumDate(QDate.currentDate())
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        menu.aboutToShow.connect(self._show_current)
        self._menu = menu
        self.calendar.clicked.connect(self._pick)
        self.calendar_button.setMenu(menu)
        layout.addWidget(self.line)
        layout.addWidget(self.calendar_button)
        layout.addStretch(1)

    @property
    def focus_widget(self) -> QWidget:
        return self.line

    def _show_current(self) -> None:
        value, _error = self.read()
        self.calendar.setSelectedDate(QDate(value.year, value.month, value.day) if value else QDate.currentDate())

    def _pick(self, date: QDate) -> None:
        self.line.setText(date.toString("yyyy-MM-dd"))
        self._menu.close()

    def read(self) -> tuple[Any, str | None]:
        text = self.line.text().strip()
        if not text:
            return None, None
        try:
            return parse_date(text), None
        except ValueError:
            return None, f"{self.spec.label}“{text}”不是有效日期，请按 2018-06-15 的格式填写"

    def raw(self) -> object:
        return self.line.text().strip()

    def set_value(self, value: Any) -> None:
        self.line.setText(value.isoformat() if isinstance(value, dt.date) else ("" if value is None else str(value)))

    def set_locked(self, locked: bool) -> None:
        self.line.setEnabled(not locked)
        self.calendar_button.setEnabled(not locked)


class ComboEditor(FieldEditor):
    """One of a fixed list: choices, 是/否/未填, unit, tier. The first item (未填) means not filled in."""

    def __init__(self, spec: FieldSpec, items: Sequence[tuple[str, Any]], *, allow_empty: bool = True) -> None:
        self.combo = QComboBox()
        super().__init__(spec, self.combo)
        self.combo.setMinimumWidth(NUMBER_WIDTH)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        if allow_empty:
            self.combo.addItem(EMPTY_CHOICE, None)
        for text, data in items:
            self.combo.addItem(text, data)
        self.combo.currentIndexChanged.connect(self.changed)

    def read(self) -> tuple[Any, str | None]:
        return self.combo.currentData(), None

    def raw(self) -> object:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        for index in range(self.combo.count()):
            data = self.combo.itemData(index)
            # 是/否 stored as True/False: compare by identity of type too (False == 0 must not match).
            if data == value and type(data) is type(value):
                self.combo.setCurrentIndex(index)
                return
        if value is not None:  # a code the list no longer offers (an inactive tier): show it as it is
            self.combo.addItem(str(value), value)
            self.combo.setCurrentIndex(self.combo.count() - 1)
        else:
            self.combo.setCurrentIndex(0 if self.combo.count() else -1)


class IndustryEditor(FieldEditor):
    """An industry picked from the list or found by typing part of its code or name (C34, 通用, 34)."""

    def __init__(self, spec: FieldSpec, industries: Sequence[tuple[str, str]]) -> None:
        self.combo = QComboBox()
        super().__init__(spec, self.combo)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumWidth(EDITOR_WIDTH)
        self.combo.addItem("", None)
        for code, label in industries:
            self.combo.addItem(label, code)
        line = self.combo.lineEdit()
        assert line is not None
        line.setPlaceholderText("输入代码或名称查找，如 C34 或 通用设备")
        completer = QCompleter(self.combo.model(), self.combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.setCompleter(completer)
        self._codes = {code.upper(): code for code, _label in industries}
        self.combo.currentTextChanged.connect(self.changed)

    def read(self) -> tuple[Any, str | None]:
        text = unicodedata.normalize("NFKC", self.combo.currentText()).strip()
        if not text:
            return None, None
        index = self.combo.findText(text, Qt.MatchFlag.MatchExactly)
        if index > 0:
            return self.combo.itemData(index), None
        head = text.split()[0].upper()
        code = self._codes.get(head) or self._codes.get(f"C{head}")
        if code is not None:
            return code, None
        return None, f"“{text}”不是列表中的行业，请从列表中选择（可输入代码或名称中的字查找）"

    def raw(self) -> object:
        return self.combo.currentText().strip()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else 0
        if index < 0:
            self.combo.setEditText(str(value))
        else:
            self.combo.setCurrentIndex(index)
            self.combo.setEditText(self.combo.itemText(index))


def make_editor(spec: FieldSpec, choices: Choices) -> FieldEditor:
    """The editor a field's kind calls for."""
    if spec.kind in ("int", "float"):
        return NumberEditor(spec)
    if spec.kind == "date":
        return DateEditor(spec)
    if spec.kind == "bool":
        return ComboEditor(spec, [("是", True), ("否", False)])
    if spec.kind == "choice":
        return ComboEditor(spec, [(choice, choice) for choice in spec.choices])
    if spec.kind in ("region", "program"):
        return ComboEditor(spec, [(label, code) for code, label in choices.pairs(spec.kind)])
    if spec.kind == "industry":
        return IndustryEditor(spec, choices.industries)
    if spec.kind == "text" and (spec.max_length or 0) >= LONG_TEXT_LENGTH:
        return TextAreaEditor(spec)
    return LineEditor(spec)


# --- the form -------------------------------------------------------------------------------------


def set_severity(label: QLabel, severity: str) -> None:
    """Colour a message label by a dynamic property ("error", "warning", "hint"); re-polish to apply."""
    if label.property("severity") != severity:
        label.setProperty("severity", severity)
        label.style().unpolish(label)
        label.style().polish(label)


@dataclass
class FormCheck:
    """What a form shows after a check: fields with errors or warnings, required fields still empty."""

    errors: list[str] = field(default_factory=list)  # labels
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required, untouched and empty (not shown in red yet)
    general: list[str] = field(default_factory=list)  # problems of the whole record

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.missing or self.general)

    def summary(self) -> str:
        parts = []
        if self.missing:
            parts.append(f"尚未填写：{'、'.join(self.missing)}")
        if self.errors:
            parts.append(f"需要更正：{'、'.join(self.errors)}")
        if self.general:
            parts.append("；".join(self.general))
        if self.warnings and not parts:
            parts.append(f"请核对：{'、'.join(self.warnings)}（不影响保存）")
        return "　".join(parts)


class FieldForm(QWidget):
    """Editors for some fields, grouped by section, each with its label, unit and message.

    `values()` are the parsed values (None where empty or unparsable), `parse_errors()` the fields whose
    text is not a value. `show_problems` puts the services' findings beside the fields: errors in red,
    warnings in amber; an empty required field is only marked once it has been touched (or when asked),
    so that a new blank form does not greet the clerk with a column of red.
    """

    changed = Signal(str)  # the key of the field the user changed

    def __init__(
        self,
        specs: Sequence[FieldSpec],
        choices: Choices,
        *,
        sections: Sequence[str] | None = None,
        columns: int = 1,
        message_width: int = MESSAGE_MIN_WIDTH,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._message_width = message_width
        self.specs = {spec.key: spec for spec in specs}
        self.choices = choices
        self.editors: dict[str, FieldEditor] = {}
        self.labels: dict[str, QLabel] = {}
        self.messages: dict[str, QLabel] = {}
        self.action_buttons: dict[str, QPushButton] = {}
        self._action_callbacks: dict[str, Callable[[], None]] = {}
        self.touched: set[str] = set()
        self._hints: dict[str, str] = {}
        self._clean: dict[str, object] = {}
        self._setting = False
        self.group_boxes: dict[str, QGroupBox] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(SPACING)
        if sections:
            for section in sections:
                members = [spec for spec in specs if spec.section == section]
                if not members:
                    continue
                box = QGroupBox(section)
                box.setLayout(self._grid(members, columns))
                self.group_boxes[section] = box
                outer.addWidget(box)
        else:
            outer.addLayout(self._grid(specs, columns))
        # One label width for every section, so that the editors line up from box to box.
        label_width = max((label.sizeHint().width() for label in self.labels.values()), default=0)
        for label in self.labels.values():
            label.setMinimumWidth(label_width)
        self.general_message = QLabel()
        self.general_message.setObjectName("fieldMessage")
        self.general_message.setWordWrap(True)
        self.general_message.hide()
        outer.addWidget(self.general_message)
        self._clean = self.raw_values()

    def _grid(self, specs: Iterable[FieldSpec], columns: int) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(SPACING)
        grid.setVerticalSpacing(6)
        for number, spec in enumerate(specs):
            row, column = divmod(number, columns)
            base = column * 3
            editor = make_editor(spec, self.choices)
            editor.changed.connect(lambda key=spec.key: self._on_changed(key))
            self.editors[spec.key] = editor

            label = QLabel(self._label_text(spec))
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label.setBuddy(editor.focus_widget)
            if spec.hint:
                label.setToolTip(spec.hint)
            self.labels[spec.key] = label

            cell = QHBoxLayout()
            cell.setSpacing(4)
            cell.addWidget(editor.widget)
            if spec.unit:
                cell.addWidget(QLabel(spec.unit))
            cell.addStretch(1)

            message = QLabel()
            message.setObjectName("fieldMessage")
            message.setWordWrap(True)
            message.setMinimumWidth(self._message_width)
            message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.messages[spec.key] = message
            self._hints[spec.key] = spec.hint
            message_cell = QHBoxLayout()
            message_cell.setSpacing(6)
            message_cell.addWidget(message, 1)
            if spec.kind == "uscc":
                action = QPushButton()
                action.setObjectName("linkButton")
                action.setCursor(Qt.CursorShape.PointingHandCursor)
                action.hide()
                action.clicked.connect(lambda _checked=False, key=spec.key: self._run_action(key))
                self.action_buttons[spec.key] = action
                message_cell.addWidget(action)

            grid.addWidget(label, row, base)
            grid.addLayout(cell, row, base + 1)
            grid.addLayout(message_cell, row, base + 2)
            grid.setColumnStretch(base + 2, 1)
            self._show_message(spec.key, spec.hint, "hint")
        return grid

    @staticmethod
    def _label_text(spec: FieldSpec) -> str:
        mark = f'<span style="color:{ERROR_COLOR}">*</span>' if spec.required else ""
        return f"{mark}{spec.label}"

    # --- values -------------------------------------------------------------------------------

    def editor(self, key: str) -> FieldEditor:
        return self.editors[key]

    def values(self) -> dict[str, Any]:
        return {key: editor.read()[0] for key, editor in self.editors.items()}

    def parse_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        for key, editor in self.editors.items():
            _value, error = editor.read()
            if error:
                errors[key] = error
        return errors

    def raw_values(self) -> dict[str, object]:
        return {key: editor.raw() for key, editor in self.editors.items()}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Fill the editors (missing keys emptied) and count the result as unchanged and untouched."""
        self._setting = True
        try:
            for key, editor in self.editors.items():
                editor.set_value(values.get(key))
        finally:
            self._setting = False
        self.touched.clear()
        self.mark_clean()
        for key in self.editors:
            self._show_message(key, self._hints[key], "hint")
            self.set_action(key, None)
        self.general_message.hide()

    def mark_clean(self) -> None:
        self._clean = self.raw_values()

    def is_dirty(self) -> bool:
        return self.raw_values() != self._clean

    def changed_keys(self) -> set[str]:
        """The fields whose text differs from what was loaded."""
        return {key for key, raw in self.raw_values().items() if raw != self._clean.get(key)}

    def set_locked(self, key: str, locked: bool) -> None:
        self.editors[key].set_locked(locked)

    def focus_field(self, key: str) -> None:
        self.editors[key].focus_widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_changed(self, key: str) -> None:
        if self._setting:
            return
        self.touched.add(key)
        self.changed.emit(key)

    # --- messages -----------------------------------------------------------------------------

    def message(self, key: str) -> str:
        """The text beside a field ('' when none; a grey hint counts as none)."""
        label = self.messages[key]
        return label.text() if label.property("severity") in ("error", "warning") else ""

    def severity(self, key: str) -> str | None:
        severity = self.messages[key].property("severity")
        return str(severity) if severity in ("error", "warning") else None

    def _show_message(self, key: str, text: str, severity: str) -> None:
        label = self.messages[key]
        label.setText(text)
        set_severity(label, severity)

    def set_action(self, key: str, text: str | None, callback: Callable[[], None] | None = None) -> None:
        """Offer a button beside a field's message (such as 打开该企业 for a duplicate code), or remove it."""
        button = self.action_buttons.get(key)
        if button is None:
            return
        if text is None or callback is None:
            self._action_callbacks.pop(key, None)
            button.hide()
            return
        self._action_callbacks[key] = callback
        button.setText(text)
        button.show()

    def _run_action(self, key: str) -> None:
        callback = self._action_callbacks.get(key)
        if callback is not None:
            callback()

    def show_problems(self, problems: Sequence[ProblemLike], *, reveal_all: bool = False) -> FormCheck:
        """Show the parse errors and the services' problems beside their fields; returns what was found."""
        values = self.values()
        unparsable = self.parse_errors()
        found: dict[str, list[tuple[str, str]]] = {key: [] for key in self.editors}
        for key, message in unparsable.items():
            found[key].append(("error", message))
        check = FormCheck()
        for problem in problems:
            field_key = problem.field
            if field_key in unparsable:
                continue  # the service saw no value there; what the clerk needs is why the text is not one
            if field_key is not None and field_key in found:
                found[field_key].append((problem.severity, problem.message))
            elif problem.severity == "error":
                check.general.append(problem.message)
        for key, entries in found.items():
            spec = self.specs[key]
            errors = [message for severity, message in entries if severity == "error"]
            warnings = [message for severity, message in entries if severity == "warning"]
            if errors:
                hide = spec.required and values[key] is None and key not in self.touched and not reveal_all
                if hide:
                    check.missing.append(spec.label)
                    self._show_message(key, self._hints[key], "hint")
                else:
                    check.errors.append(spec.label)
                    self._show_message(key, "；".join(dict.fromkeys(errors)), "error")
            elif warnings:
                check.warnings.append(spec.label)
                self._show_message(key, "；".join(dict.fromkeys(warnings)), "warning")
            else:
                self._show_message(key, self._hints[key], "hint")
        self.general_message.setText("；".join(check.general))
        set_severity(self.general_message, "error")
        self.general_message.setVisible(bool(check.general))
        return check
