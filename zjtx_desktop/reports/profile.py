"""企业档案: one enterprise's record, cultivation history, annual figures with a trend chart, and help visits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak
from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.clock import format_local, utcnow
from zjtx_desktop.errors import UserError
from zjtx_desktop.fields import ANNUAL_FIELDS, ENTERPRISE_FIELDS, ENTERPRISE_SECTIONS, FieldSpec
from zjtx_desktop.metrics import derived_metrics
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, HelpVisit, Industry, Program, Region
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest
from zjtx_desktop.settings import CITY_CODE, installation

ANNUAL_BY_KEY = {spec.key: spec for spec in ANNUAL_FIELDS}
# The annual figures in three portrait-wide tables: money, resources and people, innovation and compliance.
MONEY_KEYS = (
    "revenue",
    "main_revenue",
    "gross_output",
    "value_added",
    "total_profit",
    "tax_paid",
    "rd_expense",
    "export_value",
)
RESOURCE_KEYS = ("land_area", "energy_use", "electricity", "employees_avg", "rd_staff")
INNOVATION_KEYS = (
    "patents_invention",
    "patents_utility",
    "patents_design",
    "software_copyrights",
    "standards_led",
    "nc_rate",
    "safety_incidents",
    "env_penalties",
)
# Derived metrics (metrics.py keys), in their own table.
DERIVED_KEYS = (
    "tax_per_mu",
    "va_per_mu",
    "va_per_energy",
    "productivity",
    "rd_intensity",
    "revenue_growth",
    "tax_growth",
)
FIGURE_KEYS = tuple(spec.key for spec in ANNUAL_FIELDS if spec.key != "year")

CULTIVATION_HEADERS = ("培育层级", "入库年份", "批次", "文号", "状态", "退出情况")
CULTIVATION_WIDTHS = (44, 14, 14, 48, 15, 21)
VISIT_HEADERS = ("走访日期", "联系干部", "方式", "反映问题", "办理情况", "状态", "办结日期")
VISIT_WIDTHS = (22, 18, 13, 34, 35, 14, 22)


def find_enterprise(session: Session, code: str | None) -> Enterprise:
    """The enterprise a USCC names (typed or pasted); a Chinese UserError when missing or unknown."""
    if not code or not code.strip():
        raise UserError("企业档案需要指定企业的统一社会信用代码（--enterprise）")
    normalised = uscc.normalize(code)
    enterprise = session.scalar(select(Enterprise).where(Enterprise.uscc == normalised))
    if enterprise is not None:
        return enterprise
    checked = uscc.check(normalised)
    if not checked.ok:
        raise UserError(f"统一社会信用代码“{code.strip()}”无效：{checked.message}")
    raise UserError(f"没有统一社会信用代码为 {normalised} 的企业")


def _number(value: float | int | None, decimals: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{decimals}f}"


def _field_text(spec: FieldSpec, value: Any, names: dict[str, dict[str, str]]) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec.kind == "region":
        return "市本级" if value == CITY_CODE else names["region"].get(str(value), str(value))
    if spec.kind == "industry":
        name = names["industry"].get(str(value))
        return f"{value} {name}" if name else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{text} {spec.unit}" if spec.unit else text
    if isinstance(value, int):
        return f"{value} {spec.unit}" if spec.unit else str(value)
    return str(value)


def _basic_rows(enterprise: Enterprise, names: dict[str, dict[str, str]]) -> tuple[list[list[str]], list[int]]:
    """(label, value) rows grouped by section, and the indexes of the section rows."""
    rows: list[list[str]] = []
    sections: list[int] = []
    for section in ENTERPRISE_SECTIONS:
        specs = [spec for spec in ENTERPRISE_FIELDS if spec.section == section]
        if not specs:
            continue
        sections.append(len(rows))
        rows.append([section, ""])
        rows += [[spec.label, _field_text(spec, getattr(enterprise, spec.key), names)] for spec in specs]
    return rows, sections


def _figures(report: AnnualReport) -> dict[str, Any]:
    return {key: getattr(report, key) for key in FIGURE_KEYS}


def _header(spec: FieldSpec, *, with_unit: bool) -> str:
    return f"{spec.label}\n({spec.unit})" if with_unit and spec.unit else spec.label


def _caption(writer: ReportWriter, text: str) -> None:
    """A table's caption, kept on the page of the table's first rows."""
    writer.story.append(CondPageBreak(45 * mm))
    writer.paragraph(text)


def _figure_table(
    writer: ReportWriter, years: list[int], figures: dict[int, dict[str, Any]], keys: tuple[str, ...], *, units: bool
) -> list[list[str]]:
    """Years as rows, the given figures as columns (units in the headers unless the caption states them)."""
    specs = [ANNUAL_BY_KEY[key] for key in keys]
    headers = ["年度", *(_header(spec, with_unit=units) for spec in specs)]
    rows = [
        [str(year), *(_number(figures[year][spec.key], 0 if spec.kind == "int" else 1) for spec in specs)]
        for year in years
    ]
    writer.table(headers, rows, [11] + [18] * len(specs), numeric=range(1, len(headers)), centred=(0,))
    return rows


def _metric_table(writer: ReportWriter, years: list[int], figures: dict[int, dict[str, Any]]) -> list[list[str]]:
    """The derived metrics by year; growth rates against the year before when it was reported."""
    headers: list[str] = ["年度"]
    rows: list[list[str]] = []
    for year in years:
        metrics = [m for m in derived_metrics(figures[year], figures.get(year - 1)) if m.key in DERIVED_KEYS]
        metrics.sort(key=lambda m: DERIVED_KEYS.index(m.key))
        if len(headers) == 1:
            headers += [f"{m.label}\n({m.unit})" for m in metrics]
        rows.append([str(year), *(_number(m.value, 2) for m in metrics)])
    writer.table(headers, rows, [11] + [18] * (len(headers) - 1), numeric=range(1, len(headers)), centred=(0,))
    return rows


def _trend_figure(years: list[int], figures: dict[int, dict[str, Any]]) -> Any:
    """Revenue and tax by year, side by side, every column labelled with its value."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from zjtx_desktop.charts import DONE_FILL, GRID, TARGET_EDGE, TARGET_FILL, TEXT, TEXT_MUTED
    from zjtx_desktop.fonts import configure_matplotlib

    configure_matplotlib()
    figure = Figure(figsize=(6.4, 2.3))
    FigureCanvasAgg(figure)
    panels = (
        ("revenue", "营业收入（万元）", DONE_FILL, DONE_FILL),
        ("tax_paid", "税收实际贡献（万元）", TARGET_FILL, TARGET_EDGE),
    )
    for index, (key, title, fill, edge) in enumerate(panels):
        axes = figure.add_subplot(1, 2, index + 1)
        values = [float(figures[year][key] or 0.0) for year in years]
        axes.bar(years, values, width=0.6, color=fill, edgecolor=edge, linewidth=0.8)
        top = max([*values, 1.0])
        for year, value in zip(years, values, strict=True):
            axes.text(year, value + top * 0.02, f"{value:,.0f}", ha="center", va="bottom", fontsize=7, color=TEXT)
        axes.set_ylim(0, top * 1.22)
        axes.set_xticks(years, [str(year) for year in years], fontsize=8)
        axes.set_title(title, loc="left", fontsize=9, color=TEXT)
        axes.yaxis.grid(True, color=GRID, linewidth=0.8)
        axes.tick_params(axis="y", labelsize=7, colors=TEXT_MUTED, length=0)
        axes.tick_params(axis="x", colors=TEXT_MUTED)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    figure.tight_layout()
    return figure


