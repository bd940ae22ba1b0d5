"""The dashboard's alert list: units behind pace, overdue policy tasks, titles due for review, overdue help items.

Title validity (DOMAIN §5): a title of a program with a validity period (the 2022 scheme: 3 years)
runs from the entry date — or 1 January of the entry year when no date was recorded — for that many
years; it is due for review from six months before it lapses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zjtx_desktop.models import Cultivation, Enterprise, HelpVisit, PolicyTask, Program, Region
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.standing import Standing, Thresholds, standings

REVIEW_NOTICE_DAYS = 183  # about six months
HOLDING_STATUSES = ("培育中", "已认定")  # an entry that still holds its title
AlertKind = Literal["behind", "task", "title", "help"]
KIND_LABELS: dict[str, str] = {"behind": "进度滞后", "task": "督查任务", "title": "称号复核", "help": "帮扶事项"}


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    tone: Literal["bad", "warn"]
    text: str
    due: dt.date | None = None
    enterprise_id: int | None = None
    unit_code: str | None = None
    # For "behind": the progress cell it is about, so a click can drill down.
    program_code: str | None = None
    start_year: int | None = None
    end_year: int | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class AlertList:
    alerts: list[Alert]  # in kind order, possibly the first few of each kind
    counts: dict[str, int]  # kind → how many there are in all

    @property
    def complete(self) -> bool:
        return len(self.alerts) == sum(self.counts.values())

    def summary(self) -> str:
        """进度滞后 3 项，称号复核 18390 项（列出最紧急的 200 项）…"""
        shown = {kind: sum(1 for alert in self.alerts if alert.kind == kind) for kind in self.counts}
        parts = []
        for kind, total in self.counts.items():
            part = f"{KIND_LABELS[kind]} {total} 项"
            if shown[kind] < total:
                part += f"（列出前 {shown[kind]} 项）"
            parts.append(part)
        return "，".join(parts)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def title_expires_on(entry_year: int, entered_on: dt.date | None, validity_years: int) -> dt.date:
    start = entered_on or dt.date(entry_year, 1, 1)
    return add_years(start, validity_years) - dt.timedelta(days=1)


@dataclass(frozen=True)
class TitleDue:
    enterprise_id: int
    enterprise: str
    unit: str
    program: str
    year: int
    expires_on: dt.date

    def expired(self, today: dt.date) -> bool:
        return self.expires_on < today


def titles_due(
    session: Session, today: dt.date, *, within_days: int = REVIEW_NOTICE_DAYS, unit_codes: list[str] | None = None
) -> list[TitleDue]:
    """Titles that lapse within `within_days` or have lapsed without a newer entry in the same program.

    One query: a window picks each enterprise's latest holding entry per program (a re-recognition
    replaces the earlier title), and only entries that can lapse by the horizon come back — a title
    runs at least to 31 December of entry year + validity − 1.
    """
    horizon = today + dt.timedelta(days=within_days)
    latest = (
        select(
            Cultivation.enterprise_id,
            Cultivation.program_code,
            Cultivation.year,
            Cultivation.entered_on,
            func.row_number()
            .over(
                partition_by=(Cultivation.enterprise_id, Cultivation.program_code),
                order_by=(Cultivation.year.desc(), Cultivation.id.desc()),
            )
            .label("newest"),
        )
        .join(Program, Program.code == Cultivation.program_code)
        .where(Program.validity_years.is_not(None), Cultivation.status.in_(HOLDING_STATUSES))
        .subquery()
    )
    query = (
        select(latest.c.enterprise_id, Enterprise.name, Region.name, Program.name, latest.c.year, latest.c.entered_on)
        .select_from(latest)
        .join(Program, Program.code == latest.c.program_code)
        .join(Enterprise, Enterprise.id == latest.c.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(
            latest.c.newest == 1,
            Enterprise.deleted_at.is_(None),
            latest.c.year + Program.validity_years - 1 <= horizon.year,
        )
    )
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    validity = {name: years for name, years in session.execute(select(Program.name, Program.validity_years))}
    due: list[TitleDue] = []
    for enterprise_id, name, unit, program, year, entered_on in session.execute(query):
        expires = title_expires_on(year, entered_on, validity[program] or 0)
        if expires <= horizon:
            due.append(TitleDue(enterprise_id, name, unit, program, year, expires))
    return sorted(due, key=lambda t: (t.expires_on, t.enterprise))


def dashboard_alerts(
    session: Session,
    today: dt.date,
    *,
    unit_codes: list[str] | None = None,
    thresholds: Thresholds | None = None,
    unit_standings: list[Standing] | None = None,
    per_kind: int | None = None,
) -> AlertList:
    """Everything that needs attention, most urgent kinds first; with `per_kind`, only that many of each
    kind are listed (the counts stay whole). `unit_standings` saves counting the progress again when
    the caller has it already (for the same units and day)."""
    if unit_standings is None:
        unit_standings, _ = standings(progress_by_unit(session, unit_codes=unit_codes), today, thresholds)
    alerts = _behind(unit_standings, today)
    alerts += _tasks(session, today)
    for title in titles_due(session, today, unit_codes=unit_codes):
        state = "已过期，待复核" if title.expired(today) else "即将到期，请安排复核"
        alerts.append(
            Alert(
                "title",
                "bad" if title.expired(today) else "warn",
                f"{title.enterprise}（{title.unit}）“{title.program}”称号{title.expires_on.isoformat()}到期，{state}",
                title.expires_on,
                title.enterprise_id,
            )
        )
    alerts += _help_items(session, today, unit_codes)
    counts: dict[str, int] = {}
    listed: list[Alert] = []
    for alert in alerts:
        counts[alert.kind] = counts.get(alert.kind, 0) + 1
        if per_kind is None or counts[alert.kind] <= per_kind:
            listed.append(alert)
    return AlertList(listed, counts)


def _periods_to_watch(periods: set[tuple[int, int]], today: dt.date) -> set[tuple[int, int]]:
    """The periods under way; when none is, those that ended most recently."""
    active = {p for p in periods if p[0] <= today.year <= p[1]}
    ended = [end for _, end in periods if end < today.year]
    if active or not ended:
        return active
    return {p for p in periods if p[1] == max(ended)}


def _behind(units: list[Standing], today: dt.date) -> list[Alert]:
    """Units behind pace in the periods under way (or, when none is, those that ended last)."""
    periods = _periods_to_watch({(item.row.start_year, item.row.end_year) for item in units}, today)
    alerts: list[Alert] = []
    for item in units:
        row = item.row
        if (row.start_year, row.end_year) not in periods or not item.behind_pace:
            continue
        rate = f"{(row.rate or 0) * 100:.0f}%"
        pace = f"{item.pace * 100:.0f}%"
        text = (
            f"{row.unit}“{row.program}”（{row.period_label}）{item.status.label}：完成 {row.done}/{row.target}（{rate}），"
            + (f"时间进度 {pace}，还差 {item.gap} 家" if item.pace < 1 else f"还差 {item.gap} 家")
        )
        alerts.append(
            Alert(
                "behind",
                "warn" if item.status.tone == "warn" else "bad",
                text,
                dt.date(row.end_year, 12, 31),
                None,
                row.unit_code,
                row.program_code,
                row.start_year,
                row.end_year,
            )
        )
    return alerts


def _tasks(session: Session, today: dt.date) -> list[Alert]:
    tasks = session.scalars(
        select(PolicyTask)
        .where(
            PolicyTask.status != "已完成",
            or_(PolicyTask.status == "滞后", PolicyTask.deadline < today),
        )
        .order_by(PolicyTask.number)
    )
    alerts: list[Alert] = []
    for task in tasks:
        overdue = task.deadline is not None and task.deadline < today
        reason = f"已超过完成时限（{task.deadline.isoformat()}）" if overdue and task.deadline else "状态为滞后"
        alerts.append(Alert("task", "bad", f"任务{task.number}“{task.title}”{reason}", task.deadline))
    return alerts


def _help_items(session: Session, today: dt.date, unit_codes: list[str] | None) -> list[Alert]:
    query = (
        select(
            HelpVisit.enterprise_id,
            HelpVisit.problem,
            HelpVisit.deadline,
            HelpVisit.officer,
            Enterprise.name,
            Region.name,
        )
        .join(Enterprise, Enterprise.id == HelpVisit.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(
            HelpVisit.status != "已办结",
            HelpVisit.deadline.is_not(None),
            HelpVisit.deadline < today,
            Enterprise.deleted_at.is_(None),
        )
        .order_by(HelpVisit.deadline)
    )
    if unit_codes is not None:
        query = query.where(Enterprise.region_code.in_(unit_codes))
    alerts: list[Alert] = []
    for enterprise_id, problem_text, deadline, officer, name, unit in session.execute(query):
        problem = ((problem_text or "").strip().splitlines() or ["帮扶事项"])[0][:30]
        alerts.append(
            Alert(
                "help",
                "warn",
                f"{name}（{unit}）“{problem}”办理时限 {deadline.isoformat() if deadline else ''} 已过，联系干部 {officer}",
                deadline,
                enterprise_id,
            )
        )
    return alerts
