"""Background jobs: work runs off the GUI thread, one at a time; outcomes come back as signals on the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.jobs import UNEXPECTED_MESSAGE, JobControl, JobRunner
from zjtx_desktop.errors import UserError


@pytest.fixture
def runner(app: QApplication) -> Iterator[JobRunner]:
    jobs = JobRunner()
    yield jobs
    assert jobs.shutdown(timeout_ms=10_000)


def on_gui_thread() -> bool:
    app = QApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()


def test_work_runs_on_the_worker_and_its_result_arrives_on_the_gui_thread(qtbot: QtBot, runner: JobRunner) -> None:
    worker_threads: list[int] = []

    def work(control: JobControl) -> dict[str, int]:
        worker_threads.append(threading.get_ident())
        return {"rows": 42}

    job = runner.submit(work, name="测试")
    received: list[tuple[object, bool]] = []
    job.finished.connect(lambda result: received.append((result, on_gui_thread())))
    with qtbot.waitSignal(runner.idle):
        pass
    assert received == [({"rows": 42}, True)]
    assert worker_threads and worker_threads[0] != threading.get_ident()
    assert job.is_done and job.result == {"rows": 42} and job.error is None
    assert runner.is_idle()


def test_a_user_error_fails_the_job_with_its_own_message(qtbot: QtBot, runner: JobRunner) -> None:
    def work(control: JobControl) -> None:
        raise UserError("文件中第 3 行的统一社会信用代码无效。")

    job = runner.submit(work, name="导入")
    with qtbot.waitSignal(job.failed) as failed:
        pass
    assert failed.args == ["文件中第 3 行的统一社会信用代码无效。"]
    assert job.error == "文件中第 3 行的统一社会信用代码无效。" and job.result is None


def test_an_unexpected_error_gives_a_chinese_message_and_logs_the_traceback(
    qtbot: QtBot, runner: JobRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def work(control: JobControl) -> None:
        raise KeyError("internal detail")

    with caplog.at_level(logging.ERROR, logger="ui.jobs"):
        job = runner.submit(work, name="导出")
        with qtbot.waitSignal(job.failed) as failed:
            pass
    assert failed.args == [UNEXPECTED_MESSAGE]
    assert "internal detail" not in UNEXPECTED_MESSAGE
    assert "后台操作" in UNEXPECTED_MESSAGE
    logged = [record for record in caplog.records if record.name == "ui.jobs"]
    assert logged and "导出" in logged[0].getMessage()
    assert logged[0].exc_info is not None and logged[0].exc_info[0] is KeyError


def test_a_shared_servers_refusal_is_said_plainly_and_still_logged(
    qtbot: QtBot, runner: JobRunner, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy.exc import ProgrammingError

    class InsufficientPrivilege(Exception):
        sqlstate = "42501"

    def work(control: JobControl) -> None:
        raise ProgrammingError("SELECT …", None, InsufficientPrivilege("permission denied for table target"))

    with caplog.at_level(logging.ERROR, logger="ui.jobs"):
        job = runner.submit(work, name="目标任务")
        with qtbot.waitSignal(job.failed) as failed:
            pass
    assert (
        "数据库账户没有这项操作所需的权限" in failed.args[0] and "permission denied for table target" in failed.args[0]
    )
    assert any(record.name == "ui.jobs" for record in caplog.records)


def test_jobs_run_one_at_a_time_in_order(qtbot: QtBot, runner: JobRunner) -> None:
    order: list[int] = []
    running = threading.Semaphore(1)

    def work(number: int) -> int:
        # A second job running alongside would find the semaphore taken.
        assert running.acquire(blocking=False), "two jobs ran at once"
        try:
            order.append(number)
            return number
        finally:
            running.release()

    jobs = [runner.submit(lambda _control, n=n: work(n), name=f"job {n}") for n in range(8)]
    qtbot.waitUntil(runner.is_idle)
    assert order == list(range(8))
    assert [job.result for job in jobs] == list(range(8))


def test_a_cancelled_job_that_has_not_started_never_runs(qtbot: QtBot, runner: JobRunner) -> None:
    release = threading.Event()
    ran: list[str] = []
    blocker = runner.submit(lambda _control: release.wait(10), name="blocker")
    waiting = runner.submit(lambda _control: ran.append("ran"), name="waiting")
    waiting.cancel()
    release.set()
    with qtbot.waitSignal(waiting.cancelled):
        pass
    assert ran == []
    assert blocker.result is True


def test_work_sees_the_cancel_flag_and_stops(qtbot: QtBot, runner: JobRunner) -> None:
    started = threading.Event()

    def work(control: JobControl) -> None:
        started.set()
        # Core code checks the flag between steps; here nothing else happens in between.
        control.cancel.wait(10)
        if control.cancelled:
            raise UserError("已取消。")

    job = runner.submit(work, name="长任务")
    assert started.wait(10)
    job.cancel()
    with qtbot.waitSignal(job.cancelled):
        pass
    assert job.error is None


def test_progress_reaches_the_gui_thread_throttled_with_the_last_step(qtbot: QtBot, runner: JobRunner) -> None:
    def work(control: JobControl) -> str:
        for done in range(1, 10_001):
            control.progress(done, 10_000, "正在校验")
        return "ok"

    reports: list[tuple[int, int, str, bool]] = []
    job = runner.submit(work, name="校验")
    job.progress.connect(lambda done, total, text: reports.append((done, total, text, on_gui_thread())))
    with qtbot.waitSignal(job.finished):
        pass
    assert 1 <= len(reports) < 1_000
    assert reports[-1] == (10_000, 10_000, "正在校验", True)


def test_shutdown_joins_a_running_job_and_drops_its_outcome(qtbot: QtBot, app: QApplication) -> None:
    runner = JobRunner()
    started, release = threading.Event(), threading.Event()

    def work(control: JobControl) -> str:
        started.set()
        release.wait(10)
        return "committed"

    job = runner.submit(work, name="写入")
    queued = runner.submit(lambda _control: "never", name="排队")
    delivered: list[object] = []
    for each in (job, queued):
        each.finished.connect(delivered.append)
        each.cancelled.connect(lambda: delivered.append("cancelled"))
    assert started.wait(10)
    # Released from another thread while shutdown() waits: the running job is finished, not killed.
    threading.Timer(0.05, release.set).start()
    assert runner.shutdown()
    assert job.result == "committed"
    assert queued.result is None  # cancelled before it started
    app.processEvents()
    assert delivered == []  # nobody is told after shutdown
    with pytest.raises(RuntimeError):
        runner.submit(lambda _control: None, name="太晚")
