"""导入回执: what one import batch did — file, SHA-256, counts per sheet, who and when, undone or not, warnings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zjtx_desktop.clock import format_local, utcnow
from zjtx_desktop.errors import UserError
from zjtx_desktop.exchange.sheets import SHEET_BY_KIND
from zjtx_desktop.models import ImportBatch
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.settings import installation

COUNT_LABELS = (
    ("created", "新增"),
    ("updated", "更新"),
    ("unchanged", "未变"),
    ("rejected", "拒绝"),
    ("skipped", "跳过"),
)


def _per_sheet(details: dict[str, Any]) -> list[list[object]]:
    """Created and updated records per kind of sheet, from the batch's undo details."""
    created: dict[str, list[Any]] = details.get("created") or {}
    updated: dict[str, list[Any]] = details.get("updated") or {}
    rows: list[list[object]] = []
    for kind in dict.fromkeys([*created, *updated]):
        spec = SHEET_BY_KIND.get(kind)
        rows.append([spec.name if spec else kind, len(created.get(kind, [])), len(updated.get(kind, []))])
    return rows


def build_import_receipt(
    session: Session, batch_id: int, out: Path, *, prepared_by: str = "", today: dt.date | None = None
) -> BuiltReport:
    """The receipt of one import (the report centre offers it from the 数据交换 history)."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise UserError(f"没有编号为 {batch_id} 的导入记录")
    details = batch.details or {}
    counts = {
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "rejected": batch.rejected,
        "skipped": int(details.get("skipped") or 0),
    }
    warnings = [str(warning) for warning in details.get("warnings") or []]
    undone = (
        f"已于 {format_local(batch.undone_at, seconds=True)} 由 {batch.undone_by or '（未记录）'} 撤销"
        if batch.undone_at is not None
        else "有效（未撤销）"
    )
    info = ReportInfo(
        title="数据导入回执",
        organisation=installation(session).organisation,
        as_of=utcnow(),
        subtitle=f"导入批次 {batch.id}　{batch.file_name}" + ("　（已撤销）" if batch.undone_at else ""),
        prepared_by=prepared_by,
    )
    writer = ReportWriter(info)
    writer.title_block()
    facts = [
        ["导入批次", str(batch.id)],
        ["文件名", batch.file_name],
        ["SHA-256 校验值", batch.file_hash],
        ["导入内容", batch.kind],
        ["导入时间", format_local(batch.at, seconds=True)],
        ["操作人", batch.actor],
        ["状态", undone],
    ]
    writer.heading("一、导入的文件")
    writer.table(("项目", "内容"), facts, (34, 122))
    writer.heading("二、导入结果")
    writer.big_numbers([(label, f"{counts[key]:,}") for key, label in COUNT_LABELS])
    sheets = _per_sheet(details)
    if sheets:
        writer.table(("工作表", "新增记录", "更新记录"), sheets, (76, 40, 40), numeric=(1, 2))
    writer.paragraph(
        "新增、更新：写入数据库的记录；未变：与库中一致、未改动的行；拒绝：有错误未写入的行；"
        "跳过：空行、说明行等不是数据的行。撤销导入会恢复本次导入前的数据。",
        note=True,
    )
    writer.heading("三、提示")
    if warnings:
        for number, warning in enumerate(warnings, start=1):
            writer.paragraph(f"{number}. {warning}")
    else:
        writer.paragraph("无。")
    writer.signatures(today)
    data = {
        "batch": batch.id,
        "file": batch.file_name,
        "sha256": batch.file_hash,
        "kind": batch.kind,
        "at": batch.at.isoformat(),
        "actor": batch.actor,
        "undone": batch.undone_at.isoformat() if batch.undone_at else None,
        "counts": counts,
        "sheets": sheets,
        "warnings": warnings,
    }
    return writer.write(out, data)
