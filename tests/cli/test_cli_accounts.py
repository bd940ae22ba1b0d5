"""`reset-password USER`: the way back in when the only administrator forgot the password, as the local
system identity (audited), with the new password required at the next sign-in."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from tests.cli.test_cli import ROOT, assert_one_chinese_line, run
from tests.conftest import TestDatabase
from zjtx_desktop.accounts import attempt_login, create_first_admin
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.models import AuditEntry
from zjtx_desktop.passwords import KdfParameters

FAST = KdfParameters(n=2**10)


def reset(db: TestDatabase, user: str, typed: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--db", str(db), "reset-password", user],
        cwd=ROOT,
        input=typed + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=300,
    )


def test_a_forgotten_administrator_password_is_reset_from_the_command_line(cli_db: TestDatabase) -> None:
    db = cli_db
    assert run("--db", str(db), "init").returncode == 0
    ctx = open_database(resolve_location(str(db)))
    try:
        with transaction(ctx.sessions) as session:
            create_first_admin(session, ctx.actor, "admin", "王丽", "forgotten-2025", FAST)
            for n in range(5):  # and locked out, too
                attempt_login(session, "admin", f"guess-{n}-xx", params=FAST)
    finally:
        ctx.close()

    result = reset(db, "ADMIN", "Temporary-2026")
    assert result.returncode == 0, result.stderr
    assert "下次登录时须设置新密码" in result.stdout

    ctx = open_database(resolve_location(str(db)))
    try:
        with transaction(ctx.sessions) as session:
            signed = attempt_login(session, "admin", "Temporary-2026", params=FAST)
            entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reset_password")).one()
    finally:
        ctx.close()
    assert signed.principal is not None and signed.must_change_password
    assert entry.actor.startswith("system:")


def test_unknown_user_and_weak_password_change_nothing(cli_db: TestDatabase) -> None:
    db = cli_db
    assert run("--db", str(db), "init").returncode == 0
    unknown = reset(db, "nobody", "Temporary-2026")
    assert unknown.returncode == 1
    assert_one_chinese_line(unknown)
    assert "nobody" in unknown.stderr

    ctx = open_database(resolve_location(str(db)))
    try:
        with transaction(ctx.sessions) as session:
            create_first_admin(session, ctx.actor, "admin", "王丽", "remembered-2025", FAST)
    finally:
        ctx.close()
    weak = reset(db, "admin", "short")
    assert weak.returncode != 0
    assert_one_chinese_line(weak)
    ctx = open_database(resolve_location(str(db)))
    try:
        with transaction(ctx.sessions) as session:
            assert attempt_login(session, "admin", "remembered-2025", params=FAST).principal is not None
    finally:
        ctx.close()
