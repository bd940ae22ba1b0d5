"""One running instance per database: the lock file, refusal naming its holder, stale and unreadable locks recovered."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zjtx_desktop import __version__
from zjtx_desktop import instance_lock as module
from zjtx_desktop.errors import UserError
from zjtx_desktop.instance_lock import InstanceLock, InstanceLocked, lock_path_for

ROOT = Path(__file__).resolve().parents[2]
LINUX_PROC = Path("/proc/self/stat").exists()

# A second program that takes the lock, says so, and keeps it until its stdin closes (or it is killed).
HOLDER_SCRIPT = """
import sys, time
from pathlib import Path
from zjtx_desktop.instance_lock import InstanceLock, InstanceLocked
start = Path(sys.argv[2])
print("ready", flush=True)
while not start.exists():
    time.sleep(0.01)
lock = InstanceLock(Path(sys.argv[1]), purpose="命令行 import")
try:
    lock.acquire()
except InstanceLocked:
    print("refused", flush=True)
    sys.exit(0)
print("held", flush=True)
sys.stdin.read()
lock.release()
"""


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "zjtx.sqlite3"
    path.write_bytes(b"")  # the lock does not look inside: any file stands for the database
    return path


def start_holders(database: Path, count: int, start: Path) -> list[subprocess.Popen[str]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", HOLDER_SCRIPT, str(database), str(start)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for _ in range(count)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return processes


@pytest.fixture
def holders() -> Iterator[list[subprocess.Popen[str]]]:
    """Other processes started by a test, ended at teardown whatever happened."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


def write_lock(database: Path, **fields: Any) -> Path:
    record: dict[str, Any] = {
        "format": 1,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "user": "张三",
        "program": "ZJTX Desktop",
        "version": "0.1.0",
        "purpose": "图形界面",
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "process_started": None,
        "token": "someone-else",
    }
    record.update(fields)
    path = lock_path_for(database)
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_lock_file_says_who_holds_it_and_goes_away_on_release(database: Path) -> None:
    path = database.with_name("zjtx.sqlite3.lock")
    with InstanceLock(database, purpose="图形界面") as lock:
        assert lock.held and lock.recovered is None
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["pid"] == os.getpid()
        assert record["host"] == socket.gethostname()
        assert record["user"] and record["version"] == __version__ and record["purpose"] == "图形界面"
        started = dt.datetime.fromisoformat(record["started"])
        assert abs((dt.datetime.now(dt.UTC) - started).total_seconds()) < 60
        if LINUX_PROC:  # the holder's start identity, which tells it apart from a later process with its pid
            assert record["process_started"].startswith("linux:")
    assert not path.exists() and not lock.held
    # Explicit acquire/release too; releasing twice is harmless.
    again = InstanceLock(database)
    again.acquire()
    assert path.exists()
    again.release()
    again.release()
    assert not path.exists()


def test_a_second_instance_is_refused_and_told_who_holds_the_database(database: Path) -> None:
    with InstanceLock(database, purpose="图形界面"):
        started = dt.datetime.fromisoformat(json.loads(lock_path_for(database).read_text("utf-8"))["started"])
        with pytest.raises(InstanceLocked) as refused:
            InstanceLock(database, purpose="命令行 restore").acquire()
        assert lock_path_for(database).exists()
    message = str(refused.value)
    assert isinstance(refused.value, UserError) and "\n" not in message
    assert str(database) in message and "另一个程序实例" in message
    assert f"计算机“{socket.gethostname()}”" in message and "图形界面" in message and f"进程 {os.getpid()}" in message
    assert f"自 {started.astimezone():%Y-%m-%d %H:%M} 起" in message
    assert refused.value.holder is not None and refused.value.holder.pid == os.getpid()


def test_another_running_process_holds_the_lock_until_it_ends(
    database: Path, tmp_path: Path, holders: list[subprocess.Popen[str]]
) -> None:
    start = tmp_path / "go"
    start.touch()
    (holder,) = start_holders(database, 1, start)
    holders.append(holder)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(InstanceLocked) as refused:
        InstanceLock(database).acquire()
    assert f"进程 {holder.pid}" in str(refused.value) and "命令行 import" in str(refused.value)
    # It crashes (killed, no release): the lock it leaves behind names a process that is gone.
    holder.kill()
    holder.wait(timeout=30)
    assert lock_path_for(database).exists()
    with InstanceLock(database) as lock:
        assert lock.recovered is not None and f"进程 {holder.pid}" in lock.recovered


def test_a_lock_left_by_a_process_that_ended_is_recovered(database: Path, caplog: pytest.LogCaptureFixture) -> None:
    pid = dead_pid()
    path = write_lock(database, pid=pid, token="crashed")
    with caplog.at_level(logging.WARNING, logger="zjtx_desktop.instance_lock"), InstanceLock(database) as lock:
        assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert lock.recovered is not None and f"进程 {pid}" in lock.recovered and "已结束" in lock.recovered
    assert any(f"进程 {pid}" in record.getMessage() for record in caplog.records)  # kept for the engineers


