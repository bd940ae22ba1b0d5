"""培育名单: the enterprises of one program (and entry year), grouped by unit with subtotals — for publication."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop.clock import utcnow
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import Cultivation, Enterprise, Industry, Program, Region
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest, resolve_scope
from zjtx_desktop.settings import CITY_CODE

HEADERS = ("序号", "企业名称", "统一社会信用代码", "所属行业", "入库年份", "批次", "状态")
WIDTHS = (11, 35, 42, 26, 12, 15, 15)  # millimetres of the 156 mm text width


def roster_rows(
    session: Session, program_code: str, *, year: int | None, unit_codes: list[str] | None
) -> list[tuple[str, str, str, str, int, str, str]]:
    """(unit, name, USCC, industry, entry year, batch, status), in unit order then name."""
    query = (
        select(
            Region.code,
            Region.name,
            Enterprise.name,
            Enterprise.uscc,
            Industry.name,
            Cultivation.year,
            Cultivation.batch,
            Cultivation.status,
        )
        .join(Enterprise, Enterprise.id == Cultivation.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .outerjoin(Industry, Industry.code == Enterprise.industry_code)
        .where(Cultivation.program_code == program_code, Enterprise.deleted_at.is_(None))
        .order_by(Region.sort_order, Enterprise.name, Cultivation.year)
    )
    if year is not None:
        query = query.where(Cultivation.year == year)
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    return [
        ("市本级" if unit_code == CITY_CODE else unit, name, code, industry or "", entry_year, batch or "", status)
        for unit_code, unit, name, code, industry, entry_year, batch, status in session.execute(query)
    ]


def build_roster(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    if not request.program_code:
        raise UserError("培育名单需要指定培育层级（--program）")
    program = session.get(Program, request.program_code)
    if program is None:
        raise UserError(f"未知的培育层级“{request.program_code}”")
    scope = resolve_scope(session, request.unit)
    rows = roster_rows(session, program.code, year=request.year, unit_codes=scope.unit_codes)
    when = f"{request.year}年" if request.year else "历年"
    info = ReportInfo(
        title=f"{program.name}名单",
        organisation=scope.organisation,
        as_of=utcnow(),
        subtitle=f"{scope.label}　{when}入库　共 {len(rows)} 家",
        prepared_by=request.prepared_by,
    )
    writer = ReportWriter(info)
    writer.title_block()
    table: list[list[object]] = []
    subtotals: list[int] = []
    serial = 0
    units = list(dict.fromkeys(row[0] for row in rows))
    for unit in units:
        mine = [row for row in rows if row[0] == unit]
        for _, name, code, industry, entry_year, batch, status in mine:
            serial += 1
            table.append([serial, name, code, industry, entry_year, batch, status])
        subtotals.append(len(table))
        table.append(["", f"{unit}小计", f"{len(mine)} 家", "", "", "", ""])
    table.append(["", "合计", f"{len(rows)} 家", "", "", "", ""])
    if rows:
        writer.table(
            HEADERS, table, WIDTHS, centred=(0, 4, 5, 6), subtotal_rows=subtotals, total_rows=(len(table) - 1,)
        )
    else:
        writer.paragraph("没有符合条件的企业。")
    writer.paragraph("名单按所属单位分组、单位内按企业名称排列；“状态”为报表生成时的培育状态。", note=True)
    writer.signatures(request.today)
    return writer.write(out, {"program": program.code, "year": request.year, "units": scope.unit_codes, "rows": rows})
