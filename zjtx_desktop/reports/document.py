"""The one PDF layout every report uses: A4 with margins near GB/T 9704, a header naming the unit and the
report on every page, "第 x 页 共 y 页", the data's as-of time and a short content hash in the footer,
tables whose header repeats on each page and whose rows never split, and the 制表 lines at the end.

Builders add content through `ReportWriter`; nothing here knows what a report is about.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.clock import format_local
from zjtx_desktop.fonts import covered_codepoints, register_reportlab_font

# GB/T 9704 page margins (top, bottom, left, right); the header and footer sit inside them.
MARGIN_TOP = 37 * mm
MARGIN_BOTTOM = 35 * mm
MARGIN_LEFT = 28 * mm
MARGIN_RIGHT = 26 * mm
BODY_SIZE = 10.5  # 五号: tables are dense; 仿宋 3号 (16 pt) is for prose documents
TITLE_SIZE = 18
MISSING_MARK = "□"
INK = colors.HexColor("#1d2733")
MUTED = colors.HexColor("#5b6573")
RULE = colors.HexColor("#7d8794")
HEADER_FILL = colors.HexColor("#e3e7ec")
TOTAL_FILL = colors.HexColor("#eef1f5")
BAR_FILL = colors.HexColor("#174a85")
BAR_TRACK = colors.HexColor("#d3d8df")


@dataclass
class ReportInfo:
    """What the page furniture says: whose report, which, and as of when."""

    title: str  # the report's name, on the first page and in every header
    organisation: str  # 制表单位, left in every header
    as_of: dt.datetime  # naive UTC: when the data were read
    landscape: bool = False
    subtitle: str = ""
    prepared_by: str = ""  # 制表人 (blank lines for a signature when empty)


@dataclass
class BuiltReport:
    path: Path
    title: str
    pages: int
    content_hash: str  # first 12 hex digits of SHA-256 over the report's data
    warnings: list[str] = field(default_factory=list)


def content_digest(data: Any) -> str:
    """SHA-256 of the data in a canonical JSON form: the same data print the same hash."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Characters a line must not start with (避头点): they stay at the end of the line before.
NO_LINE_START = frozenset("，。、；：？！）》」』”’…—%,.;:?!)]}")
_char_widths: dict[tuple[str, float], dict[str, float]] = {}


def wrap_lines(text: str, font: str, size: float, width: float) -> str:
    """`text` with line breaks so that no line is wider than `width` points. Chinese breaks between any
    two characters (there are no spaces to break at); a space at a break is dropped."""
    widths = _char_widths.setdefault((font, size), {})
    lines: list[str] = []
    for part in text.split("\n"):
        line, used = "", 0.0
        for char in part:
            char_width = widths.get(char)
            if char_width is None:
                char_width = widths[char] = stringWidth(char, font, size)
            if line and used + char_width > width and char not in NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0.0
                if char.isspace():
                    continue
            line += char
            used += char_width
        lines.append(line)
    return "\n".join(lines)


class _Styles:
    def __init__(self, font: str) -> None:
        base = ParagraphStyle("body", fontName=font, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.5, textColor=INK)
        base.wordWrap = "CJK"
        self.body = base
        self.title = ParagraphStyle(
            "title", parent=base, fontSize=TITLE_SIZE, leading=TITLE_SIZE * 1.4, alignment=TA_CENTER, spaceAfter=4
        )
        self.subtitle = ParagraphStyle("subtitle", parent=base, alignment=TA_CENTER, textColor=MUTED, spaceAfter=8)
        self.heading = ParagraphStyle(
            "heading", parent=base, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4, textColor=INK
        )
        self.note = ParagraphStyle("note", parent=base, fontSize=9, leading=13.5, textColor=MUTED)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12.5)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.cell_center = ParagraphStyle("cell_center", parent=self.cell, alignment=TA_CENTER)
        self.head = ParagraphStyle("head", parent=self.cell, alignment=TA_CENTER)
        self.big = ParagraphStyle("big", parent=base, fontSize=22, leading=28, alignment=TA_CENTER)
        self.left = TA_LEFT


