"""Derived monitoring metrics (亩均税收, 单位能耗增加值, 研发投入强度 …): computed from the figures, never stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    value: float | None  # None when an input is missing or a divisor is zero


def _ratio(numerator: Any, denominator: Any, scale: float = 1.0) -> float | None:
    if numerator is None or denominator is None or not denominator:
        return None
    return round(float(numerator) / float(denominator) * scale, 4)


def _growth(current: Any, previous: Any) -> float | None:
    if current is None or previous is None or not previous or previous < 0:
        return None
    return round((float(current) / float(previous) - 1.0) * 100.0, 2)


def derived_metrics(figures: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> list[Metric]:
    """The derived metrics of one enterprise-year; `previous` (the year before) gives growth rates.

    单位排放增加值 divides by the sum of the main pollutants reported (COD, SO2, NH3-N, NOx, tonnes);
    研发投入强度 is R&D over main-business revenue; growth rates need a positive figure the year before.
    """
    emissions = [figures.get(key) for key in ("cod", "so2", "nh3n", "nox")]
    total_emissions = sum(e for e in emissions if e is not None) if any(e is not None for e in emissions) else None
    previous = previous or {}
    return [
        Metric("tax_per_mu", "亩均税收", "万元/亩", _ratio(figures.get("tax_paid"), figures.get("land_area"))),
        Metric("va_per_mu", "亩均增加值", "万元/亩", _ratio(figures.get("value_added"), figures.get("land_area"))),
        Metric(
            "va_per_energy",
            "单位能耗增加值",
            "万元/吨标煤",
            _ratio(figures.get("value_added"), figures.get("energy_use")),
        ),
        Metric("va_per_emission", "单位排放增加值", "万元/吨", _ratio(figures.get("value_added"), total_emissions)),
        Metric(
            "tax_per_electricity",
            "单位电耗税收",
            "万元/万千瓦时",
            _ratio(figures.get("tax_paid"), figures.get("electricity")),
        ),
        Metric(
            "productivity",
            "全员劳动生产率",
            "万元/人",
            _ratio(figures.get("value_added"), figures.get("employees_avg")),
        ),
        Metric(
            "rd_intensity", "研发投入强度", "%", _ratio(figures.get("rd_expense"), figures.get("main_revenue"), 100.0)
        ),
        Metric(
            "debt_ratio",
            "资产负债率",
            "%",
            _ratio(figures.get("total_liabilities"), figures.get("total_assets"), 100.0),
        ),
        Metric("net_margin", "销售净利率", "%", _ratio(figures.get("net_profit"), figures.get("revenue"), 100.0)),
        Metric("revenue_growth", "营业收入增长率", "%", _growth(figures.get("revenue"), previous.get("revenue"))),
        Metric("tax_growth", "税收增长率", "%", _growth(figures.get("tax_paid"), previous.get("tax_paid"))),
        Metric("va_growth", "工业增加值增长率", "%", _growth(figures.get("value_added"), previous.get("value_added"))),
    ]


# The figures of the year before that the growth rates compare with.
PREVIOUS_YEAR_KEYS = ("revenue", "tax_paid", "value_added")
# Every metric's key, label and unit in display order (table headers before any figures are known).
METRIC_HEADERS: tuple[tuple[str, str, str], ...] = tuple((m.key, m.label, m.unit) for m in derived_metrics({}))
