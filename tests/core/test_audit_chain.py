"""The audit trail is append-only and hash-chained: every way of writing it keeps the chain, tampering shows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.corpus import county_list
from zjtx_desktop.audit import check_audit_chain, record
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.exchange.importer import commit_plan, plan_import, undo_batch
from zjtx_desktop.health import run_checks
from zjtx_desktop.models import AuditEntry
from zjtx_desktop.registry import create_enterprise, get_enterprise, update_enterprise


def fill(ctx: AppContext, tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        created = create_enterprise(
            session,
            "张科员",
            {"name": "丽水市宏达精密机械有限公司", "uscc": "91331102MA2A0B1C4R", "region_code": "331102"},
        )
    with transaction(ctx.sessions) as session:
        stored = get_enterprise(session, created.id)
        update_enterprise(session, "李科长", created.id, stored.version, {**stored.values, "employees": 120})
    with transaction(ctx.sessions) as session:
        result = commit_plan(session, "张科员", plan_import(session, county_list(tmp_path / "名单.xlsx")))
    with transaction(ctx.sessions) as session:
        undo_batch(session, "张科员", result.batch_id)  # type: ignore[arg-type]


def test_every_writer_keeps_one_unbroken_chain(ctx: AppContext, tmp_path: Path) -> None:
    fill(ctx, tmp_path)
    with transaction(ctx.sessions) as session:
        # A rolled-back savepoint leaves no gap: the next entry chains to the last one that stayed.
        with pytest.raises(RuntimeError), session.begin_nested():
            record(session, "王", "update", "setting", "x")
            session.flush()
            raise RuntimeError("changed my mind")
        record(session, "王", "update", "setting", "y")
    with ctx.sessions() as session:
        chain = check_audit_chain(session)
        stored = session.scalar(select(func.count()).select_from(AuditEntry))
        first = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
    assert chain.ok, chain.problems
    assert chain.entries == stored and stored > 10  # the create, the update, the import's rows, the undo …
    assert first is not None and first.prev_hash == "0" * 64


@pytest.mark.sqlite_file
def test_entries_cannot_be_changed_or_deleted(ctx: AppContext, db_path: Path, tmp_path: Path) -> None:
    fill(ctx, tmp_path)
    with sqlite3.connect(db_path) as connection:
        with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
            connection.execute("UPDATE audit_entry SET actor = '某人' WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
            connection.execute("DELETE FROM audit_entry WHERE id = 2")


@pytest.mark.sqlite_file
@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        ("UPDATE audit_entry SET after = json_set(after, '$.employees', 999) WHERE id = 2", "内容与其校验值不符"),
        ("DELETE FROM audit_entry WHERE id = 2", "接不上"),
    ],
)
def test_check_finds_a_tampered_trail(ctx: AppContext, db_path: Path, tmp_path: Path, tamper: str, words: str) -> None:
    fill(ctx, tmp_path)
    assert run_checks(ctx.location).ok
    ctx.close()
    with sqlite3.connect(db_path) as connection:
        # Someone with the file and a SQLite tool removes the guard and edits the past.
        connection.execute("DROP TRIGGER audit_entry_append_only_update")
        connection.execute("DROP TRIGGER audit_entry_append_only_delete")
        connection.execute(tamper)
    report = run_checks(ctx.location)
    assert not report.ok
    assert any("审计记录" in problem and words in problem for problem in report.problems), report.problems


@pytest.mark.sqlite_file
def test_upgrading_an_older_database_chains_its_existing_entries(
    ctx: AppContext, db_path: Path, tmp_path: Path
) -> None:
    from zjtx_desktop.context import open_database
    from zjtx_desktop.database import resolve_location

    fill(ctx, tmp_path)
    ctx.close()
    with sqlite3.connect(db_path) as connection:
        # The database as version 0003 left it: no triggers, no hashes.
        connection.execute("DROP TRIGGER audit_entry_append_only_update")
        connection.execute("DROP TRIGGER audit_entry_append_only_delete")
        connection.execute("UPDATE audit_entry SET prev_hash = NULL, hash = NULL")
        for column in ("must_change_password", "password_changed_at", "last_login_at", "last_failed_at"):
            connection.execute(f"ALTER TABLE user_account DROP COLUMN {column}")  # added by 0005
        connection.execute("UPDATE alembic_version SET version_num = '0003'")
    upgraded = open_database(resolve_location(str(db_path)))
    try:
        with upgraded.sessions() as session:
            chain = check_audit_chain(session)
    finally:
        upgraded.close()
    assert upgraded.upgrade_result is not None and upgraded.upgrade_result.before == "0003"
    assert chain.ok and chain.entries > 10
    with sqlite3.connect(db_path) as connection, pytest.raises(sqlite3.DatabaseError, match="只能追加"):
        connection.execute("DELETE FROM audit_entry WHERE id = 1")
