"""数据交换 › 导出: the entity sheets, target progress, the 报送包 and the blank template, written on the worker."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.jobs import Job, JobControl, JobRunner
from ui.theme import SPACING
from ui.widgets import JobProgress, note_label

if TYPE_CHECKING:
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.settings import Installation


@dataclass(frozen=True)
class ExportChoice:
    kind: str  # a sheet kind of write_workbook, or "package" / "template"
    label: str
    description: str
    filters: frozenset[str]  # which of unit, year, program apply


_ALL = frozenset({"unit", "year", "program"})
EXPORT_CHOICES: tuple[ExportChoice, ...] = (
    ExportChoice(
        "enterprises",
        "企业信息",
        "培育企业的基本信息。选培育层级时只导出有该层级培育记录的企业；再选年份则为该年入库的企业。",
        _ALL,
    ),
    ExportChoice(
        "monitoring", "年度监测", "企业的年度监测数据。年份：该年度的数据；培育层级：有该层级培育记录的企业。", _ALL
    ),
    ExportChoice(
        "cultivation", "培育记录", "入库、认定、升级、退出等培育记录。年份、培育层级：该年、该层级的记录。", _ALL
    ),
    ExportChoice(
        "visits", "帮扶记录", "联系帮扶的走访记录。年份：该年的走访；培育层级：有该层级培育记录的企业。", _ALL
    ),
    ExportChoice("targets", "目标任务", "各单位、各层级的培育目标。年份：目标期间包含该年的目标。", _ALL),
    ExportChoice(
        "progress",
        "目标完成情况",
        "目标数、完成数和完成率，统计口径与首页相同。年份：目标期间包含该年的目标。",
        _ALL,
    ),
    ExportChoice(
        "package",
        "报送包",
        "所选单位的全部数据（五张表）和“说明”页（单位、导出时间、导出人、内容校验），"
        "供县（市、区）向市局报送。报送包导出后请勿修改，否则导入时会提示“已被修改”。",
        frozenset({"unit"}),
    ),
    ExportChoice(
        "template",
        "空白模板",
        "五张表的空白模板，带表头、下拉选项和填写提示，发给企业或乡镇填写后再导入。",
        frozenset({"unit"}),
    ),
)
CHOICE_BY_KIND = {choice.kind: choice for choice in EXPORT_CHOICES}
ALL_UNITS, ALL_YEARS, ALL_PROGRAMS = "全部单位", "全部年份", "全部层级"
# The audit trail names exports as the command line does (`export templates`).
AUDIT_KINDS = {"template": "templates"}


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    path: str
    unit: str | None  # None: all the installation may export
    year: int | None = None
    program_code: str | None = None


@dataclass(frozen=True)
class ExportDone:
    path: str
    kind: str
    rows: dict[str, int]  # by sheet kind
    digest: str | None  # packages: the content check written into 说明


def run_export(ctx: AppContext, request: ExportRequest, control: JobControl) -> ExportDone:
    """Write the export in one read transaction (all sheets show one moment) and audit it; runs on the worker."""
    from zjtx_desktop.audit import record
    from zjtx_desktop.database import transaction
    from zjtx_desktop.exchange.export import export_units, write_workbook
    from zjtx_desktop.exchange.package import write_package
    from zjtx_desktop.exchange.sheets import SHEETS
    from zjtx_desktop.settings import CITY_CODE

    def cancel() -> bool:
        return control.cancelled

    with transaction(ctx.sessions) as session:
        units = export_units(session, request.unit)  # a county installation: its own unit only
        if request.kind == "package":
            unit_code = units[0] if units else CITY_CODE
            result = write_package(
                request.path, session, ctx.actor, unit_code=unit_code, progress=control.progress, cancel=cancel
            )
        elif request.kind == "template":
            kinds = [spec.kind for spec in SHEETS]
            result = write_workbook(
                request.path, session, kinds, unit_codes=units, template=True, progress=control.progress, cancel=cancel
            )
        else:
            result = write_workbook(
                request.path,
                session,
                [request.kind],
                unit_codes=units,
                year=request.year,
                program_code=request.program_code,
                progress=control.progress,
                cancel=cancel,
            )
        digest = result.metadata.digest if result.metadata is not None else None
        # An export changes nothing, but the audit trail records who took which data out.
        record(
            session,
            ctx.actor,
            "export",
            AUDIT_KINDS.get(request.kind, request.kind),
            Path(request.path).name,
            after={"rows": result.rows, "digest": digest},
        )
    return ExportDone(str(result.path), request.kind, dict(result.rows), digest)


def sheet_name(kind: str) -> str:
    from zjtx_desktop.exchange.export import PROGRESS_KIND, PROGRESS_SHEET
    from zjtx_desktop.exchange.sheets import SHEET_BY_KIND

    return PROGRESS_SHEET if kind == PROGRESS_KIND else SHEET_BY_KIND[kind].name


def done_text(done: ExportDone) -> str:
    if done.kind == "template":
        return "已生成空白模板（" + "、".join(sheet_name(kind) for kind in done.rows) + "）。"
    counts = "、".join(f"{sheet_name(kind)} {rows} 行" for kind, rows in done.rows.items())
    if done.kind == "package":
        return f"已导出报送包（{counts}）。内容校验（SHA-256）：{done.digest}"
    return f"已导出 {counts}。"


def open_folder(path: str) -> None:
    """Show the folder holding a file in the system's file manager."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


