"""目标完成情况表: every unit's target, done, rate, pace, status and rank, with a small bar per row (landscape)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from zjtx_desktop.clock import utcnow
from zjtx_desktop.progress import COUNTING_RULE, progress_by_unit
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest, resolve_scope
from zjtx_desktop.standing import STATUS_EXPLANATION, load_thresholds, standings

HEADERS = ("单位", "目标数", "已完成", "完成率", "时间进度", "还差", "状态", "排名", "进度")
WIDTHS = (30, 12, 12, 13, 13, 11, 12, 11, 40)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def build_progress(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    scope = resolve_scope(session, request.unit)
    today = request.today
    report = progress_by_unit(
        session,
        year=request.year,
        program_code=request.program_code,
        unit_codes=scope.unit_codes,
        previous_year_end=today.year - 1,
    )
    units, totals = standings(report, today, load_thresholds(session))
    info = ReportInfo(
        title="目标任务完成情况表",
        organisation=scope.organisation,
        as_of=utcnow(),
        landscape=True,
        subtitle=f"{scope.label}　截至 {today.strftime('%Y年%m月%d日')}",
        prepared_by=request.prepared_by,
    )
    writer = ReportWriter(info)
    writer.title_block()
    if not totals:
        writer.paragraph("没有符合条件的目标任务。")
    for total in totals:
        key = (total.row.program_code, total.row.start_year, total.row.end_year)
        rows = [item for item in units if (item.row.program_code, item.row.start_year, item.row.end_year) == key]
        writer.heading(f"{total.row.program}（{total.row.period_label}，时间进度 {total.pace * 100:.0f}%）")
        table: list[list[object]] = []
        for item in [*rows, total]:
            row = item.row
            is_total = item is total
            rank = "" if item.rank is None else str(item.rank)
            if item.rank_change:
                rank += f"（{'↑' if item.rank_change > 0 else '↓'}{abs(item.rank_change)}）"
            table.append(
                [
                    "合计" if is_total else row.unit,
                    row.target,
                    row.done,
                    _percent(row.rate),
                    f"{item.pace * 100:.0f}%",
                    item.gap,
                    item.status.label,
                    rank,
                    writer.bar(row.rate, item.pace, width_mm=42),
                ]
            )
        writer.table(HEADERS, table, WIDTHS, numeric=(1, 2, 3, 4, 5), centred=(6, 7), total_rows=(len(table) - 1,))
    writer.paragraph(
        f"统计口径：{COUNTING_RULE}{STATUS_EXPLANATION}排名按完成率，括号内为与上年年底相比的名次变化。", note=True
    )
    writer.signatures(today)
    return writer.write(out, report.as_json())
