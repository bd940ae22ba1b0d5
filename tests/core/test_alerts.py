"""The dashboard's alert list on hand-made data: pace, overdue tasks, titles due for review, help items."""

from __future__ import annotations

import datetime as dt
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.alerts import dashboard_alerts, title_expires_on, titles_due
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import Cultivation, Enterprise, HelpVisit, PolicyTask, Target

_serial = count(1)


def _enterprise(session: Session, region: str = "331102") -> Enterprise:
    n = next(_serial)
    enterprise = Enterprise(
        uscc=uscc.make("9", "1", region, f"MA2C{n:04d}"), name=f"丽水预警{n}号泵业有限公司", region_code=region
    )
    session.add(enterprise)
    session.flush()
    return enterprise


def test_title_validity_runs_three_years_from_entry() -> None:
    assert title_expires_on(2022, dt.date(2022, 8, 15), 3) == dt.date(2025, 8, 14)
    assert title_expires_on(2022, None, 3) == dt.date(2024, 12, 31)
    assert title_expires_on(2020, dt.date(2020, 2, 29), 3) == dt.date(2023, 2, 27)


def test_titles_due_within_six_months_and_renewals(ctx: AppContext) -> None:
    today = dt.date(2025, 3, 1)
    with transaction(ctx.sessions) as session:
        soon, later, lapsed, renewed, exited, old_scheme = (_enterprise(session) for _ in range(6))
        session.add_all(
            [
                Cultivation(enterprise_id=soon.id, program_code="ZJTX_SME", year=2022, entered_on=dt.date(2022, 8, 1)),
                Cultivation(enterprise_id=later.id, program_code="ZJTX_SME", year=2023, entered_on=dt.date(2023, 8, 1)),
                Cultivation(enterprise_id=lapsed.id, program_code="CXX_SME", year=2021, status="已认定"),
                Cultivation(enterprise_id=renewed.id, program_code="CXX_SME", year=2021),
                Cultivation(enterprise_id=renewed.id, program_code="CXX_SME", year=2024),
                Cultivation(enterprise_id=exited.id, program_code="XJR", year=2022, status="已退出"),
                Cultivation(enterprise_id=old_scheme.id, program_code="ZJTX_POOL", year=2018),
            ]
        )
        session.flush()
        due = titles_due(session, today)
    assert [(t.enterprise_id, t.expires_on) for t in due] == [
        (lapsed.id, dt.date(2023, 12, 31)),
        (soon.id, dt.date(2025, 7, 31)),
    ]
    assert due[0].expired(today) and not due[1].expired(today)


def test_alerts_cover_pace_tasks_titles_and_help_items(ctx: AppContext) -> None:
    today = dt.date(2025, 6, 30)
    with transaction(ctx.sessions) as session:
        # A 2024–2026 round: 莲都 has done 2 of 10 halfway through (behind), 龙泉 5 of 10 (on track).
        session.add_all(
            [
                Target(region_code="331102", program_code="ZJTX_SME", start_year=2024, end_year=2026, count=10),
                Target(region_code="331181", program_code="ZJTX_SME", start_year=2024, end_year=2026, count=10),
            ]
        )
        for region, done in (("331102", 2), ("331181", 5)):
            for _ in range(done):
                enterprise = _enterprise(session, region)
                session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_SME", year=2024))
        task = session.scalars(select(PolicyTask).where(PolicyTask.number == 3)).one()
        task.deadline, task.status = dt.date(2025, 6, 1), "推进中"
        done_task = session.scalars(select(PolicyTask).where(PolicyTask.number == 4)).one()
        done_task.deadline, done_task.status = dt.date(2025, 1, 1), "已完成"
        visited = _enterprise(session, "331102")
        session.add_all(
            [
                HelpVisit(
                    enterprise_id=visited.id, visited_on=dt.date(2025, 3, 1), officer="王芳", kind="走访",
                    problem="用地指标不足\n需协调", deadline=dt.date(2025, 5, 1),
                ),
                HelpVisit(
                    enterprise_id=visited.id, visited_on=dt.date(2025, 3, 1), officer="王芳", kind="走访",
                    problem="融资", deadline=dt.date(2025, 5, 1), status="已办结",
                ),
            ]
        )  # fmt: skip
        session.flush()
        listed = dashboard_alerts(session, today)
        county = dashboard_alerts(session, today, unit_codes=["331181"]).alerts
        capped = dashboard_alerts(session, today, per_kind=0)
    alerts = listed.alerts
    assert listed.complete and listed.counts == {"behind": 1, "task": 1, "help": 1}
    assert capped.alerts == [] and capped.counts == listed.counts
    assert (
        capped.summary() == "进度滞后 1 项（列出前 0 项），督查任务 1 项（列出前 0 项），帮扶事项 1 项（列出前 0 项）"
    )
    kinds = [alert.kind for alert in alerts]
    assert kinds == sorted(kinds, key=["behind", "task", "title", "help"].index)
    behind = [a for a in alerts if a.kind == "behind"]
    assert [a.unit_code for a in behind] == ["331102"]
    assert "莲都区" in behind[0].text and "完成 2/10" in behind[0].text and "还差 8 家" in behind[0].text
    assert (behind[0].program_code, behind[0].start_year, behind[0].end_year) == ("ZJTX_SME", 2024, 2026)
    assert [a.text for a in alerts if a.kind == "task"] == [
        "任务3“加强小微企业园区建设管理”已超过完成时限（2025-06-01）"
    ]
    [help_item] = [a for a in alerts if a.kind == "help"]
    assert "用地指标不足" in help_item.text and "王芳" in help_item.text and help_item.enterprise_id == visited.id
    assert [a.kind for a in county if a.kind in ("behind", "help")] == []
