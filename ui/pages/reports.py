"""报表中心: choose a report and its filters, generate it off the GUI thread, preview its pages (QtPdf),
print through the system dialog, save a copy or open it in the system's PDF viewer.

The preview shows the very PDF that is saved and printed: one engine, three uses.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QSignalBlocker, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import prompts
from ui.jobs import Job, JobRunner, Work
from ui.page_names import PAGE_TITLES
from ui.theme import ROW_HEIGHT, SPACING
from ui.widgets import JobProgress, Page, note_label

if TYPE_CHECKING:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrinter

    from zjtx_desktop.context import AppContext
    from zjtx_desktop.reports.document import BuiltReport
    from zjtx_desktop.settings import Installation

SETTINGS_GROUP = "reports"
ALL_UNITS = ""
ANY_YEAR = 0
PRINT_DPI = 300
EMPTY_PREVIEW = "选择报表和条件后点“生成”，这里显示报表的每一页，与打印和保存的内容完全相同。"


@dataclass(frozen=True)
class ReportChoice:
    kind: str
    title: str
    uses: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class ReportsData:
    installation: Installation
    reports: list[ReportChoice]
    programs: list[tuple[str, str]]
    units: list[tuple[str, str]]  # (code, name) this installation may report on
    years: list[int]  # newest first


def load_reports(ctx: AppContext) -> ReportsData:
    """The report list and the filters' choices; runs on the worker."""
    from sqlalchemy import func, select

    from zjtx_desktop.models import AnnualReport, Cultivation, Program, Region
    from zjtx_desktop.reports.catalog import REPORTS
    from zjtx_desktop.settings import installation

    with ctx.sessions() as session:
        inst = installation(session)
        programs = [(p.code, p.name) for p in session.scalars(select(Program).order_by(Program.sort_order))]
        regions = session.scalars(select(Region).order_by(Region.sort_order)).all()
        units = [(r.code, r.name) for r in regions if not r.is_city and (inst.is_city or r.code == inst.unit_code)]
        years = {
            *session.scalars(select(func.distinct(Cultivation.year))),
            *session.scalars(select(func.distinct(AnnualReport.year))),
        }
    this_year = dt.date.today().year
    years |= {this_year, this_year - 1}
    choices = [ReportChoice(r.kind, r.title, r.uses, r.description) for r in REPORTS.values()]
    return ReportsData(inst, choices, programs, units, sorted(years, reverse=True))


def report_settings() -> QSettings:
    from ui.main_window import window_settings

    settings = window_settings()
    settings.beginGroup(SETTINGS_GROUP)
    return settings


