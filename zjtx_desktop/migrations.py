"""Schema migrations with Alembic: back up first, upgrade atomically, refuse a database newer than the code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import DBAPIError

from zjtx_desktop import server_locks
from zjtx_desktop.backup import backup_name, backup_sqlite, backups_folder
from zjtx_desktop.database import DatabaseLocation, make_engine
from zjtx_desktop.errors import DatabaseError
from zjtx_desktop.paths import migrations_path
from zjtx_desktop.server_locks import hold_until_commit

INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE when the account may not create or alter tables


@dataclass(frozen=True)
class MigrationState:
    current: str | None
    head: str
    known: bool  # False: the database was written by a newer program (or is not ours)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str
    backup: Path | None


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "no migration scripts found"
    return head


def _state_on(connection: Connection) -> MigrationState:
    current = MigrationContext.configure(connection).get_current_revision()
    script = script_directory()
    known = True
    if current is not None:
        try:
            known = script.get_revision(current) is not None
        except CommandError:
            known = False
    return MigrationState(current=current, head=head_revision(), known=known)


def migration_state(location: DatabaseLocation) -> MigrationState:
    engine = make_engine(location)
    try:
        with engine.connect() as connection:
            return _state_on(connection)
    finally:
        engine.dispose()


def _newer_database(state: MigrationState) -> DatabaseError:
    return DatabaseError(
        f"该数据库由更新版本的程序创建（数据库版本 {state.current}，本程序支持到 {state.head}），"
        "为避免损坏数据，本程序不打开它。请安装最新版本的程序。"
    )


def upgrade(location: DatabaseLocation) -> UpgradeResult:
    """Bring the database to the newest schema. A SQLite file that holds data is backed up first."""
    # Foreign keys OFF on the migration connection: batch migrations copy tables, and with
    # ON DELETE CASCADE active the copy would silently delete child rows.
    engine = make_engine(location, foreign_keys=False)
    try:
        with engine.connect() as connection:
            state = _state_on(connection)
            has_tables = bool(inspect(connection).get_table_names())
        if not state.known:
            raise _newer_database(state)
        if state.up_to_date:
            return UpgradeResult(state.current, state.head, None)
        if state.current is None and has_tables:
            what = "该文件" if location.sqlite_path is not None else "该服务器数据库中已有别的表，"
            raise DatabaseError(f"{what}不是本程序的数据库（缺少版本信息），程序不会改动它。")
        backup = None
        if state.current is not None and location.sqlite_path is not None:
            path = location.sqlite_path
            backup = backup_sqlite(path, backups_folder(path) / backup_name(f"before-upgrade-{state.current}"))
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Clients starting a new version at once: one migrates, the others wait here, then find it done.
                hold_until_commit(connection, server_locks.SCHEMA)
                state = _state_on(connection)
                if not state.known:  # another client, already on a newer program, upgraded it meanwhile
                    raise _newer_database(state)
                if state.up_to_date:
                    return UpgradeResult(state.current, state.head, None)
            try:
                command.upgrade(_config(connection), "head")
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise DatabaseError(
                        f"数据库需要从版本 {state.current or '（空）'} 升级到 {state.head}，但当前数据库账户无权修改表结构。"
                        "请数据库管理员用数据库所有者账户运行一次 init 完成升级（见使用说明“市级共享部署”），"
                        "之后各单位即可照常打开。"
                    ) from exc
                raise
            if location.is_sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise DatabaseError(f"数据库升级后外键检查失败（{len(broken)} 处），已撤销升级。")
        return UpgradeResult(state.current, state.head, backup)
    finally:
        engine.dispose()
