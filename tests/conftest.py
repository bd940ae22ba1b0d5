"""Shared fixtures: a migrated, seeded template database copied fresh for every test.

PostgreSQL: with ZJTX_TEST_PG_URL set to a server URL whose user may create databases (for example
postgresql+psycopg://zjtx@127.0.0.1:54329/postgres), the `pg_url` fixture hands out a fresh database cloned
from a migrated, seeded template, and tests marked `postgres` run; without it they are skipped. With
ZJTX_TEST_BACKEND=postgresql as well, the `ctx` fixture opens such a database instead of a SQLite file, so
the suites that use `ctx` run against the server.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed once per test run; copying the file is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    ctx = open_database(resolve_location(str(path)))
    ctx.close()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "zjtx.sqlite3"
    shutil.copyfile(template_db, path)
    return path


PG_URL_ENV = "ZJTX_TEST_PG_URL"
BACKEND_ENV = "ZJTX_TEST_BACKEND"


def pg_server_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


def on_postgres_backend() -> bool:
    return os.environ.get(BACKEND_ENV, "").lower() in {"postgresql", "postgres", "pg"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not pg_server_url():
        skip = pytest.mark.skip(reason=f"needs a PostgreSQL server: set {PG_URL_ENV}")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
    if on_postgres_backend():
        skip = pytest.mark.skip(reason="works on the SQLite file itself (ctx is on PostgreSQL)")
        for item in items:
            if "sqlite_file" in item.keywords:
                item.add_marker(skip)


def _admin_engine() -> Engine:
    url = pg_server_url()
    if url is None:
        pytest.skip(f"needs a PostgreSQL server: set {PG_URL_ENV}")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _database_url(name: str) -> str:
    url = pg_server_url()
    assert url is not None
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pg_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated, seeded PostgreSQL database that each test's database is cloned from."""
    admin = _admin_engine()
    name = f"zjtx_test_tpl_{os.getpid()}"
    _drop_database(admin, name)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    context = open_database(resolve_location(_database_url(name)))
    context.close()
    yield name
    _drop_database(admin, name)
    admin.dispose()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database (migrated and seeded) for one test; dropped afterwards."""
    admin = _admin_engine()
    name = f"zjtx_test_{os.getpid()}_{next(_pg_counter)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _database_url(name)
    _drop_database(admin, name)
    admin.dispose()


@pytest.fixture
def ctx(request: pytest.FixtureRequest) -> Iterator[AppContext]:
    if on_postgres_backend():
        target = request.getfixturevalue("pg_url")
    else:
        target = str(request.getfixturevalue("db_path"))
    context = open_database(resolve_location(target), actor="测试员")
    yield context
    context.close()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never write into the real per-user data folder during tests."""
    monkeypatch.setenv("ZJTX_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("ZJTX_DB", raising=False)


class TestDatabase:
    """A not-yet-initialised database for a command-line test: a SQLite file, or an empty database on the
    PostgreSQL server when the suites run there (ZJTX_TEST_BACKEND=postgresql), with raw SQL access for the
    test's own checks and for breaking things behind the program's back."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, target: str, *, server: bool) -> None:
        self.target = target  # what `--db` and ZJTX_DB get
        self.server = server

    def __str__(self) -> str:
        return self.target

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        if not self.server:
            import sqlite3

            with sqlite3.connect(self.target) as connection:
                return [tuple(row) for row in connection.execute(sql).fetchall()]
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.target, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.exec_driver_sql(sql).fetchall()]
        finally:
            engine.dispose()

    def scalar(self, sql: str) -> object:
        return self.rows(sql)[0][0]

    def execute(self, sql: str, *, unchecked: bool = False) -> None:
        """Run a write outside the program; unchecked=True also bypasses foreign keys (to plant damage)."""
        if not self.server:
            import sqlite3

            connection = sqlite3.connect(self.target)  # foreign keys are off on a plain connection
            try:
                connection.execute(sql)
                connection.commit()
            finally:
                connection.close()
            return
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.target, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                if unchecked:  # the server checks foreign keys by triggers, which replicas skip
                    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                connection.exec_driver_sql(sql)
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], TestDatabase]]:
    """Makes empty databases for command-line tests on the backend under test; server ones are dropped at the end."""
    created: list[str] = []
    admin = _admin_engine() if on_postgres_backend() else None

    def make() -> TestDatabase:
        if admin is None:
            return TestDatabase(str(tmp_path_factory.mktemp("cli") / "z.sqlite3"), server=False)
        name = f"zjtx_cli_{os.getpid()}_{next(_pg_counter)}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        created.append(name)
        return TestDatabase(_database_url(name), server=True)

    yield make
    if admin is not None:
        for name in created:
            _drop_database(admin, name)
        admin.dispose()


@pytest.fixture
def cli_db(database_factory: Callable[[], TestDatabase]) -> TestDatabase:
    """An empty database for one command-line test (SQLite file, or a server database on the PostgreSQL run)."""
    return database_factory()
