"""One running instance per SQLite database (DESIGN §8): a lock file beside it, stale locks recovered."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import logging
import os
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from zjtx_desktop import APP_NAME_SHORT, __version__
from zjtx_desktop.errors import UserError

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
LOCK_FORMAT = 1

# A lock written on another computer cannot be checked: we cannot see that computer's processes.
# Databases on network drives are refused, so two computers should never share this file; a foreign
# lock most likely came with a copied data folder, a moved USB disk or a renamed PC. It is still
# honoured for a working day in case the network check was fooled (a drive that looks local), and
# recovered after that, so that a clerk is never locked out for good by a file nobody can explain.
FOREIGN_LOCK_EXPIRY = dt.timedelta(hours=12)
# The holder writes its details right after creating the file: an empty or half-written file younger
# than this belongs to an instance that is starting, not to a crashed one.
UNREADABLE_GRACE_S = 5.0
# A recoverer that crashed while replacing a stale lock leaves its guard file; this old, it is ignored.
RECOVERY_GUARD_EXPIRY_S = 30.0
# How long acquire() waits on transient states (a lock being written or recovered by someone else).
ACQUIRE_PATIENCE_S = 3.0
_RETRY_PAUSE_S = 0.05

# The tokens of the locks this process holds: a lock naming our own pid is ours only if listed here,
# otherwise it was left by an earlier process that had the same pid.
_held_here: set[str] = set()
_held_guard = threading.Lock()


def lock_path_for(database: Path) -> Path:
    """The lock file of a database file: `X.sqlite3` → `X.sqlite3.lock` (beside SQLite's -wal and -shm)."""
    return database.with_name(database.name + LOCK_SUFFIX)


@dataclass(frozen=True)
class LockHolder:
    """Who wrote a lock file, as recorded in it."""

    pid: int
    host: str
    user: str
    token: str
    started: dt.datetime | None = None
    purpose: str = ""
    version: str = ""
    process_started: str | None = None

    def describe(self) -> str:
        """Who and since when, as one phrase: 计算机“PC-01”上的用户“zhang”（图形界面，进程 1234）自 2024-05-01 09:12 起."""
        details = "，".join(part for part in (self.purpose, f"进程 {self.pid}") if part)
        since = f"自 {_local_text(self.started)} 起" if self.started is not None else ""
        return f"计算机“{self.host}”上的用户“{self.user}”（{details}）{since}"


class InstanceLocked(UserError):
    """Another running instance holds the database; the message names it (host, user, since when)."""

    def __init__(self, database: Path, holder: LockHolder | None, *, foreign: bool = False) -> None:
        self.database = database
        self.holder = holder
        if holder is None:
            message = (
                f"数据库 {database} 正被另一个正在启动的程序实例占用。同一数据库同时只能由一个程序打开，请稍后再试。"
            )
        else:
            message = (
                f"数据库 {database} 正被另一个程序实例使用：{holder.describe()}使用。"
                "同一数据库同时只能由一个程序打开，请先关闭那个程序后再试。"
            )
            if foreign:
                expires = (holder.started or _now()) + FOREIGN_LOCK_EXPIRY
                message += (
                    f"如果那台计算机已不再使用此数据库，此占用将于 {_local_text(expires)} 自动失效；"
                    f"确认无误后也可删除锁文件 {lock_path_for(database)}。"
                )
        super().__init__(message)


class InstanceLock:
    """The lock on one database file, held from acquire() to release() or for a `with` block.

    `database` None (a server database) locks nothing: PostgreSQL keeps its own clients apart.
    """

    def __init__(self, database: Path | None, *, purpose: str = "", create_folder: bool = False) -> None:
        self.database = database
        self.path = lock_path_for(database) if database is not None else None
        self.purpose = purpose
        self.create_folder = create_folder
        # Set when acquire() replaced a stale or unreadable lock: what was replaced and why.
        self.recovered: str | None = None
        self._token: str | None = None

    @property
    def held(self) -> bool:
        return self._token is not None

    def acquire(self) -> None:
        """Take the lock, recovering a stale one; InstanceLocked if a live instance holds it."""
        if self.database is None or self.path is None:
            return
        if self._token is not None:
            raise RuntimeError(f"lock already held: {self.path}")
        if self.create_folder:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"无法创建数据库文件夹 {self.path.parent}：{exc.strerror or exc}") from exc
        token = secrets.token_hex(16)
        payload = _record(token, self.purpose)
        deadline = time.monotonic() + ACQUIRE_PATIENCE_S
        while True:
            if _create_exclusive(self.path, payload, deadline):
                with _held_guard:
                    _held_here.add(token)
                self._token = token
                return
            found = _read(self.path)
            if found is None:
                continue  # removed between our attempt and the read: try again at once
            raw, modified = found
            holder = _parse(raw)
            stale_reason = self._stale_reason(holder, modified)
            if stale_reason is None:
                raise InstanceLocked(self.database, holder, foreign=holder is not None and not _same_host(holder))
            if holder is None and time.time() - modified < UNREADABLE_GRACE_S:
                # Being written by an instance that is starting right now: wait to read who it is.
                if time.monotonic() > deadline:
                    raise InstanceLocked(self.database, None)
                time.sleep(_RETRY_PAUSE_S)
                continue
            if _remove_if_unchanged(self.path, raw):
                self.recovered = f"已替换过期的锁文件 {self.path}（{stale_reason}）"
                log.warning("%s", self.recovered)
            elif time.monotonic() > deadline:
                raise UserError(f"无法替换过期的锁文件 {self.path}：另一个程序正在处理它，请稍后再试。")
            else:
                time.sleep(_RETRY_PAUSE_S)

    def release(self) -> None:
        """Remove the lock file if it is still ours; never raises (it runs while leaving)."""
        token, self._token = self._token, None
        if token is None or self.path is None:
            return
        with _held_guard:
            _held_here.discard(token)
        found = _read(self.path)
        holder = _parse(found[0]) if found is not None else None
        if holder is None or holder.token != token:
            # Someone judged ours stale and replaced it (or removed it by hand): theirs stays.
            log.warning("锁文件 %s 已不是本进程的，未删除", self.path)
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("无法删除锁文件 %s", self.path, exc_info=True)

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()

    def _stale_reason(self, holder: LockHolder | None, modified: float) -> str | None:
        """Why the lock found is stale (a Chinese phrase), or None while its holder may be running."""
        if holder is None:
            return "锁文件无法读取或已损坏"
        if not _same_host(holder):
            started = holder.started or dt.datetime.fromtimestamp(modified, dt.UTC)
            if _now() - started > FOREIGN_LOCK_EXPIRY:
                return f"{holder.describe()}占用，来自另一台计算机且已超过 {_hours(FOREIGN_LOCK_EXPIRY)} 小时"
            return None
        if holder.pid == os.getpid():
            with _held_guard:
                ours = holder.token in _held_here
            # Our pid but not our token: an earlier process with the same pid wrote it and is gone.
            return None if ours else f"{holder.describe()}占用，该进程已结束"
        alive, identity = _process_state(holder.pid)
        if not alive:
            return f"{holder.describe()}占用，该进程已结束"
        if holder.process_started and identity and holder.process_started != identity:
            # The pid was reused by an unrelated process started after the holder ended.
            return f"{holder.describe()}占用，该进程已结束（进程号已被其他程序重用）"
        return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local_text(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _hours(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _host() -> str:
    return socket.gethostname()


def _same_host(holder: LockHolder) -> bool:
    # Windows computer names are case-insensitive.
    return holder.host.casefold() == _host().casefold()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - getuser raises several kinds when no name is known
        return "unknown"


def _record(token: str, purpose: str) -> bytes:
    pid = os.getpid()
    record = {
        "format": LOCK_FORMAT,
        "pid": pid,
        "host": _host(),
        "user": _user(),
        "program": APP_NAME_SHORT,
        "version": __version__,
        "purpose": purpose,
        "started": _now().astimezone().isoformat(timespec="seconds"),
        "process_started": _process_state(pid)[1],
        "token": token,
    }
    return json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8")


def _parse(raw: bytes) -> LockHolder | None:
    """The holder recorded in a lock file, or None when it is unreadable, half-written or not ours."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid, host, token = data.get("pid"), data.get("host"), data.get("token")
    # pid 0 and negative pids address process groups in os.kill: never probe those.
    if isinstance(pid, bool) or not isinstance(pid, int) or not 0 < pid < 2**31:
        return None
    if not isinstance(host, str) or not host or not isinstance(token, str) or not token:
        return None
    started: dt.datetime | None = None
    if isinstance(data.get("started"), str):
        try:
            started = dt.datetime.fromisoformat(data["started"])
        except ValueError:
            started = None
        if started is not None and started.tzinfo is None:
            started = started.astimezone()
    process_started = data.get("process_started")
    return LockHolder(
        pid=pid,
        host=host,
        user=str(data.get("user") or "unknown"),
        token=token,
        started=started,
        purpose=str(data.get("purpose") or ""),
        version=str(data.get("version") or ""),
        process_started=process_started if isinstance(process_started, str) else None,
    )


def _create_exclusive(path: Path, payload: bytes, deadline: float) -> bool:
    """Create the lock file with our record; False if it already exists.

    O_CREAT|O_EXCL makes creation atomic: of two instances starting together exactly one succeeds.
    No fsync: a lock emptied by a power cut is unreadable, and unreadable locks are recovered.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o644)
        except FileExistsError:
            return False
        except PermissionError as exc:
            # Windows reports a file that is being deleted as "access denied": wait for it to go.
            if path.exists() and time.monotonic() < deadline:
                time.sleep(_RETRY_PAUSE_S)
                continue
            raise UserError(f"无法创建锁文件 {path}：{exc.strerror or exc}") from exc
        except OSError as exc:
            raise UserError(f"无法创建锁文件 {path}：{exc.strerror or exc}") from exc
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)
        return True