class ExportPanel(QWidget):
    """The 导出 tab: what to export, the filters that apply to it, then a save dialog and a job."""

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.ctx: AppContext | None = None
        self.installation: Installation | None = None
        self.job: Job | None = None
        self.done: ExportDone | None = None
        self.folder: str | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACING, 0, 0)
        layout.setSpacing(SPACING)

        what = QGroupBox("导出内容")
        what_layout = QVBoxLayout(what)
        what_layout.setSpacing(4)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for choice in EXPORT_CHOICES:
            button = QRadioButton(choice.label)
            button.setProperty("kind", choice.kind)
            self.kind_group.addButton(button)
            self.kind_buttons[choice.kind] = button
            what_layout.addWidget(button)
        self.kind_buttons["enterprises"].setChecked(True)
        self.kind_group.buttonToggled.connect(lambda _button, _checked: self._update_filters())

        which = QGroupBox("范围")
        form = QFormLayout(which)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.setHorizontalSpacing(SPACING * 2)
        form.setVerticalSpacing(SPACING)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.unit_combo = QComboBox()
        self.year_combo = QComboBox()
        self.program_combo = QComboBox()
        for combo in (self.unit_combo, self.year_combo, self.program_combo):
            combo.setMinimumContentsLength(18)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        form.addRow("单位：", self.unit_combo)
        form.addRow("年份：", self.year_combo)
        form.addRow("培育层级：", self.program_combo)
        self.description = QLabel()
        self.description.setObjectName("detailHint")
        self.description.setWordWrap(True)
        self.description.setMinimumWidth(320)
        form.addRow(self.description)
        self.program_combo.currentIndexChanged.connect(self._update_filters)

        top = QHBoxLayout()
        top.setSpacing(SPACING * 2)
        top.addWidget(what)
        top.addWidget(which, 1)
        layout.addLayout(top)

        buttons = QHBoxLayout()
        self.export_button = QPushButton("导出…")
        self.export_button.setProperty("primary", True)
        self.export_button.setToolTip("选择保存位置并导出为 Excel 工作簿（.xlsx）")
        self.export_button.clicked.connect(self.start_export)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.progress = JobProgress()
        self.progress.hide()
        layout.addWidget(self.progress)

        self.result_box = QWidget()
        result_layout = QHBoxLayout(self.result_box)
        result_layout.setContentsMargins(0, 0, 0, 0)
        self.result_label = note_label("", "importMessage")
        self.open_folder_button = QPushButton("打开所在文件夹")
        self.open_folder_button.clicked.connect(self._open_folder)
        result_layout.addWidget(self.result_label, 1)
        result_layout.addWidget(self.open_folder_button, 0, Qt.AlignmentFlag.AlignTop)
        self.result_box.hide()
        layout.addWidget(self.result_box)
        layout.addStretch(1)
        self.export_button.setEnabled(False)
        self._update_filters()

    # --- choices ------------------------------------------------------------------------------

    def set_setup(
        self, inst: Installation, units: list[tuple[str, str]], years: list[int], programs: list[tuple[str, str]]
    ) -> None:
        """Fill the pickers (keeping what was chosen): a county installation exports its own unit only."""
        self.installation = inst
        # "" stands for "all": None in a combo's item data would be an invalid QVariant.
        _refill(self.unit_combo, [("", ALL_UNITS), *units] if inst.is_city else [(inst.unit_code, inst.unit_name)])
        self.unit_combo.setEnabled(inst.is_city)
        self.unit_combo.setToolTip("" if inst.is_city else "县级安装只能导出本单位的数据")
        _refill(self.year_combo, [("", ALL_YEARS), *((str(year), f"{year}年") for year in years)])
        _refill(self.program_combo, [("", ALL_PROGRAMS), *programs])
        self.export_button.setEnabled(self.job is None)
        self._update_filters()

    def kind(self) -> str:
        button = self.kind_group.checkedButton()
        return str(button.property("kind")) if button is not None else "enterprises"

    def select(
        self, kind: str, *, unit: str | None = None, year: int | None = None, program: str | None = None
    ) -> None:
        """Choose what to export and its filters (as a clerk would click them)."""
        self.kind_buttons[kind].setChecked(True)
        wanted = (
            (self.unit_combo, unit),
            (self.year_combo, str(year) if year else None),
            (self.program_combo, program),
        )
        for combo, value in wanted:
            index = combo.findData(value or "")
            if index >= 0:
                combo.setCurrentIndex(index)
        self._update_filters()

    def _update_filters(self) -> None:
        choice = CHOICE_BY_KIND[self.kind()]
        county = self.installation is not None and not self.installation.is_city
        self.unit_combo.setEnabled("unit" in choice.filters and not county)
        self.program_combo.setEnabled("program" in choice.filters)
        year = "year" in choice.filters
        if choice.kind == "enterprises":  # the year of an enterprise is its entry year into the chosen program
            year = bool(self.program_combo.currentData())
        self.year_combo.setEnabled(year)
        self.description.setText(choice.description)

    def request(self, path: str) -> ExportRequest:
        choice = CHOICE_BY_KIND[self.kind()]
        year = self.year_combo.currentData() if self.year_combo.isEnabled() else ""
        program = self.program_combo.currentData() if self.program_combo.isEnabled() else ""
        unit = self.unit_combo.currentData() if "unit" in choice.filters else ""
        return ExportRequest(
            choice.kind,
            path,
            str(unit) if unit else None,
            int(year) if year else None,
            str(program) if program else None,
        )

    def _suggested_name(self) -> str:
        choice = CHOICE_BY_KIND[self.kind()]
        unit = self.unit_combo.currentText() if self.unit_combo.currentData() else ""
        if not unit and self.installation is not None:
            unit = self.installation.unit_name
        parts = [choice.label, unit]
        if self.year_combo.isEnabled() and self.year_combo.currentData():
            parts.append(self.year_combo.currentText())
        parts.append(f"{dt.date.today():%Y%m%d}")
        return "_".join(part for part in parts if part) + ".xlsx"

    # --- exporting ----------------------------------------------------------------------------

    def start_export(self) -> None:
        if self.ctx is None or self.job is not None or self.installation is None:
            return
        folder = self.folder or str(Path.home())
        label = CHOICE_BY_KIND[self.kind()].label
        path = prompts.choose_save_path(
            self, f"导出{label}", str(Path(folder) / self._suggested_name()), "Excel 工作簿 (*.xlsx)"
        )
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        self.folder = str(Path(path).parent)
        request, ctx = self.request(path), self.ctx
        job = self.jobs.submit(lambda control: run_export(ctx, request, control), name=f"导出{label}")
        self.job = job
        self.result_box.hide()
        self.progress.follow(job, f"正在导出{label}…")
        self.progress.show()
        self.export_button.setEnabled(False)
        job.finished.connect(self._on_done)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)

    def cancel(self) -> None:
        self.progress.cancel()

    def _end(self) -> None:
        self.job = None
        self.progress.hide()
        self.export_button.setEnabled(True)

    def _show_result(self, text: str, severity: str, can_open: bool) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("severity", severity)
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)
        self.open_folder_button.setVisible(can_open)
        self.result_box.show()

    def _on_done(self, done: ExportDone) -> None:
        self._end()
        self.done = done
        self._show_result(f"{done_text(done)}\n文件：{done.path}", "", True)

    def _on_failed(self, message: str) -> None:
        self._end()
        self.done = None
        self._show_result(f"导出未完成：{message}", "error", False)

    def _on_cancelled(self) -> None:
        self._end()
        self.done = None
        self._show_result("已取消导出，未生成文件。", "", False)

    def _open_folder(self) -> None:
        if self.done is not None:
            open_folder(self.done.path)


def _refill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    previous = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for value, text in items:
        combo.addItem(text, value)
    index = combo.findData(previous)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)
