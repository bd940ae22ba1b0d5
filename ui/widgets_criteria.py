"""认定条件 widgets: one enterprise checked against a rule set (CriteriaExplanation) and the rule editors.

`CriteriaExplanation` goes into the enterprise detail view: a rule-set picker, the verdict in words and
colour, the group scores, every condition with 通过/未通过/缺少数据 and the gap text, and the data that is
missing. It loads on the worker (`show_enterprise`). The editors change one condition's threshold, one
rule's bands, a group's minimum or the total required; they check the edited rule set as the core will
(`validate_definition`) while the clerk types, and hand the new definition back for saving on the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.jobs import Job, JobRunner
from ui.models.table_rows import TextRowsModel
from ui.theme import SPACING, TONE_COLOURS
from ui.widgets import make_table_view, note_label
from zjtx_desktop.criteria import (
    INDICATORS,
    OP_TEXT,
    SECTION_HINTS,
    Indicator,
    RulePath,
    node_at,
    parse_definition,
    validate_definition,
    with_bands,
    with_group_limits,
    with_threshold,
    with_total_min,
)

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.criteria import CheckResult, ConditionResult, RuleSetInfo

EXPLANATION_HEADERS = ("类别", "条件", "结果", "得分", "说明")
COL_SECTION, COL_LABEL, COL_STATUS, COL_POINTS, COL_TEXT = range(len(EXPLANATION_HEADERS))
VERDICT_TONES = {"符合": "good", "数据不全": "warn", "不符合": "bad"}
NO_RULE_SETS = "没有可用的认定条件规则集：请在“培育管理 › 认定条件”中启用或修正规则集。"


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


# --- the explanation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplanationData:
    """What the explanation shows, read on the worker: the rule sets to pick from and one result."""

    enterprise_id: int
    rule_sets: list[tuple[int, str]]  # (id, title) of the usable, active rule sets
    rule_set_id: int | None
    result: CheckResult | None


def load_explanation(ctx: AppContext, enterprise_id: int, rule_set_id: int | None = None) -> ExplanationData:
    """Check the enterprise against the rule set (by default the next tier it does not hold); on the worker."""
    from zjtx_desktop.criteria import evaluate, list_rule_sets, load_facts

    with ctx.sessions() as session:
        infos = [info for info in list_rule_sets(session, active_only=True) if info.criteria is not None]
        if not infos:
            return ExplanationData(enterprise_id, [], None, None)
        facts = load_facts(session, enterprise_id)
    chosen = next((info for info in infos if info.id == rule_set_id), None) or _next_tier(infos, facts.titles)
    assert chosen.criteria is not None
    result = evaluate(chosen.criteria, facts, rule_set=chosen)
    return ExplanationData(enterprise_id, [(info.id, info.title) for info in infos], chosen.id, result)


def _next_tier(infos: list[RuleSetInfo], titles: frozenset[str]) -> RuleSetInfo:
    """The first rule set (in gradient order) for a tier not held whose prerequisite titles are held."""
    for info in infos:
        criteria = info.criteria
        if criteria is None or criteria.program in titles or titles & {criteria.program, *criteria.higher}:
            continue
        prerequisites = [leaf.holds for leaf in criteria.requirements if leaf.holds]
        if all(titles & set(codes) for codes in prerequisites):
            return info
    return next((info for info in infos if info.program not in titles), infos[0])


class ExplanationModel(TextRowsModel):
    def __init__(self) -> None:
        super().__init__(EXPLANATION_HEADERS, numeric=(COL_POINTS,), colour=self._colour)

    @staticmethod
    def _colour(item: Any, column: int) -> str | None:
        if column == COL_STATUS:
            return str(TONE_COLOURS[item.tone])
        return None

    def set_result(self, result: CheckResult) -> None:
        rows = []
        for item in result.conditions:
            points = "" if item.points is None else f"{_num(item.points)}/{_num(item.max_points or 0)}"
            rows.append(([item.section, item.label, item.status, points, item.text], item))
        self.set_rows(rows)

    def item(self, row: int) -> ConditionResult | None:
        return self.payload(row)  # type: ignore[no-any-return]

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole:
            item = self.item(index.row())
            if item is not None and index.column() == COL_SECTION:
                return SECTION_HINTS.get(item.section, "评分项：得分计入该分组")
            if item is not None:
                parts = [f"{item.label}：{item.text}"]
                if item.note:
                    parts.append(f"说明：{item.note}")
                return "\n".join(parts)
        return super().data(index, role)


class CriteriaExplanation(QWidget):
    """One enterprise against one criteria rule set, explained: for the enterprise detail view."""

    loaded = Signal()  # a result (or the absence of rule sets) is on screen
    failed = Signal(str)

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.enterprise_id: int | None = None
        self.data: ExplanationData | None = None
        self._job: Job | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        picker = QHBoxLayout()
        picker.setSpacing(SPACING)
        picker_label = QLabel("认定条件")
        picker_label.setObjectName("sectionTitle")
        self.rule_set_combo = QComboBox()
        self.rule_set_combo.setMinimumContentsLength(18)
        self.rule_set_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.rule_set_combo.setToolTip("选择按哪一个层级的认定条件检查这家企业")
        self.rule_set_combo.currentIndexChanged.connect(self._on_rule_set_chosen)
        self.year_label = QLabel()
        self.year_label.setObjectName("detailHint")
        picker.addWidget(picker_label)
        picker.addWidget(self.rule_set_combo)
        picker.addWidget(self.year_label, 1)
        layout.addLayout(picker)

        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("criteriaVerdict")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.verdict_label)
        self.groups_label = QLabel()
        self.groups_label.setObjectName("detailHint")
        self.groups_label.setWordWrap(True)
        layout.addWidget(self.groups_label)

        self.model = ExplanationModel()
        self.table = make_table_view(self.model)
        header = self.table.horizontalHeader()
        # Narrow enough for the detail view (about 800 pixels): the explanation column matters most.
        for column, width in ((COL_SECTION, 88), (COL_LABEL, 180), (COL_STATUS, 84), (COL_POINTS, 64)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        # The gap texts are the point of this table: wrap them onto a second line rather than cut them
        # (a rule set has at most a few dozen rows, so sizing rows to their text costs nothing).
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("指向一行可看到完整说明")
        layout.addWidget(self.table, 1)
        self.missing_label = note_label("")
        layout.addWidget(self.missing_label)
        self._show_message("")

    @property
    def result(self) -> CheckResult | None:
        return self.data.result if self.data is not None else None

    def set_context(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def show_enterprise(self, enterprise_id: int, rule_set_id: int | None = None) -> None:
        """Check the enterprise (against the chosen rule set, or the next tier it does not hold) on the worker."""
        if self.ctx is None:
            return
        if rule_set_id is None and self.enterprise_id == enterprise_id and self.data is not None:
            rule_set_id = self.data.rule_set_id  # a refresh keeps the rule set the clerk picked
        self.enterprise_id = enterprise_id
        ctx = self.ctx
        if self._job is not None:
            self._job.cancel()
        job = self.jobs.submit(lambda _control: load_explanation(ctx, enterprise_id, rule_set_id), name="检查认定条件")
        self._job = job
        if self.data is None:
            self._show_message("正在检查认定条件…")

        def finished(data: ExplanationData) -> None:
            if self._job is job:
                self._job = None
                self.show_data(data)

        def failed(message: str) -> None:
            if self._job is job:
                self._job = None
                self._show_message(f"未能检查认定条件：{message}")
                self.failed.emit(message)

        job.finished.connect(finished)
        job.failed.connect(failed)

    def select_rule_set(self, rule_set_id: int) -> bool:
        index = self.rule_set_combo.findData(rule_set_id)
        if index < 0:
            return False
        self.rule_set_combo.setCurrentIndex(index)
        return True

    def show_data(self, data: ExplanationData) -> None:
        self.data = data
        self.rule_set_combo.blockSignals(True)
        self.rule_set_combo.clear()
        for rule_set_id, title in data.rule_sets:
            self.rule_set_combo.addItem(title, rule_set_id)
        index = self.rule_set_combo.findData(data.rule_set_id)
        self.rule_set_combo.setCurrentIndex(max(index, 0))
        self.rule_set_combo.blockSignals(False)
        result = data.result
        if result is None:
            self._show_message(NO_RULE_SETS)
            self.loaded.emit()
            return
        self.rule_set_combo.setEnabled(True)
        self.year_label.setText(f"按 {result.year} 年度监测数据" if result.year is not None else "尚无年度监测数据")
        tone = VERDICT_TONES[result.verdict]
        self.verdict_label.setText(f"{result.verdict}：{result.summary}")
        self.verdict_label.setStyleSheet(f"color: {TONE_COLOURS[tone]}; font-weight: bold;")
        if result.total is not None:
            groups = "　".join(
                f"{group.name} {_num(group.points)}/{_num(group.max_points)}"
                + (f"（最低 {_num(group.min_points)}{'' if group.passed else '，未达'}）" if group.min_points else "")
                for group in result.groups
            )
            floor = f"（要求 ≥ {_num(result.total_min or 0)}）" if result.total_min else ""
            self.groups_label.setText(f"评价得分 {result.score_text()}{floor}　｜　{groups}")
            self.groups_label.show()
        else:
            self.groups_label.hide()
        self.model.set_result(result)
        for column in (COL_SECTION, COL_STATUS, COL_POINTS):  # short words: exactly as wide as they need
            self.table.resizeColumnToContents(column)
        self.table.show()
        if result.missing:
            parts = []
            if result.fillable:
                parts.append(f"待补录的数据：{'、'.join(result.fillable)}（在企业信息和年度监测中填写）。")
            if result.unrecorded:
                parts.append(f"系统未记录、需人工核实：{'、'.join(result.unrecorded)}。")
            self.missing_label.setText("".join(parts))
            self.missing_label.show()
        else:
            self.missing_label.hide()
        self.loaded.emit()

    def _show_message(self, text: str) -> None:
        self.verdict_label.setStyleSheet("")
        self.verdict_label.setText(text)
        self.groups_label.hide()
        self.missing_label.hide()
        self.model.set_rows([])
        self.table.setVisible(not text)
        self.rule_set_combo.setEnabled(bool(self.rule_set_combo.count()))

    def _on_rule_set_chosen(self, index: int) -> None:
        rule_set_id = self.rule_set_combo.itemData(index)
        if self.enterprise_id is not None and isinstance(rule_set_id, int):
            self.show_enterprise(self.enterprise_id, rule_set_id)


# --- editing a rule set ---------------------------------------------------------------------------------


class RuleEditDialog(QDialog):
    """The base of the editors: a form, the problems with the edited rule set, 保存 enabled only when there are none.

    `definition()` is the whole edited definition; the caller saves it on the worker.
    """

    def __init__(self, title: str, info: RuleSetInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setSpacing(SPACING)
        heading = QLabel(f"{info.title}")
        heading.setObjectName("dialogTitle")
        self.layout_.addWidget(heading)
        self.form = QFormLayout()
        self.form.setSpacing(SPACING)
        self.layout_.addLayout(self.form)
        self.problems = QLabel()
        self.problems.setObjectName("formSummary")
        self.problems.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("保存")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.problems)
        self.layout_.addWidget(self.buttons)
        self.check()

    def definition(self) -> dict[str, Any]:
        raise NotImplementedError

    def problem_texts(self) -> list[str]:
        return validate_definition(self.definition())

    def check(self) -> list[str]:
        problems = self.problem_texts()
        self.problems.setText("\n".join(problems[:6]) if problems else "")
        self.problems.setProperty("severity", "error" if problems else "hint")
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)
        self.problems.setVisible(bool(problems))
        self.save_button.setEnabled(not problems)
        return problems

    def accept(self) -> None:
        if not self.check():
            super().accept()


def _number_spin(indicator: Indicator | None, value: float, *, minimum: float = -1e9) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(2)
    spin.setRange(minimum, 1e9)
    spin.setValue(value)
    spin.setGroupSeparatorShown(False)
    if indicator is not None:
        suffix = {"percent": " %", "amount": " 万元", "years": " 年", "score": " 分"}.get(indicator.kind, "")
        spin.setSuffix(suffix or (f" {indicator.unit}" if indicator.unit else ""))
    spin.setMinimumWidth(160)
    return spin


class ThresholdDialog(RuleEditDialog):
    """One condition's comparison and threshold (阈值)."""

    def __init__(self, info: RuleSetInfo, path: RulePath, label: str, parent: QWidget | None = None) -> None:
        super().__init__("修改条件", info, parent)
        self.path = path
        node = node_at(info.definition, path)
        self.indicator = INDICATORS[node["indicator"]]
        threshold = node["threshold"]
        self.form.addRow("条件", QLabel(label))
        self.form.addRow("指标", QLabel(f"{self.indicator.label}（{self.indicator.reads}）"))
        self.op_combo = QComboBox()
        for op, text in OP_TEXT.items():
            self.op_combo.addItem(text, op)
        self.op_combo.setCurrentIndex(max(self.op_combo.findData(threshold["op"]), 0))
        self.form.addRow("比较", self.op_combo)
        self.value_combo: QComboBox | None = None
        self.value_spin: QDoubleSpinBox | None = None
        if self.indicator.discrete:
            self.value_combo = QComboBox()
            for number, name in enumerate(self.indicator.levels):
                self.value_combo.addItem(name, number)
            self.value_combo.setCurrentIndex(max(self.value_combo.findData(int(threshold["value"])), 0))
            self.value_combo.currentIndexChanged.connect(self.check)
            self.form.addRow("要求", self.value_combo)
        else:
            self.value_spin = _number_spin(self.indicator, float(threshold["value"]))
            self.value_spin.valueChanged.connect(self.check)
            self.form.addRow("阈值", self.value_spin)
        self.op_combo.currentIndexChanged.connect(self.check)
        self.finish_layout()

    def value(self) -> float | int:
        if self.value_combo is not None:
            return int(self.value_combo.currentData())
        assert self.value_spin is not None
        value = round(self.value_spin.value(), 2)
        return int(value) if value.is_integer() else value

    def definition(self) -> dict[str, Any]:
        return with_threshold(self.info.definition, self.path, str(self.op_combo.currentData()), self.value())


