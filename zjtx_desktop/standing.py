"""How each unit stands against its targets: expected pace, gap, a status with thresholds, rank and its change.

Pace is the share of the target period elapsed on the reference day, counted in days from 1 January
of the first year to 31 December of the last: on 1 July 2018 a 2017–2020 target is 37.5 % due.
A unit is on track when it has done at least its expected share; the thresholds (settings) say how far
below that still counts as "稍慢" rather than "滞后". The same judgement serves plan indicators, where
for some a lower value is better.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from zjtx_desktop.errors import UserError
from zjtx_desktop.progress import ProgressReport, ProgressRow
from zjtx_desktop.settings import get_setting, set_setting

THRESHOLDS_KEY = "progress.thresholds"
Tone = Literal["good", "warn", "bad", "neutral"]


@dataclass(frozen=True)
class Thresholds:
    """Ratios of actual to expected: at or above `on_track` is 正常, at or above `warn` is 稍慢, else 滞后."""

    on_track: float = 1.0
    warn: float = 0.8

    def check(self) -> Thresholds:
        if not (0 < self.warn <= self.on_track <= 2):
            raise UserError("状态阈值应满足 0 < “稍慢”下限 ≤ “正常”下限 ≤ 200%")
        return self


@dataclass(frozen=True)
class Status:
    code: str  # done / on_track / slow / behind / unfinished / not_started / no_target
    label: str
    tone: Tone


DONE = Status("done", "已完成", "good")
ON_TRACK = Status("on_track", "正常", "good")
SLOW = Status("slow", "稍慢", "warn")
BEHIND = Status("behind", "滞后", "bad")
UNFINISHED = Status("unfinished", "未完成", "bad")  # the period is over and the target was missed
NOT_STARTED = Status("not_started", "未开始", "neutral")
NO_TARGET = Status("no_target", "无目标", "neutral")
STATUS_EXPLANATION = (
    "状态：完成数达到目标为“已完成”；否则与按时间进度应完成数相比，"
    "达到“正常”下限为“正常”，达到“稍慢”下限为“稍慢”，更低为“滞后”；期间已结束仍未完成为“未完成”。"
)


def load_thresholds(session: Session) -> Thresholds:
    text = get_setting(session, THRESHOLDS_KEY)
    if not text:
        return Thresholds()
    try:
        data = json.loads(text)
        return Thresholds(float(data["on_track"]), float(data["warn"])).check()
    except (ValueError, KeyError, TypeError, UserError):
        return Thresholds()  # a damaged setting falls back to the defaults rather than breaking every screen


def save_thresholds(session: Session, thresholds: Thresholds) -> None:
    thresholds.check()
    set_setting(session, THRESHOLDS_KEY, json.dumps({"on_track": thresholds.on_track, "warn": thresholds.warn}))
    session.flush()


def elapsed_share(start_year: int, end_year: int, today: dt.date) -> float:
    """Share of the period [1 Jan start_year, 31 Dec end_year] elapsed by the end of `today`, 0–1."""
    first = dt.date(start_year, 1, 1)
    days = (dt.date(end_year, 12, 31) - first).days + 1
    return min(max(((today - first).days + 1) / days, 0.0), 1.0)


def judge(
    actual: float,
    expected: float,
    thresholds: Thresholds,
    *,
    higher_is_better: bool = True,
) -> Status:
    """正常 / 稍慢 / 滞后 for a value against what was expected by now."""
    if higher_is_better:
        ratio = actual / expected if expected > 0 else 1.0
    else:
        ratio = expected / actual if actual > 0 else 1.0
    if ratio >= thresholds.on_track:
        return ON_TRACK
    if ratio >= thresholds.warn:
        return SLOW
    return BEHIND


@dataclass(frozen=True)
class Standing:
    """One progress row with its pace, gap, status and rank among the units of the same target."""

    row: ProgressRow
    pace: float  # share of the period elapsed
    expected: float  # target × pace: what should be done by now
    gap: int  # still to do to reach the target (0 when reached)
    status: Status
    rank: int | None = None  # 1 = best rate; None for totals and units without a target
    rank_before: int | None = None  # rank at the end of the previous year
    previous_year: int | None = None

    @property
    def rank_change(self) -> int | None:
        """Places gained since the end of the previous year (negative: lost)."""
        if self.rank is None or self.rank_before is None:
            return None
        return self.rank_before - self.rank

    @property
    def behind_pace(self) -> bool:
        return self.status in (SLOW, BEHIND, UNFINISHED)


def status_of(row: ProgressRow, pace: float, thresholds: Thresholds) -> Status:
    if row.target <= 0:
        return NO_TARGET
    if row.done >= row.target:
        return DONE
    if pace >= 1.0:
        return UNFINISHED
    if pace <= 0.0:
        return NOT_STARTED
    return judge(row.done, row.target * pace, thresholds)


def _ranks(rows: list[ProgressRow], done_of: dict[int, int]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) by rate among rows with a target; keys are positions in `rows`."""
    rated = [(done_of[i] / row.target, i) for i, row in enumerate(rows) if row.target > 0]
    rated.sort(key=lambda item: -item[0])
    ranks: dict[int, int] = {}
    for place, (rate, index) in enumerate(rated, start=1):
        earlier = rated[place - 2] if place > 1 else None
        ranks[index] = ranks[earlier[1]] if earlier is not None and earlier[0] == rate else place
    return ranks


def standings(
    report: ProgressReport, today: dt.date, thresholds: Thresholds | None = None
) -> tuple[list[Standing], list[Standing]]:
    """(unit standings, total standings) in the report's order. Ranks are among the units of one
    program and period; the previous rank needs a report made with `previous_year_end`."""
    thresholds = thresholds or Thresholds()
    groups: dict[tuple[str, int, int], list[int]] = {}
    for index, row in enumerate(report.rows):
        groups.setdefault((row.program_code, row.start_year, row.end_year), []).append(index)
    rank_now: dict[int, int] = {}
    rank_before: dict[int, int] = {}
    previous_year = today.year - 1
    for (_, start_year, _), indexes in groups.items():
        rows = [report.rows[i] for i in indexes]
        now = _ranks(rows, {i: row.done for i, row in enumerate(rows)})
        rank_now.update({indexes[i]: rank for i, rank in now.items()})
        # Only a period that had already begun by the end of last year had a standing then.
        if previous_year >= start_year and all(row.done_before is not None for row in rows):
            before = _ranks(rows, {i: row.done_before or 0 for i, row in enumerate(rows)})
            rank_before.update({indexes[i]: rank for i, rank in before.items()})

    def standing(row: ProgressRow, index: int | None) -> Standing:
        pace = elapsed_share(row.start_year, row.end_year, today)
        return Standing(
            row,
            pace,
            row.target * pace,
            max(row.target - row.done, 0),
            status_of(row, pace, thresholds),
            rank_now.get(index) if index is not None else None,
            rank_before.get(index) if index is not None else None,
            previous_year,
        )

    return (
        [standing(row, index) for index, row in enumerate(report.rows)],
        [standing(total, None) for total in report.totals],
    )
