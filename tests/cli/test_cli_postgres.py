"""The command-line contract against a PostgreSQL server (skipped unless ZJTX_TEST_PG_URL names one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_chinese_line, run

pytestmark = pytest.mark.postgres


def test_init_demo_check_progress_export_import_and_report(pg_url: str, tmp_path: Path) -> None:
    created = run("--db", pg_url, "init", "--demo", "60", "--seed", "3")
    assert created.returncode == 0, created.stderr
    assert "已生成演示数据：60 家企业" in created.stdout

    checked = run("--db", pg_url, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "未发现问题" in checked.stdout

    progress = json.loads(run("--db", pg_url, "progress", "--json").stdout)
    assert progress["rows"] and any(row["done"] for row in progress["rows"])

    package = tmp_path / "package.xlsx"
    exported = run("--db", pg_url, "export", "package", "--out", str(package))
    assert exported.returncode == 0, exported.stderr

    roster = tmp_path / "roster.pdf"
    reported = run("--db", pg_url, "report", "roster", "--program", "ZJTX_SME", "--out", str(roster))
    assert reported.returncode == 0, reported.stderr
    assert roster.stat().st_size > 1000

    # The package back into the database it came from: everything is already there.
    again = run("--db", pg_url, "import", str(package), "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["committed"] and summary["created"] == 0 and summary["rejected"] == 0


def test_import_into_an_empty_server_database(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "source.sqlite3"
    assert run("--db", str(source), "init", "--demo", "40", "--seed", "5").returncode == 0
    package = tmp_path / "package.xlsx"
    assert run("--db", str(source), "export", "package", "--out", str(package)).returncode == 0

    imported = run("--db", pg_url, "import", str(package), "--json")
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert summary["committed"] and summary["created"] > 40 and summary["rejected"] == 0

    ours = json.loads(run("--db", pg_url, "progress", "--json").stdout)
    theirs = json.loads(run("--db", str(source), "progress", "--json").stdout)
    assert ours == theirs


def test_backup_and_restore_name_the_servers_own_tools(pg_url: str, tmp_path: Path) -> None:
    for args in (["backup", "--out", str(tmp_path / "b.sqlite3")], ["restore", str(tmp_path / "b.sqlite3")]):
        result = run("--db", pg_url, *args)
        assert result.returncode == 1
        assert_one_chinese_line(result)
        assert "pg_dump" in result.stderr or "pg_restore" in result.stderr
    assert not (tmp_path / "b.sqlite3").exists()
