"""Backups: verified copies, grandfather–father–son rotation, the day's first backup, exact restore."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from zjtx_desktop.accounts import attempt_login, create_first_admin
from zjtx_desktop.audit import record
from zjtx_desktop.backup import (
    backup_name,
    backups_folder,
    backups_to_keep,
    daily_backup,
    exit_backup,
    list_backups,
    restore_backup,
    take_backup,
)
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.errors import DatabaseError
from zjtx_desktop.models import Enterprise
from zjtx_desktop.passwords import KdfParameters


def enterprises(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM enterprise ORDER BY id")]


def add(ctx: AppContext, name: str, code: str) -> None:
    with transaction(ctx.sessions) as session:
        session.add(Enterprise(uscc=code, name=name, region_code="331102"))


def test_rotation_keeps_the_newest_of_each_recent_day_week_and_month(tmp_path: Path) -> None:
    database = tmp_path / "z.sqlite3"
    folder = backups_folder(database)
    folder.mkdir()
    start = dt.datetime(2025, 1, 1, 9, 0)
    for day in range(400):  # two backups a day for 400 days
        for hour in (9, 17):
            when = start + dt.timedelta(days=day, hours=hour - 9)
            (folder / backup_name("daily", when)).write_bytes(b"x")
    backups = list_backups(database)
    kept = sorted((b.taken for b in backups if b.path in backups_to_keep(backups)), reverse=True)
    newest = start + dt.timedelta(days=399, hours=8)
    assert kept[0] == newest
    days = {t.date() for t in kept}
    assert {newest.date() - dt.timedelta(days=n) for n in range(7)} <= days  # the last 7 days
    assert len({t.isocalendar()[:2] for t in kept}) >= 5
    assert len({(t.year, t.month) for t in kept}) == 12
    older = [t for t in kept if t < newest - dt.timedelta(hours=48)]
    assert all(t.hour == 17 for t in older)  # beyond two days: the newest of each day, week and month
    assert len([t for t in kept if t >= newest - dt.timedelta(hours=48)]) == 5  # 48 hours: every backup
    assert len(kept) <= 5 + 7 + 5 + 12


@pytest.mark.sqlite_file
def test_backups_are_verified_single_files_and_the_day_has_one_automatic_backup(ctx: AppContext, db_path: Path) -> None:
    path = take_backup(db_path, "manual")
    assert path.exists() and enterprises(path) == enterprises(db_path)
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(b.path.name for b in list_backups(db_path))
    first = daily_backup(db_path, dt.date.today())
    assert first is None  # the manual backup already covers today
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert daily_backup(db_path, tomorrow) is None  # nothing changed since: no copy of the same data
    assert exit_backup(db_path) is None
    # Signing in (and failing to) is recorded, but is no reason for another copy.
    with transaction(ctx.sessions) as session:
        create_first_admin(session, "system", "admin", "王丽", "Lishui-2026-zjtx", KdfParameters(n=2**10, p=1))
    assert exit_backup(db_path) is not None  # a new account is a change
    for password in ("wrong-one-1", "Lishui-2026-zjtx"):
        with transaction(ctx.sessions) as session:
            attempt_login(session, "admin", password)
    assert exit_backup(db_path) is None
    add(ctx, "丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R")
    with transaction(ctx.sessions) as session:
        record(session, "张科员", "create", "enterprise", "1")
    assert daily_backup(db_path, tomorrow) is not None
    assert exit_backup(db_path) is None  # the daily one has just copied the change


@pytest.mark.sqlite_file
def test_restore_is_exact_and_keeps_a_safety_copy(ctx: AppContext, db_path: Path) -> None:
    add(ctx, "丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R")
    backup = take_backup(db_path, "manual")
    add(ctx, "丽水市后来新增有限公司", "91331102MA2A0B1D2M")
    assert len(enterprises(db_path)) == 2
    ctx.close()
    safety = restore_backup(db_path, backup)
    assert enterprises(db_path) == ["丽水市宏达精密机械有限公司"]
    assert len(enterprises(safety)) == 2  # what was there before the restore is kept
    reopened = open_database(resolve_location(str(db_path)))
    reopened.close()


def test_restore_refuses_bad_files_and_changes_nothing(ctx: AppContext, db_path: Path, tmp_path: Path) -> None:
    add(ctx, "丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R")
    ctx.close()
    before = db_path.read_bytes()
    not_a_database = tmp_path / "note.sqlite3"
    not_a_database.write_text("这不是数据库", encoding="utf-8")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    for bad, words in ((tmp_path / "missing.sqlite3", "找不到"), (not_a_database, "无法读取"), (other, "不是本程序")):
        with pytest.raises(DatabaseError, match=words):
            restore_backup(db_path, bad)
    assert db_path.read_bytes() == before
    assert not any(b.reason == "before-restore" for b in list_backups(db_path))
