"""What only a PostgreSQL server can show (skipped unless ZJTX_TEST_PG_URL names one)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from zjtx_desktop.audit import check_audit_chain, record
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location
from zjtx_desktop.health import run_checks
from zjtx_desktop.migrations import head_revision, migration_state

pytestmark = pytest.mark.postgres


def test_a_fresh_server_database_migrates_to_head_and_checks_clean(pg_url: str) -> None:
    location = resolve_location(pg_url)
    assert location.sqlite_path is None
    assert migration_state(location).current == head_revision()
    report = run_checks(location)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("UPDATE audit_entry SET actor = 'someone else'", "不能修改"),
        ("DELETE FROM audit_entry", "不能删除"),
        ("TRUNCATE audit_entry", "不能删除"),
    ],
)
def test_the_audit_trail_is_append_only_on_the_server(pg_url: str, statement: str, words: str) -> None:
    ctx = open_database(resolve_location(pg_url), actor="测试员")
    with ctx.sessions.begin() as session:
        record(session, ctx.actor, "create", "setting", "probe", after={"value": 1})
    ctx.close()
    engine = create_engine(pg_url)
    try:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() >= 1
        with pytest.raises(DBAPIError, match=words), engine.begin() as connection:
            connection.execute(text(statement))
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() >= 1
    finally:
        engine.dispose()


def test_clients_writing_at_once_keep_one_unbroken_audit_chain(pg_url: str) -> None:
    """Each client's transaction reads the chain's head under a server lock, so none chains onto a stale head."""
    clients, rounds = 4, 15
    contexts = [open_database(resolve_location(pg_url), actor=f"客户端{n}") for n in range(clients)]
    start = threading.Barrier(clients)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                with contexts[n].sessions.begin() as session:
                    record(session, contexts[n].actor, "update", "setting", f"{n}-{i}", after={"round": i})
                    record(session, contexts[n].actor, "update", "setting", f"{n}-{i}b", after={"round": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    try:
        assert not failures, failures
        with contexts[0].sessions() as session:
            chain = check_audit_chain(session)
        assert chain.ok, chain.problems[:5]
        assert chain.entries >= clients * rounds * 2
    finally:
        for context in contexts:
            context.close()


def test_check_reports_missing_audit_guards_on_the_server(pg_url: str) -> None:
    assert "审计记录防篡改触发器齐全（服务器）" in run_checks(resolve_location(pg_url)).passed
    engine = create_engine(pg_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER audit_entry_append_only_row ON audit_entry"))
    finally:
        engine.dispose()
    report = run_checks(resolve_location(pg_url))
    assert any("防篡改触发器缺失" in problem for problem in report.problems), report.problems