@pytest.mark.parametrize("content", [b"", b'{"pid": 12', b"\xff\xfe garbage", b"[1, 2]", b'{"pid": 0, "host": "x"}'])
def test_an_unreadable_lock_is_recovered(database: Path, content: bytes) -> None:
    path = lock_path_for(database)
    path.write_bytes(content)
    age(path, 60)  # long past the moment an instance writes its details
    with InstanceLock(database) as lock:
        assert lock.recovered is not None and "无法读取" in lock.recovered
        assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()


def test_a_lock_being_written_right_now_is_not_taken_over(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "ACQUIRE_PATIENCE_S", 0.2)
    path = lock_path_for(database)
    path.write_bytes(b"")  # just created by an instance that is starting: its details follow at once
    with pytest.raises(InstanceLocked) as refused:
        InstanceLock(database).acquire()
    assert "正在启动" in str(refused.value)
    assert path.read_bytes() == b""


def test_our_own_pid_in_a_lock_we_do_not_hold_is_from_an_earlier_process(database: Path) -> None:
    write_lock(database, pid=os.getpid(), token="an-earlier-process")
    with InstanceLock(database) as lock:
        assert lock.recovered is not None


@pytest.mark.skipif(not LINUX_PROC, reason="process start identities are read from /proc here")
def test_a_reused_pid_does_not_keep_a_stale_lock_alive(database: Path) -> None:
    # The pid is running, but it is not the process that wrote the lock: that one started at another time.
    write_lock(database, pid=os.getppid(), process_started="linux:another-boot:12345", token="old")
    with InstanceLock(database) as lock:
        assert lock.recovered is not None and "重用" in lock.recovered
    # The same pid with its true identity (or none recorded) is live.
    identity = module._process_state(os.getppid())[1]
    for recorded in (identity, None):
        write_lock(database, pid=os.getppid(), process_started=recorded, token="live")
        with pytest.raises(InstanceLocked):
            InstanceLock(database).acquire()


def test_a_lock_from_another_computer_is_honoured_for_a_working_day(database: Path) -> None:
    recent = (dt.datetime.now().astimezone() - dt.timedelta(hours=2)).isoformat(timespec="seconds")
    path = write_lock(database, host="另一台电脑", pid=dead_pid(), started=recent, token="foreign")
    with pytest.raises(InstanceLocked) as refused:
        InstanceLock(database).acquire()
    message = str(refused.value)
    assert "计算机“另一台电脑”" in message and "自动失效" in message and str(path) in message
    old = (dt.datetime.now().astimezone() - dt.timedelta(hours=13)).isoformat(timespec="seconds")
    write_lock(database, host="另一台电脑", started=old, token="foreign")
    with InstanceLock(database) as lock:
        assert lock.recovered is not None and "另一台计算机" in lock.recovered


def test_release_leaves_a_lock_that_is_no_longer_ours_alone(database: Path) -> None:
    lock = InstanceLock(database)
    lock.acquire()
    # Meanwhile someone judged ours stale and put theirs in its place.
    path = write_lock(database, pid=os.getppid(), token="theirs")
    lock.release()
    assert json.loads(path.read_text(encoding="utf-8"))["token"] == "theirs"
    # And a lock removed by hand is no error either.
    path.unlink()
    lock.acquire()
    path.unlink()
    lock.release()
    assert not path.exists()


def test_of_instances_starting_together_on_a_stale_lock_exactly_one_wins(
    database: Path, tmp_path: Path, holders: list[subprocess.Popen[str]]
) -> None:
    write_lock(database, pid=dead_pid(), token="crashed")
    start = tmp_path / "go"
    holders.extend(start_holders(database, 4, start))
    start.touch()
    outcomes = []
    for process in holders:
        assert process.stdout is not None
        outcomes.append(process.stdout.readline().strip())
    assert sorted(outcomes) == ["held", "refused", "refused", "refused"]
    assert not lock_path_for(database).with_name("zjtx.sqlite3.lock.recover").exists()


def test_the_folder_is_created_only_when_asked(tmp_path: Path) -> None:
    database = tmp_path / "新文件夹" / "zjtx.sqlite3"
    with pytest.raises(UserError) as refused:
        InstanceLock(database).acquire()
    assert "无法创建锁文件" in str(refused.value)
    with InstanceLock(database, create_folder=True):
        assert lock_path_for(database).exists()


def test_a_server_database_locks_nothing() -> None:
    with InstanceLock(None) as lock:
        assert not lock.held and lock.path is None
