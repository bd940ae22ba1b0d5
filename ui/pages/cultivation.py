"""培育管理: the 推荐名单 screened from the criteria rule sets, the titles due for review, and the rule sets themselves.

Three tabs. 推荐名单 screens the enterprises of a unit (or all units) that do not hold a tier yet against its
rule set, on the worker with a progress bar and 取消; double-clicking opens the enterprise. 称号复核 lists the
titles (valid three years) that lapse within six months or have lapsed. 认定条件 shows each rule set as a
readable table; the city bureau edits a threshold, a rule's bands, a group's minimum or the total
required, copies a rule set for a new year, or switches one off — each saved on the worker, audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.dialogs.validating_dialog import ValidatingFormDialog, scrolling_form, summary_label
from ui.field_form import Choices, FieldForm
from ui.jobs import Job, JobControl, JobRunner, Work
from ui.models.table_rows import TextRowsModel
from ui.page_names import PAGE_TITLES
from ui.theme import SPACING, TONE_COLOURS
from ui.widgets import JobProgress, Page, make_table_view, mark_other_pages_stale, note_label
from ui.widgets_criteria import BandsDialog, GroupDialog, RuleEditDialog, ThresholdDialog, TotalDialog
from zjtx_desktop.criteria import NEW_RULE_SET_FIELDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from zjtx_desktop.alerts import TitleDue
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.criteria import Candidate, RuleRow, RuleSetInfo, Screening
    from zjtx_desktop.registry import Problem
    from zjtx_desktop.settings import Installation

TAB_CANDIDATES, TAB_REVIEW, TAB_RULES = range(3)
ALL_UNITS = ""

CANDIDATE_HEADERS = (
    "企业名称",
    "单位",
    "结论",
    "得分",
    "营业收入(万元)",
    "研发费用占比",
    "主营收入增长",
    "资产负债率",
    "依据",
)
C_NAME, C_UNIT, C_VERDICT, C_SCORE, C_REVENUE, C_RD, C_GROWTH, C_DEBT, C_BASIS = range(len(CANDIDATE_HEADERS))
REVIEW_HEADERS = ("企业名称", "单位", "培育层级", "入库年份", "到期日", "状态")
R_NAME, R_UNIT, R_PROGRAM, R_YEAR, R_EXPIRES, R_STATE = range(len(REVIEW_HEADERS))
RULE_SET_HEADERS = ("规则集", "状态")
RULE_HEADERS = ("类别", "条件或评分项", "要求或分档", "分值")
VERDICT_TONES = {"符合": "good", "数据不全": "warn", "不符合": "bad"}
REVIEW_FILTERS = (("全部", None), ("已过期", True), ("即将到期", False))

CANDIDATES_INTRO = (
    "按所选层级的认定条件，从尚未列入该层级（及更高层级）的企业中筛选符合条件的企业，作为推荐名单的初稿。"
    "科技奖励、股权融资等系统未记录的条件按不满足计，请人工补充核实。双击企业查看档案。"
)
REVIEW_INTRO = (
    "2022 年起的梯度培育称号有效期 3 年，自入库日期（未填时为入库年份 1 月 1 日）起算；"
    "到期前 6 个月列入复核。已有同层级更新入库记录的企业不再列出。双击企业查看档案。"
)
RULES_INTRO = (
    "认定条件以规则集保存，市局可按当年通知修改阈值、分档分值和最低分，或复制为新年份的规则集。"
    "双击一行修改；修改会校验（分档须从低到高、不重叠，分值不超过分组满分），保存后记入操作日志。"
)
COUNTY_RULES_NOTE = "本机为县级安装：认定条件由市局维护，这里只能查看。"


def _num(value: float, decimals: int = 2) -> str:
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text or "0"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


# --- data --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CultivationData:
    """The page's data, read in one session on the worker."""

    installation: Installation
    today: dt.date
    units: list[tuple[str, str]]  # (code, name) this installation may screen
    rule_sets: list[RuleSetInfo]
    titles: list[TitleDue]