class ReportsPage(Page):
    """Left: the reports and their filters; right: the generated report's pages."""

    generated = Signal(object)  # BuiltReport

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES["reports"], jobs, parent)
        self.data: ReportsData | None = None
        self.built: BuiltReport | None = None
        self.job: Job | None = None
        # Generated PDFs live in a private temporary folder, removed with the page (or at exit).
        self.folder = Path(tempfile.mkdtemp(prefix="zjtx-reports-"))
        weakref.finalize(self, shutil.rmtree, self.folder, True)
        self.document: QPdfDocument | None = None

        self.report_list = QListWidget()
        self.report_list.setMaximumWidth(300)
        self.report_list.currentRowChanged.connect(self._on_report_changed)
        self.description = note_label("")

        self.program_combo = QComboBox()
        self.year_combo = QComboBox()
        self.unit_combo = QComboBox()
        self.enterprise_edit = QLineEdit()
        self.enterprise_edit.setPlaceholderText("18 位统一社会信用代码")
        self.enterprise_edit.setMaxLength(24)
        self.prepared_edit = QLineEdit()
        self.prepared_edit.setPlaceholderText("印在“制表人”处，可不填")
        self.form = QFormLayout()
        self.form.addRow("培育层级", self.program_combo)
        self.form.addRow("年份", self.year_combo)
        self.form.addRow("单位", self.unit_combo)
        self.form.addRow("企业", self.enterprise_edit)
        self.form.addRow("制表人", self.prepared_edit)

        self.generate_button = QPushButton("生成")
        self.generate_button.setObjectName("primaryButton")
        self.generate_button.clicked.connect(self.generate)
        self.progress = JobProgress()
        self.progress.hide()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(SPACING)
        left_layout.addWidget(self.report_list, 1)
        left_layout.addWidget(self.description)
        left_layout.addLayout(self.form)
        left_layout.addWidget(self.generate_button)
        left_layout.addWidget(self.progress)

        self.print_button = QPushButton("打印…")
        self.save_button = QPushButton("另存为 PDF…")
        self.open_button = QPushButton("用系统阅读器打开")
        self.print_button.clicked.connect(self.print_report)
        self.save_button.clicked.connect(self.save_copy)
        self.open_button.clicked.connect(self.open_external)
        self.result_label = QLabel()
        self.result_label.setObjectName("listCount")
        self.result_label.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.result_label, 1)
        for button in (self.print_button, self.save_button, self.open_button):
            button.setEnabled(False)
            actions.addWidget(button)

        self.preview_stack = QStackedWidget()
        self.empty_preview = QLabel(EMPTY_PREVIEW)
        self.empty_preview.setObjectName("emptyState")
        self.empty_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_preview.setWordWrap(True)
        self.preview_stack.addWidget(self.empty_preview)
        self.view: QWidget | None = None  # the QPdfView, made on the first preview

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(SPACING)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.preview_stack, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 900])
        self.body.addWidget(splitter, 1)

    # --- data -------------------------------------------------------------------------------

    def loader(self, ctx: AppContext) -> Work:
        return lambda _control: load_reports(ctx)

    def show_data(self, data: Any) -> None:
        assert isinstance(data, ReportsData)
        self.data = data
        inst = data.installation
        self.set_subtitle(f"{inst.organisation}　·　{'全部单位' if inst.is_city else inst.unit_name}")
        settings = report_settings()
        with QSignalBlocker(self.report_list):
            self.report_list.clear()
            for choice in data.reports:
                item = QListWidgetItem(choice.title)
                item.setSizeHint(QSize(0, ROW_HEIGHT + 4))
                item.setData(Qt.ItemDataRole.UserRole, choice.kind)
                item.setToolTip(choice.description)
                self.report_list.addItem(item)
        self._fill(self.program_combo, data.programs, settings.value("program", ""))
        self._fill(
            self.year_combo,
            [(ANY_YEAR, "不限"), *((year, f"{year}年") for year in data.years)],
            int(settings.value("year", ANY_YEAR) or ANY_YEAR),
        )
        units = [(ALL_UNITS, "全市（全部单位）"), *data.units] if inst.is_city else data.units
        self._fill(self.unit_combo, units, settings.value("unit", ALL_UNITS))
        self.enterprise_edit.setText(str(settings.value("enterprise", "") or ""))
        self.prepared_edit.setText(str(settings.value("prepared_by", "") or ""))
        kinds = [choice.kind for choice in data.reports]
        last = str(settings.value("kind", "") or "")
        self.report_list.setCurrentRow(kinds.index(last) if last in kinds else 0)
        self._on_report_changed(self.report_list.currentRow())

    @staticmethod
    def _fill(combo: QComboBox, items: list[tuple[Any, str]], selected: Any) -> None:
        with QSignalBlocker(combo):
            combo.clear()
            for value, text in items:
                combo.addItem(text, value)
            index = combo.findData(selected)
            combo.setCurrentIndex(index if index >= 0 else 0)

    def current_choice(self) -> ReportChoice | None:
        if self.data is None or not 0 <= self.report_list.currentRow() < len(self.data.reports):
            return None
        return self.data.reports[self.report_list.currentRow()]

    def _on_report_changed(self, _row: int) -> None:
        choice = self.current_choice()
        if choice is None:
            return
        self.description.setText(choice.description)
        for field, widget in (
            ("program", self.program_combo),
            ("year", self.year_combo),
            ("unit", self.unit_combo),
            ("enterprise", self.enterprise_edit),
        ):
            used = field in choice.uses
            widget.setVisible(used)
            label = self.form.labelForField(widget)
            if label is not None:
                label.setVisible(used)

    # --- generating -------------------------------------------------------------------------

    def request_values(self) -> dict[str, Any]:
        choice = self.current_choice()
        assert choice is not None
        uses = choice.uses
        year = self.year_combo.currentData()
        return {
            "kind": choice.kind,
            "program_code": self.program_combo.currentData() if "program" in uses else None,
            "year": year if "year" in uses and year != ANY_YEAR else None,
            "unit": (self.unit_combo.currentData() or None) if "unit" in uses else None,
            "enterprise": self.enterprise_edit.text().strip().upper() or None if "enterprise" in uses else None,
            "prepared_by": self.prepared_edit.text().strip(),
        }

    def _remember(self, values: dict[str, Any]) -> None:
        settings = report_settings()
        settings.setValue("kind", values["kind"])
        settings.setValue("program", self.program_combo.currentData() or "")
        settings.setValue("year", self.year_combo.currentData() or ANY_YEAR)
        settings.setValue("unit", self.unit_combo.currentData() or ALL_UNITS)
        settings.setValue("enterprise", self.enterprise_edit.text().strip())
        settings.setValue("prepared_by", values["prepared_by"])

    def generate(self) -> Job | None:
        if self.ctx is None or self.current_choice() is None or self.job is not None:
            return None
        ctx = self.ctx
        values = self.request_values()
        self._remember(values)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        out = self.folder / f"{values['kind']}-{stamp}.pdf"

        def work(_control: object) -> BuiltReport:
            from zjtx_desktop.audit import record
            from zjtx_desktop.database import transaction
            from zjtx_desktop.reports.catalog import generate_report
            from zjtx_desktop.reports.request import ReportRequest

            with transaction(ctx.sessions) as session:
                built = generate_report(session, ReportRequest(**values), out)
                record(session, ctx.actor, "report", values["kind"], out.name, after={"pages": built.pages})
            return built

        title = self.current_choice().title  # type: ignore[union-attr]
        return self._run(work, title)

    def generate_receipt(self, batch_id: int) -> Job | None:
        """The 导入回执 of one import, previewed here (asked for from 数据交换 → 导入记录)."""
        if self.ctx is None or self.job is not None:
            return None
        ctx = self.ctx
        out = self.folder / f"receipt-{batch_id}-{dt.datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.pdf"

        def work(_control: object) -> BuiltReport:
            from zjtx_desktop.reports.receipt import build_import_receipt

            with ctx.sessions() as session:
                return build_import_receipt(session, batch_id, out)

        return self._run(work, f"第 {batch_id} 批导入回执")

    def _run(self, work: Work, title: str) -> Job:
        job = self.jobs.submit(work, name="生成报表")
        self.job = job
        self.generate_button.setEnabled(False)
        self.progress.follow(job, f"正在生成“{title}”…", cancellable=False)
        self.progress.show()
        job.finished.connect(self._on_generated)
        job.failed.connect(self._on_failed)
        return job

    def _done(self) -> None:
        self.job = None
        self.progress.hide()
        self.generate_button.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self._done()
        prompts.warn(self, "未能生成报表", message)

    def _on_generated(self, built: object) -> None:
        self._done()
        from zjtx_desktop.reports.document import BuiltReport

        assert isinstance(built, BuiltReport)
        self.built = built
        self._preview(built.path)
        text = f"{built.title}：共 {built.pages} 页，内容校验 {built.content_hash}"
        if built.warnings:
            text += "。注意：" + "；".join(built.warnings)
        self.result_label.setText(text)
        for button in (self.print_button, self.save_button, self.open_button):
            button.setEnabled(True)
        self.generated.emit(built)

    # --- preview, print, save, open ---------------------------------------------------------

    def _preview(self, path: Path) -> None:
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        if self.view is None:
            view = QPdfView()
            view.setPageMode(QPdfView.PageMode.MultiPage)
            view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            view.setPageSpacing(12)
            self.view = view
            self.preview_stack.addWidget(view)
        old = self.document
        document = QPdfDocument(self)
        document.load(str(path))
        assert isinstance(self.view, QPdfView)
        self.view.setDocument(document)
        self.document = document
        if old is not None:
            old.close()
            old.deleteLater()
        self.preview_stack.setCurrentWidget(self.view)

    def page_count(self) -> int:
        return self.document.pageCount() if self.document is not None else 0

    def print_report(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.document is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.built.title if self.built else "报表")
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("打印报表")
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Render every page (or the dialog's range) onto the printer; returns the pages printed."""
        from PySide6.QtCore import QMarginsF
        from PySide6.QtGui import QPageLayout, QPageSize

        document = self.document
        if document is None:
            return 0
        first, last = printer.fromPage(), printer.toPage()
        pages = range(first - 1, last) if first > 0 and last >= first else range(document.pageCount())
        painter = QPainter()
        printed = 0
        for number in pages:
            size = document.pagePointSize(number)
            landscape = size.width() > size.height()
            orientation = QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
            # The PDF has its own margins: print the page edge to edge within what the printer allows.
            printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), orientation, QMarginsF(0, 0, 0, 0)))
            if printed == 0:
                if not painter.begin(printer):
                    return 0
            elif not printer.newPage():
                break
            target = painter.viewport()
            scale = PRINT_DPI / 72
            image = document.render(number, QSize(round(size.width() * scale), round(size.height() * scale)))
            painter.drawImage(target, image)
            printed += 1
        if printed:
            painter.end()
        return printed

    def save_copy(self) -> Path | None:
        if self.built is None:
            return None
        suggested = f"{self.built.title}.pdf"
        chosen = prompts.choose_save_path(self, "另存为 PDF", suggested, "PDF 文件 (*.pdf)")
        if not chosen:
            return None
        target = Path(chosen)
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        try:
            shutil.copyfile(self.built.path, target)
        except OSError as exc:
            prompts.warn(self, "未能保存", f"无法写入 {target}：{exc.strerror or exc}")
            return None
        self.result_label.setText(f"已保存：{target}")
        return target

    def open_external(self) -> bool:
        if self.built is None:
            return False
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.built.path))))
