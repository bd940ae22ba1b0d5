"""Plan-level indicators of the policy (浙江制造, own trademarks, NC rate, new parks), counted per unit by SQL.

Definitions and goals are data (db/seeds/indicators.json). "Cultivated enterprises" are those with at
least one cultivation entry that has not exited, outside the recycle bin. Figures for enterprises come
from the enterprise record; the NC rate from each enterprise's latest annual report that gives one;
the number of new parks is entered by hand per unit and year (`IndicatorValue`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from zjtx_desktop.audit import record
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, IndicatorValue, Region
from zjtx_desktop.registry import VersionConflict
from zjtx_desktop.seeds import load_seed
from zjtx_desktop.standing import Status, Thresholds, judge

EXITED = "已退出"
CULTIVATED_RULE = "培育企业：有未退出的培育记录、且不在回收站中的企业。"


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name: str
    goal: float
    unit: str  # 家 / % / 个
    kind: str  # count / share / average / sum
    value_of: str  # enterprise / annual / manual
    field: str | None = None
    task: int | None = None
    higher_is_better: bool = True
    start_year: int | None = None
    end_year: int | None = None

    @property
    def goal_text(self) -> str:
        comparison = "≥" if self.higher_is_better else "≤"
        return f"{comparison} {_number(self.goal)}{self.unit}"

    @property
    def city_wide_goal(self) -> bool:
        """A count goal (5 certifications, 15 parks) is the city's; a share or average applies to each unit."""
        return self.kind in ("count", "sum")


@dataclass(frozen=True)
class UnitValue:
    """An indicator's figure for one unit, or for the whole scope when unit_code is None."""

    unit_code: str | None
    unit: str
    value: float | None  # None: nothing to compute it from
    numerator: float = 0
    denominator: int = 0  # cultivated enterprises (share, average: those with a figure)
    missing: int = 0  # cultivated enterprises without the figure

    def text(self, definition: IndicatorDef) -> str:
        if self.value is None:
            return "—"
        if definition.unit == "%":
            return f"{self.value:.1f}%"
        return f"{_number(self.value)}{definition.unit}"


@dataclass(frozen=True)
class IndicatorResult:
    definition: IndicatorDef
    total: UnitValue
    by_unit: list[UnitValue] = field(default_factory=list)
    status: Status | None = None  # against the goal; None when the goal does not apply to the scope

    @property
    def detail(self) -> str:
        d, t = self.definition, self.total
        if d.kind == "count":
            return f"培育企业 {t.denominator} 家中 {int(t.numerator)} 家" + (
                f"，{t.missing} 家未填" if t.missing else ""
            )
        if d.kind == "share":
            return f"{int(t.numerator)} / {t.denominator} 家" + (f"（{t.missing} 家未填，按无计）" if t.missing else "")
        if d.kind == "average":
            return f"{t.denominator} 家有数据" + (f"，{t.missing} 家未填" if t.missing else "")
        years = f"{d.start_year}—{d.end_year}年" if d.start_year and d.end_year else "历年"
        return f"{years}各单位填报数之和"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def definitions() -> list[IndicatorDef]:
    rows: list[dict[str, Any]] = load_seed("indicators")["indicators"]
    return [IndicatorDef(**row) for row in rows]


def definition(code: str) -> IndicatorDef:
    for item in definitions():
        if item.code == code:
            return item
    raise UserError(f"未知的规划指标“{code}”")


def _cultivated_ids() -> Any:
    return select(Cultivation.enterprise_id).where(Cultivation.status != EXITED).distinct().subquery()


def _units(session: Session, unit_codes: list[str] | None) -> list[tuple[str, str]]:
    query = select(Region.code, Region.name).order_by(Region.sort_order)
    if unit_codes is not None:
        query = query.where(Region.code.in_(unit_codes))
    return [(code, name) for code, name in session.execute(query)]


def _enterprise_figures(session: Session, column: Any, unit_codes: list[str] | None) -> dict[str, tuple[int, int, int]]:
    """unit → (cultivated, with the flag set, flag not filled)."""
    cultivated = _cultivated_ids()
    query = (
        select(
            Enterprise.region_code,
            func.count(),
            func.sum(case((column.is_(True), 1), else_=0)),
            func.sum(case((column.is_(None), 1), else_=0)),
        )
        .join(cultivated, cultivated.c.enterprise_id == Enterprise.id)
        .where(Enterprise.deleted_at.is_(None))
        .group_by(Enterprise.region_code)
    )
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    return {code: (int(n), int(yes or 0), int(unknown or 0)) for code, n, yes, unknown in session.execute(query)}


