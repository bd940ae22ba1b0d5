"""The application context passed explicitly to every service, command and window: database and actor."""

from __future__ import annotations

import contextlib
import getpass
import socket
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import zjtx_desktop.audit  # registers the audit hash chain on every AuditEntry insert
import zjtx_desktop.permissions  # noqa: F401 - registers the account scope on every session
from zjtx_desktop.backup import daily_backup
from zjtx_desktop.database import (
    DatabaseLocation,
    check_sqlite_path,
    make_engine,
    optimize_on_close,
    session_factory,
    transaction,
)
from zjtx_desktop.errors import DatabaseError
from zjtx_desktop.migrations import UpgradeResult, upgrade
from zjtx_desktop.principal import PRINCIPAL_KEY, Principal, system_principal
from zjtx_desktop.seeds import SeedResult, seed_reference_data
from zjtx_desktop.server_errors import explain_connection_failure, explain_server_error


def system_identity() -> str:
    """The operating-system account running the program; the CLI acts (and is audited) as this."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - getuser raises several kinds when no name is known
        user = "unknown"
    return f"system:{user}@{socket.gethostname()}"


@dataclass
class AppContext:
    location: DatabaseLocation
    engine: Engine
    sessions: sessionmaker[Session]
    actor: str
    upgrade_result: UpgradeResult | None = None
    seed_result: SeedResult = field(default_factory=SeedResult)
    principal: Principal | None = None

    def __post_init__(self) -> None:
        if self.principal is None:
            self.sign_in(system_principal(self.actor))

    def sign_in(self, principal: Principal) -> None:
        """Every session made from now on acts as `principal`: its scope and rights are enforced in the core
        (zjtx_desktop.permissions) and its name is the actor of the audit trail."""
        self.principal = principal
        self.actor = principal.actor
        self.sessions.configure(info={PRINCIPAL_KEY: principal})

    def close(self) -> None:
        # Closing must not fail just because the planner statistics could not be refreshed.
        with contextlib.suppress(Exception):
            optimize_on_close(self.engine)
        self.engine.dispose()


def open_database(
    location: DatabaseLocation, *, actor: str | None = None, create: bool = True, daily: bool = True
) -> AppContext:
    """Check the place, migrate (backing up first), add missing reference data, take the day's first
    backup (rotated, verified), and hand out sessions.

    With create=False a missing SQLite file is an error instead of a new empty database.
    """
    if location.sqlite_path is not None:
        if not create and not location.sqlite_path.exists():
            raise DatabaseError(f"数据库文件不存在：{location.sqlite_path}（可先运行 init 创建）")
        check_sqlite_path(location.sqlite_path, create_folder=create)
    engine: Engine | None = None
    try:
        upgrade_result = upgrade(location)
        engine = make_engine(location)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            seed_result = seed_reference_data(session)
        if location.sqlite_path is not None and daily:
            daily_backup(location.sqlite_path)
    except DatabaseError:
        if engine is not None:  # no pooled connection may outlive a database that could not be opened
            engine.dispose()
        raise
    except Exception as exc:
        if engine is not None:
            engine.dispose()
        reason = (
            None if location.is_sqlite else explain_server_error(exc) or explain_connection_failure(location.url, exc)
        )
        raise DatabaseError(f"无法打开数据库 {location.describe()}：{reason or _short_reason(exc)}") from exc
    return AppContext(location, engine, sessions, actor or system_identity(), upgrade_result, seed_result)


def _short_reason(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = text[0] if text else type(exc).__name__
    if "file is not a database" in reason:
        return "文件不是有效的数据库（可能已损坏或不是本程序的文件）"
    if "unable to open database file" in reason:
        return "无法打开数据库文件（检查路径和权限）"
    if "database is locked" in reason:
        return "数据库正被其他程序占用"
    return reason
