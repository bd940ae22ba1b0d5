"""Time stamps: stored as naive UTC (one meaning on every PC and server), shown in local time."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_time(stamp: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) stamp as the office clock shows it (naive local time)."""
    return stamp.replace(tzinfo=dt.UTC).astimezone().replace(tzinfo=None)


def format_local(stamp: dt.datetime | None, *, seconds: bool = False) -> str:
    if stamp is None:
        return ""
    return local_time(stamp).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
