"""The reports this program prints, by kind (the CLI's `report KIND` and the report centre's list)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from zjtx_desktop.errors import UserError
from zjtx_desktop.reports.annual import build_annual
from zjtx_desktop.reports.document import BuiltReport
from zjtx_desktop.reports.evaluation import build_evaluation
from zjtx_desktop.reports.monitoring import build_monitoring
from zjtx_desktop.reports.profile import build_profile
from zjtx_desktop.reports.progress_report import build_progress
from zjtx_desktop.reports.request import ReportRequest
from zjtx_desktop.reports.roster import build_roster
from zjtx_desktop.reports.supervision_report import build_supervision

Builder = Callable[[Session, ReportRequest, Path], BuiltReport]


@dataclass(frozen=True)
class ReportKind:
    kind: str
    title: str
    builder: Builder
    uses: tuple[str, ...]  # the filters it reads: program, year, unit, enterprise
    description: str


REPORTS: dict[str, ReportKind] = {
    report.kind: report
    for report in (
        ReportKind(
            "roster",
            "培育名单",
            build_roster,
            ("program", "year", "unit"),
            "某培育层级（某年入库）的企业，按单位分组，可公布",
        ),
        ReportKind(
            "progress",
            "目标完成情况表",
            build_progress,
            ("program", "year", "unit"),
            "各单位目标数、完成数、完成率、时间进度、状态和排名",
        ),
        ReportKind(
            "annual",
            "年度“专精特新”企业发展报告",
            build_annual,
            ("year", "unit"),
            "某年（默认上年）的在库和入库企业、目标完成、行业分布、领先企业、规划指标和十五项任务，附图表",
        ),
        ReportKind(
            "evaluation",
            "县域综合评价",
            build_evaluation,
            ("year",),
            "各县（市、区）按加权指标的综合得分和排名，点名排名靠后的单位，附指标权重和计分方法",
        ),
        ReportKind(
            "profile",
            "企业档案",
            build_profile,
            ("enterprise",),
            "一家企业的基本信息、培育记录、历年监测数据和效益指标（附趋势图）、联系帮扶记录",
        ),
        ReportKind(
            "monitoring",
            "监测分析",
            build_monitoring,
            ("year", "unit"),
            "某年（默认最近一年）培育企业年度监测数据按单位汇总：营收、税收、研发、用地、能耗、亩均效益及同比",
        ),
        ReportKind(
            "supervision",
            "政策任务督查表",
            build_supervision,
            (),
            "十五项政策任务的责任单位、状态、完成时限和最新进展，标出逾期任务",
        ),
    )
}


def generate_report(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    """Write the requested report to `out` (a .pdf path whose folder exists)."""
    report = REPORTS.get(request.kind)
    if report is None:
        raise UserError(f"未知的报表“{request.kind}”，可用：{'、'.join(REPORTS)}")
    return report.builder(session, request, out)