def _annual_figures(session: Session, column: Any, unit_codes: list[str] | None) -> dict[str, tuple[float, int, int]]:
    """unit → (sum of each cultivated enterprise's latest figure, enterprises with one, cultivated)."""
    cultivated = _cultivated_ids()
    latest = (
        select(AnnualReport.enterprise_id, func.max(AnnualReport.year).label("year"))
        .where(column.is_not(None))
        .group_by(AnnualReport.enterprise_id)
        .subquery()
    )
    query = (
        select(Enterprise.region_code, func.count(Enterprise.id), func.count(column), func.sum(column))
        .join(cultivated, cultivated.c.enterprise_id == Enterprise.id)
        .outerjoin(latest, latest.c.enterprise_id == Enterprise.id)
        .outerjoin(AnnualReport, and_(AnnualReport.enterprise_id == Enterprise.id, AnnualReport.year == latest.c.year))
        .where(Enterprise.deleted_at.is_(None))
        .group_by(Enterprise.region_code)
    )
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    return {code: (float(total or 0), int(known), int(n)) for code, n, known, total in session.execute(query)}


def _manual_figures(session: Session, item: IndicatorDef, unit_codes: list[str] | None) -> dict[str, float]:
    query = (
        select(IndicatorValue.region_code, func.sum(IndicatorValue.value))
        .where(IndicatorValue.code == item.code)
        .group_by(IndicatorValue.region_code)
    )
    if item.start_year is not None:
        query = query.where(IndicatorValue.year >= item.start_year)
    if item.end_year is not None:
        query = query.where(IndicatorValue.year <= item.end_year)
    if unit_codes is not None:
        query = query.where(IndicatorValue.region_code.in_(unit_codes))
    return {code: float(total or 0) for code, total in session.execute(query)}


def _unit_value(item: IndicatorDef, code: str | None, name: str, figures: tuple[float, int, int] | None) -> UnitValue:
    """figures: (numerator, denominator, missing) in the indicator's own sense."""
    numerator, denominator, missing = figures or (0.0, 0, 0)
    if item.kind == "count" or item.kind == "sum":
        value: float | None = numerator
    elif item.kind == "share":
        value = round(numerator / denominator * 100, 1) if denominator else None
    else:  # average
        value = round(numerator / denominator, 1) if denominator else None
    return UnitValue(code, name, value, numerator, denominator, missing)


def plan_indicators(
    session: Session, *, unit_codes: list[str] | None = None, thresholds: Thresholds | None = None
) -> list[IndicatorResult]:
    """Every plan indicator for the scope (all units, or a county's own), with a value per unit."""
    thresholds = thresholds or Thresholds()
    units = _units(session, unit_codes)
    results: list[IndicatorResult] = []
    for item in definitions():
        per_unit: dict[str, tuple[float, int, int]] = {}
        if item.value_of == "enterprise":
            column = getattr(Enterprise, item.field or "")
            for code, (n, yes, unknown) in _enterprise_figures(session, column, unit_codes).items():
                # A share counts an unfilled flag as "no": the goal is that every enterprise has a trademark.
                per_unit[code] = (float(yes), n, unknown)
        elif item.value_of == "annual":
            column = getattr(AnnualReport, item.field or "")
            for code, (summed_figures, known, n) in _annual_figures(session, column, unit_codes).items():
                per_unit[code] = (summed_figures, known, n - known)
        else:
            for code, entered in _manual_figures(session, item, unit_codes).items():
                per_unit[code] = (entered, 0, 0)
        by_unit = [_unit_value(item, code, name, per_unit.get(code)) for code, name in units]
        summed = (
            sum(v[0] for v in per_unit.values()),
            sum(v[1] for v in per_unit.values()),
            sum(v[2] for v in per_unit.values()),
        )
        total = _unit_value(item, None, "合计" if unit_codes is None else "本单位", summed)
        applies = unit_codes is None or not item.city_wide_goal
        status = (
            judge(total.value, item.goal, thresholds, higher_is_better=item.higher_is_better)
            if (applies and total.value is not None)
            else None
        )
        results.append(IndicatorResult(item, total, by_unit, status))
    return results


# --- hand-entered values -----------------------------------------------------------------------


@dataclass(frozen=True)
class ManualEntry:
    id: int
    code: str
    region_code: str
    unit: str
    year: int
    value: float
    note: str | None
    version: int


def manual_entries(session: Session, code: str, unit_codes: list[str] | None = None) -> list[ManualEntry]:
    query = (
        select(IndicatorValue, Region.name)
        .join(Region, Region.code == IndicatorValue.region_code)
        .where(IndicatorValue.code == code)
        .order_by(IndicatorValue.year.desc(), Region.sort_order)
    )
    if unit_codes is not None:
        query = query.where(IndicatorValue.region_code.in_(unit_codes))
    return [
        ManualEntry(v.id, v.code, v.region_code, name, v.year, v.value, v.note, v.version)
        for v, name in session.execute(query)
    ]


