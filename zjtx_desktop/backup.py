"""Consistent copies of a SQLite database with the online backup API, verified by an integrity check."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zjtx_desktop.errors import DatabaseError

ProgressFn = Callable[[int, int, str], None]  # (done, total, message)
RESTORE_STEP_PAGES = 256  # pages copied between two progress reports (1 MB at SQLite's default page size)


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` reports for a SQLite file ([] when it is sound)."""
    connection = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    messages = [str(row[0]) for row in rows]
    return [] if messages == ["ok"] else messages


def backup_sqlite(source: Path, destination: Path) -> Path:
    """Copy source to destination page by page (safe while others use it), then verify the copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source.as_posix()}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
        # The copy is a single self-contained file: no -wal/-shm beside it (the source runs in WAL mode).
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    problems = integrity_problems(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"备份文件校验失败：{problems[0]}")
    partial.replace(destination)
    return destination


def backup_name(reason: str, when: dt.datetime | None = None) -> str:
    stamp = (when or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"zjtx-{stamp}-{reason}.sqlite3"


def backups_folder(database: Path) -> Path:
    return database.parent / "backups"


# --- the backups folder: automatic backups, rotation, restore -------------------------------------

KEEP_ALL_HOURS = 48  # every backup of the last two days (before an import, before a restore …)
KEEP_DAILY = 7  # then the newest backup of each of the last 7 days with one
KEEP_WEEKLY = 5  # … of each of the last 5 ISO weeks
KEEP_MONTHLY = 12  # … of each of the last 12 months
_NAME = re.compile(r"^zjtx-(\d{8})-(\d{6})-(.+)\.sqlite3$")


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken: dt.datetime  # local time, from the name
    reason: str  # daily / start / exit / before-import / before-restore / manual / before-upgrade-0003 …
    size: int

    @property
    def reason_label(self) -> str:
        labels = {
            "daily": "每日自动",
            "start": "启动时",
            "exit": "退出时",
            "before-import": "导入前",
            "before-restore": "恢复前",
            "manual": "手动",
        }
        if self.reason.startswith("before-upgrade"):
            return "升级前"
        return labels.get(self.reason, self.reason)


def list_backups(database: Path) -> list[BackupFile]:
    """The backups in the database's backups folder, newest first."""
    folder = backups_folder(database)
    found: list[BackupFile] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match is None or not path.is_file():
            continue
        taken = dt.datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S")
        found.append(BackupFile(path, taken, match[3], path.stat().st_size))
    return sorted(found, key=lambda b: (b.taken, b.path.name), reverse=True)


def backups_to_keep(backups: list[BackupFile]) -> set[Path]:
    """Every backup of the last two days, then grandfather–father–son: the newest backup of each recent
    day, week and month."""
    keep: set[Path] = set()
    if backups:
        recent = backups[0].taken - dt.timedelta(hours=KEEP_ALL_HOURS)
        keep |= {b.path for b in backups if b.taken >= recent}
    for period, count in (
        (lambda b: b.taken.date(), KEEP_DAILY),
        (lambda b: b.taken.isocalendar()[:2], KEEP_WEEKLY),
        (lambda b: (b.taken.year, b.taken.month), KEEP_MONTHLY),
    ):
        seen: list[object] = []
        for backup in backups:  # newest first
            key = period(backup)
            if key in seen:
                continue
            seen.append(key)
            if len(seen) > count:
                break
            keep.add(backup.path)
    if backups:
        keep.add(backups[0].path)
    return keep


def rotate_backups(database: Path, protect: Path | None = None) -> list[Path]:
    """Delete the backups the rotation no longer keeps (and leftovers of interrupted ones); returns what was
    deleted."""
    for leftover in backups_folder(database).glob("*.partial*"):
        leftover.unlink(missing_ok=True)
    backups = list_backups(database)
    keep = backups_to_keep(backups) | ({protect} if protect is not None else set())
    removed = []
    for backup in backups:
        if backup.path not in keep:
            backup.path.unlink(missing_ok=True)
            removed.append(backup.path)
    return removed