class BoldTitle(Flowable):  # type: ignore[misc]  # reportlab has no type information
    """A centred title in bold: the bundled font has one weight, so the glyphs are filled and also
    stroked with a hairline, the usual way to embolden a CJK font in a PDF."""

    def __init__(self, text: str, font: str, size: float) -> None:
        super().__init__()
        self.text, self.font, self.size = text, font, size
        self.lines: list[str] = [text]
        self.leading = size * 1.4

    def wrap(self, available_width: float, _available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.lines = wrap_lines(self.text, self.font, self.size, available_width).split("\n")
        self.height = self.leading * len(self.lines) + 4
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(INK)
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(self.size * 0.035)
        for number, line in enumerate(self.lines):
            text = canvas.beginText()
            text.setTextRenderMode(2)  # fill, then stroke
            text.setFont(self.font, self.size)
            width = stringWidth(line, self.font, self.size)
            baseline = self.height - 4 - self.leading * (number + 1) + (self.leading - self.size) / 2
            text.setTextOrigin((self.width - width) / 2, baseline + self.size * 0.12)
            text.textLine(line)
            canvas.drawText(text)
        canvas.restoreState()


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type information
    """Draws the header and footer after the last page is known, for "第 x 页 共 y 页"."""

    def __init__(self, *args: Any, info: ReportInfo, digest: str, font: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, Any]] = []
        self._info = info
        self._digest = digest
        self._font = font

    def showPage(self) -> None:
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self._furniture(total)
            super().showPage()
        super().save()

    def _furniture(self, total: int) -> None:
        width, height = self._pagesize
        info = self._info
        left, right = MARGIN_LEFT, width - MARGIN_RIGHT
        top = height - MARGIN_TOP + 8 * mm
        self.saveState()
        self.setFont(self._font, 9)
        self.setFillColor(MUTED)
        self.drawString(left, top + 2, info.organisation)
        self.drawRightString(right, top + 2, info.title)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.6)
        self.line(left, top - 2, right, top - 2)
        bottom = MARGIN_BOTTOM - 12 * mm
        self.line(left, bottom + 10, right, bottom + 10)
        self.drawCentredString(width / 2, bottom, f"第 {self._pageNumber} 页  共 {total} 页")
        self.setFont(self._font, 7.5)
        self.drawString(left, bottom - 12, f"数据截至 {format_local(info.as_of)}　内容校验 {self._digest[:12]}")
        self.drawRightString(right, bottom - 12, f"{APP_NAME} {__version__}")
        self.restoreState()

    @property
    def page_count(self) -> int:
        return len(self._saved)


