"""Target progress is counted from cultivation entries, at period edges, once per enterprise."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import Cultivation, Enterprise
from zjtx_desktop.progress import ProgressReport, ProgressRow, progress_by_unit, resolve_program
from zjtx_desktop.progress_detail import progress_detail
from zjtx_desktop.standing import (
    Thresholds,
    elapsed_share,
    judge,
    load_thresholds,
    save_thresholds,
    standings,
)

_serial = count(1)


def _enterprise(session: Session, region: str, *, deleted: bool = False) -> Enterprise:
    n = next(_serial)
    area = region if region.isdigit() else "331100"
    enterprise = Enterprise(
        uscc=_code(area, n),
        name=f"丽水测试{n}号精密机械有限公司",
        region_code=region,
        deleted_at=dt.datetime(2024, 1, 1) if deleted else None,
    )
    session.add(enterprise)
    session.flush()
    return enterprise


def _code(area: str, n: int) -> str:
    body = f"MA2A{n:04d}"
    return uscc.make("9", "1", area, body)


def _enter(
    session: Session, enterprise: Enterprise, year: int, program: str = "ZJTX_POOL", status: str = "培育中"
) -> None:
    session.add(Cultivation(enterprise_id=enterprise.id, program_code=program, year=year, status=status))


def _done(report: ProgressReport, unit: str, start: int, end: int, program: str = "ZJTX_POOL") -> int:
    [row] = [
        r for r in report.rows if (r.unit_code, r.program_code, r.start_year, r.end_year) == (unit, program, start, end)
    ]
    return row.done


def test_new_database_reports_the_annex_with_nothing_done(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        report = progress_by_unit(session)
    assert len(report.rows) == 37
    totals = {(t.program_code, t.start_year, t.end_year): (t.target, t.done, t.rate) for t in report.totals}
    assert totals[("ZJTX_POOL", 2017, 2020)] == (900, 0, 0.0)
    assert totals[("YXGJ_PROV_POOL", 2018, 2018)] == (7, 0, 0.0)


def test_period_edges_exits_duplicates_and_recycle_bin(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        qingtian = [_enterprise(session, "331121") for _ in range(6)]
        _enter(session, qingtian[0], 2016)  # before the period
        _enter(session, qingtian[1], 2017)  # first year of the period
        _enter(session, qingtian[2], 2020)  # last year
        _enter(session, qingtian[3], 2021)  # after
        _enter(session, qingtian[4], 2018, status="已退出")  # exited later: still entered in 2018
        _enter(session, qingtian[5], 2018)
        _enter(session, qingtian[5], 2019)  # the same enterprise twice in one period counts once
        binned = _enterprise(session, "331121", deleted=True)
        _enter(session, binned, 2018)
        other_program = _enterprise(session, "331121")
        _enter(session, other_program, 2018, program="YXGJ_PROV_POOL")
        report = progress_by_unit(session)
    assert _done(report, "331121", 2017, 2020) == 4
    assert _done(report, "331121", 2018, 2018) == 2
    assert _done(report, "331121", 2017, 2020, "YXGJ_PROV_POOL") == 1
    assert _done(report, "331122", 2017, 2020) == 0
    total = next(t for t in report.totals if (t.program_code, t.start_year, t.end_year) == ("ZJTX_POOL", 2017, 2020))
    assert (total.target, total.done) == (900, 4)
    qingtian_row = next(
        r for r in report.rows if r.unit_code == "331121" and r.start_year == 2017 and r.program_code == "ZJTX_POOL"
    )
    assert qingtian_row.rate == round(4 / 150, 4)


def test_filters_by_year_program_and_unit(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        report_2019 = progress_by_unit(session, year=2019)
        assert {(r.start_year, r.end_year) for r in report_2019.rows} == {(2017, 2020)}
        only_pool = progress_by_unit(session, program_code="YXGJ_PROV_POOL")
        assert {r.program_code for r in only_pool.rows} == {"YXGJ_PROV_POOL"}
        lianduo = progress_by_unit(session, unit_codes=["331102"])
        assert {r.unit for r in lianduo.rows} == {"莲都区"}
        assert {(t.target) for t in lianduo.totals} == {80, 15, 2, 1}
        assert progress_by_unit(session, year=2030).rows == []


def test_json_shape_matches_the_cli_contract(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        data = progress_by_unit(session).as_json()
    assert set(data) == {"rows", "totals"}
    assert set(data["rows"][0]) == {
        "unit_code",
        "unit",
        "program_code",
        "program",
        "start_year",
        "end_year",
        "target",
        "done",
        "rate",
    }
    assert set(data["totals"][0]) == {"program_code", "program", "start_year", "end_year", "target", "done", "rate"}


def test_program_lookup_by_code_name_or_alias(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        assert resolve_program(session, "zjtx_pool").code == "ZJTX_POOL"
        assert resolve_program(session, "小巨人").code == "XJR"
        with pytest.raises(UserError, match="未知的培育层级"):
            resolve_program(session, "国家队")


def test_drill_down_counts_exactly_the_figure_and_explains_the_rest(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        qingtian = [_enterprise(session, "331121") for _ in range(5)]
        _enter(session, qingtian[0], 2016)
        _enter(session, qingtian[1], 2017)
        _enter(session, qingtian[2], 2018, status="已退出")
        _enter(session, qingtian[3], 2018)
        _enter(session, qingtian[3], 2019)
        _enter(session, qingtian[4], 2021)
        binned = _enterprise(session, "331121", deleted=True)
        _enter(session, binned, 2018)
        elsewhere = _enterprise(session, "331122")
        _enter(session, elsewhere, 2018)
        report = progress_by_unit(session)
        detail = progress_detail(session, program_code="ZJTX_POOL", start_year=2017, end_year=2020, unit_code="331121")
        city = progress_detail(session, program_code="ZJTX_POOL", start_year=2017, end_year=2020)
    assert len(detail.counted) == _done(report, "331121", 2017, 2020) == 3
    assert {row.enterprise_id for row in detail.counted} == {qingtian[1].id, qingtian[2].id, qingtian[3].id}
    remarks = {row.enterprise_id: row.reason for row in detail.counted}
    assert remarks[qingtian[2].id] == "已退出，仍计入当年入库数"
    reasons = sorted(row.reason for row in detail.not_counted)
    assert reasons == sorted(
        [
            "入库年份 2016 年不在目标期间（2017—2020年）内",
            "入库年份 2021 年不在目标期间（2017—2020年）内",
            "同一企业已按 2018 年的记录计入，每家只计一次",
            "企业在回收站中",
        ]
    )
    total = next(t for t in report.totals if (t.program_code, t.start_year, t.end_year) == ("ZJTX_POOL", 2017, 2020))
    assert len(city.counted) == total.done == 4


def _row(
    unit: str, target: int, done: int, done_before: int | None = None, start: int = 2017, end: int = 2020
) -> ProgressRow:
    return ProgressRow(unit, unit, "ZJTX_POOL", "省专精特新培育库", start, end, target, done, done_before)


def test_pace_is_the_share_of_the_period_elapsed() -> None:
    assert elapsed_share(2017, 2020, dt.date(2016, 12, 31)) == 0.0
    assert elapsed_share(2017, 2020, dt.date(2018, 12, 31)) == pytest.approx(0.5, abs=0.001)
    assert elapsed_share(2018, 2018, dt.date(2018, 7, 2)) == pytest.approx(183 / 365)
    assert elapsed_share(2017, 2020, dt.date(2020, 12, 31)) == 1.0
    assert elapsed_share(2017, 2020, dt.date(2025, 1, 1)) == 1.0


def test_status_against_pace_with_thresholds() -> None:
    mid = dt.date(2018, 12, 31)  # half of 2017–2020 elapsed: 50 of 100 expected
    rows = [_row("A", 100, 100), _row("B", 100, 50), _row("C", 100, 40), _row("D", 100, 39), _row("E", 0, 3)]
    report = ProgressReport(rows, [])
    units, _ = standings(report, mid, Thresholds(on_track=1.0, warn=0.8))
    assert [s.status.label for s in units] == ["已完成", "正常", "稍慢", "滞后", "无目标"]
    assert [s.gap for s in units] == [0, 50, 60, 61, 0]
    assert units[1].expected == pytest.approx(50.0, abs=0.1)
    # Stricter thresholds turn the 40 into 滞后; a finished period turns any shortfall into 未完成.
    strict, _ = standings(report, mid, Thresholds(on_track=1.0, warn=0.9))
    assert strict[2].status.label == "滞后"
    over, _ = standings(report, dt.date(2021, 3, 1))
    assert over[1].status.label == "未完成" and over[0].status.label == "已完成"
    early, _ = standings(report, dt.date(2016, 6, 1))
    assert early[1].status.label == "未开始"


def test_lower_is_better_judgement() -> None:
    thresholds = Thresholds()
    assert judge(0.5, 0.6, thresholds, higher_is_better=False).label == "正常"
    assert judge(0.7, 0.6, thresholds, higher_is_better=False).label == "稍慢"
    assert judge(0.9, 0.6, thresholds, higher_is_better=False).label == "滞后"


def test_rank_and_rank_change_since_last_year() -> None:
    # Rates now: A 60%, B 50%, C 50%, D 10%; at the end of last year: C 40%, B 20%, D 10%, A 0%.
    rows = [_row("A", 10, 6, 0), _row("B", 10, 5, 2), _row("C", 20, 10, 8), _row("D", 10, 1, 1), _row("E", 0, 0, 0)]
    units, totals = standings(ProgressReport(rows, [_row("", 50, 22, 11)]), dt.date(2019, 6, 1))
    assert [s.rank for s in units] == [1, 2, 2, 4, None]
    assert [s.rank_before for s in units] == [4, 2, 1, 3, None]
    assert [s.rank_change for s in units] == [3, 0, -1, -1, None]
    assert totals[0].rank is None
    # A period that starts this year had no standing at the end of last year.
    fresh, _ = standings(ProgressReport([_row("A", 10, 1, 0, 2019, 2019)], []), dt.date(2019, 6, 1))
    assert fresh[0].rank == 1 and fresh[0].rank_change is None


def test_previous_year_done_comes_from_the_same_query(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        lishui = [_enterprise(session, "331102") for _ in range(3)]
        _enter(session, lishui[0], 2017)
        _enter(session, lishui[1], 2018)
        _enter(session, lishui[2], 2019)
        report = progress_by_unit(session, previous_year_end=2018, program_code="ZJTX_POOL")
    row = next(r for r in report.rows if r.unit_code == "331102" and r.start_year == 2017)
    assert (row.done, row.done_before) == (3, 2)
    total = next(t for t in report.totals if t.start_year == 2017)
    assert (total.done, total.done_before) == (3, 2)
    assert "done_before" not in row.as_dict()


def test_thresholds_are_a_setting(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        assert load_thresholds(session) == Thresholds(1.0, 0.8)
        save_thresholds(session, Thresholds(0.95, 0.7))
    with transaction(ctx.sessions) as session:
        assert load_thresholds(session) == Thresholds(0.95, 0.7)
        with pytest.raises(UserError, match="阈值"):
            save_thresholds(session, Thresholds(0.7, 0.9))
    with transaction(ctx.sessions) as session:
        assert load_thresholds(session) == Thresholds(0.95, 0.7)


def test_a_unit_without_a_target_and_a_program_without_entries(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        # 市本级 has no target in the annex: its entries count for no unit row and not in the 合计.
        city_firm = _enterprise(session, "331100")
        _enter(session, city_firm, 2018)
        report = progress_by_unit(session, previous_year_end=2018)
        detail = progress_detail(session, program_code="YXGJ_PROV_POOL", start_year=2017, end_year=2020)
    assert "331100" not in {row.unit_code for row in report.rows}
    total = next(t for t in report.totals if (t.program_code, t.start_year, t.end_year) == ("ZJTX_POOL", 2017, 2020))
    assert (total.target, total.done) == (900, 0)
    # No entries at all in the provincial hidden-champion pool: zeros everywhere, an empty drill-down.
    pool = [r for r in report.rows if r.program_code == "YXGJ_PROV_POOL"]
    assert pool and all(r.done == 0 and r.done_before == 0 for r in pool)
    assert detail.counted == [] and detail.not_counted == []
    units, _ = standings(report, dt.date(2019, 12, 31))
    pool_2018 = [s for s in units if s.row.program_code == "YXGJ_PROV_POOL" and s.row.start_year == 2018]
    assert {s.status.label for s in pool_2018} == {"未完成"} and {s.rank for s in pool_2018} == {1}
