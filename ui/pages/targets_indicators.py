"""规划指标: the policy's plan-level indicators against their goals, per unit, with the enterprises behind each
figure and the hand-entered count of new small-and-micro parks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.models.table_rows import TextRowsModel
from ui.theme import SPACING, TONE_COLOURS
from ui.widgets import make_table_view, note_label

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.indicators import IndicatorEnterprise, IndicatorResult, ManualEntry
    from zjtx_desktop.settings import Installation

PARKS = "new_parks"
SUMMARY_HEADERS = ("指标", "目标", "当前", "状态", "说明")
ENTRY_HEADERS = ("年度", "单位", "新建数量（个）", "备注")
DRILL_HEADERS = ("企业名称", "统一社会信用代码", "单位", "取值", "是否计入")


@dataclass(frozen=True)
class IndicatorsData:
    installation: Installation
    results: list[IndicatorResult]
    parks: list[ManualEntry]
    units: list[tuple[str, str]]  # (code, name) a clerk may enter parks for
    cultivated_rule: str


def load_indicators(ctx: AppContext) -> IndicatorsData:
    """Every indicator for this installation's scope and the hand-entered parks; runs on the worker."""
    from sqlalchemy import select

    from zjtx_desktop.indicators import CULTIVATED_RULE, manual_entries, plan_indicators
    from zjtx_desktop.models import Region
    from zjtx_desktop.settings import CITY_CODE, installation
    from zjtx_desktop.standing import load_thresholds

    with ctx.sessions() as session:
        inst = installation(session)
        scope = None if inst.is_city else [inst.unit_code]
        results = plan_indicators(session, unit_codes=scope, thresholds=load_thresholds(session))
        parks = manual_entries(session, PARKS, scope)
        query = select(Region.code, Region.name).order_by(Region.sort_order)
        if scope is not None:
            query = query.where(Region.code.in_(scope))
        units = [(code, "市本级" if code == CITY_CODE else name) for code, name in session.execute(query)]
    return IndicatorsData(inst, results, parks, units, CULTIVATED_RULE)


