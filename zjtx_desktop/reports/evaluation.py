"""县域综合评价: the units' composite scores and ranking for a year, the laggards named, the method stated
(landscape). The scoring is zjtx_desktop.evaluation's; this module only lays it out."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from zjtx_desktop.clock import utcnow
from zjtx_desktop.evaluation import (
    CULTIVATED_AT_YEAR_END_RULE,
    Evaluation,
    EvaluationIndicator,
    UnitScore,
    evaluate,
)
from zjtx_desktop.reports.document import BuiltReport, ReportInfo, ReportWriter
from zjtx_desktop.reports.request import ReportRequest, resolve_scope

TITLE = "年度县域“专精特新”发展综合评价"


def value_text(item: EvaluationIndicator, value: float | None) -> str:
    if value is None:
        return "无数据"
    if item.unit == "家":
        return f"{value:.0f}"
    return f"{value:.2f}" if item.unit == "万元/亩" else f"{value:.1f}"


def score_text(score: float) -> str:
    """A score with one decimal; full marks as 100, so that it fits the narrow score columns."""
    return "100" if score >= 100 else f"{score:.1f}"


def weakest_indicator(evaluation: Evaluation, unit: UnitScore) -> str | None:
    """The indicator that costs the unit most against the average unit: the largest weighted shortfall
    below the mean score (an indicator where every unit scores the same explains nothing)."""
    count = len(evaluation.ranked)
    shortfalls = []
    for position, item in enumerate(evaluation.scheme.indicators):
        mean = sum(other.scores[position].score for other in evaluation.ranked) / count
        shortfalls.append((item.weight * (mean - unit.scores[position].score), item.name))
    gap, name = max(shortfalls)
    return name if gap > 0 else None


def laggard_text(evaluation: Evaluation) -> str:
    """The paragraph naming the units at the bottom and where they lose most."""
    ranked = evaluation.ranked
    if len(ranked) < 2:
        return "参评单位不足两个，不排名次（综合评价需要市级汇总的各单位数据）。"
    top = ranked[0]
    leaders = [u.unit for u in ranked if u.rank == 1]
    text = f"综合得分第一的是{'、'.join(leaders)}（{top.composite:.2f} 分）。"
    if not evaluation.laggards:
        return text + "各单位综合得分相同，没有排名靠后的单位。"
    named = [
        f"{unit.unit}（第 {unit.rank} 名，{unit.composite:.2f} 分"
        + (f"，主要差在{weakest}）" if (weakest := weakest_indicator(evaluation, unit)) else "）")
        for unit in evaluation.laggards
    ]
    return text + f"排名靠后的单位：{'；'.join(named)}。请上述单位分析原因、制定措施，加快补齐短板。"


def build_evaluation(session: Session, request: ReportRequest, out: Path) -> BuiltReport:
    scope = resolve_scope(session, None)
    year = request.year or request.today.year - 1
    evaluation = evaluate(session, year, unit_codes=scope.unit_codes)
    scheme = evaluation.scheme
    info = ReportInfo(
        title=f"{year}{TITLE}",
        organisation=scope.organisation,
        as_of=utcnow(),
        landscape=True,
        subtitle=f"评价年度 {year}年　参评单位 {len(evaluation.ranked)} 个",
        prepared_by=request.prepared_by,
    )
    writer = ReportWriter(info)
    writer.title_block()
    writer.paragraph(laggard_text(evaluation))
    if evaluation.ranked:
        headers = ["排名", "单位"]
        groups: list[tuple[str, int]] = [("", 1), ("", 1)]
        for item in scheme.indicators:
            headers += [f"原值({item.unit})", "得分"]
            groups.append((f"{item.name}（权重 {item.weight:g}）", 2))
        headers += ["综合得分", "备注"]
        groups += [("", 1), ("", 1)]
        rows: list[list[object]] = []
        for unit in evaluation.ranked:
            cells: list[object] = [unit.rank, unit.unit]
            for item, score in zip(scheme.indicators, unit.scores, strict=True):
                cells += [value_text(item, score.value), score_text(score.score)]
            cells += [f"{unit.composite:.2f}", "排名靠后" if unit in evaluation.laggards else ""]
            rows.append(cells)
        widths = [11, 36, *[16, 11] * len(scheme.indicators), 15, 18]
        laggard_rows = [i for i, unit in enumerate(evaluation.ranked) if unit in evaluation.laggards]
        writer.table(
            headers,
            rows,
            widths,
            numeric=tuple(range(2, len(headers) - 1)),
            centred=(0, len(headers) - 1),
            subtotal_rows=laggard_rows,
            groups=groups,
        )
    else:
        writer.paragraph("没有参评单位。")
    empty = [
        item.name
        for position, item in enumerate(scheme.indicators)
        if all(unit.scores[position].value is None for unit in evaluation.ranked)
    ]
    if empty and evaluation.ranked:
        writer.paragraph(
            f"{year}年各单位均无{'、'.join(empty)}的数据，该项各单位均得 0 分，名次由其余指标决定。", note=True
        )
    writer.heading("评价指标、权重和方法")
    writer.table(
        ("指标", "权重", "口径"),
        [[item.name, f"{item.weight:g}", item.definition] for item in scheme.indicators],
        (30, 12, 200),
        numeric=(1,),
    )
    writer.paragraph(
        f"计分方法：{scheme.method_text}目标完成情况：{evaluation.progress.explanation}"
        f"{CULTIVATED_AT_YEAR_END_RULE}回收站中的企业不计。指标和权重可在 db/seeds/evaluation.json 中调整。",
        note=True,
    )
    writer.signatures(request.today)
    return writer.write(out, evaluation.as_json())
