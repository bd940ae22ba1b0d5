"""亩均评价: a year's 亩均效益 classes per unit (table and bars), the enterprises with their scores, and the scheme editor.

The panel is a tab of the 年度监测 page and keeps its own year picker: `load_mujun(ctx, year)` runs on the worker
(the host page may call it in its loader and hand the result to `show_data`); changing the year or saving
the scheme reloads the panel through its own jobs. The enterprise list is a lazy model over the result
(a province has 100,000 enterprises): cells are formatted when painted, filters only rebuild a row list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.dialogs.enterprise_form import dialog_size
from ui.dialogs.validating_dialog import ValidatingFormDialog, scrolling_form, summary_label
from ui.field_form import Choices, FieldForm
from ui.jobs import Job, JobRunner
from ui.models import AnyIndex
from ui.models.table_rows import TextRowsModel
from ui.theme import PAGE_MARGIN, ROW_HEIGHT, SPACING, TONE_COLOURS
from ui.widgets import make_table_view, note_label
from ui.widgets_mujun import CLASS_COUNTS_ROLE, ClassBarDelegate, class_text_colour, legend_html, number_text
from zjtx_desktop.mujun import NotEvaluated, ScoredEnterprise
from zjtx_desktop.settings import CITY_CODE

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.mujun import MujunResult, SchemeEdit
    from zjtx_desktop.registry import Problem
    from zjtx_desktop.settings import Installation

ALL_UNITS, ALL_SCALES, EVALUATED, NOT_EVALUATED = "全部单位", "全部规模", "参评企业（全部类别）", "未参评企业"
SEARCH_PLACEHOLDER = "按企业名称或信用代码筛选"
NO_DATA = "还没有年度监测数据：录入或导入年度监测数据后即可评价。"
LOADING = "正在计算…"
UNCONFIRMED = "丽水市的权重和分类比例尚未正式确认，默认为示例方案（浙政发〔2018〕5号做法），可按本地文件修改。"
FIXED_HEADERS = ("排名", "企业名称", "单位", "规模", "类别", "总分")
# Compact rows: the city's eleven units and the total fit above the list on a 768-pixel screen.
DISTRIBUTION_ROW_HEIGHT = ROW_HEIGHT - 6
# At most this share of the height goes to the distribution at first (the splitter can give it more).
DISTRIBUTION_SHARE = 0.5
NUMBER_BOX_WIDTH = 96
COL_RANK, COL_NAME, COL_UNIT, COL_SCALE, COL_CLASS, COL_TOTAL = range(6)


@dataclass(frozen=True)
class MujunData:
    installation: Installation
    year: int | None  # None: no monitoring data at all
    years: list[int]  # newest first
    result: MujunResult | None
    short_names: dict[str, str] = field(default_factory=dict)  # unit code → 开发区, 青田 … for the list
    problem: str = ""  # why the year could not be evaluated (a scheme to correct), with result None


def load_mujun(ctx: AppContext, year: int | None = None) -> MujunData:
    """The evaluation of `year` (None or a year without figures: the latest) in this installation's scope."""
    from sqlalchemy import select

    from zjtx_desktop.errors import UserError
    from zjtx_desktop.models import Region
    from zjtx_desktop.mujun import available_years, evaluate
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
        years = available_years(session)
        if year not in years:
            year = years[0] if years else None
        if year is None:
            return MujunData(inst, None, years, None)
        short_names = {code: short for code, short in session.execute(select(Region.code, Region.short_name))}
        try:
            result = evaluate(session, year, None if inst.is_city else [inst.unit_code])
        except UserError as error:  # a scheme that cannot be used: say why, and leave 评价方案 open to correct it
            return MujunData(inst, year, years, None, short_names, str(error))
    return MujunData(inst, year, years, result, short_names)


# --- the enterprise list ----------------------------------------------------------------------------------