class IndicatorsPanel(QWidget):
    """One tab of the 目标任务 page. Double-clicking a unit's figure lists the enterprises behind it."""

    changed = Signal()
    open_enterprise = Signal(int)

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.data: IndicatorsData | None = None
        self.dialogs: list[QDialog] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        self.rule = note_label("")
        layout.addWidget(self.rule)

        self.summary_model = TextRowsModel(SUMMARY_HEADERS, colour=self._summary_colour)
        self.summary_view = make_table_view(self.summary_model)
        self.summary_view.horizontalHeader().setStretchLastSection(True)
        self.summary_view.setMaximumHeight(32 * 5 + 8)
        self.summary_view.setToolTip("双击一项指标，查看计入和不计入的企业")
        self.summary_view.doubleClicked.connect(self._on_summary_double_clicked)
        layout.addWidget(self.summary_view)

        layout.addWidget(self._section("各单位情况（双击数字查看对应企业）"))
        self.units_model = TextRowsModel(["单位"])
        self.units_view = make_table_view(self.units_model)
        self.units_view.horizontalHeader().setStretchLastSection(True)
        self.units_view.doubleClicked.connect(self._on_unit_double_clicked)
        layout.addWidget(self.units_view, 2)

        parks_heading = QHBoxLayout()
        parks_heading.addWidget(self._section("新建小微企业园（按单位、年度填报）"))
        parks_heading.addStretch(1)
        self.enter_button = QPushButton("填报…")
        self.enter_button.setToolTip("录入或更正某单位某年度新建小微企业园的数量")
        self.enter_button.clicked.connect(self.enter_parks)
        parks_heading.addWidget(self.enter_button)
        layout.addLayout(parks_heading)
        self.parks_model = TextRowsModel(ENTRY_HEADERS, numeric=(2,))
        self.parks_view = make_table_view(self.parks_model)
        self.parks_view.horizontalHeader().setStretchLastSection(True)
        self.parks_view.doubleClicked.connect(lambda index: self.enter_parks(self.parks_model.payload(index.row())))
        layout.addWidget(self.parks_view, 1)

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionTitle")
        return label

    @staticmethod
    def _summary_colour(result: Any, column: int) -> str | None:
        if column == 3 and result.status is not None:
            return str(TONE_COLOURS[result.status.tone])
        return None

    def set_context(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def show_data(self, data: IndicatorsData) -> None:
        self.data = data
        city = data.installation.is_city
        self.rule.setText(
            f"{data.cultivated_rule}目标为丽政办发〔2018〕61号提出的到2020年全市目标；"
            + ("" if city else "“家”“个”类目标按全市计，县级只显示本单位数值，不判断状态。")
        )
        self.summary_model.headers[2] = "全市" if city else "本单位"
        rows = []
        for result in data.results:
            item = result.definition
            status = result.status.label if result.status is not None else "—"
            rows.append(([item.name, item.goal_text, result.total.text(item), status, result.detail], result))
        self.summary_model.set_rows(rows)
        self.summary_view.resizeColumnsToContents()
        self.summary_view.horizontalHeader().setStretchLastSection(True)

        headers = ["单位", *(f"{r.definition.name}" for r in data.results)]
        self.units_model.headers = headers
        unit_rows = []
        for position, (code, name) in enumerate(data.units):
            cells = [name]
            for result in data.results:
                value = next((v for v in result.by_unit if v.unit_code == code), None)
                cells.append(value.text(result.definition) if value is not None else "—")
            unit_rows.append((cells, (code, position)))
        self.units_model.set_rows(unit_rows)
        self.units_view.resizeColumnsToContents()

        self.parks_model.set_rows(
            [([str(entry.year), entry.unit, f"{entry.value:.0f}", entry.note or ""], entry) for entry in data.parks]
        )
        self.parks_view.resizeColumnsToContents()
        self.parks_view.horizontalHeader().setStretchLastSection(True)
        self.enter_button.setEnabled(bool(data.units))

    # --- drill-down ---------------------------------------------------------------------------

    def _on_unit_double_clicked(self, index: QModelIndex) -> None:
        if self.data is None or index.column() == 0:
            return
        result = self.data.results[index.column() - 1]
        payload = self.units_model.payload(index.row())
        if payload is None:
            return
        if result.definition.value_of == "manual":
            return  # parks are listed below, by unit and year
        code, _position = payload
        self.open_drill_down(result.definition.code, code)

    def _on_summary_double_clicked(self, index: QModelIndex) -> None:
        result = self.summary_model.payload(index.row())
        if result is not None and result.definition.value_of != "manual":
            self.open_drill_down(result.definition.code, None)

    def open_drill_down(self, indicator: str, unit_code: str | None) -> QDialog | None:
        """The enterprises behind one unit's figure, or (unit_code None) behind the whole scope's."""
        if self.ctx is None or self.data is None:
            return None
        ctx = self.ctx
        result = next(r for r in self.data.results if r.definition.code == indicator)
        inst = self.data.installation
        scope = None if inst.is_city else [inst.unit_code]
        if unit_code is not None:
            unit = dict(self.data.units).get(unit_code, unit_code)
        else:
            unit = "全市" if inst.is_city else inst.unit_name
        dialog = IndicatorDrillDown(f"{unit} · {result.definition.name}", parent=self.window())
        dialog.open_enterprise.connect(self.open_enterprise)

        def work(_control: object) -> list[IndicatorEnterprise]:
            from zjtx_desktop.indicators import indicator_enterprises

            with ctx.sessions() as session:
                return indicator_enterprises(session, indicator, unit_code=unit_code, unit_codes=scope)

        job = self.jobs.submit(work, name="读取指标明细")
        job.finished.connect(dialog.show_rows)
        job.failed.connect(dialog.show_failure)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _result=0, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        dialog.show()
        return dialog

    # --- hand-entered parks -------------------------------------------------------------------

    def enter_parks(self, entry: ManualEntry | None = None) -> QDialog | None:
        if self.ctx is None or self.data is None or not self.data.units:
            return None
        dialog = ParksDialog(self.data.units, entry, parent=self.window())
        dialog.accepted.connect(lambda d=dialog: self._save_parks(d))
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _result=0, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        dialog.open()
        return dialog

    def _save_parks(self, dialog: ParksDialog) -> None:
        if self.ctx is None:
            return
        ctx = self.ctx
        unit_code, year, value, note = dialog.values()
        version = dialog.entry.version if dialog.entry is not None else None

        def work(_control: object) -> int:
            from zjtx_desktop.database import transaction
            from zjtx_desktop.indicators import set_manual_value

            with transaction(ctx.sessions) as session:
                return set_manual_value(
                    session,
                    ctx.actor,
                    code=PARKS,
                    region_code=unit_code,
                    year=year,
                    value=float(value),
                    note=note,
                    expected_version=version,
                )

        job = self.jobs.submit(work, name="保存新建小微企业园")
        job.finished.connect(lambda _result: self.changed.emit())
        job.failed.connect(lambda message: prompts.warn(self, "未能保存", message))


class IndicatorDrillDown(QDialog):
    open_enterprise = Signal(int)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"指标明细 — {title}")
        self.resize(860, 520)
        layout = QVBoxLayout(self)
        self.summary = note_label("正在读取…")
        layout.addWidget(self.summary)
        self.model = TextRowsModel(DRILL_HEADERS)
        self.view = make_table_view(self.model)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(self._open)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.rows: list[IndicatorEnterprise] | None = None

    def show_rows(self, rows: object) -> None:
        assert isinstance(rows, list)
        self.rows = rows
        self.model.set_rows(
            [
                ([row.name, row.uscc, row.unit, row.value, "计入" if row.counted else "不计入"], row.enterprise_id)
                for row in rows
            ]
        )
        counted = sum(1 for row in rows if row.counted)
        self.summary.setText(f"培育企业 {len(rows)} 家，其中计入 {counted} 家。双击企业可打开企业档案。")
        self.view.resizeColumnsToContents()
        self.view.horizontalHeader().setStretchLastSection(True)

    def show_failure(self, message: str) -> None:
        self.summary.setText(f"未能读取明细：{message}")

    def _open(self, index: QModelIndex) -> None:
        enterprise_id = self.model.payload(index.row())
        if isinstance(enterprise_id, int):
            self.open_enterprise.emit(enterprise_id)


class ParksDialog(QDialog):
    """One unit's number of new small-and-micro parks for one year (an existing entry is corrected)."""

    def __init__(
        self, units: list[tuple[str, str]], entry: ManualEntry | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setWindowTitle("填报新建小微企业园")
        form = QFormLayout(self)
        self.unit_combo = QComboBox()
        for code, name in units:
            self.unit_combo.addItem(name, code)
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(dt.date.today().year)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(0, 999)
        self.count_spin.setSuffix(" 个")
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("园区名称、文件等（可不填）")
        if entry is not None:
            self.unit_combo.setCurrentIndex(max(self.unit_combo.findData(entry.region_code), 0))
            self.year_spin.setValue(entry.year)
            self.count_spin.setValue(int(entry.value))
            self.note_edit.setText(entry.note or "")
            self.unit_combo.setEnabled(False)
            self.year_spin.setEnabled(False)
        form.addRow("单位", self.unit_combo)
        form.addRow("年度", self.year_spin)
        form.addRow("新建数量", self.count_spin)
        form.addRow("备注", self.note_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, int, int, str]:
        return (
            str(self.unit_combo.currentData()),
            self.year_spin.value(),
            self.count_spin.value(),
            self.note_edit.text(),
        )