def set_manual_value(
    session: Session,
    actor: str,
    *,
    code: str,
    region_code: str,
    year: int,
    value: float,
    note: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Enter or correct one unit's figure for one year (a value of 0 is kept: "none built this year")."""
    item = definition(code)
    if item.value_of != "manual":
        raise UserError(f"“{item.name}”由企业数据统计得出，不能手工填报")
    if session.get(Region, region_code) is None:
        raise UserError(f"未知的单位“{region_code}”")
    if not 2000 <= year <= 2100:
        raise UserError("年度应在 2000—2100 之间")
    if value < 0 or value != value:
        raise UserError(f"{item.name}不能为负数")
    if item.unit in ("个", "家") and not float(value).is_integer():
        raise UserError(f"{item.name}应为整数（{item.unit}）")
    existing = session.scalars(
        select(IndicatorValue).where(
            IndicatorValue.code == code, IndicatorValue.region_code == region_code, IndicatorValue.year == year
        )
    ).one_or_none()
    clean_note = (note or "").strip() or None
    if existing is None:
        entry = IndicatorValue(code=code, region_code=region_code, year=year, value=value, note=clean_note)
        session.add(entry)
        session.flush()
        record(session, actor, "create", "indicator_value", str(entry.id), after=_audit(entry))
        return entry.id
    if expected_version is not None and existing.version != expected_version:
        raise VersionConflict("这条填报数据已被他人修改，请刷新后再改")
    before = _audit(existing)
    existing.value, existing.note = value, clean_note
    existing.version += 1
    session.flush()
    record(session, actor, "update", "indicator_value", str(existing.id), before=before, after=_audit(existing))
    return existing.id


def _audit(entry: IndicatorValue) -> dict[str, Any]:
    return {"指标": entry.code, "单位": entry.region_code, "年度": entry.year, "数值": entry.value, "备注": entry.note}


def manual_totals_by_year(session: Session, code: str) -> dict[int, dict[str, float]]:
    """year → unit → value, for a grid of hand-entered figures."""
    grid: dict[int, dict[str, float]] = defaultdict(dict)
    for entry in session.scalars(select(IndicatorValue).where(IndicatorValue.code == code)):
        grid[entry.year][entry.region_code] = entry.value
    return dict(grid)


# --- drill-down ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorEnterprise:
    """A cultivated enterprise as an indicator sees it: counted (has the certificate, a figure) or not."""

    enterprise_id: int
    name: str
    uscc: str
    unit: str
    counted: bool
    value: str  # 是 / 否 / 未填, or the figure with its year


def indicator_enterprises(
    session: Session, code: str, *, unit_code: str | None = None, unit_codes: list[str] | None = None
) -> list[IndicatorEnterprise]:
    """The cultivated enterprises behind an enterprise-based indicator, counted ones first."""
    item = definition(code)
    if item.value_of == "manual":
        raise UserError(f"“{item.name}”按单位填报，没有对应的企业明细")
    cultivated = _cultivated_ids()
    query = (
        select(Enterprise, Region.name)
        .join(cultivated, cultivated.c.enterprise_id == Enterprise.id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(Enterprise.deleted_at.is_(None))
        .order_by(Region.sort_order, Enterprise.name)
    )
    if unit_code is not None:
        query = query.where(Enterprise.region_code == unit_code)
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    rows = session.execute(query).all()
    figures: dict[int, tuple[int, float]] = {}
    if item.value_of == "annual":
        column = getattr(AnnualReport, item.field or "")
        ids = [enterprise.id for enterprise, _ in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            reports = session.execute(
                select(AnnualReport.enterprise_id, AnnualReport.year, column)
                .where(AnnualReport.enterprise_id.in_(chunk), column.is_not(None))
                .order_by(AnnualReport.year)
            )
            for enterprise_id, year, value in reports:
                figures[enterprise_id] = (year, float(value))  # later years overwrite earlier ones
    result: list[IndicatorEnterprise] = []
    for enterprise, unit in rows:
        if item.value_of == "annual":
            figure = figures.get(enterprise.id)
            counted = figure is not None
            value = f"{_number(figure[1])}{item.unit}（{figure[0]}年）" if figure else "未填"
        else:
            flag = getattr(enterprise, item.field or "")
            counted = flag is True
            value = "是" if flag is True else "否" if flag is False else "未填"
        result.append(IndicatorEnterprise(enterprise.id, enterprise.name, enterprise.uscc, unit, counted, value))
    result.sort(key=lambda row: not row.counted)
    return result
