"""Plausibility flags: each rule on hand-made figures, at its boundaries, and silence on plausible data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise
from zjtx_desktop.plausibility import Flag, flags_by_unit

QINGTIAN = "331121"
JINYUN = "331122"

# A cultivated below-scale firm's plausible year: nothing here deserves a call.
PLAUSIBLE: dict[str, Any] = {
    "revenue": 2600.0,
    "main_revenue": 2450.0,
    "gross_output": 2700.0,
    "value_added": 610.0,
    "total_profit": 150.0,
    "net_profit": 128.0,
    "tax_paid": 95.0,
    "export_value": 300.0,
    "total_assets": 3100.0,
    "total_liabilities": 1500.0,
    "rd_expense": 90.0,
    "employees_avg": 85,
    "rd_staff": 9,
    "land_area": 12.0,
    "energy_use": 420.0,
    "electricity": 260.0,
    "nc_rate": 48.0,
}
PREVIOUS: dict[str, Any] = {**PLAUSIBLE, "revenue": 2300.0, "tax_paid": 80.0, "value_added": 560.0}

Make = Callable[..., int]


@pytest.fixture
def make(ctx: AppContext) -> Make:
    """make(now, before=None, cultivated=True, unit=…, **firm) → enterprise id, with its 2023 (and 2022) report."""
    serial = iter(range(100))

    def build(
        now: dict[str, Any] | None,
        before: dict[str, Any] | None = None,
        *,
        cultivated: bool = True,
        unit: str = QINGTIAN,
        **firm: Any,
    ) -> int:
        n = next(serial)
        with transaction(ctx.sessions) as session:
            enterprise = Enterprise(
                uscc=uscc.make("9", "1", unit, f"MA2A0C{n:02d}"),
                name=firm.pop("name", f"青田县第{n}阀门有限公司"),
                region_code=unit,
                contact_person="王会计",
                phone="0578-6512345",
                **firm,
            )
            session.add(enterprise)
            session.flush()
            if cultivated:
                session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_POOL", year=2018))
            if now is not None:
                session.add(AnnualReport(enterprise_id=enterprise.id, year=2023, **now))
            if before is not None:
                session.add(AnnualReport(enterprise_id=enterprise.id, year=2022, **before))
            return enterprise.id

    return build


def flags_of(ctx: AppContext, enterprise_id: int, year: int = 2023) -> list[Flag]:
    with ctx.sessions() as session:
        found = flags_by_unit(session, year, [QINGTIAN, JINYUN])
    return [flag for flags in found.values() for flag in flags if flag.enterprise_id == enterprise_id]


def kinds(ctx: AppContext, enterprise_id: int) -> list[tuple[str, str | None]]:
    return [(flag.kind, flag.field) for flag in flags_of(ctx, enterprise_id)]


def test_plausible_figures_raise_no_flag(ctx: AppContext, make: Make) -> None:
    firm = make(PLAUSIBLE, PREVIOUS)
    newcomer = make(PLAUSIBLE)  # no previous year: the per-employee checks apply, and pass
    outsider = make({"revenue": 300.0}, cultivated=False)  # not cultivated: nothing is required
    with ctx.sessions() as session:
        found = flags_by_unit(session, 2023, [QINGTIAN])
    assert found == {QINGTIAN: []}
    assert all(not flags_of(ctx, e) for e in (firm, newcomer, outsider))


def test_a_tenfold_jump_either_way_is_flagged_beyond_not_at_the_factor(ctx: AppContext, make: Make) -> None:
    up = make({**PLAUSIBLE, "revenue": 23_001.0}, PREVIOUS)  # 2300 → 23001: more than 10×
    at = make({**PLAUSIBLE, "revenue": 23_000.0}, PREVIOUS)  # exactly 10×
    down = make({**PLAUSIBLE, "energy_use": 41.9}, PREVIOUS)  # 420 → 41.9: below a tenth
    down_at = make({**PLAUSIBLE, "energy_use": 42.0}, PREVIOUS)
    assert kinds(ctx, up) == [("jump", "revenue")]
    assert kinds(ctx, at) == []
    assert kinds(ctx, down) == [("jump", "energy_use")]
    assert kinds(ctx, down_at) == []
    [flag] = flags_of(ctx, up)
    assert flag.value == 23_001.0 and flag.value_unit == "万元" and flag.field_label == "营业收入"
    assert flag.severity == "warning"
    assert flag.reason == "是上年（2,300 万元）的 10.0 倍，同比变化超过 10 倍"
    assert flag.text == "营业收入 23,001 万元，是上年（2,300 万元）的 10.0 倍，同比变化超过 10 倍"
    assert "只有上年（420 吨标煤）的 1/10.0" in flags_of(ctx, down)[0].reason


def test_small_figures_below_the_floor_may_jump(ctx: AppContext, make: Make) -> None:
    below = make({**PLAUSIBLE, "export_value": 49.0}, {**PREVIOUS, "export_value": 3.0})  # larger year < 50 万元
    at_floor = make({**PLAUSIBLE, "export_value": 50.0}, {**PREVIOUS, "export_value": 3.0})
    from_zero = make({**PLAUSIBLE, "export_value": 900.0}, {**PREVIOUS, "export_value": 0.0})  # no ratio to zero
    assert kinds(ctx, below) == []
    assert kinds(ctx, at_floor) == [("jump", "export_value")]
    assert kinds(ctx, from_zero) == []


def test_yuan_for_wan_yuan_against_the_previous_year(ctx: AppContext, make: Make) -> None:
    # 80 万元 last year; 720,000 now is 元 for a tax that fell by a tenth (9,000×)
    yuan = make({**PLAUSIBLE, "tax_paid": 720_000.0}, PREVIOUS)
    at_factor = make({**PLAUSIBLE, "tax_paid": 80_000.0}, PREVIOUS)  # 1,000×
    just_below = make({**PLAUSIBLE, "tax_paid": 79_999.0}, PREVIOUS)
    # Neither a jump nor an absurd 亩均税收 besides: the 元 suspicion explains both.
    assert kinds(ctx, yuan) == [("yuan", "tax_paid")]
    [flag] = flags_of(ctx, yuan)
    assert flag.severity == "error" and flag.value == 720_000.0
    assert "疑似按“元”填报（应为万元）" in flag.reason and "是上年（80 万元）的 9,000 倍" in flag.reason
    assert kinds(ctx, at_factor) == [("yuan", "tax_paid")]
    # Below 1,000×: a jump, and the ratio check sees 亩均税收 of 6,667 万元/亩.
    assert kinds(ctx, just_below) == [("ratio", "tax_paid"), ("jump", "tax_paid")]


def test_yuan_for_wan_yuan_without_a_previous_year(ctx: AppContext, make: Make) -> None:
    staff = {"employees_avg": 100, "main_revenue": None, "gross_output": None, "value_added": None}
    per_head = make({**PLAUSIBLE, **staff, "revenue": 500_001.0}, cultivated=False)  # 5,000.01 万元 a head
    at_bound = make({**PLAUSIBLE, **staff, "revenue": 500_000.0}, cultivated=False)
    share = make({**PLAUSIBLE, "revenue": 10.0, "rd_expense": 1_000.0}, cultivated=False)  # 100× revenue
    share_below = make({**PLAUSIBLE, "revenue": 10.0, "rd_expense": 999.0}, cultivated=False)
    absolute = make({**PLAUSIBLE, "total_assets": 10_000_000.0}, PREVIOUS)  # 1000 亿元
    assert ("yuan", "revenue") in kinds(ctx, per_head)
    assert "人均 5,000.01 万元" in next(f.text for f in flags_of(ctx, per_head) if f.kind == "yuan")
    assert ("yuan", "revenue") not in kinds(ctx, at_bound)
    assert ("yuan", "rd_expense") in kinds(ctx, share)
    assert ("yuan", "rd_expense") not in kinds(ctx, share_below)
    assert kinds(ctx, absolute)[0] == ("yuan", "total_assets")


def test_required_figures_missing_for_a_cultivated_enterprise(ctx: AppContext, make: Make) -> None:
    gaps = make({**PLAUSIBLE, "revenue": None, "land_area": None}, PREVIOUS)
    one_gap = make({**PLAUSIBLE, "energy_use": None}, PREVIOUS)
    not_cultivated = make({**PLAUSIBLE, "revenue": None, "land_area": None}, cultivated=False)
    silent = make(None, PREVIOUS)  # cultivated, no 2023 report at all
    [flag] = flags_of(ctx, gaps)
    assert (flag.kind, flag.field, flag.field_label) == ("missing", None, "营业收入、用地面积")
    assert flag.text == flag.reason == "培育企业缺少必填数据：营业收入、用地面积" and flag.cultivated
    assert kinds(ctx, one_gap) == [("missing", "energy_use")]
    assert kinds(ctx, not_cultivated) == []
    [absent] = flags_of(ctx, silent)
    assert absent.kind == "no_report" and absent.reason == "培育企业未报送 2023 年度监测数据"
    assert (absent.contact_person, absent.phone) == ("王会计", "0578-6512345")


def test_an_entry_after_the_year_or_an_exit_before_it_requires_nothing(ctx: AppContext, make: Make) -> None:
    later = make(None, cultivated=False)
    exited = make(None, cultivated=False)
    with transaction(ctx.sessions) as session:
        session.add(Cultivation(enterprise_id=later, program_code="ZJTX_POOL", year=2024))
        session.add(
            Cultivation(
                enterprise_id=exited,
                program_code="ZJTX_POOL",
                year=2019,
                status="已退出",
                exited_on=dt.date(2022, 12, 31),
            )
        )
    assert kinds(ctx, later) == [] and kinds(ctx, exited) == []


@pytest.mark.parametrize(
    ("change", "flagged", "label"),
    [
        ({"rd_expense": 1225.01}, True, "研发投入强度"),  # 50.0004% of 2450
        ({"rd_expense": 1225.0}, False, "研发投入强度"),  # exactly 50%
        ({"total_liabilities": 3100.5}, True, "资产负债率"),
        ({"total_liabilities": 3100.0}, False, "资产负债率"),  # exactly 100%
        ({"tax_paid": 12_000.5}, True, "亩均税收"),  # 1000.04 万元/亩 on 12 亩
        ({"tax_paid": 12_000.0}, False, "亩均税收"),
        ({"value_added": 60_001.0, "gross_output": 70_000.0}, True, "亩均增加值"),
        ({"value_added": 85_001.0, "gross_output": 90_000.0, "land_area": 100.0}, True, "全员劳动生产率"),
        ({"nc_rate": 100.5}, True, "装备数控化率"),
        ({"nc_rate": 100.0}, False, "装备数控化率"),
    ],
)
def test_derived_ratios_out_of_range(
    ctx: AppContext, make: Make, change: dict[str, Any], flagged: bool, label: str
) -> None:
    # No previous year: the jump rules stay out of the way.
    firm = make({**PLAUSIBLE, **change}, cultivated=False)
    ratio_flags = [flag for flag in flags_of(ctx, firm) if flag.kind == "ratio"]
    assert [flag.field_label for flag in ratio_flags] == ([label] if flagged else [])
    if flagged:
        assert ratio_flags[0].text.startswith(f"{label} ")
        assert "超过" in ratio_flags[0].reason or "不在" in ratio_flags[0].reason


def test_ratio_flag_carries_the_ratio_and_reason(ctx: AppContext, make: Make) -> None:
    firm = make({**PLAUSIBLE, "rd_expense": 1470.0}, cultivated=False)  # 60% of main revenue
    [flag] = flags_of(ctx, firm)
    assert flag.value == pytest.approx(60.0) and flag.value_unit == "%"
    assert flag.text == "研发投入强度 60%，超过 50%，请核对研发费用和主营业务收入"


def test_flags_are_listed_per_unit_and_skip_the_recycle_bin(ctx: AppContext, make: Make) -> None:
    serious = make({**PLAUSIBLE, "tax_paid": 720_000.0}, PREVIOUS, name="青田县甲阀门有限公司")
    mild = make({**PLAUSIBLE, "energy_use": None}, PREVIOUS, name="青田县乙阀门有限公司")
    other = make({**PLAUSIBLE, "nc_rate": 120.0}, PREVIOUS, unit=JINYUN, name="缙云县锯床有限公司")
    make({**PLAUSIBLE, "nc_rate": 120.0}, PREVIOUS, deleted_at=dt.datetime(2024, 1, 1), name="青田县已注销厂")
    with ctx.sessions() as session:
        found = flags_by_unit(session, 2023, [QINGTIAN, JINYUN])
        everywhere = flags_by_unit(session, 2023)
    assert list(found) == [QINGTIAN, JINYUN]
    assert [(f.enterprise_id, f.kind) for f in found[QINGTIAN]] == [(serious, "yuan"), (mild, "missing")]
    assert [(f.enterprise_id, f.unit) for f in found[JINYUN]] == [(other, "缙云县")]
    assert len(everywhere) >= 10 and everywhere[QINGTIAN] == found[QINGTIAN]
    assert all(flag.year == 2023 for flags in found.values() for flag in flags)
