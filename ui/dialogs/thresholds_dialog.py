"""状态阈值: how far below the expected pace a unit may fall before it shows as 稍慢 or 滞后."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget

from ui.widgets import note_label

EXPLANATION = (
    "完成率与“按时间进度应完成的比例”相比：达到“正常”下限显示为“正常”，达到“稍慢”下限显示为“稍慢”，"
    "更低显示为“滞后”。例如时间过半（应完成 50%）、实际完成 42%，相当于应完成数的 84%。"
)


class ThresholdsDialog(QDialog):
    def __init__(self, on_track: float, warn: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("状态阈值")
        form = QFormLayout(self)
        form.addRow(note_label(EXPLANATION))
        self.on_track_spin = self._percent(on_track)
        self.warn_spin = self._percent(warn)
        form.addRow("“正常”下限（占应完成数）", self.on_track_spin)
        form.addRow("“稍慢”下限（占应完成数）", self.warn_spin)
        self.problem = QLabel()
        self.problem.setObjectName("fieldError")
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.on_track_spin.valueChanged.connect(self._check)
        self.warn_spin.valueChanged.connect(self._check)
        self._check()

    @staticmethod
    def _percent(value: float) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(1, 200)
        spin.setSuffix(" %")
        spin.setValue(round(value * 100))
        return spin

    def _check(self) -> None:
        ok = self.warn_spin.value() <= self.on_track_spin.value()
        self.problem.setText("" if ok else "“稍慢”下限不能高于“正常”下限")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)

    def values(self) -> tuple[float, float]:
        return self.on_track_spin.value() / 100, self.warn_spin.value() / 100