def two_lines(name: str) -> str:
    """A long indicator name over two header lines (单位能耗 / 增加值), so that seven indicators fit the width."""
    return f"{name[:4]}\n{name[4:]}" if len(name) > 5 else name


class MujunEnterpriseModel(QAbstractTableModel):
    """Evaluated enterprises (or those not evaluated) of a result, filtered; one indicator column per indicator
    of the scheme, showing its score (the tooltip gives value, reference and weight)."""

    def __init__(self) -> None:
        super().__init__()
        self.result: MujunResult | None = None
        self.indicators: list[tuple[str, str, str]] = []  # (code, name, unit) in column order
        self._positions: dict[str, dict[str, int]] = {}  # group → indicator code → position in its values
        self._weights: dict[str, list[float]] = {}
        self._class_position: dict[str, int] = {}
        self.rows: list[ScoredEnterprise | NotEvaluated] = []
        self.headers: list[str] = list(FIXED_HEADERS)
        self.short_names: dict[str, str] = {}

    def set_result(self, result: MujunResult | None, short_names: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self.result = result
        self.short_names = short_names or {}
        self.rows = []
        self.indicators = []
        self._positions = {}
        if result is not None:
            scheme = result.scheme
            for group in scheme.groups:
                positions = self._positions.setdefault(group.code, {})
                self._weights[group.code] = [item.weight for item in group.indicators]
                for position, item in enumerate(group.indicators):
                    positions[item.indicator.code] = position
                    if all(code != item.indicator.code for code, _n, _u in self.indicators):
                        self.indicators.append((item.indicator.code, item.indicator.name, item.indicator.unit))
            self._class_position = {rule.code: index for index, rule in enumerate(scheme.classes)}
        self.headers = [*FIXED_HEADERS, *(two_lines(name) for _code, name, _unit in self.indicators), "说明"]
        self.endResetModel()

    def set_rows(self, rows: list[ScoredEnterprise | NotEvaluated]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def indicator_column(self, code: str) -> int:
        return len(FIXED_HEADERS) + next(i for i, (known, _n, _u) in enumerate(self.indicators) if known == code)

    def enterprise_id(self, row: int) -> int | None:
        return self.rows[row].enterprise_id if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole and self._indicator_at(section) is not None:
            name = self.indicators[section - len(FIXED_HEADERS)][1]
            return f"{name}得分（企业值 ÷ 基准值 × 权重）；鼠标停在分数上可看企业值和基准值"
        numeric = section in (COL_RANK, COL_TOTAL) or self._indicator_at(section) is not None
        if role == Qt.ItemDataRole.TextAlignmentRole and numeric:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def _indicator_at(self, column: int) -> int | None:
        index = column - len(FIXED_HEADERS)
        return index if 0 <= index < len(self.indicators) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.result is None:
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = column in (COL_RANK, COL_TOTAL) or self._indicator_at(column) is not None
            horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == COL_CLASS:
                if not isinstance(row, ScoredEnterprise):
                    return QBrush(QColor(TONE_COLOURS["neutral"]))
                return QBrush(QColor(class_text_colour(self._class_position.get(row.class_code, 0))))
            if column == len(self.headers) - 1 and (not isinstance(row, ScoredEnterprise) or row.lacking):
                return QBrush(QColor(TONE_COLOURS["warn"]))
        return None

    def _text(self, row: ScoredEnterprise | NotEvaluated, column: int) -> str:
        assert self.result is not None
        if column == COL_NAME:
            return row.name
        if column == COL_UNIT:
            return self.short_names.get(row.unit_code, row.unit) if row.unit_code != CITY_CODE else row.unit
        if column == COL_SCALE:
            return row.scale_type or "未填"
        if isinstance(row, NotEvaluated):
            if column == COL_CLASS:
                return "未参评"
            return row.reason if column == len(self.headers) - 1 else ""
        enterprise = row
        if column == COL_RANK:
            return f"{enterprise.rank}/{enterprise.pool_size}"
        if column == COL_CLASS:
            return self.result.scheme.class_rule(enterprise.class_code).label
        if column == COL_TOTAL:
            return f"{enterprise.total:.2f}"
        indicator = self._indicator_at(column)
        if indicator is not None:
            position = self._positions[enterprise.group].get(self.indicators[indicator][0])
            return "" if position is None else f"{enterprise.scores[position]:.2f}"
        lacking = [self.result.scheme.group(enterprise.group).indicators[i].indicator.name for i in enterprise.lacking]
        return f"缺数据：{'、'.join(lacking)}" if lacking else ""

    def _tooltip(self, row: ScoredEnterprise | NotEvaluated, column: int) -> str | None:
        assert self.result is not None
        indicator = self._indicator_at(column)
        if column == COL_NAME:
            return f"{row.name}\n{row.uscc}"
        if indicator is None or isinstance(row, NotEvaluated):
            text = self._text(row, column)
            return text if len(text) > 12 else None
        enterprise = row
        code, name, unit = self.indicators[indicator]
        position = self._positions[enterprise.group].get(code)
        if position is None:
            return f"{name}不是{self.result.scheme.group(enterprise.group).name}的评价指标"
        references = self.result.reference_of(enterprise)
        reference = references[position] if references else None
        weight = self._weights[enterprise.group][position]
        return (
            f"{name}：本企业 {number_text(enterprise.values[position])} {unit}，"
            f"基准值 {number_text(reference)} {unit}，权重 {weight:g}，得分 {enterprise.scores[position]:.2f}"
        )

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class DistributionModel(TextRowsModel):
    """Units × classes as counts with shares, and a last column whose bar shows the same counts."""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == CLASS_COUNTS_ROLE and index.isValid() and index.column() == self.columnCount() - 1:
            payload = self.payload(index.row())
            return payload[1] if payload is not None else None
        return super().data(index, role)


# --- the panel --------------------------------------------------------------------------------------


class MujunPanel(QWidget):
    """亩均评价 tab: year, scale, unit, class and name filters; distribution per unit; the enterprises; 评价方案."""

    changed = Signal()  # a scheme was saved: whatever shows classes should reload
    open_enterprise = Signal(int)
    loaded = Signal()  # data shown (after show_data)

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.data: MujunData | None = None
        self.dialogs: list[QDialog] = []
        self._job: Job | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)

        controls = QHBoxLayout()
        controls.setSpacing(SPACING)
        controls.addWidget(QLabel("年度"))
        self.year_combo = self._combo(90)
        self.year_combo.currentIndexChanged.connect(self._on_year_chosen)
        controls.addWidget(self.year_combo)
        self.scale_combo = self._combo(130)
        self.scale_combo.currentIndexChanged.connect(self._on_scale_chosen)
        self.unit_combo = self._combo(150)
        self.unit_combo.currentIndexChanged.connect(self._apply_filters)
        self.class_combo = self._combo(170)
        self.class_combo.currentIndexChanged.connect(self._apply_filters)
        for combo in (self.scale_combo, self.unit_combo, self.class_combo):
            controls.addWidget(combo)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(180)
        self.search_box.textChanged.connect(self._apply_filters)
        controls.addWidget(self.search_box, 1)
        self.status_label = QLabel()
        self.status_label.setObjectName("pageState")
        controls.addWidget(self.status_label)
        self.scheme_button = QPushButton("评价方案…")
        self.scheme_button.setToolTip("查看或修改本年度的指标权重、参评用地下限、基准值和分类比例")
        self.scheme_button.clicked.connect(self.edit_scheme)
        controls.addWidget(self.scheme_button)
        layout.addLayout(controls)

        self.method_note = note_label("")
        self.method_note.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.method_note)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(SPACING // 2)
        heading = QHBoxLayout()
        self.distribution_title = QLabel("各单位分类情况")
        self.distribution_title.setObjectName("sectionTitle")
        heading.addWidget(self.distribution_title)
        heading.addStretch(1)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        heading.addWidget(self.legend)
        top_layout.addLayout(heading)
        # Every column but the unit holds numbers (a scheme may have more than four classes).
        self.distribution_model = DistributionModel(["单位"], numeric=range(1, 16), colour=self._distribution_colour)
        # Owned by the panel on the C++ side too: a view repainting while the panel is torn down must not
        # reach a model whose Python half is already gone.
        self.distribution_model.setParent(self)
        self.distribution_view = make_table_view(self.distribution_model)
        self.distribution_view.verticalHeader().setDefaultSectionSize(DISTRIBUTION_ROW_HEIGHT)
        self.distribution_view.setToolTip("单击一个单位，下方只列该单位的企业")
        self.distribution_view.clicked.connect(self._on_distribution_clicked)
        self.bar_delegate = ClassBarDelegate(self.distribution_view)
        top_layout.addWidget(self.distribution_view, 1)
        splitter.addWidget(top)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.setSpacing(SPACING // 2)
        self.count_label = QLabel()
        self.count_label.setObjectName("sectionTitle")
        bottom_layout.addWidget(self.count_label)
        self.model = MujunEnterpriseModel()
        self.model.setParent(self)
        self.view = make_table_view(self.model)
        self.view.setToolTip("双击企业打开企业档案")
        self.view.doubleClicked.connect(self._on_double_clicked)
        bottom_layout.addWidget(self.view, 1)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout.addWidget(splitter, 1)
        self.splitter = splitter
        self._set_enabled(False)

    @staticmethod
    def _combo(width: int) -> QComboBox:
        combo = QComboBox()
        combo.setMinimumWidth(width)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.scale_combo, self.unit_combo, self.class_combo, self.search_box):
            widget.setEnabled(enabled)

    # --- loading ----------------------------------------------------------------------------------

    def set_context(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def reload(self, year: int | None = None) -> Job | None:
        """Evaluate `year` (None: the year shown, else the latest) in the background, then show it."""
        if self.ctx is None:
            return None
        ctx = self.ctx
        year = year if year is not None else self.data.year if self.data is not None else None
        if self._job is not None:
            self._job.finished.disconnect(self._on_loaded)
            self._job.failed.disconnect(self._on_failed)
            self._job.cancel()
        self.status_label.setText(LOADING)
        job = self.jobs.submit(lambda _control: load_mujun(ctx, year), name="亩均效益评价")
        job.finished.connect(self._on_loaded)
        job.failed.connect(self._on_failed)
        self._job = job
        return job

    def _on_loaded(self, data: MujunData) -> None:
        self._job = None
        self.show_data(data)

    def _on_failed(self, message: str) -> None:
        self._job = None
        self.status_label.setText(f"未能评价：{message}")
        set_failed(self.status_label, True)

    def show_data(self, data: MujunData) -> None:
        self.data = data
        self.status_label.clear()
        set_failed(self.status_label, False)
        with QSignalBlocker(self.year_combo):
            self.year_combo.clear()
            for year in data.years:
                self.year_combo.addItem(f"{year}年", year)
            self.year_combo.setCurrentIndex(max(self.year_combo.findData(data.year), 0))
        result = data.result
        self.model.set_result(result, data.short_names)
        self.scheme_button.setEnabled(data.year is not None)
        if result is None:
            self.method_note.setText(data.problem or NO_DATA)
            self.distribution_model.set_rows([])
            self.count_label.clear()
            self._set_enabled(False)
            self.loaded.emit()
            return
        self._set_enabled(True)
        self._fill_filters(data)
        self.method_note.setText(method_brief(result))
        self.method_note.setToolTip("\n".join([*result.scheme.method_lines(), UNCONFIRMED]))
        self._show_distribution()
        self._apply_filters()
        self.loaded.emit()

    def _fill_filters(self, data: MujunData) -> None:
        assert data.result is not None
        scheme = data.result.scheme
        choices: list[tuple[QComboBox, str, list[tuple[str, Any]]]] = [
            (self.scale_combo, ALL_SCALES, [(group.name, group.code) for group in scheme.groups]),
            (self.unit_combo, ALL_UNITS, [(label, code) for code, label in data.result.units]),
            (
                self.class_combo,
                EVALUATED,
                [(rule.label, rule.code) for rule in scheme.classes] + [(NOT_EVALUATED, NOT_EVALUATED)],
            ),
        ]
        for combo, everything, items in choices:
            kept = combo.currentData()
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItem(everything, None)
                for text, value in items:
                    combo.addItem(text, value)
                combo.setCurrentIndex(max(combo.findData(kept), 0) if kept is not None else 0)
        # A county sees its own unit only: no unit to choose, no unit column.
        several = data.installation.is_city and len(data.result.units) > 1
        self.unit_combo.setVisible(several)
        self.view.setColumnHidden(COL_UNIT, not several)

    # --- distribution -----------------------------------------------------------------------------

    def _show_distribution(self) -> None:
        if self.data is None or self.data.result is None:
            return
        result = self.data.result
        group = self.scale_combo.currentData()
        classes = result.scheme.classes
        labels = [rule.label for rule in classes]
        self.distribution_model.headers = ["单位", "参评", *labels, "未参评", "分布"]
        self.legend.setText(legend_html(labels))
        group_name = next((g.name for g in result.scheme.groups if g.code == group), "")
        whose = "各单位" if len(result.units) > 1 else "本单位"
        self.distribution_title.setText(f"{result.year}年度{whose}{group_name}分类情况（家，占参评比例）")
        rows = []
        for code, label in [*result.units, (None, "合计")]:
            if code is None and len(result.units) < 2:
                continue  # one unit: its row is the total
            distribution = result.distribution_of(code, group)
            if distribution is None:
                continue
            cells = [label, f"{distribution.evaluated:,}"]
            for index, count in enumerate(distribution.counts):
                share = distribution.share(index)
                cells.append(f"{count:,}（{share * 100:.1f}%）" if share is not None else "—")
            cells += [f"{distribution.not_evaluated:,}", ""]
            rows.append((cells, (code, distribution.counts)))
        self.distribution_model.set_rows(rows)
        self.distribution_view.setItemDelegateForColumn(len(self.distribution_model.headers) - 1, self.bar_delegate)
        self.distribution_view.resizeColumnsToContents()
        self.distribution_view.horizontalHeader().setStretchLastSection(True)
        self._share_height(len(rows))

    def _share_height(self, rows: int) -> None:
        """Room for every unit's row when the screen allows, but never more than about half: the list matters too."""
        header = self.distribution_view.horizontalHeader().sizeHint().height()
        title = self.distribution_title.sizeHint().height() + SPACING // 2
        total = sum(self.splitter.sizes()) or self.height()
        fits = int((total * DISTRIBUTION_SHARE - header - title) // DISTRIBUTION_ROW_HEIGHT)
        shown = max(min(rows, fits), min(rows, 3))
        wanted = title + header + shown * DISTRIBUTION_ROW_HEIGHT + 4
        if total > wanted:
            self.splitter.setSizes([wanted, total - wanted])

    def _distribution_colour(self, code: Any, column: int) -> str | None:
        if self.data is None or self.data.result is None:
            return None
        classes = len(self.data.result.scheme.classes)
        if 2 <= column < 2 + classes:
            return class_text_colour(column - 2)
        return None

    def _on_distribution_clicked(self, index: QModelIndex) -> None:
        payload = self.distribution_model.payload(index.row())
        code = payload[0] if payload is not None else None
        self.unit_combo.setCurrentIndex(max(self.unit_combo.findData(code), 0) if code is not None else 0)

    # --- the list ---------------------------------------------------------------------------------

    def _apply_filters(self) -> None:
        if self.data is None or self.data.result is None:
            return
        result = self.data.result
        unit = self.unit_combo.currentData() if self.unit_combo.isVisibleTo(self) else None
        group = self.scale_combo.currentData()
        klass = self.class_combo.currentData()
        text = self.search_box.text().strip().lower()
        rows: list[ScoredEnterprise | NotEvaluated]
        if klass == NOT_EVALUATED:
            by_scale = {kind: g.code for g in result.scheme.groups for kind in g.scale_types}
            rows = [
                row
                for row in result.not_evaluated
                if (unit is None or row.unit_code == unit)
                and (group is None or by_scale.get(row.scale_type or "") == group)
                and (not text or text in row.name.lower() or text in row.uscc.lower())
            ]
        else:
            rows = [
                row
                for row in result.enterprises
                if (unit is None or row.unit_code == unit)
                and (group is None or row.group == group)
                and (klass is None or row.class_code == klass)
                and (not text or text in row.name.lower() or text in row.uscc.lower())
            ]
        self.model.set_rows(rows)
        self._size_columns()
        # Scores only for evaluated firms, and only the indicators of the chosen scale group.
        for code, _name, _unit in self.model.indicators:
            used = group is None or any(item.indicator.code == code for item in result.scheme.group(group).indicators)
            self.view.setColumnHidden(self.model.indicator_column(code), not used or klass == NOT_EVALUATED)
        for column in (COL_RANK, COL_TOTAL):
            self.view.setColumnHidden(column, klass == NOT_EVALUATED)
        self._select_unit_row(unit)
        what = "未参评企业" if klass == NOT_EVALUATED else "参评企业"
        total = len(result.not_evaluated) if klass == NOT_EVALUATED else len(result.enterprises)
        shown = f"{len(rows):,} 家" if len(rows) == total else f"{len(rows):,} 家（共 {total:,} 家）"
        self.count_label.setText(f"{what} {shown}　双击打开企业档案")

    def _size_columns(self) -> None:
        header = self.view.horizontalHeader()
        widths = {COL_RANK: 72, COL_NAME: 250, COL_UNIT: 76, COL_SCALE: 70, COL_CLASS: 108, COL_TOTAL: 70}
        metrics = self.view.fontMetrics()
        for column in range(self.model.columnCount()):
            lines = str(self.model.headerData(column, Qt.Orientation.Horizontal)).split("\n")
            # Scores up to 1,000.00 fit in 76 pixels; a header line may need more.
            width = widths.get(column, max(max(metrics.horizontalAdvance(line) for line in lines) + 24, 76))
            header.resizeSection(column, width)
        header.setStretchLastSection(True)

    def _select_unit_row(self, unit: str | None) -> None:
        """Mark the chosen unit in the distribution, so the table and the list visibly agree."""
        for row in range(self.distribution_model.rowCount()):
            payload = self.distribution_model.payload(row)
            if payload is not None and payload[0] == unit and unit is not None:
                self.distribution_view.selectRow(row)
                return
        self.distribution_view.clearSelection()

    def _on_scale_chosen(self) -> None:
        self._show_distribution()
        self._apply_filters()

    def _on_double_clicked(self, index: QModelIndex) -> None:
        enterprise_id = self.model.enterprise_id(index.row())
        if enterprise_id is not None:
            self.open_enterprise.emit(enterprise_id)

    def _on_year_chosen(self) -> None:
        year = self.year_combo.currentData()
        if isinstance(year, int) and (self.data is None or year != self.data.year):
            self.reload(year)

    # --- the scheme -------------------------------------------------------------------------------

    def edit_scheme(self) -> Job | None:
        """Read the shown year's scheme on the worker, then open the 评价方案 dialog on it."""
        if self.ctx is None or self.data is None or self.data.year is None:
            return None
        ctx, year = self.ctx, self.data.year

        def work(_control: object) -> SchemeEdit:
            from zjtx_desktop.mujun import scheme_for_edit

            with ctx.sessions() as session:
                return scheme_for_edit(session, year)

        job = self.jobs.submit(work, name="读取亩均效益评价方案")
        job.finished.connect(self.open_scheme_dialog)
        job.failed.connect(lambda message: prompts.warn(self, "未能打开评价方案", message))
        return job

    def open_scheme_dialog(self, edit: SchemeEdit) -> MujunSchemeDialog | None:
        if self.ctx is None:
            return None
        dialog = MujunSchemeDialog(self.jobs, self.ctx, edit, parent=self.window())
        dialog.saved.connect(self._on_scheme_saved)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _result=0, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        dialog.open()
        return dialog

    def _on_scheme_saved(self) -> None:
        self.reload()
        self.changed.emit()


def method_brief(result: MujunResult) -> str:
    """The scheme in two lines above the tables; the weights are in the tooltip and the 评价方案 dialog."""
    scheme = result.scheme
    scope = "本单位内" if scheme.ranking_scope == "unit" else "全市统一"
    reference = "本单位" if scheme.reference_scope == "unit" else "全市"
    cap = f"单项不超过权重的 {scheme.cap:g} 倍" if scheme.cap is not None else "单项不设上限"
    land = "、".join(f"{group.name}用地 {group.min_land:g} 亩起参评" for group in scheme.groups if group.min_land > 0)
    cuts = "、".join(
        f"{rule.code} {'前' if index == 0 else '至'} {rule.share * 100:g}%"
        for index, rule in enumerate(scheme.classes[:-1])
    )
    first = f"{result.year}年度采用{scheme.source_label}：得分 = Σ 权重 × 企业值 ÷ {reference}当年平均水平（{cap}，缺数据的指标得 0 分）"
    first += f"；{land}。" if land else "。"
    second = f"按总分{scope}分规模排名：{cuts}，其余为 {scheme.classes[-1].code} 类；总分相同名次并列。鼠标停在此处可看各项权重。"
    return f"{first}<br>{second}"


def set_failed(label: QLabel, failed: bool) -> None:
    if bool(label.property("failed")) != failed:
        label.setProperty("failed", failed)
        label.style().unpolish(label)
        label.style().polish(label)


# --- the scheme dialog -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeOutcome:
    rule_set_id: int | None
    problems: list[Problem] = field(default_factory=list)
    conflict: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.rule_set_id is not None


def check_scheme(base: dict[str, Any], values: dict[str, Any]) -> list[Problem]:
    from zjtx_desktop.mujun import validate_scheme_values

    return validate_scheme_values(base, values)


def store_scheme(ctx: AppContext, year: int, definition: dict[str, Any], expected_version: int | None) -> SchemeOutcome:
    """save_scheme in one transaction with its audit entry; runs on the worker."""
    from zjtx_desktop.database import transaction
    from zjtx_desktop.mujun import save_scheme
    from zjtx_desktop.registry import ValidationFailed, VersionConflict

    try:
        with transaction(ctx.sessions) as session:
            saved = save_scheme(session, ctx.actor, year, definition, expected_version)
    except ValidationFailed as error:
        return SchemeOutcome(None, list(error.problems))
    except VersionConflict as error:
        return SchemeOutcome(None, conflict=str(error))
    return SchemeOutcome(saved)


class MujunSchemeDialog(ValidatingFormDialog[SchemeOutcome]):
    """One year's scheme: weights and fixed references per indicator, land minimum, scopes, cap, class shares.

    A year without a scheme of its own starts from the default one; saving gives the year its own copy.
    """

    saved = Signal()

    VALIDATION_JOB_NAME = "校验评价方案"
    SAVE_JOB_NAME = "保存评价方案"

    def __init__(self, jobs: JobRunner, ctx: AppContext, edit: SchemeEdit, parent: QWidget | None = None) -> None:
        from zjtx_desktop.mujun import scheme_fields, scheme_sections, scheme_values

        super().__init__(jobs, ctx, parent)
        self.edit = edit
        title = f"{edit.year}年度亩均效益评价方案"
        self.setWindowTitle(title)
        self.resize(*dialog_size(1080, 700))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN - 6, PAGE_MARGIN, PAGE_MARGIN - 6)
        layout.setSpacing(SPACING)
        heading = QLabel(title)
        heading.setObjectName("dialogTitle")
        layout.addWidget(heading)
        if edit.own:
            where = f"本年度已单独设置评价方案（{edit.updated_at} 保存），修改只影响本年度。"
        else:
            where = "本年度沿用默认方案。保存后本年度单独使用这里的设置，其他年度不受影响。"
        explain = QLabel(f"{where}“固定基准值”留空时，基准值按当年参评企业的平均水平计算。{UNCONFIRMED}")
        explain.setObjectName("detailHint")
        explain.setWordWrap(True)
        layout.addWidget(explain)
        self.form = FieldForm(
            scheme_fields(edit.definition), Choices(), sections=scheme_sections(edit.definition), columns=2,
            message_width=150,
        )  # fmt: skip
        # Weights and shares are short numbers: narrower boxes keep both columns on a 1366-pixel screen.
        for spec in scheme_fields(edit.definition):
            if spec.kind == "float":
                self.form.editor(spec.key).widget.setFixedWidth(NUMBER_BOX_WIDTH)
        self.form_scroll = scrolling_form(self.form)
        layout.addWidget(self.form_scroll, 1)

        self.summary = summary_label()
        self.reset_button = QPushButton("恢复默认方案")
        self.reset_button.setToolTip("删除本年度单独设置的方案，改用默认方案")
        self.reset_button.setAutoDefault(False)
        self.reset_button.setVisible(edit.own)
        self.reset_button.clicked.connect(self.reset_to_default)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton("保存")
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self._connect_lifecycle()
        self.save_button.clicked.connect(self.save)
        self.form.set_values(scheme_values(edit.definition))
        # A stored value that is not a number (a scheme edited by hand) is shown as wrong at once, not as "not filled".
        self.form.touched.update(self.form.parse_errors())
        self.validate_now()

    def _validation_work(self) -> Callable[[], list[Problem]]:
        base, values = self.edit.definition, self.form.values()
        return lambda: check_scheme(base, values)

    def _save_work(self) -> Callable[[], SchemeOutcome]:
        from zjtx_desktop.mujun import definition_from_values

        ctx, edit = self.ctx, self.edit
        definition = definition_from_values(edit.definition, self.form.values())
        return lambda: store_scheme(ctx, edit.year, definition, edit.expected_version)

    def _on_save_succeeded(self, outcome: SchemeOutcome) -> None:
        self.saved.emit()
        self._close_saved()

    def _confirm_discard(self) -> bool:
        return prompts.confirm(
            self, "放弃修改", "评价方案的修改尚未保存。放弃吗？", ok_text="放弃", cancel_text="继续修改"
        )

    def reset_to_default(self) -> None:
        """Delete the year's own scheme (after asking), so the year follows the default again."""
        edit = self.edit
        if not edit.own or edit.expected_version is None or self.is_saving():
            return
        question = f"删除{edit.year}年度单独设置的评价方案，改用默认方案吗？"
        if not prompts.confirm(self, "恢复默认方案", question, ok_text="恢复默认", cancel_text="取消"):
            return
        ctx, version = self.ctx, edit.expected_version

        def work(_control: object) -> None:
            from zjtx_desktop.database import transaction
            from zjtx_desktop.mujun import reset_scheme

            with transaction(ctx.sessions) as session:
                reset_scheme(session, ctx.actor, edit.year, version)

        job = self.jobs.submit(work, name="恢复默认评价方案")
        self.reset_button.setEnabled(False)
        job.finished.connect(lambda _result: self._on_reset())
        job.failed.connect(self._on_reset_failed)

    def _on_reset(self) -> None:
        self.saved.emit()
        self._close_saved()

    def _on_reset_failed(self, message: str) -> None:
        self.reset_button.setEnabled(True)
        prompts.warn(self, "未恢复", message)