def _read(path: Path) -> tuple[bytes, float] | None:
    """The lock file's bytes and modification time, or None when there is none."""
    try:
        with path.open("rb") as handle:
            return handle.read(64 * 1024), os.fstat(handle.fileno()).st_mtime
    except FileNotFoundError:
        return None
    except PermissionError:
        # Windows: being deleted or written at this moment; an empty read is retried as "being written".
        return b"", time.time()


def _remove_if_unchanged(path: Path, stale: bytes) -> bool:
    """Remove a stale lock unless it changed since it was judged; True if it is gone.

    Two instances started together after a crash both find the same stale lock. Without the guard the
    slower one could delete the lock the faster one had just created; with it, only one recovers at a
    time, and the content is checked again under the guard before anything is removed.
    """
    guard = path.with_name(path.name + ".recover")
    try:
        os.close(os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:
        try:
            if time.time() - guard.stat().st_mtime > RECOVERY_GUARD_EXPIRY_S:
                guard.unlink()
        except OSError:
            pass
        return False
    except OSError:
        return False
    try:
        found = _read(path)
        if found is None:
            return True
        if found[0] != stale:
            return False
        path.unlink()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
    finally:
        try:
            guard.unlink()
        except OSError:
            log.warning("无法删除恢复锁文件时的临时文件 %s", guard, exc_info=True)


def _process_state(pid: int) -> tuple[bool, str | None]:
    """Whether a process with this pid runs here, and its identity (when it started) if cheaply known.

    The identity tells a holder from an unrelated process that later got the same pid: on Linux the
    boot id with the start time in clock ticks, on Windows the creation time; elsewhere (macOS) none,
    and a reused pid keeps a stale lock looking live until that process ends too.
    """
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        return _windows_process_state(pid)
    try:
        # Signal 0 checks existence and permission without disturbing the process.
        os.kill(pid, 0)
    except ProcessLookupError:
        return False, None
    except PermissionError:
        pass  # it exists, under another account
    except OSError:
        return True, None  # cannot tell: assume it is running rather than steal its lock
    state, started = _linux_stat(pid)
    if state == "Z":  # ended but not yet reaped by its parent
        return False, None
    return True, started


def _linux_stat(pid: int) -> tuple[str | None, str | None]:
    """The state letter and start identity from /proc/<pid>/stat, or (None, None) without /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None, None
    # The command name (field 2) may hold spaces and parentheses: fields are counted after the last ")".
    fields = text.rpartition(")")[2].split()
    if len(fields) < 20:
        return None, None
    boot = _linux_boot_id()
    return fields[0], f"linux:{boot}:{fields[19]}" if boot else None


@functools.cache
def _linux_boot_id() -> str | None:
    # Start times count clock ticks since boot: the boot id keeps them apart across restarts.
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _windows_process_state(pid: int) -> tuple[bool, str | None]:  # pragma: no cover - Windows only
    if sys.platform != "win32":
        return False, None
    import ctypes
    from ctypes import wintypes

    process_query_limited_information = 0x1000
    error_access_denied = 5
    still_active = 259
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.GetExitCodeProcess.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD)]
    kernel32.GetExitCodeProcess.restype = wintypes.BOOL
    filetime_p = ctypes.POINTER(wintypes.FILETIME)
    kernel32.GetProcessTimes.argtypes = [wintypes.HANDLE, filetime_p, filetime_p, filetime_p, filetime_p]
    kernel32.GetProcessTimes.restype = wintypes.BOOL
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    kernel32.CloseHandle.restype = wintypes.BOOL

    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        # Access denied: it exists (a protected process or another account's). Anything else: no such pid.
        return ctypes.get_last_error() == error_access_denied, None
    try:
        code = wintypes.DWORD()
        if kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) and code.value != still_active:
            return False, None  # ended; someone still holds a handle to it
        created, ended, kernel, user = (wintypes.FILETIME() for _ in range(4))
        if kernel32.GetProcessTimes(
            handle, ctypes.byref(created), ctypes.byref(ended), ctypes.byref(kernel), ctypes.byref(user)
        ):
            return True, f"windows:{(created.dwHighDateTime << 32) | created.dwLowDateTime}"
        return True, None
    finally:
        kernel32.CloseHandle(handle)
