"""Opening the database: URL resolution, SQLite set-up, local-disk check, and session factories."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from zjtx_desktop.errors import DatabaseError
from zjtx_desktop.location import DatabaseLocation as DatabaseLocation
from zjtx_desktop.location import resolve_location as resolve_location

BUSY_TIMEOUT_MS = 10_000
SERVER_CONNECT_TIMEOUT_S = 10
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "9p", "fuse.sshfs", "afs", "davfs"}


def _linux_mount_fs_type(path: Path) -> str | None:
    """The filesystem type of the mount holding path, from /proc/mounts (longest matching mount point)."""
    try:
        lines = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(path)
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = fields[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(mount_point) > len(best):
            best, best_type = mount_point, fields[2]
    return best_type


def is_network_path(path: Path) -> bool:
    """True for UNC paths, mapped network drives and network filesystems, where SQLite locking fails."""
    text = str(path)
    if text.startswith("\\\\") or text.startswith("//"):
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        drive = os.path.splitdrive(text)[0]
        if drive:
            drive_remote = 4
            return bool(ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote)
        return False
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    fs_type = _linux_mount_fs_type(existing)
    return fs_type is not None and fs_type in NETWORK_FILESYSTEMS


def check_sqlite_path(path: Path, *, create_folder: bool) -> None:
    """Refuse places where a SQLite file cannot live safely; optionally create the folder."""
    if is_network_path(path):
        raise DatabaseError(
            f"数据库文件不能放在网络盘或共享文件夹上（{path}）：网络盘上的文件锁不可靠，可能损坏数据。"
            "请把数据库放在本机磁盘上；多人共用请使用市级 PostgreSQL 部署。"
        )
    if path.is_dir():
        raise DatabaseError(f"数据库路径是一个文件夹，而不是文件：{path}")
    folder = path.parent
    if not folder.exists():
        if not create_folder:
            raise DatabaseError(f"数据库所在的文件夹不存在：{folder}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"无法创建数据库文件夹 {folder}：{exc.strerror or exc}") from exc


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, issue BEGIN: pysqlite's implicit transactions break SAVEPOINTs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # FULL: the audit trail must survive a power cut right after a commit.
            cursor.execute("PRAGMA synchronous=FULL")
            # 32 MB of page cache (SQLite's default is 2 MB): the indexes of 100,000 enterprises stay
            # in memory while an import inserts tens of thousands of rows.
            cursor.execute("PRAGMA cache_size=-32768")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_engine(location: DatabaseLocation, *, foreign_keys: bool = True) -> Engine:
    """An engine with the project's connection settings (SQLite pragmas, pool pre-ping elsewhere)."""
    if location.is_sqlite:
        engine = create_engine(location.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine, foreign_keys=foreign_keys)
        return engine
    from sqlalchemy.engine import make_url

    query = make_url(location.url).query
    # A server that cannot be reached must fail within seconds, not after the system's TCP timeout; and the
    # database administrator sees which connections are ours. Either can be set in the URL instead.
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in query:
        connect_args["connect_timeout"] = SERVER_CONNECT_TIMEOUT_S
    if "application_name" not in query:
        connect_args["application_name"] = "ZJTX Desktop"
    return create_engine(location.url, pool_pre_ping=True, connect_args=connect_args)


def refresh_statistics(session: Session) -> None:
    """Update the query planner's statistics after a bulk change (demo data, a large import).

    Without them SQLite joins the wide enterprise rows instead of the thin covering indexes and
    target progress on a province-scale database takes 4× longer. ANALYZE is valid on PostgreSQL too.
    """
    session.execute(text("ANALYZE"))


def optimize_on_close(engine: Engine) -> None:
    """SQLite's recommended `PRAGMA optimize` before closing: re-analyses tables that grew a lot."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA optimize")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close."""
    session = factory()
    failed = False
    try:
        yield session
        session.commit()
    except BaseException:
        failed = True
        # On a connection the server cut, even the rollback fails; the first error is the one to report.
        with contextlib.suppress(Exception):
            session.rollback()
        raise
    finally:
        if failed:
            with contextlib.suppress(Exception):
                session.close()
        else:
            session.close()
