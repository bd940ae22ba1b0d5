"""Consistent copies of a SQLite database with the online backup API, verified by an integrity check."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from zjtx_desktop.errors import DatabaseError


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
