"""While another instance has the database, `restore`, `import` and `init` are refused; read-only commands still run."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_chinese_line, run
from tests.corpus import county_list

SINCE = "2024-05-06T08:30:00+08:00"

# Backups and the instance lock work on the SQLite file; a server has its own tools (see test_cli_postgres).
pytestmark = pytest.mark.sqlite_file


def hold(db: Path, pid: int) -> Path:
    """A lock as the GUI of process `pid` on this computer writes it."""
    path = db.with_name(db.name + ".lock")
    record = {
        "format": 1,
        "pid": pid,
        "host": socket.gethostname(),
        "user": "张三",
        "program": "ZJTX Desktop",
        "version": "0.1.0",
        "purpose": "图形界面",
        "started": SINCE,
        "process_started": None,
        "token": "the-gui",
    }
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


def count(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM enterprise").fetchone()[0])


def backups(folder: Path) -> list[str]:
    return sorted(path.name for path in (folder / "backups").glob("*.sqlite3"))


def assert_refused(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stderr
    assert_one_chinese_line(result)
    message = result.stderr
    # Who holds it, and since when, so the clerk knows which window to close.
    assert "另一个程序实例" in message and f"计算机“{socket.gethostname()}”" in message
    since = dt.datetime.fromisoformat(SINCE).astimezone()  # shown in the computer's own time
    assert "张三" in message and f"进程 {os.getpid()}" in message and f"自 {since:%Y-%m-%d %H:%M} 起" in message


def test_a_running_instance_keeps_writing_commands_out_until_it_is_gone(tmp_path: Path) -> None:
    db = tmp_path / "z.sqlite3"
    assert run("--db", str(db), "init").returncode == 0
    saved = tmp_path / "备份.sqlite3"
    assert run("--db", str(db), "backup", "--out", str(saved)).returncode == 0
    workbook = county_list(tmp_path / "名单.xlsx")
    lock = hold(db, os.getpid())  # this test process is alive: it stands for an open GUI
    before, kept = db.read_bytes(), backups(tmp_path)

    assert_refused(run("--db", str(db), "restore", str(saved)))
    refused_import = run("--db", str(db), "import", str(workbook), "--json")
    assert_refused(refused_import)
    assert refused_import.stdout == ""
    assert_refused(run("--db", str(db), "init", "--demo", "5"))
    assert db.read_bytes() == before and backups(tmp_path) == kept  # not even a safety copy was taken
    assert json.loads(lock.read_text(encoding="utf-8"))["token"] == "the-gui"  # the holder's lock is untouched

    # Reading is fine meanwhile: the figures, a dry run of the import, a backup.
    progress = run("--db", str(db), "progress", "--json")
    assert progress.returncode == 0 and json.loads(progress.stdout)["rows"]
    dry = run("--db", str(db), "import", str(workbook), "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["created"] == 6 and not json.loads(dry.stdout)["committed"]
    assert run("--db", str(db), "backup").returncode == 0
    assert count(db) == 0

    # The holder has gone (it ended without releasing, as after a crash): the commands proceed.
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    hold(db, int(ended.stdout))
    imported = run("--db", str(db), "import", str(workbook), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["committed"] and count(db) == 6
    assert "已替换过期的锁文件" in imported.stderr
    assert not lock.exists()  # released when the import finished
    restored = run("--db", str(db), "restore", str(saved))
    assert restored.returncode == 0, restored.stderr
    assert count(db) == 0 and not lock.exists()


def test_init_of_a_new_database_takes_the_lock_in_a_new_folder(tmp_path: Path) -> None:
    db = tmp_path / "新建" / "z.sqlite3"
    created = run("--db", str(db), "init")
    assert created.returncode == 0, created.stderr
    assert db.exists() and not db.with_name("z.sqlite3.lock").exists()
    # A restore onto a database that does not exist says so, without leaving a lock file behind.
    missing = tmp_path / "没有" / "z.sqlite3"
    result = run("--db", str(missing), "restore", str(db))
    assert result.returncode == 1 and "不存在" in result.stderr
    assert not missing.parent.exists()
