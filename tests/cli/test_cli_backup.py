"""`backup [--out FILE]` and `restore FILE`; an import backs up first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_chinese_line, run
from tests.corpus import county_list

# Backups and the instance lock work on the SQLite file; a server has its own tools (see test_cli_postgres).
pytestmark = pytest.mark.sqlite_file


def count(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM enterprise").fetchone()[0])


def test_backup_import_restore_round(tmp_path: Path) -> None:
    db = tmp_path / "z.sqlite3"
    assert run("--db", str(db), "init").returncode == 0
    saved = tmp_path / "手动备份.sqlite3"
    result = run("--db", str(db), "backup", "--out", str(saved))
    assert result.returncode == 0 and "已备份并校验" in result.stdout and saved.exists()
    imported = run("--db", str(db), "import", str(county_list(tmp_path / "名单.xlsx")))
    assert imported.returncode == 0, imported.stderr
    backups = sorted(p.name for p in (tmp_path / "backups").glob("*.sqlite3"))
    assert any("before-import" in name for name in backups)  # taken before the import wrote anything
    assert count(db) == 6
    restored = run("--db", str(db), "restore", str(saved))
    assert restored.returncode == 0, restored.stderr
    assert count(db) == 0 and "已另存为" in restored.stdout
    check = run("--db", str(db), "check")
    assert check.returncode == 0 and "审计记录校验链完整" in check.stdout
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT action FROM audit_entry ORDER BY id DESC LIMIT 1").fetchone() == ("restore",)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "z.sqlite3"
    run("--db", str(db), "init")
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("不是数据库", encoding="utf-8")
    before = db.read_bytes()
    result = run("--db", str(db), "restore", str(bogus))
    assert result.returncode == 1
    assert_one_chinese_line(result)
    assert db.read_bytes() == before
