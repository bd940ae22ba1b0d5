"""Model constraints a clerk would notice: unique codes, one annual row per year, versions, cascades."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise, HelpVisit


def _enterprise(uscc: str = "91331102MA2A0B1C4R", name: str = "丽水市宏达精密机械有限公司") -> Enterprise:
    return Enterprise(uscc=uscc, name=name, region_code="331102", industry_code="C34", scale_type="规下")


def test_uscc_is_unique(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        session.add(_enterprise())
    with pytest.raises(IntegrityError), transaction(ctx.sessions) as session:
        session.add(_enterprise(name="另一家公司"))


def test_unknown_unit_is_rejected_by_foreign_key(ctx: AppContext) -> None:
    with pytest.raises(IntegrityError), transaction(ctx.sessions) as session:
        session.add(Enterprise(uscc="91331102MA2A0B1C4R", name="无单位企业", region_code="999999"))


def test_one_annual_row_per_enterprise_and_year(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        enterprise = _enterprise()
        session.add(enterprise)
        session.flush()
        session.add(AnnualReport(enterprise_id=enterprise.id, year=2019, revenue=1234.5))
    with pytest.raises(IntegrityError), transaction(ctx.sessions) as session:
        session.add(AnnualReport(enterprise_id=enterprise.id, year=2019, revenue=1.0))


def test_timestamps_and_version_on_business_rows(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        enterprise = _enterprise()
        session.add(enterprise)
    assert enterprise.version == 1 and enterprise.created_at is not None
    with transaction(ctx.sessions) as session:
        row = session.get(Enterprise, enterprise.id)
        assert row is not None
        row.phone = "0578-2123456"
    with transaction(ctx.sessions) as session:
        row = session.get(Enterprise, enterprise.id)
        assert row is not None and row.version == 2 and row.updated_at >= row.created_at


def test_concurrent_edit_is_detected_not_overwritten(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        session.add(_enterprise())
    first, second = ctx.sessions(), ctx.sessions()
    try:
        # Two windows load the same record; each keeps what it loaded between transactions.
        a = first.scalars(select(Enterprise)).one()
        first.commit()
        b = second.scalars(select(Enterprise)).one()
        second.commit()
        a.contact_person = "张伟"
        first.commit()
        b.contact_person = "李娜"
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(Enterprise.contact_person)).one() == "张伟"


def test_purging_an_enterprise_takes_its_records(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        enterprise = _enterprise()
        session.add(enterprise)
        session.flush()
        session.add_all(
            [
                Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_POOL", year=2018),
                AnnualReport(enterprise_id=enterprise.id, year=2019),
                HelpVisit(enterprise_id=enterprise.id, visited_on=dt.date(2019, 3, 1), officer="王芳", kind="走访"),
            ]
        )
    with transaction(ctx.sessions) as session:
        session.delete(session.get(Enterprise, enterprise.id))
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(Cultivation)).all() == []
        assert session.scalars(select(AnnualReport)).all() == []
        assert session.scalars(select(HelpVisit)).all() == []