class ReportWriter:
    """Collects a report's content, then writes it as one PDF with the house layout."""

    def __init__(self, info: ReportInfo) -> None:
        self.info = info
        self.font = register_reportlab_font()
        self.styles = _Styles(self.font)
        self.story: list[Flowable] = []
        self.warnings: list[str] = []
        self._missing: set[str] = set()
        self._covered = covered_codepoints()
        self.landscape = info.landscape

    # --- page geometry ----------------------------------------------------------------------

    @property
    def page_size(self) -> tuple[float, float]:
        width, height = landscape(A4) if self.landscape else A4
        return float(width), float(height)

    @property
    def text_width(self) -> float:
        return float(self.page_size[0] - MARGIN_LEFT - MARGIN_RIGHT)

    def switch_orientation(self, to_landscape: bool) -> None:
        """Continue on a new page in the other orientation (a wide table in a portrait report)."""
        if to_landscape == self.landscape:
            return
        self.landscape = to_landscape
        self.story.append(NextPageTemplate("landscape" if to_landscape else "portrait"))
        self.story.append(PageBreak())

    # --- text -------------------------------------------------------------------------------

    def safe(self, text: object) -> str:
        """Text as the font can draw it: characters it lacks become □ and are reported, never dropped."""
        value = "" if text is None else str(text)
        missing = {ch for ch in value if not ch.isspace() and ord(ch) not in self._covered}
        if not missing:
            return value
        self._missing |= missing
        return "".join(MISSING_MARK if ch in missing else ch for ch in value)

    def _markup(self, text: object) -> str:
        return escape(self.safe(text)).replace("\n", "<br/>")

    def title_block(self) -> None:
        self.story.append(BoldTitle(self.safe(self.info.title), self.font, TITLE_SIZE))
        self.story.append(Spacer(1, 1.5 * mm))
        if self.info.subtitle:
            self.story.append(Paragraph(self._markup(self.info.subtitle), self.styles.subtitle))
        self.story.append(Spacer(1, 2 * mm))

    def heading(self, text: str) -> None:
        # A heading never ends a page: it moves on with at least a few lines of what follows.
        self.story.append(CondPageBreak(30 * mm))
        self.story.append(Paragraph(self._markup(text), self.styles.heading))

    def paragraph(self, text: str, *, note: bool = False) -> None:
        self.story.append(Paragraph(self._markup(text), self.styles.note if note else self.styles.body))

    def spacer(self, height_mm: float) -> None:
        self.story.append(Spacer(1, height_mm * mm))

    def page_break(self) -> None:
        self.story.append(PageBreak())

    def big_numbers(self, items: Sequence[tuple[str, str]]) -> None:
        """Key figures side by side: (label, value)."""
        cells = [
            [Paragraph(self._markup(value), self.styles.big) for _, value in items],
            [Paragraph(self._markup(label), self.styles.subtitle) for label, _ in items],
        ]
        width = self.text_width / max(len(items), 1)
        table = Table(cells, colWidths=[width] * len(items))
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                    ("INNERGRID", (0, 0), (-1, 0), 0, colors.white),
                    ("LINEAFTER", (0, 0), (-2, -1), 0.4, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        self.story.append(table)
        self.spacer(3)

    # --- tables -----------------------------------------------------------------------------

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
        centred: Sequence[int] = (),
        total_rows: Sequence[int] = (),
        subtotal_rows: Sequence[int] = (),
        groups: Sequence[tuple[str, int]] = (),
    ) -> None:
        """A ruled table. widths are relative (they share the text width). The header repeats on every
        page; a row is never split. Cells are plain text unless they need wrapping (speed: a 1,000-row
        roster stays a plain table), or a Flowable (a small bar). `groups` adds a header row above the
        headers, (label, columns spanned) from the left; a one-column group labelled "" keeps its
        header in both rows."""
        scale = self.text_width / sum(widths)
        col_widths = [w * scale for w in widths]
        numeric_set, centred_set = set(numeric), set(centred)
        data: list[list[Any]] = [[Paragraph(self._markup(h), self.styles.head) for h in headers]]
        spans: list[tuple[Any, ...]] = []
        if groups:
            top: list[Any] = []
            for label, span in groups:
                column = len(top)
                if label or span > 1:
                    top += [Paragraph(self._markup(label), self.styles.head)] + [""] * (span - 1)
                    spans.append(("SPAN", (column, 0), (column + span - 1, 0)))
                else:
                    top.append(data[0][column])
                    data[0][column] = ""
                    spans.append(("SPAN", (column, 0), (column, 1)))
            data.insert(0, top)
        head = len(data)
        for row in rows:
            cells: list[Any] = []
            for index, value in enumerate(row):
                if isinstance(value, Flowable):
                    cells.append(value)
                    continue
                text = self.safe(value)
                available = col_widths[index] - 12  # reportlab pads a cell by 6 pt on each side
                if "\n" in text or stringWidth(text, self.font, 9.5) > available:
                    # Broken into plain lines rather than made a Paragraph: a table draws plain lines
                    # several times faster, which keeps a 1,000-row roster with long names quick.
                    text = wrap_lines(text, self.font, 9.5, available)
                cells.append(text)
            data.append(cells)
        table = Table(data, colWidths=col_widths, repeatRows=head, splitByRow=1)
        style: list[tuple[Any, ...]] = [
            ("FONT", (0, 0), (-1, -1), self.font, 9.5),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, head - 1), HEADER_FILL),
            ("GRID", (0, 0), (-1, -1), 0.4, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            *spans,
        ]
        for column in numeric_set:
            style.append(("ALIGN", (column, head), (column, -1), "RIGHT"))
        for column in centred_set:
            style.append(("ALIGN", (column, head), (column, -1), "CENTER"))
        for index in total_rows:
            style += [("BACKGROUND", (0, index + head), (-1, index + head), TOTAL_FILL)]
        for index in subtotal_rows:
            style += [("BACKGROUND", (0, index + head), (-1, index + head), colors.HexColor("#f6f7f9"))]
        table.setStyle(TableStyle(style))
        self.story.append(table)
        self.spacer(2)

    def bar(self, fraction: float | None, pace: float | None = None, width_mm: float = 30) -> Drawing:
        """A small progress bar for a table cell: the fraction done, and a tick where it should be by now."""
        width, height = width_mm * mm, 3.2 * mm
        drawing = Drawing(width, height)
        drawing.add(Rect(0, 0, width, height, fillColor=BAR_TRACK, strokeColor=None))
        if fraction:
            drawing.add(Rect(0, 0, width * min(max(fraction, 0.0), 1.0), height, fillColor=BAR_FILL, strokeColor=None))
        if pace is not None and 0 < pace < 1:
            x = width * pace
            drawing.add(Line(x, -1.2, x, height + 1.2, strokeColor=colors.black, strokeWidth=1.2))
        return drawing

    # --- figures ----------------------------------------------------------------------------

    def figure(self, figure: Any, width_mm: float | None = None) -> None:
        """A matplotlib Figure (Agg), embedded as a 200-dpi image at the given width (default: full)."""
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=200)
        buffer.seek(0)
        width_in, height_in = figure.get_size_inches()
        width = (width_mm * mm) if width_mm else self.text_width
        self.story.append(KeepTogether([Image(buffer, width=width, height=width * height_in / width_in)]))
        self.spacer(2)

    # --- closing ----------------------------------------------------------------------------

    def signatures(self, date: dt.date | None = None) -> None:
        """制表单位, 制表人, 审核人 and the date, as a signed form ends."""
        when = (date or dt.date.today()).strftime("%Y年%m月%d日")
        cells = [
            [
                self.safe(f"制表单位：{self.info.organisation}"),
                self.safe(f"制表人：{self.info.prepared_by or '　' * 6}"),
                "审核人：" + "　" * 6,
                f"日期：{when}",
            ]
        ]
        table = Table(cells, colWidths=[self.text_width * f for f in (0.38, 0.2, 0.2, 0.22)])
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), self.font, 10), ("TEXTCOLOR", (0, 0), (-1, -1), INK)]))
        self.story.append(Spacer(1, 6 * mm))
        self.story.append(KeepTogether([table]))

    def write(self, path: Path, data: Any) -> BuiltReport:
        """Lay out and write the PDF; `data` is what the report shows, hashed into the footer."""
        digest = content_digest(data)
        frame_portrait = Frame(
            MARGIN_LEFT,
            MARGIN_BOTTOM,
            A4[0] - MARGIN_LEFT - MARGIN_RIGHT,
            A4[1] - MARGIN_TOP - MARGIN_BOTTOM,
            id="portrait",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        wide = landscape(A4)
        frame_landscape = Frame(
            MARGIN_LEFT,
            MARGIN_BOTTOM,
            wide[0] - MARGIN_LEFT - MARGIN_RIGHT,
            wide[1] - MARGIN_TOP - MARGIN_BOTTOM,
            id="landscape",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        templates = [
            PageTemplate(id="portrait", frames=[frame_portrait], pagesize=A4),
            PageTemplate(id="landscape", frames=[frame_landscape], pagesize=wide),
        ]
        if self.info.landscape:
            templates.reverse()  # the first template is the first page's
        document = BaseDocTemplate(
            str(path),
            pagesize=wide if self.info.landscape else A4,
            pageTemplates=templates,
            title=self.info.title,
            author=self.info.organisation,
            subject=f"数据截至 {format_local(self.info.as_of)}，内容校验 {digest[:12]}",
            creator=f"{APP_NAME} {__version__}",
        )
        canvases: list[_NumberedCanvas] = []

        def canvas_maker(*args: Any, **kwargs: Any) -> _NumberedCanvas:
            canvas = _NumberedCanvas(*args, info=self.info, digest=digest, font=self.font, **kwargs)
            canvases.append(canvas)
            return canvas

        document.build(list(self.story), canvasmaker=canvas_maker)
        if self._missing:
            shown = "".join(sorted(self._missing))
            self.warnings.append(f"以下 {len(self._missing)} 个字符内置字体中没有，已印为“{MISSING_MARK}”：{shown}")
        page_count = canvases[-1].page_count if canvases else 0
        return BuiltReport(path, self.info.title, page_count, digest[:12], list(self.warnings))