def load_cultivation(ctx: AppContext) -> CultivationData:
    from sqlalchemy import select

    from zjtx_desktop.alerts import titles_due
    from zjtx_desktop.criteria import list_rule_sets
    from zjtx_desktop.models import Region
    from zjtx_desktop.settings import installation

    today = dt.date.today()
    with ctx.sessions() as session:
        inst = installation(session)
        scope = None if inst.is_city else [inst.unit_code]
        query = select(Region.code, Region.name).order_by(Region.sort_order)
        if scope is not None:
            query = query.where(Region.code.in_(scope))
        units = [(code, name) for code, name in session.execute(query)]
        return CultivationData(
            inst, today, units, list_rule_sets(session), titles_due(session, today, unit_codes=scope)
        )


def run_screening(
    ctx: AppContext, rule_set_id: int, unit_codes: list[str] | None, include_incomplete: bool, control: JobControl
) -> Screening:
    """Screen on the worker, reporting progress and stopping when cancelled."""
    from zjtx_desktop.criteria import rule_set_by_id, screen

    with ctx.sessions() as session:
        return screen(
            session,
            rule_set_by_id(session, rule_set_id),
            unit_codes,
            include_incomplete=include_incomplete,
            progress=control.progress,
            cancel=control.cancel.is_set,
        )


def save_definition(ctx: AppContext, info: RuleSetInfo, definition: dict[str, Any], active: bool | None = None) -> None:
    """Save an edited rule set at the version it was opened with; on the worker."""
    from zjtx_desktop.criteria import save_rule_set
    from zjtx_desktop.database import transaction

    with transaction(ctx.sessions) as session:
        save_rule_set(session, ctx.actor, info.code, definition, info.version, year=info.year, active=active)


def candidate_cells(candidate: Candidate) -> list[str]:
    return [
        candidate.name,
        candidate.unit,
        candidate.verdict,
        "—" if candidate.total is None else _num(candidate.total),
        "—" if candidate.revenue is None else f"{candidate.revenue:,.2f}",
        _percent(candidate.rd_ratio),
        _percent(candidate.growth),
        _percent(candidate.debt_ratio),
        candidate.summary,
    ]


def review_state(title: TitleDue, today: dt.date) -> str:
    days = (title.expires_on - today).days
    if days < 0:
        return f"已过期（{-days} 天）"
    return f"即将到期（还有 {days} 天）" if days else "即将到期（今天）"


# --- 推荐名单 ----------------------------------------------------------------------------------------