def take_backup(database: Path, reason: str, when: dt.datetime | None = None) -> Path:
    """A verified backup into the backups folder, then rotation."""
    path = backup_sqlite(database, backups_folder(database) / backup_name(reason, when))
    rotate_backups(database, protect=path)
    return path


SIGN_IN_ACTIONS = ("login", "login_failed", "lock")


def changed_since_last_backup(database: Path) -> bool:
    """Whether anything was written after the newest backup (every write leaves an audit entry), so that
    an unchanged database is not copied again and again."""
    backups = list_backups(database)
    if not backups:
        return True
    # The file's time, not its name's: names have whole seconds, audit stamps microseconds (UTC).
    latest = max(backup.path.stat().st_mtime for backup in backups)
    newest = dt.datetime.fromtimestamp(latest, dt.UTC).replace(tzinfo=None)
    connection = sqlite3.connect(f"file:{database.as_posix()}?mode=ro", uri=True)
    try:
        # Signing in leaves entries too, but changes no data worth another copy of the database.
        last = connection.execute(
            "SELECT max(at) FROM audit_entry WHERE NOT (entity = 'user_account' AND action IN (?, ?, ?))",
            SIGN_IN_ACTIONS,
        ).fetchone()[0]
    except sqlite3.DatabaseError:
        return True
    finally:
        connection.close()
    return last is not None and dt.datetime.fromisoformat(str(last)) > newest


def daily_backup(database: Path, today: dt.date | None = None) -> Path | None:
    """Once a day (the first start of the day): a backup, unless one was taken today or nothing has
    changed since the last one."""
    today = today or dt.date.today()
    if any(b.taken.date() == today for b in list_backups(database)) or not changed_since_last_backup(database):
        return None
    return take_backup(database, "daily")


def exit_backup(database: Path | None) -> Path | None:
    """On leaving the program: a backup when this session (or anyone since the last backup) wrote."""
    if database is None or not database.is_file() or not changed_since_last_backup(database):
        return None
    return take_backup(database, "exit")


def restore_backup(database: Path, backup: Path, *, progress: ProgressFn | None = None) -> Path:
    """Replace the database's content with a backup's, keeping a safety copy of the current state first.

    The backup is checked before anything changes; the copy goes through the online backup API into
    the live file, so its WAL and other connections stay consistent. SQLite holds one write transaction
    on the database across all the copy's steps and commits it after the last page: a crash or power
    cut mid-way leaves the database as it was (the uncommitted pages in its WAL are ignored when it is
    next opened). `progress` hears (pages copied, pages in all, message). Returns the safety copy.
    """
    report = progress or (lambda done, total, message: None)
    if not backup.is_file():
        raise DatabaseError(f"找不到备份文件：{backup}")
    report(0, 0, "正在校验备份文件…")
    try:
        problems = integrity_problems(backup)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"备份文件无法读取（不是有效的数据库或已损坏）：{backup.name}") from exc
    if problems:
        raise DatabaseError(f"备份文件已损坏，不能用于恢复：{problems[0]}")
    probe = sqlite3.connect(f"file:{backup.as_posix()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        probe.close()
    if not {"alembic_version", "enterprise", "audit_entry"} <= tables:
        raise DatabaseError(f"该文件不是本程序的数据库备份：{backup.name}")
    report(0, 0, "正在保存当前数据库的安全副本…")
    safety = take_backup(database, "before-restore")

    def copied(_status: int, remaining: int, total: int) -> None:
        report(total - remaining, total, "正在恢复数据库…")

    src = sqlite3.connect(f"file:{backup.as_posix()}?mode=ro", uri=True)
    dst = sqlite3.connect(database)
    try:
        dst.execute("PRAGMA synchronous=FULL")  # the commit that completes the restore survives a power cut
        src.backup(dst, pages=RESTORE_STEP_PAGES, progress=copied)
    finally:
        dst.close()
        src.close()
    return safety


def backup_before(sqlite_path: Path | None, reason: str) -> Path | None:
    """A backup before risky work (an import, a restore); nothing for a server database (its own tools)."""
    if sqlite_path is None or not sqlite_path.is_file():
        return None
    return take_backup(sqlite_path, reason)
