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
from zjtx_desktop.progress import ProgressReport, progress_by_unit, resolve_program

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