class CandidatesPanel(QWidget):
    """Choose a rule set and a unit, screen on the worker, list who qualifies; export the list."""

    open_enterprise = Signal(int)
    screened = Signal()  # a screening's result is on screen

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.data: CultivationData | None = None
        self.screening: Screening | None = None
        self.job: Job | None = None
        self.folder: str | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(CANDIDATES_INTRO))
        controls = QHBoxLayout()
        controls.setSpacing(SPACING)
        self.rule_set_combo = QComboBox()
        self.rule_set_combo.setMinimumContentsLength(16)
        self.rule_set_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.unit_combo = QComboBox()
        self.unit_combo.setMinimumContentsLength(8)
        self.incomplete_box = QCheckBox("同时列出数据不全的企业")
        self.incomplete_box.setToolTip("补齐年度监测或企业信息后可能符合条件的企业")
        self.screen_button = QPushButton("筛选")
        self.screen_button.setProperty("primary", True)
        self.screen_button.clicked.connect(self.start_screening)
        self.export_button = QPushButton("导出 Excel…")
        self.export_button.clicked.connect(self.export)
        controls.addWidget(QLabel("认定条件"))
        controls.addWidget(self.rule_set_combo)
        controls.addWidget(QLabel("单位"))
        controls.addWidget(self.unit_combo)
        controls.addWidget(self.incomplete_box)
        controls.addStretch(1)
        controls.addWidget(self.screen_button)
        controls.addWidget(self.export_button)
        layout.addLayout(controls)
        self.rule_set_combo.currentIndexChanged.connect(lambda _i: self.start_screening())
        self.unit_combo.currentIndexChanged.connect(lambda _i: self.start_screening())
        self.incomplete_box.toggled.connect(lambda _on: self.start_screening())

        self.progress = JobProgress()
        self.progress.hide()
        layout.addWidget(self.progress)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("listCount")
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.model = TextRowsModel(
            CANDIDATE_HEADERS, numeric=(C_SCORE, C_REVENUE, C_RD, C_GROWTH, C_DEBT), colour=self._colour
        )
        self.table = make_table_view(self.model)
        header = self.table.horizontalHeader()
        for column, width in enumerate((226, 132, 52, 50, 104, 100, 100, 84)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(C_BASIS, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._open)
        self.table.setToolTip("双击企业查看档案")
        layout.addWidget(self.table, 1)
        self._update_buttons()

    @staticmethod
    def _colour(candidate: Any, column: int) -> str | None:
        if column == C_VERDICT:
            return str(TONE_COLOURS[VERDICT_TONES[candidate.verdict]])
        return None

    def set_context(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def show_data(self, data: CultivationData) -> None:
        """New rule sets and units: refill the pickers (keeping the choices) and screen again."""
        first = self.data is None
        self.data = data
        previous_rule_set, previous_unit = self.rule_set_combo.currentData(), self.unit_combo.currentData()
        for combo in (self.rule_set_combo, self.unit_combo):
            combo.blockSignals(True)
            combo.clear()
        for info in data.rule_sets:
            if info.active and info.criteria is not None:
                self.rule_set_combo.addItem(info.title, info.id)
        if data.installation.is_city:
            self.unit_combo.addItem("全部单位", ALL_UNITS)
        for code, name in data.units:
            self.unit_combo.addItem(name, code)
        self.rule_set_combo.setCurrentIndex(max(self.rule_set_combo.findData(previous_rule_set), 0))
        self.unit_combo.setCurrentIndex(max(self.unit_combo.findData(previous_unit), 0))
        self.unit_combo.setEnabled(self.unit_combo.count() > 1)
        for combo in (self.rule_set_combo, self.unit_combo):
            combo.blockSignals(False)
        if first or self.screening is None or self._stale():
            self.start_screening()
        self._update_buttons()

    def _stale(self) -> bool:
        """Was the rule set on screen edited since it was screened?"""
        if self.screening is None or self.data is None:
            return True
        shown = self.screening.rule_set
        current = next((info for info in self.data.rule_sets if info.id == shown.id), None)
        return current is None or current.version != shown.version

    def unit_codes(self) -> list[str] | None:
        if self.data is None:
            return None
        code = self.unit_combo.currentData()
        if code == ALL_UNITS or code is None:
            return None if self.data.installation.is_city else [self.data.installation.unit_code]
        return [str(code)]

    def start_screening(self) -> None:
        if self.ctx is None or self.data is None:
            return
        rule_set_id = self.rule_set_combo.currentData()
        if not isinstance(rule_set_id, int):
            self.model.set_rows([])
            self.summary_label.setText("没有可用的认定条件规则集：请在“认定条件”中启用或修正规则集。")
            return
        if self.job is not None:
            self.job.cancel()
        ctx, units, incomplete = self.ctx, self.unit_codes(), self.incomplete_box.isChecked()
        job = self.jobs.submit(
            lambda control: run_screening(ctx, rule_set_id, units, incomplete, control), name="筛选推荐名单"
        )
        self.job = job
        self.progress.follow(job, f"正在按“{self.rule_set_combo.currentText()}”筛选…")
        self.progress.show()
        self._update_buttons()

        def end() -> bool:
            if self.job is not job:
                return False
            self.job = None
            self.progress.hide()
            self._update_buttons()
            return True

        def finished(screening: Screening) -> None:
            if end():
                self.show_screening(screening)

        def failed(message: str) -> None:
            if end():
                self.summary_label.setText(f"筛选未完成：{message}")

        def cancelled() -> None:
            if end():
                self.summary_label.setText("已取消筛选。点击“筛选”重新开始。")

        job.finished.connect(finished)
        job.failed.connect(failed)
        job.cancelled.connect(cancelled)

    def show_screening(self, screening: Screening) -> None:
        self.screening = screening
        self.model.set_rows([(candidate_cells(c), c) for c in screening.candidates])
        scope = self.unit_combo.currentText() or "本单位"
        year = f" {screening.year} 年度数据" if screening.year is not None else "（尚无年度监测数据）"
        text = (
            f"{scope}按{year}筛选 {screening.screened:,} 家未列入该层级的企业："
            f"符合 {screening.qualified:,} 家，数据不全 {screening.incomplete:,} 家。"
        )
        if not screening.candidates:
            text += "没有符合条件的企业。" if not self.incomplete_box.isChecked() else "没有可列出的企业。"
        self.summary_label.setText(text)
        self._update_buttons()
        self.screened.emit()

    def _update_buttons(self) -> None:
        busy = self.job is not None
        self.screen_button.setEnabled(not busy and self.rule_set_combo.count() > 0)
        self.export_button.setEnabled(not busy and self.screening is not None and bool(self.screening.candidates))

    def _open(self, index: QModelIndex) -> None:
        candidate = self.model.payload(index.row())
        if candidate is not None:
            self.open_enterprise.emit(candidate.enterprise_id)

    def export(self) -> None:
        screening = self.screening
        if self.ctx is None or screening is None:
            return
        scope = self.unit_combo.currentText()
        suggested = f"推荐名单_{screening.rule_set.program_name}_{scope}_{dt.date.today():%Y%m%d}.xlsx"
        folder = self.folder or str(Path.home())
        path = prompts.choose_save_path(self, "导出推荐名单", str(Path(folder) / suggested), "Excel 工作簿 (*.xlsx)")
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        self.folder = str(Path(path).parent)
        actor = self.ctx.actor

        def work(_control: JobControl) -> int:
            from zjtx_desktop.criteria import export_candidates

            return export_candidates(screening, Path(path), scope=scope, exported_by=actor)

        job = self.jobs.submit(work, name="导出推荐名单")
        self.export_button.setEnabled(False)

        def finished(count: int) -> None:
            self._update_buttons()
            prompts.inform(self, "已导出", f"推荐名单 {count} 家企业已导出到：\n{path}")

        def failed(message: str) -> None:
            self._update_buttons()
            prompts.warn(self, "未能导出", message)

        job.finished.connect(finished)
        job.failed.connect(failed)


# --- 称号复核 ----------------------------------------------------------------------------------------


class ReviewPanel(QWidget):
    """Titles that lapse within six months or have lapsed, most urgent first."""

    open_enterprise = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: CultivationData | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(note_label(REVIEW_INTRO))
        controls = QHBoxLayout()
        self.summary_label = QLabel()
        self.summary_label.setObjectName("listCount")
        self.filter_combo = QComboBox()
        for text, value in REVIEW_FILTERS:
            self.filter_combo.addItem(text, value)
        self.filter_combo.currentIndexChanged.connect(lambda _i: self._fill())
        controls.addWidget(self.summary_label, 1)
        controls.addWidget(QLabel("显示"))
        controls.addWidget(self.filter_combo)
        layout.addLayout(controls)
        self.model = TextRowsModel(REVIEW_HEADERS, numeric=(R_YEAR,), colour=self._colour)
        self.table = make_table_view(self.model)
        header = self.table.horizontalHeader()
        for column, width in enumerate((280, 130, 170, 80, 100)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(R_STATE, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._open)
        self.table.setToolTip("双击企业查看档案")
        layout.addWidget(self.table, 1)

    def _colour(self, title: Any, column: int) -> str | None:
        if column in (R_EXPIRES, R_STATE) and self.data is not None:
            return str(TONE_COLOURS["bad" if title.expired(self.data.today) else "warn"])
        return None

    def show_data(self, data: CultivationData) -> None:
        self.data = data
        expired = sum(1 for title in data.titles if title.expired(data.today))
        self.summary_label.setText(
            f"需复核的称号 {len(data.titles):,} 项：已过期 {expired:,} 项，半年内到期 {len(data.titles) - expired:,} 项"
        )
        self._fill()

    def _fill(self) -> None:
        if self.data is None:
            return
        wanted = self.filter_combo.currentData()
        today = self.data.today
        rows = [
            (
                [
                    title.enterprise,
                    title.unit,
                    title.program,
                    str(title.year),
                    title.expires_on.isoformat(),
                    review_state(title, today),
                ],
                title,
            )
            for title in self.data.titles
            if wanted is None or title.expired(today) == wanted
        ]
        self.model.set_rows(rows)

    def _open(self, index: QModelIndex) -> None:
        title = self.model.payload(index.row())
        if title is not None:
            self.open_enterprise.emit(title.enterprise_id)


# --- 认定条件 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyOutcome:
    saved: bool
    problems: list[Problem]
    conflict: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.saved


def check_new_rule_set(ctx: AppContext, values: dict[str, Any]) -> list[Problem]:
    from zjtx_desktop.criteria import validate_new_rule_set

    with ctx.sessions() as session:
        return validate_new_rule_set(session, values)


def copy_rule_set_now(ctx: AppContext, source_id: int, values: dict[str, Any]) -> CopyOutcome:
    from zjtx_desktop.criteria import copy_rule_set
    from zjtx_desktop.database import transaction
    from zjtx_desktop.registry import ValidationFailed

    try:
        with transaction(ctx.sessions) as session:
            copy_rule_set(
                session,
                ctx.actor,
                source_id,
                code=str(values.get("code") or ""),
                name=str(values.get("name") or ""),
                year=values.get("year"),
                note=values.get("note"),
            )
    except ValidationFailed as error:
        return CopyOutcome(False, list(error.problems))
    return CopyOutcome(True, [])


class CopyRuleSetDialog(ValidatingFormDialog[CopyOutcome]):
    """复制为新规则集: name, code and year of the copy, checked while typing."""

    saved = Signal()
    VALIDATION_JOB_NAME = "校验规则集"
    SAVE_JOB_NAME = "复制规则集"

    def __init__(self, jobs: JobRunner, ctx: AppContext, source: RuleSetInfo, parent: QWidget | None = None) -> None:
        super().__init__(jobs, ctx, parent)
        self.source = source
        self.setWindowTitle("复制为新规则集")
        self.resize(640, 380)
        layout = QVBoxLayout(self)
        heading = QLabel(f"以“{source.title}”的全部条件为基础，新建一个规则集")
        heading.setObjectName("dialogTitle")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.form = FieldForm(NEW_RULE_SET_FIELDS, Choices())
        layout.addWidget(scrolling_form(self.form), 1)
        self.summary = summary_label()
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton("复制")
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self._connect_lifecycle()
        self.save_button.clicked.connect(self.save)
        year = (source.year or dt.date.today().year) + 1
        name = source.name.replace(str(source.year), str(year)) if source.year else f"{source.name}（{year}）"
        self.form.set_values({"name": name, "code": source.code, "year": year, "note": source.note})
        self.validate_now()

    def _validation_work(self) -> Callable[[], list[Problem]]:
        ctx, values = self.ctx, self.form.values()
        return lambda: check_new_rule_set(ctx, values)

    def _save_work(self) -> Callable[[], CopyOutcome]:
        ctx, source_id, values = self.ctx, self.source.id, self.form.values()
        return lambda: copy_rule_set_now(ctx, source_id, values)

    def _on_save_succeeded(self, outcome: CopyOutcome) -> None:
        self.saved.emit()
        self._close_saved()

    def _confirm_discard(self) -> bool:
        return prompts.confirm(self, "放弃复制", "填写的内容尚未保存。放弃吗？", ok_text="放弃", cancel_text="继续填写")


class RuleSetsPanel(QWidget):
    """The rule sets on the left, the chosen one's rules on the right; editing for the city bureau."""

    changed = Signal()  # a rule set was saved

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.data: CultivationData | None = None
        self.job: Job | None = None
        self.dialog: QWidget | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)
        self.intro = note_label(RULES_INTRO)
        layout.addWidget(self.intro)
        self.sets_model = TextRowsModel(RULE_SET_HEADERS, colour=self._set_colour)
        self.sets_table = make_table_view(self.sets_model)
        sets_header = self.sets_table.horizontalHeader()
        sets_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        sets_header.resizeSection(1, 52)
        self.sets_table.setMinimumWidth(260)
        self.sets_table.selectionModel().currentRowChanged.connect(lambda *_a: self._show_selected())

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.setSpacing(SPACING // 2 + 2)
        heading = QHBoxLayout()
        self.set_title = QLabel()
        self.set_title.setObjectName("sectionTitle")
        self.edit_button = self._button("修改…", self.edit_selected, "修改所选条件的阈值或评分项的分档")
        self.copy_button = self._button("复制为新规则集…", self.copy_selected, "以所选规则集为基础新建一个（如新年份）")
        self.active_button = self._button("停用", self.toggle_active, "停用的规则集不再用于筛选和企业检查")
        heading.addWidget(self.set_title, 1)
        for button in (self.edit_button, self.copy_button, self.active_button):
            heading.addWidget(button)
        detail_layout.addLayout(heading)
        self.set_note = note_label("")
        detail_layout.addWidget(self.set_note)
        self.rules_model = TextRowsModel(RULE_HEADERS, colour=self._rule_colour)
        self.rules_table = make_table_view(self.rules_model)
        rules_header = self.rules_table.horizontalHeader()
        for column, width in enumerate((96, 230, 300)):
            rules_header.resizeSection(column, width)
        rules_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        rules_header.resizeSection(3, 76)
        self.rules_table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.rules_table.selectionModel().currentRowChanged.connect(lambda *_a: self._on_rule_selected())
        detail_layout.addWidget(self.rules_table, 1)
        # The selected row in full: the table cuts long band lists and the way the data is read.
        self.rule_detail = QLabel()
        self.rule_detail.setObjectName("detailHint")
        self.rule_detail.setWordWrap(True)
        self.rule_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rule_detail.setMinimumHeight(48)
        self.rule_detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        detail_layout.addWidget(self.rule_detail)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.sets_table)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([380, 790])
        layout.addWidget(self.splitter, 1)

    def _button(self, text: str, handler: Any, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(handler)
        return button

    @staticmethod
    def _set_colour(info: Any, column: int) -> str | None:
        if column == 1:
            tone = "bad" if info.criteria is None else "good" if info.active else "neutral"
            return str(TONE_COLOURS[tone])
        return None

    @staticmethod
    def _rule_colour(row: Any, column: int) -> str | None:
        if column == 1 and not row.recorded:  # the data is not in the program: checked by hand
            return str(TONE_COLOURS["warn"])
        return None

    def set_context(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def can_write(self) -> bool:
        inst = self.data.installation if self.data is not None else None
        return inst is not None and inst.is_city and inst.can_write

    def show_data(self, data: CultivationData) -> None:
        selected = self.selected_rule_set()
        self.data = data
        rows = []
        for info in data.rule_sets:
            state = "有误" if info.criteria is None else "启用" if info.active else "停用"
            rows.append(([info.title, state], info))
        self.sets_model.set_rows(rows)
        row = next((n for n, info in enumerate(data.rule_sets) if selected and info.id == selected.id), 0)
        if data.rule_sets:
            self.sets_table.setCurrentIndex(self.sets_model.index(row, 0))
        self.intro.setText(RULES_INTRO if self.can_write() else f"{RULES_INTRO}{COUNTY_RULES_NOTE}")
        self._show_selected()

    def selected_rule_set(self) -> RuleSetInfo | None:
        index = self.sets_table.currentIndex()
        return self.sets_model.payload(index.row()) if index.isValid() else None

    def select_rule_set(self, code: str) -> bool:
        for row in range(self.sets_model.rowCount()):
            info = self.sets_model.payload(row)
            if info is not None and info.code == code:
                self.sets_table.setCurrentIndex(self.sets_model.index(row, 0))
                return True
        return False

    def selected_rule(self) -> RuleRow | None:
        index = self.rules_table.currentIndex()
        return self.rules_model.payload(index.row()) if index.isValid() else None

    def select_rule(self, label: str) -> bool:
        for row in range(self.rules_model.rowCount()):
            rule = self.rules_model.payload(row)
            if rule is not None and rule.label == label:
                self.rules_table.setCurrentIndex(self.rules_model.index(row, 0))
                return True
        return False

    def _show_selected(self) -> None:
        from zjtx_desktop.criteria import rule_rows

        info = self.selected_rule_set()
        if info is None:
            self.set_title.setText("没有认定条件规则集")
            self.set_note.setText("")
            self.rules_model.set_rows([])
            self._update_buttons()
            return
        state = "设置有误，不能使用" if info.criteria is None else "启用" if info.active else "已停用"
        self.set_title.setText(f"推荐层级：{info.program_name}（{state}，第 {info.version} 版）")
        note = info.note or "（无说明）"
        if info.criteria is None:
            note = f"设置有误：{info.problem}"
        self.set_note.setText(note)
        rows = rule_rows(info.criteria) if info.criteria is not None else []
        self.rules_model.set_rows([([row.section, row.label, row.requirement, row.points], row) for row in rows])
        if rows:
            self.rules_table.setCurrentIndex(self.rules_model.index(0, 0))
        self.active_button.setText("停用" if info.active else "启用")
        self._on_rule_selected()

    def _on_rule_selected(self) -> None:
        rule = self.selected_rule()
        if rule is None:
            self.rule_detail.setText("")
        else:
            how = "双击修改。" if rule.edit and self.can_write() else ""
            reads = f"取数方式：{rule.reads}" + ("（需人工核实）" if not rule.recorded else "")
            self.rule_detail.setText(f"{rule.label.strip('　· ')}：{rule.requirement}\n{reads}。{how}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        writable = self.can_write() and self.ctx is not None and self.job is None
        info, rule = self.selected_rule_set(), self.selected_rule()
        self.edit_button.setEnabled(writable and info is not None and rule is not None and bool(rule.edit))
        self.copy_button.setEnabled(writable and info is not None and info.criteria is not None)
        self.active_button.setEnabled(writable and info is not None)

    # --- editing ------------------------------------------------------------------------------------

    def edit_selected(self) -> RuleEditDialog | None:
        """Open the editor that suits the selected row (threshold, bands, group, total); save on 保存."""
        info, rule = self.selected_rule_set(), self.selected_rule()
        if info is None or rule is None or not rule.edit or not self.can_write():
            return None
        dialog: RuleEditDialog
        if rule.edit == "threshold":
            dialog = ThresholdDialog(info, rule.path, rule.label, self.window())
        elif rule.edit == "bands":
            dialog = BandsDialog(info, rule.path, rule.label, self.window())
        elif rule.edit == "group":
            dialog = GroupDialog(info, int(rule.path[1]), self.window())
        else:
            dialog = TotalDialog(info, self.window())
        dialog.accepted.connect(lambda: self._save(info, dialog.definition()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _save(self, info: RuleSetInfo, definition: dict[str, Any], active: bool | None = None) -> None:
        if self.ctx is None:
            return
        ctx = self.ctx
        job = self.jobs.submit(lambda _control: save_definition(ctx, info, definition, active), name="保存认定条件")
        self.job = job
        self._update_buttons()

        def finished(_result: object) -> None:
            self.job = None
            self._update_buttons()
            self.changed.emit()

        def failed(message: str) -> None:
            self.job = None
            self._update_buttons()
            prompts.warn(self, "未保存", message)
            self.changed.emit()  # reload: the refusal may come from an edit made elsewhere

        job.finished.connect(finished)
        job.failed.connect(failed)

    def copy_selected(self) -> CopyRuleSetDialog | None:
        info = self.selected_rule_set()
        if self.ctx is None or info is None or not self.can_write():
            return None
        dialog = CopyRuleSetDialog(self.jobs, self.ctx, info, self.window())
        dialog.saved.connect(self.changed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def toggle_active(self) -> None:
        info = self.selected_rule_set()
        if info is None or not self.can_write():
            return
        if info.active:
            question = f"停用“{info.title}”吗？停用后它不再用于推荐名单筛选和企业的认定条件检查，可随时重新启用。"
            if not prompts.confirm(self, "停用规则集", question, ok_text="停用"):
                return
        self._save(info, info.definition, active=not info.active)


# --- the page ----------------------------------------------------------------------------------------


class CultivationPage(Page):
    """培育管理: 推荐名单 · 称号复核 · 认定条件."""

    open_enterprise = Signal(int)

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["cultivation"], jobs, parent)
        self.tabs = QTabWidget()
        self.candidates = CandidatesPanel(jobs)
        self.review = ReviewPanel()
        self.rules = RuleSetsPanel(jobs)
        self.tabs.addTab(self.candidates, "推荐名单")
        self.tabs.addTab(self.review, "称号复核")
        self.tabs.addTab(self.rules, "认定条件")
        self.body.addWidget(self.tabs, 1)
        self.candidates.open_enterprise.connect(self.open_enterprise)
        self.review.open_enterprise.connect(self.open_enterprise)
        self.rules.changed.connect(self._on_rules_changed)

    def set_context(self, ctx: AppContext) -> None:
        super().set_context(ctx)
        self.candidates.set_context(ctx)
        self.rules.set_context(ctx)

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_cultivation(ctx)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, CultivationData)
        inst = data.installation
        expired = sum(1 for title in data.titles if title.expired(data.today))
        usable = sum(1 for info in data.rule_sets if info.active and info.criteria is not None)
        scope = "全部单位" if inst.is_city else inst.unit_name
        self.set_subtitle(
            f"{scope}　·　{usable} 套认定条件在用　·　称号复核 {len(data.titles):,} 项"
            + (f"（已过期 {expired:,} 项）" if expired else "")
        )
        self.review.show_data(data)
        self.rules.show_data(data)
        self.candidates.show_data(data)

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def _on_rules_changed(self) -> None:
        # The enterprise detail view's explanation reads the rule sets too.
        mark_other_pages_stale(self)
        self.refresh()