def _exit_text(entry: Cultivation) -> str:
    parts = [entry.exited_on.isoformat() if entry.exited_on else "", entry.exit_reason or ""]
    return " ".join(part for part in parts if part)


def build_profile(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    enterprise = find_enterprise(session, request.enterprise)
    inst = installation(session)
    if not inst.is_city and enterprise.region_code != inst.unit_code:
        raise UserError(f"本机为{inst.unit_name}的县级安装，只能打印本单位企业的档案（{enterprise.name}不属于本单位）")
    names = {
        "region": {code: name for code, name in session.execute(select(Region.code, Region.name))},
        "industry": {code: name for code, name in session.execute(select(Industry.code, Industry.name))},
    }
    program_names = {code: name for code, name in session.execute(select(Program.code, Program.name))}
    entries = session.scalars(
        select(Cultivation)
        .where(Cultivation.enterprise_id == enterprise.id)
        .order_by(Cultivation.year, Cultivation.program_code, Cultivation.id)
    ).all()
    reports = session.scalars(
        select(AnnualReport).where(AnnualReport.enterprise_id == enterprise.id).order_by(AnnualReport.year)
    ).all()
    visits = session.scalars(
        select(HelpVisit).where(HelpVisit.enterprise_id == enterprise.id).order_by(HelpVisit.visited_on, HelpVisit.id)
    ).all()

    info = ReportInfo(
        title="企业档案",
        organisation=inst.organisation,
        as_of=utcnow(),
        subtitle=f"{enterprise.name}　统一社会信用代码 {enterprise.uscc}",
        prepared_by=request.prepared_by,
    )
    writer = ReportWriter(info)
    writer.title_block()
    if enterprise.deleted_at is not None:
        writer.paragraph(f"该企业已于 {format_local(enterprise.deleted_at)} 移入回收站。", note=True)

    writer.heading("一、基本信息")
    basic, sections = _basic_rows(enterprise, names)
    writer.table(("项目", "内容"), basic, (40, 116), subtotal_rows=sections)

    writer.heading("二、培育记录")
    cultivation_rows = [
        [
            program_names.get(entry.program_code, entry.program_code),
            entry.year,
            entry.batch or "",
            entry.document_no or "",
            entry.status,
            _exit_text(entry),
        ]
        for entry in entries
    ]
    if cultivation_rows:
        writer.table(CULTIVATION_HEADERS, cultivation_rows, CULTIVATION_WIDTHS, centred=(1, 2, 4))
    else:
        writer.paragraph("没有培育记录。")

    writer.heading("三、年度监测数据")
    years = [report.year for report in reports]
    figures = {report.year: _figures(report) for report in reports}
    annual: dict[str, list[list[str]]] = {}
    if years:
        _caption(writer, "主要经济指标（单位：万元）")
        annual["money"] = _figure_table(writer, years, figures, MONEY_KEYS, units=False)
        _caption(writer, "资源与人员")
        annual["resources"] = _figure_table(writer, years, figures, RESOURCE_KEYS, units=True)
        _caption(writer, "效益指标（由以上数据计算；增长率与上年相比，上年未报送则空缺）")
        annual["metrics"] = _metric_table(writer, years, figures)
        if any(figures[year][key] is not None for year in years for key in INNOVATION_KEYS):
            _caption(writer, "创新与合规")
            annual["innovation"] = _figure_table(writer, years, figures, INNOVATION_KEYS, units=True)
        writer.figure(_trend_figure(years, figures))
    else:
        writer.paragraph("没有年度监测数据。")

    writer.heading("四、联系帮扶记录")
    visit_rows = [
        [
            visit.visited_on.isoformat(),
            visit.officer,
            visit.kind,
            visit.problem or "",
            visit.action or "",
            visit.status,
            visit.closed_on.isoformat() if visit.closed_on else "",
        ]
        for visit in visits
    ]
    if visit_rows:
        writer.table(VISIT_HEADERS, visit_rows, VISIT_WIDTHS, centred=(0, 1, 2, 5, 6))
    else:
        writer.paragraph("没有联系帮扶记录。")

    writer.signatures(request.today)
    data = {
        "enterprise": {row[0]: row[1] for row in basic},
        "uscc": enterprise.uscc,
        "cultivation": cultivation_rows,
        "annual": annual,
        "visits": visit_rows,
    }
    return writer.write(out, data)
