"""Plan indicators counted from enterprise data and hand-entered parks, checked on hand-made data."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.indicators import (
    IndicatorResult,
    indicator_enterprises,
    manual_entries,
    plan_indicators,
    set_manual_value,
)
from zjtx_desktop.models import AnnualReport, AuditEntry, Cultivation, Enterprise
from zjtx_desktop.registry import VersionConflict

_serial = count(1)


def _enterprise(
    session: Session,
    region: str,
    *,
    status: str | None = "培育中",
    zhejiang_made: bool | None = None,
    trademark: bool | None = None,
    nc: dict[int, float | None] | None = None,
    deleted: bool = False,
) -> Enterprise:
    n = next(_serial)
    enterprise = Enterprise(
        uscc=uscc.make("9", "1", region, f"MA2B{n:04d}"),
        name=f"丽水指标{n}号阀门有限公司",
        region_code=region,
        zhejiang_made=zhejiang_made,
        own_trademark=trademark,
        deleted_at=dt.datetime(2024, 1, 1) if deleted else None,
    )
    session.add(enterprise)
    session.flush()
    if status is not None:
        session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_POOL", year=2018, status=status))
    for year, rate in (nc or {}).items():
        session.add(AnnualReport(enterprise_id=enterprise.id, year=year, nc_rate=rate))
    session.flush()
    return enterprise


def _by_code(results: list[IndicatorResult]) -> dict[str, IndicatorResult]:
    return {r.definition.code: r for r in results}


def test_indicators_on_hand_made_data(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        # 青田: three cultivated enterprises; 缙云: one; plus some that must not count.
        _enterprise(session, "331121", zhejiang_made=True, trademark=True, nc={2018: 40.0, 2019: 60.0})
        _enterprise(session, "331121", zhejiang_made=True, trademark=False, nc={2019: 30.0, 2020: None})
        _enterprise(session, "331121", zhejiang_made=False, trademark=None)
        _enterprise(session, "331122", zhejiang_made=True, trademark=True, nc={2020: 80.0})
        _enterprise(session, "331122", status="已退出", zhejiang_made=True, trademark=True, nc={2020: 10.0})
        _enterprise(session, "331122", status=None, zhejiang_made=True, trademark=True)  # never cultivated
        _enterprise(session, "331122", zhejiang_made=True, trademark=True, deleted=True, nc={2020: 5.0})
        set_manual_value(session, "张科员", code="new_parks", region_code="331121", year=2018, value=2)
        set_manual_value(session, "张科员", code="new_parks", region_code="331121", year=2019, value=1)
        set_manual_value(session, "张科员", code="new_parks", region_code="331122", year=2021, value=4)  # after 2020
        results = _by_code(plan_indicators(session))
        county = _by_code(plan_indicators(session, unit_codes=["331121"]))

    made = results["zhejiang_made"]
    assert made.total.value == 3 and made.total.denominator == 4
    assert {u.unit_code: u.value for u in made.by_unit if u.value} == {"331121": 2, "331122": 1}
    assert made.status is not None and made.status.label == "滞后"  # 3 of a goal of 5 is below 80 %

    trademark = results["own_trademark"]
    assert trademark.total.value == 50.0  # 2 of 4, the unfilled one counted as none
    assert trademark.total.missing == 1 and "1 家未填" in trademark.detail
    assert {u.unit_code: u.value for u in trademark.by_unit if u.value is not None} == {"331121": 33.3, "331122": 100.0}

    nc = results["nc_rate"]
    # Latest figure per enterprise: 60 (2019 beats 2018), 30 (2020 is blank), 80; the third has none.
    assert nc.total.value == pytest.approx((60 + 30 + 80) / 3, abs=0.05)
    assert (nc.total.denominator, nc.total.missing) == (3, 1)
    assert nc.status is not None and nc.status.label == "正常"

    parks = results["new_parks"]
    assert parks.total.value == 3  # 2018–2020 only
    assert parks.status is not None and parks.status.label == "滞后"

    # A county sees its own figures; a city-wide count goal is not judged for one county.
    assert county["zhejiang_made"].total.value == 2 and county["zhejiang_made"].status is None
    assert county["own_trademark"].status is not None


def test_hand_entered_values_are_validated_versioned_and_audited(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        first = set_manual_value(session, "张科员", code="new_parks", region_code="331102", year=2019, value=1)
    with transaction(ctx.sessions) as session:
        again = set_manual_value(
            session, "李科长", code="new_parks", region_code="331102", year=2019, value=2, expected_version=1
        )
        assert again == first
        [entry] = manual_entries(session, "new_parks")
        assert (entry.unit, entry.value, entry.version) == ("莲都区", 2, 2)
    for bad, message in (
        ({"value": -1}, "负数"),
        ({"value": 1.5}, "整数"),
        ({"year": 1999}, "年度"),
        ({"region_code": "999999"}, "未知的单位"),
        ({"code": "nc_rate"}, "不能手工填报"),
    ):
        arguments = {"code": "new_parks", "region_code": "331102", "year": 2020, "value": 1.0, **bad}
        with pytest.raises(UserError, match=message), transaction(ctx.sessions) as session:
            set_manual_value(session, "张科员", **arguments)  # type: ignore[arg-type]
    with pytest.raises(VersionConflict), transaction(ctx.sessions) as session:
        set_manual_value(session, "王", code="new_parks", region_code="331102", year=2019, value=5, expected_version=1)
    with transaction(ctx.sessions) as session:
        assert [e.value for e in manual_entries(session, "new_parks")] == [2]
        audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "indicator_value")
        )
    assert audited == 2


def test_indicator_drill_down_lists_the_enterprises_behind_the_figure(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        made = _enterprise(session, "331121", zhejiang_made=True, nc={2019: 55.0, 2020: 65.0})
        unknown = _enterprise(session, "331121", zhejiang_made=None)
        _enterprise(session, "331122", zhejiang_made=False)
        _enterprise(session, "331121", status="已退出", zhejiang_made=True)
        certified = indicator_enterprises(session, "zhejiang_made", unit_code="331121")
        nc = indicator_enterprises(session, "nc_rate", unit_code="331121")
        everyone = indicator_enterprises(session, "zhejiang_made")
        with pytest.raises(UserError, match="没有对应的企业明细"):
            indicator_enterprises(session, "new_parks")
    assert [(row.enterprise_id, row.counted, row.value) for row in certified] == [
        (made.id, True, "是"),
        (unknown.id, False, "未填"),
    ]
    assert [(row.enterprise_id, row.value) for row in nc] == [(made.id, "65%（2020年）"), (unknown.id, "未填")]
    assert len(everyone) == 3 and sum(row.counted for row in everyone) == 1
