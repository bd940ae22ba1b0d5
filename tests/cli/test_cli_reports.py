"""`report KIND --out FILE.pdf`: a PDF and one summary line, or one Chinese error line and no file."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from tests.cli.test_cli import assert_one_chinese_line, run
from tests.conftest import TestDatabase


def test_report_roster_and_progress(cli_db: TestDatabase, tmp_path: Path) -> None:
    db = cli_db
    assert run("--db", str(db), "init", "--demo", "200", "--seed", "3").returncode == 0
    roster = tmp_path / "名单.pdf"
    result = run("--db", str(db), "report", "roster", "--program", "省专精特新培育库", "--out", str(roster))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("已生成：") and "内容校验" in result.stdout
    assert "名单" in (PdfReader(str(roster)).pages[0].extract_text() or "")
    progress = tmp_path / "完成情况.pdf"
    assert run("--db", str(db), "report", "progress", "--year", "2018", "--out", str(progress)).returncode == 0
    assert progress.stat().st_size > 0


def test_report_refuses_bad_requests_with_one_line(cli_db: TestDatabase, tmp_path: Path) -> None:
    db = cli_db
    run("--db", str(db), "init")
    for args, code, words in (
        (["report", "roster", "--out", str(tmp_path / "a.pdf")], 1, "培育层级"),
        (["report", "roster", "--program", "ZJTX_POOL", "--out", str(tmp_path / "a.xlsx")], 2, ".pdf"),
        (["report", "progress", "--out", str(tmp_path / "missing" / "a.pdf")], 2, "文件夹不存在"),
        (["report", "progress", "--unit", "火星县", "--out", str(tmp_path / "a.pdf")], 1, "未知的单位"),
        (["report", "weekly", "--out", str(tmp_path / "a.pdf")], 2, ""),
    ):
        result = run("--db", str(db), *args)
        assert result.returncode == code, (args, result.stderr)
        assert_one_chinese_line(result)
        assert words in result.stderr
    assert not (tmp_path / "a.pdf").exists()