BAND_HEADERS = ("下限", "上限", "分值", "档位")


class BandsDialog(RuleEditDialog):
    """One scored rule's bands: 下限, 上限 and 分值 per band, from low values to high; empty = no limit."""

    def __init__(self, info: RuleSetInfo, path: RulePath, label: str, parent: QWidget | None = None) -> None:
        super().__init__("修改评分档位", info, parent)
        self.path = path
        node = node_at(info.definition, path)
        self.indicator = INDICATORS[node["indicator"]]
        self.extra = [{key: value for key, value in band.items() if key == "label"} for band in node["bands"]]
        self.form.addRow("评分项", QLabel(label))
        self.form.addRow("指标", QLabel(f"{self.indicator.label}（{self.indicator.reads}）"))
        explanation = (
            "从低到高每行一档：值在下限与上限之间（含两端）得该档分值，恰在两档交界时取分值高的一档；"
            "第一档可不填下限，最后一档可不填上限。"
        )
        if self.indicator.discrete:
            levels = "、".join(f"{number} = {name}" for number, name in enumerate(self.indicator.levels))
            explanation += f"此指标按等级取值：{levels}。"
        self.layout_.addWidget(note_label(explanation))
        self.table = QTableWidget(len(node["bands"]), len(BAND_HEADERS))
        self.table.setHorizontalHeaderLabels(BAND_HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for row, band in enumerate(node["bands"]):
            self._fill_row(row, band)
        self.table.itemChanged.connect(lambda _item: self.check())
        self.layout_.addWidget(self.table, 1)
        row_buttons = QHBoxLayout()
        self.add_button = QPushButton("添加一档")
        self.add_button.clicked.connect(self.add_band)
        self.remove_button = QPushButton("删除所选档")
        self.remove_button.clicked.connect(self.remove_band)
        row_buttons.addWidget(self.add_button)
        row_buttons.addWidget(self.remove_button)
        row_buttons.addStretch(1)
        self.layout_.addLayout(row_buttons)
        self.resize(620, 460)
        self.finish_layout()

    def _fill_row(self, row: int, band: dict[str, Any]) -> None:
        self.table.blockSignals(True)
        for column, key in enumerate(("min", "max", "points")):
            value = band.get(key)
            self.table.setItem(row, column, QTableWidgetItem("" if value is None else _num(float(value))))
        shown = QTableWidgetItem("")
        shown.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.table.setItem(row, 3, shown)
        self.table.blockSignals(False)

    def add_band(self) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.extra.append({})
        self._fill_row(row, {})
        self.check()

    def remove_band(self) -> None:
        row = self.table.currentRow()
        if row >= 0 and self.table.rowCount() > 1:
            self.table.removeRow(row)
            del self.extra[row]
            self.check()

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Type into a cell (tests use it as a clerk would)."""
        item = self.table.item(row, column)
        assert item is not None
        item.setText(text)

    def _bands(self) -> tuple[list[dict[str, Any]], list[str]]:
        bands: list[dict[str, Any]] = []
        problems: list[str] = []
        for row in range(self.table.rowCount()):
            band: dict[str, Any] = dict(self.extra[row]) if row < len(self.extra) else {}
            for column, key in enumerate(("min", "max", "points")):
                item = self.table.item(row, column)
                text = (item.text() if item is not None else "").strip().replace("，", ",").replace("%", "")
                if not text:
                    if key == "points":
                        problems.append(f"第{row + 1}档：请填写分值")
                    continue
                try:
                    number = float(text)
                except ValueError:
                    problems.append(f"第{row + 1}档：“{text}”不是数字")
                    continue
                band[key] = int(number) if number.is_integer() else number
            bands.append(band)
        return bands, problems

    def definition(self) -> dict[str, Any]:
        bands, _problems = self._bands()
        return with_bands(self.info.definition, self.path, bands)

    def problem_texts(self) -> list[str]:
        _bands, problems = self._bands()
        return problems or validate_definition(self.definition())

    def check(self) -> list[str]:
        problems = super().check()
        self._show_band_texts(problems)
        return problems

    def _show_band_texts(self, problems: list[str]) -> None:
        """How each band reads once the rules are valid (档位: 3%–5%, ≥ 5%, 省级)."""
        texts = [""] * self.table.rowCount()
        if not problems:
            criteria = parse_definition(self.definition())
            scale = next((s for g in criteria.groups for r in g.rules for s in r.scales if s.path == self.path), None)
            if scale is not None:
                texts = [scale.band_text(band) for band in scale.bands]
        self.table.blockSignals(True)
        for row, text in enumerate(texts):
            item = self.table.item(row, 3)
            if item is not None:
                item.setText(text)
        self.table.blockSignals(False)


class GroupDialog(RuleEditDialog):
    """A scoring group's full marks and minimum (分组满分、最低分)."""

    def __init__(self, info: RuleSetInfo, group_index: int, parent: QWidget | None = None) -> None:
        super().__init__("修改评分分组", info, parent)
        self.group_index = group_index
        group = node_at(info.definition, ("groups", group_index))
        self.form.addRow("分组", QLabel(str(group["name"])))
        self.max_spin = _number_spin(None, float(group["max"]), minimum=0)
        self.max_spin.setSuffix(" 分")
        self.min_spin = _number_spin(None, float(group.get("min", 0)), minimum=0)
        self.min_spin.setSuffix(" 分")
        self.form.addRow("满分", self.max_spin)
        self.form.addRow("最低分", self.min_spin)
        self.max_spin.valueChanged.connect(self.check)
        self.min_spin.valueChanged.connect(self.check)
        self.finish_layout()

    def definition(self) -> dict[str, Any]:
        return with_group_limits(
            self.info.definition,
            self.group_index,
            min_points=_plain(self.min_spin.value()),
            max_points=_plain(self.max_spin.value()),
        )


class TotalDialog(RuleEditDialog):
    """The total score required (总分要求)."""

    def __init__(self, info: RuleSetInfo, parent: QWidget | None = None) -> None:
        super().__init__("修改总分要求", info, parent)
        self.total_spin = _number_spin(None, float(info.definition.get("total_min") or 0), minimum=0)
        self.total_spin.setSuffix(" 分")
        self.form.addRow("评价得分不低于", self.total_spin)
        self.total_spin.valueChanged.connect(self.check)
        self.finish_layout()

    def definition(self) -> dict[str, Any]:
        return with_total_min(self.info.definition, _plain(self.total_spin.value()))


def _plain(value: float) -> float | int:
    value = round(value, 2)
    return int(value) if value.is_integer() else value
