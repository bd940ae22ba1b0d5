"""Opening a database: creation from empty, upgrade with a backup, refusal of newer or foreign files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from zjtx_desktop.context import open_database
from zjtx_desktop.database import is_network_path, resolve_location
from zjtx_desktop.errors import DatabaseError
from zjtx_desktop.migrations import head_revision, migration_state
from zjtx_desktop.paths import migrations_path


def test_new_database_is_created_at_head(tmp_path: Path) -> None:
    location = resolve_location(str(tmp_path / "sub" / "new.sqlite3"))
    ctx = open_database(location)
    ctx.close()
    state = migration_state(location)
    assert state.current == head_revision() and state.up_to_date


def test_pragmas_are_set_on_every_connection(db_path: Path) -> None:
    ctx = open_database(resolve_location(str(db_path)))
    try:
        with ctx.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        ctx.close()


def test_database_newer_than_the_program_is_refused_and_left_alone(db_path: Path) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="更新版本的程序"):
        open_database(resolve_location(str(db_path)))
    assert db_path.read_bytes() == before


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(DatabaseError, match="不是本程序的数据库"):
        open_database(resolve_location(str(path)))


def test_a_file_that_is_not_a_database_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "报表.sqlite3"
    path.write_text("这不是数据库" * 200, encoding="utf-8")
    with pytest.raises(DatabaseError, match="不是有效的数据库"):
        open_database(resolve_location(str(path)))


NEXT_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "9999_test"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A batch migration copies the table: the classic way to lose child rows through ON DELETE CASCADE.
    with op.batch_alter_table("enterprise", recreate="always") as batch:
        batch.add_column(sa.Column("test_flag", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    pass
"""


def test_upgrade_backs_up_first_and_keeps_child_rows(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer program with one more migration opens a database written by this one."""
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO enterprise (id, uscc, name, name_initials, region_code, created_at, updated_at, version) "
            "VALUES (1, '91331102MA2A0B1C4R', '丽水市宏达精密机械有限公司', 'lsshdjjjxyxgs', '331102', "
            "'2020-01-01', '2020-01-01', 1)"
        )
        connection.execute(
            "INSERT INTO cultivation (enterprise_id, program_code, year, status, created_at, updated_at, version) "
            "VALUES (1, 'ZJTX_POOL', 2018, '培育中', '2020-01-01', '2020-01-01', 1)"
        )
    current = head_revision()  # what this program's database is at
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations_path(), scripts)
    (scripts / "versions" / "9999_test.py").write_text(NEXT_REVISION.format(head=current), encoding="utf-8")
    monkeypatch.setattr("zjtx_desktop.migrations.migrations_path", lambda: scripts)

    ctx = open_database(resolve_location(str(db_path)))
    ctx.close()

    result = ctx.upgrade_result
    assert result is not None and result.before == current and result.after == "9999_test"
    assert result.backup is not None and result.backup.exists()
    with sqlite3.connect(result.backup) as backup:
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (current,)
        assert backup.execute("SELECT count(*) FROM cultivation").fetchone() == (1,)
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM cultivation").fetchone() == (1,)
        assert connection.execute("SELECT test_flag FROM enterprise").fetchone() == (0,)


def test_missing_file_without_create_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="不存在"):
        open_database(resolve_location(str(tmp_path / "nope.sqlite3")), create=False)


def test_network_paths_are_recognised() -> None:
    assert is_network_path(Path("//fileserver/share/zjtx.sqlite3"))
    assert is_network_path(Path("\\\\fileserver\\share\\zjtx.sqlite3"))


def test_network_path_refused_with_explanation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("zjtx_desktop.database.is_network_path", lambda path: True)
    with pytest.raises(DatabaseError, match="网络盘"):
        open_database(resolve_location(str(tmp_path / "z.sqlite3")))
    assert not (tmp_path / "z.sqlite3").exists()
