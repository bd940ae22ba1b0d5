"""政策任务督查表: the fifteen policy tasks with their units, status, deadline and latest progress (landscape)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from zjtx_desktop.clock import utcnow
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest
from zjtx_desktop.settings import installation
from zjtx_desktop.supervision import (
    BEHIND,
    DONE,
    IN_PROGRESS,
    NOT_STARTED,
    SUPERVISION_HEADERS,
    TASK_STATUSES,
    supervision_table,
)

WIDTHS = (11, 44, 54, 29, 22, 83)  # millimetres of the 243 mm landscape text width


def build_supervision(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    today = request.today
    lines = supervision_table(session, today)
    info = ReportInfo(
        title="政策任务督查表",
        organisation=installation(session).organisation,
        as_of=utcnow(),
        landscape=True,
        subtitle=f"丽政办发〔2018〕61号 十五项重点任务　截至 {today.strftime('%Y年%m月%d日')}",
        prepared_by=request.prepared_by,
    )
    writer = ReportWriter(info)
    writer.title_block()
    counts = {status: sum(1 for line in lines if line.status == status) for status in TASK_STATUSES}
    overdue = sum(1 for line in lines if line.overdue)
    summary = "，".join(f"{status} {counts[status]} 项" for status in (DONE, IN_PROGRESS, BEHIND, NOT_STARTED))
    writer.paragraph(f"共 {len(lines)} 项：{summary}；其中逾期 {overdue} 项。")
    rows = [line.cells() for line in lines]
    if rows:
        writer.table(SUPERVISION_HEADERS, rows, WIDTHS, centred=(0, 3, 4))
    else:
        writer.paragraph("还没有政策任务。")
    writer.paragraph(
        "“逾期”：已过完成时限（时限当天仍算按时）而状态不是“已完成”的任务。"
        "“最新进展”为最近一次记录的日期、期间和进展情况；责任单位中第一个为牵头单位。",
        note=True,
    )
    writer.signatures(today)
    return writer.write(out, {"today": today.isoformat(), "rows": rows})
