"""What only a PostgreSQL server can show (skipped unless ZJTX_TEST_PG_URL names one)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from zjtx_desktop.audit import check_audit_chain, record
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.health import run_checks
from zjtx_desktop.migrations import head_revision, migration_state
from zjtx_desktop.models import Enterprise
from zjtx_desktop.registry import VersionConflict, create_enterprise, get_enterprise, update_enterprise

pytestmark = pytest.mark.postgres


def behind_the_programs_back(url: str, *statements: str) -> None:
    """What a database administrator (or an intruder) might do directly on the server, in one transaction."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


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


def test_a_save_overtaken_between_its_version_check_and_its_update_is_a_conflict(pg_url: str) -> None:
    """On a server another client can commit after this one checked the version but before its UPDATE: the
    UPDATE then matches no row, and the clerk must be told so in Chinese, not shown a database error."""
    first = open_database(resolve_location(pg_url), actor="张科员")
    second = open_database(resolve_location(pg_url), actor="李科长")
    try:
        with transaction(first.sessions) as session:
            values = {"name": "丽水市宏达精密机械有限公司", "uscc": "91331102MA2A0B1C4R", "region_code": "331102"}
            created = create_enterprise(session, first.actor, {**values, "employees": 45})
        with first.sessions() as session:
            opened = session.get(Enterprise, created.id)  # held here, so the save below checks this copy's version
            assert opened is not None and opened.version == created.version
            with transaction(second.sessions) as other:
                update_enterprise(other, second.actor, created.id, created.version, {"employees": 46})
            with pytest.raises(VersionConflict, match="宏达精密机械有限公司”刚刚被别处修改"):
                update_enterprise(session, first.actor, created.id, created.version, {"employees": 47})
        with first.sessions() as session:
            assert get_enterprise(session, created.id).values["employees"] == 46
    finally:
        first.close()
        second.close()


def test_check_reports_missing_audit_guards_on_the_server(pg_url: str) -> None:
    assert "审计记录防篡改触发器齐全（服务器）" in run_checks(resolve_location(pg_url)).passed
    behind_the_programs_back(pg_url, "DROP TRIGGER audit_entry_append_only_row ON audit_entry")
    report = run_checks(resolve_location(pg_url))
    assert any("防篡改触发器缺失" in problem for problem in report.problems), report.problems


def test_check_finds_orphans_and_switched_off_foreign_keys_on_the_server(pg_url: str) -> None:
    """The server's equivalents of foreign_key_check: rows pointing nowhere, and constraints not in force."""
    behind_the_programs_back(
        pg_url,
        "SET LOCAL session_replication_role = replica",  # a replica-mode load skips the foreign-key triggers
        "INSERT INTO cultivation (enterprise_id, program_code, year, status, created_at, updated_at, version) "
        "VALUES (4242, 'ZJTX_POOL', 2018, '培育中', now(), now(), 1)",
    )
    report = run_checks(resolve_location(pg_url))
    assert "外键检查：表 cultivation 有 1 行引用了不存在的记录" in report.problems, report.problems
    behind_the_programs_back(
        pg_url, "DELETE FROM cultivation WHERE enterprise_id = 4242", "ALTER TABLE help_visit DISABLE TRIGGER ALL"
    )
    report = run_checks(resolve_location(pg_url))
    assert any(p.startswith("外键约束未生效") and "help_visit" in p for p in report.problems), report.problems


def test_check_verifies_indexes_with_amcheck_when_the_server_has_it(pg_url: str) -> None:
    before = run_checks(resolve_location(pg_url))
    assert before.ok and any("pg_amcheck" in note for note in before.notes)
    behind_the_programs_back(pg_url, "CREATE EXTENSION amcheck")
    after = run_checks(resolve_location(pg_url))
    assert after.ok, after.problems
    assert any(line.startswith("索引完整性检查（amcheck，") for line in after.passed)
    assert not after.notes


def test_connections_name_the_program_for_the_database_administrator(pg_url: str) -> None:
    from zjtx_desktop.database import make_engine

    engine = make_engine(resolve_location(pg_url))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW application_name")).scalar_one() == "ZJTX Desktop"
    finally:
        engine.dispose()
    engine = make_engine(resolve_location(pg_url + "?application_name=city-summary"))
    try:
        with engine.connect() as connection:
            assert (
                connection.execute(text("SHOW application_name")).scalar_one() == "city-summary"
            )  # the server keeps ASCII only
    finally:
        engine.dispose()


def test_a_connection_cut_by_the_server_is_explained_and_the_next_work_reconnects(pg_url: str) -> None:
    """A network drop or a server restart mid-work: one Chinese sentence (whether the session was a plain read
    or a unit of work), and the next piece of work gets a fresh connection."""
    from zjtx_desktop.server_errors import explain_server_error

    def cut(session: Session) -> None:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(pg_url)
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        session.execute(text("SELECT count(*) FROM enterprise")).scalar_one()

    ctx = open_database(resolve_location(pg_url), actor="测试员")
    try:
        for unit_of_work in (ctx.sessions, lambda: transaction(ctx.sessions)):
            with pytest.raises(Exception) as failure, unit_of_work() as session:
                cut(session)
            explained = explain_server_error(failure.value)
            assert explained is not None and "没有" in explained, (type(failure.value), explained)
            with ctx.sessions() as session:  # the pool hands out a fresh connection (pre-ping)
                assert session.execute(text("SELECT count(*) FROM enterprise")).scalar_one() == 0
    finally:
        ctx.close()


def test_rule_sets_and_policy_tasks_overtaken_on_the_server_are_conflicts_too(pg_url: str) -> None:
    from zjtx_desktop.criteria import get_rule_set, save_rule_set
    from zjtx_desktop.models import PolicyTask, RuleSet
    from zjtx_desktop.supervision import update_task

    first = open_database(resolve_location(pg_url), actor="张科员")
    second = open_database(resolve_location(pg_url), actor="李科长")
    try:
        with first.sessions() as session:
            info = get_rule_set(session, "XJR")
            held = session.scalars(select(RuleSet).where(RuleSet.code == "XJR")).all()  # kept as read
            assert held
            with transaction(second.sessions) as other:
                save_rule_set(other, second.actor, "XJR", info.definition, info.version, note="李科长的修改")
            with pytest.raises(VersionConflict, match="刚刚被别处修改"):
                save_rule_set(session, first.actor, "XJR", info.definition, info.version, note="张科员的修改")
        with first.sessions() as session:
            task = session.scalars(select(PolicyTask).where(PolicyTask.number == 3)).one()
            with transaction(second.sessions) as other:
                update_task(other, second.actor, task.id, status="推进中", deadline=None, expected_version=task.version)
            with pytest.raises(VersionConflict, match=f"任务“{task.title}”刚刚被别处修改"):
                update_task(
                    session, first.actor, task.id, status="已完成", deadline=None, expected_version=task.version
                )
    finally:
        first.close()
        second.close()


def test_a_server_database_holding_someone_elses_tables_is_left_alone(pg_url: str) -> None:
    from sqlalchemy.engine import make_url

    from zjtx_desktop.errors import DatabaseError

    other = make_url(pg_url).set(database=make_url(pg_url).database + "_other")
    admin = create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{other.database}" TEMPLATE template0')
    try:
        foreign = create_engine(other)
        with foreign.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE 台账 (编号 int)")
        foreign.dispose()
        with pytest.raises(DatabaseError, match="该服务器数据库中已有别的表，不是本程序的数据库"):
            open_database(resolve_location(other.render_as_string(hide_password=False)))
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{other.database}" WITH (FORCE)')
        admin.dispose()
