"""`main.py report profile|monitoring|supervision` through a subprocess: a PDF, or one Chinese line and exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TestDatabase

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_db(database_factory: Callable[[], TestDatabase]) -> TestDatabase:
    db = database_factory()
    created = run("--db", str(db), "init", "--demo", "60", "--seed", "3")
    assert created.returncode == 0, created.stderr
    return db


def test_profile_report_writes_a_pdf(demo_db: TestDatabase, tmp_path: Path) -> None:
    code = demo_db.scalar(
        "SELECT e.uscc FROM enterprise e JOIN cultivation c ON c.enterprise_id = e.id ORDER BY e.id LIMIT 1"
    )
    assert isinstance(code, str)
    out = tmp_path / "档案.pdf"
    result = run("--db", str(demo_db), "report", "profile", "--enterprise", code, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert "已生成" in result.stdout and "企业档案" in result.stdout


def test_profile_without_an_enterprise_is_one_chinese_line(demo_db: TestDatabase, tmp_path: Path) -> None:
    out = tmp_path / "档案.pdf"
    result = run("--db", str(demo_db), "report", "profile", "--out", str(out))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and "--enterprise" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("kind", ["monitoring", "supervision"])
def test_monitoring_and_supervision_reports(demo_db: TestDatabase, tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.pdf"
    result = run("--db", str(demo_db), "report", kind, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
