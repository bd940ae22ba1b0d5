"""Several clients on one PostgreSQL server at once: no lost update, imports all-or-nothing to readers,
each connection kept to its own county (skipped unless ZJTX_TEST_PG_URL names a server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from zjtx_desktop import uscc
from zjtx_desktop.audit import check_audit_chain
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.enterprise_query import EnterpriseFilter, fetch_rows, search_ids
from zjtx_desktop.exchange.importer import commit_plan, plan_import
from zjtx_desktop.models import Enterprise
from zjtx_desktop.principal import Principal
from zjtx_desktop.registry import NotFound, VersionConflict, create_enterprise, get_enterprise, update_enterprise

pytestmark = pytest.mark.postgres

QINGTIAN, LIANDU = "331121", "331102"


@pytest.fixture
def clients(pg_url: str) -> Iterator[Callable[[str], AppContext]]:
    """Opens AppContexts on the same server database, as separate clients (own engine and pool) would."""
    opened: list[AppContext] = []

    def open_client(actor: str) -> AppContext:
        context = open_database(resolve_location(pg_url), actor=actor)
        opened.append(context)
        return context

    yield open_client
    for context in opened:
        context.close()


def run_together(workers: list[Callable[[], None]], timeout: float = 180) -> None:
    """Start the workers at one moment on threads; re-raise the first failure, and fail on a hang."""
    start = threading.Barrier(len(workers))
    failures: list[BaseException] = []

    def wrap(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread below
            failures.append(exc)

    threads = [threading.Thread(target=wrap, args=(work,), daemon=True) for work in workers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a client hung: deadlock or lock wait"
    if failures:
        raise failures[0]


def firm(context: AppContext, name: str, unit: str, org8: str, employees: int = 100) -> int:
    values = {"name": name, "uscc": uscc.make("9", "1", unit, org8), "region_code": unit, "employees": employees}
    with transaction(context.sessions) as session:
        return create_enterprise(session, context.actor, values).id


def test_clerks_editing_one_firm_at_once_lose_no_update(clients: Callable[[str], AppContext]) -> None:
    """Read, add one, save with the version read; a conflict is the Chinese message and a retry, never a loss."""
    setup = clients("准备")
    firm_id = firm(setup, "丽水市宏达精密机械有限公司", LIANDU, "MA2A0B1C", employees=100)
    editors, rounds = 4, 12
    saved = [0] * editors
    conflicts = [0] * editors

    def editor(n: int) -> Callable[[], None]:
        context = clients(f"科员{n}")

        def work() -> None:
            while saved[n] < rounds:
                with transaction(context.sessions) as session:
                    record = get_enterprise(session, firm_id)
                    version, employees = record.version, record.values["employees"]
                try:
                    with transaction(context.sessions) as session:
                        update_enterprise(session, context.actor, firm_id, version, {"employees": employees + 1})
                except VersionConflict as conflict:
                    assert "刚刚被别处修改" in str(conflict) or "已在别处被修改" in str(conflict)
                    conflicts[n] += 1
                    continue
                saved[n] += 1

        return work

    run_together([editor(n) for n in range(editors)])
    with transaction(setup.sessions) as session:
        final = get_enterprise(session, firm_id)
        chain = check_audit_chain(session)
    assert final.values["employees"] == 100 + editors * rounds
    assert final.version == 1 + editors * rounds
    assert chain.ok, chain.problems[:3]
    assert sum(conflicts) > 0  # the clients really did overtake each other


def county_sheet(path: Path, rows: int) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位", "从业人员（人）"])
    for n in range(rows):
        code = uscc.make("9", "1", LIANDU, f"MA{n:06d}")
        sheet.append([f"丽水市莲都区第{n + 1}精密机械有限公司", code, "莲都区", 40 + n % 200])
    workbook.save(path)
    return path


def test_an_import_is_all_or_nothing_for_clients_reading_meanwhile(
    clients: Callable[[str], AppContext], tmp_path: Path
) -> None:
    rows = 2500
    source = county_sheet(tmp_path / "莲都区名单.xlsx", rows)
    importer, reader = clients("导入员"), clients("查询员")
    with transaction(importer.sessions) as session:
        plan = plan_import(session, source)
    assert plan.count("new") == rows and not plan.errors
    importing = threading.Event()
    seen: list[int] = []

    def do_import() -> None:
        importing.set()
        try:
            with transaction(importer.sessions) as session:
                commit_plan(session, importer.actor, plan)
        finally:
            importing.clear()

    def read() -> None:
        importing.wait(10)
        while importing.is_set():
            with reader.sessions() as session:
                seen.append(session.scalar(select(func.count()).select_from(Enterprise)) or 0)
        with reader.sessions() as session:
            seen.append(session.scalar(select(func.count()).select_from(Enterprise)) or 0)

    run_together([do_import, read])
    assert set(seen) <= {0, rows}, sorted(set(seen))[:10]
    assert seen[-1] == rows and 0 in seen  # read before, during and after the commit
    assert len(seen) > 5  # the reader was not blocked while the import was writing


def test_each_connection_keeps_its_own_county(clients: Callable[[str], AppContext]) -> None:
    """Two county clerks and the city working at the same moment: every read is narrowed per client."""
    setup = clients("准备")
    qingtian = [firm(setup, f"青田县瓯江第{n}阀门有限公司", QINGTIAN, f"MB{n:06d}") for n in range(6)]
    liandu = [firm(setup, f"丽水市莲都区第{n}机械有限公司", LIANDU, f"MC{n:06d}") for n in range(4)]
    accounts = {
        QINGTIAN: Principal("li_qt", "李青田", "county", QINGTIAN, 903),
        LIANDU: Principal("wu_ld", "吴莲都", "county", LIANDU, 906),
        None: Principal("zhao_city", "赵市级", "city", None, 902),
    }
    expected = {QINGTIAN: set(qingtian), LIANDU: set(liandu), None: set(qingtian) | set(liandu)}
    seen: dict[str | None, set[int]] = {unit: set() for unit in accounts}
    refused: dict[str | None, int] = {unit: 0 for unit in accounts}

    def clerk(unit: str | None) -> Callable[[], None]:
        context = clients(accounts[unit].display_name)
        context.sign_in(accounts[unit])
        other = liandu[0] if unit == QINGTIAN else qingtian[0]

        def work() -> None:
            for _ in range(15):
                with context.sessions() as session:
                    ids = search_ids(session, EnterpriseFilter())
                    seen[unit].update(ids)
                    seen[unit].update(row.id for row in fetch_rows(session, ids))
                    seen[unit].update(session.scalars(select(Enterprise.id)))
                if unit is not None:
                    try:
                        with transaction(context.sessions) as session:
                            get_enterprise(session, other)
                    except NotFound:
                        refused[unit] += 1

        return work

    run_together([clerk(unit) for unit in accounts])
    assert seen == expected
    assert refused == {QINGTIAN: 15, LIANDU: 15, None: 0}


def test_clients_opening_a_new_database_at_once_migrate_and_seed_it_once(pg_url: str) -> None:
    """The first start of a new version on several PCs at the same moment: one migrates, the rest wait."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from zjtx_desktop.migrations import head_revision, migration_state
    from zjtx_desktop.models import Region

    empty = make_url(pg_url).set(database=make_url(pg_url).database + "_empty")
    admin = create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{empty.database}" TEMPLATE template0')
    target = empty.render_as_string(hide_password=False)
    opened: list[AppContext] = []
    try:
        run_together([lambda: opened.append(open_database(resolve_location(target))) for _ in range(4)])
        assert len(opened) == 4
        assert migration_state(resolve_location(target)).current == head_revision()
        with opened[0].sessions() as session:
            assert session.scalar(select(func.count()).select_from(Region)) == 11
    finally:
        for context in opened:
            context.close()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{empty.database}" WITH (FORCE)')
        admin.dispose()
