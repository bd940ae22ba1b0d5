"""Background work: jobs run on a worker thread and report progress, result or failure as Qt signals.

The one pattern for anything slow (opening the database, page queries, import, export, reports):

    job = window.jobs.submit(lambda control: import_rows(ctx, path, progress=control.progress,
                                                         cancel=control.cancel), name="导入企业名录")
    job.progress.connect(bar.set_progress)
    job.finished.connect(self.show_result)   # the work's return value
    job.failed.connect(self.show_error)      # a complete Chinese sentence

The work runs on the runner's worker thread and must not touch widgets; it gets a `JobControl` with a
throttled `progress(done, total, text)` callback and a `cancel` flag (a `threading.Event`) in the core's
own terms, and returns plain values or dataclasses — never ORM instances. The job's signals are emitted
on the GUI thread. A runner has one worker thread by default, so database work is serialised: jobs run
one at a time, in the order they were submitted.
"""

from __future__ import annotations

import enum
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

from zjtx_desktop.errors import UserError
from zjtx_desktop.server_errors import explain_server_error

log = logging.getLogger(__name__)

UNEXPECTED_MESSAGE = (
    "后台操作发生了意外错误，没有完成。数据库中已提交的数据不受影响；详细信息已记入日志，请联系技术支持人员。"
)

# At most this often a progress report crosses to the GUI thread: a core loop may report every row.
PROGRESS_INTERVAL_S = 0.05

Work = Callable[["JobControl"], Any]


class Outcome(enum.Enum):
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobControl:
    """What the work sees, on the worker thread: progress reporting and the cancel flag."""

    def __init__(self, report: Callable[[int, int, str], None]) -> None:
        self.cancel = threading.Event()
        self._report = report
        self._last_report = 0.0

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Report progress; calls closer together than PROGRESS_INTERVAL_S are dropped, except the last step."""
        now = time.monotonic()
        if done < total and now - self._last_report < PROGRESS_INTERVAL_S:
            return
        self._last_report = now
        self._report(done, total, text)


class _Task:
    """The worker's side of a job: the work, its control and its outcome.

    It never refers to its Job, so that QObject is never used, nor freed by a last reference going away, on
    the worker thread; the worker only emits the runner's relay signals.
    """

    def __init__(self, work: Work, name: str, control: JobControl) -> None:
        self.work = work
        self.name = name
        self.control = control
        self.outcome: Outcome | None = None
        self.value: Any = None

    def run(self, relay: _Relay) -> None:
        outcome = Outcome.FAILED
        value: Any = UNEXPECTED_MESSAGE
        try:
            if not self.control.cancelled:  # a job cancelled while it waited never starts
                value = self.work(self.control)
                # Finished even if cancel came too late to stop it: the work may have committed.
                outcome = Outcome.FINISHED
        except UserError as error:
            value = str(error)
        except Exception as error:
            if not self.control.cancelled:
                log.exception("background job %r failed", self.name)
                # A shared server's refusals (rights, a lost connection, a deadlock…) are said plainly.
                value = explain_server_error(error) or UNEXPECTED_MESSAGE
        finally:
            if outcome is not Outcome.FINISHED and self.control.cancelled:
                outcome, value = Outcome.CANCELLED, None
            self.outcome, self.value = outcome, value
            relay.ended.emit(self)


class _Relay(QObject):
    """Carries reports from the worker to the runner on the GUI thread (queued connections)."""

    progress = Signal(object, int, int, str)
    ended = Signal(object)


class Job(QObject):
    """One piece of work submitted to a JobRunner; lives on the GUI thread, where its signals are emitted.

    Exactly one of finished, failed or cancelled is emitted, once, unless the runner was shut down first.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, task: _Task) -> None:
        super().__init__()
        self.name = task.name
        self.control = task.control
        self._task = task
        self._delivered = False

    def cancel(self) -> None:
        """Ask the work to stop: a job still waiting never runs; running work stops where it checks the flag."""
        self.control.cancel.set()

    @property
    def is_done(self) -> bool:
        """True once the outcome has been delivered on the GUI thread."""
        return self._delivered

    @property
    def result(self) -> Any:
        """The work's return value once it has finished (set on the worker thread, before delivery)."""
        return self._task.value if self._task.outcome is Outcome.FINISHED else None

    @property
    def error(self) -> str | None:
        """The message of a failed job (as `failed` carries it), else None."""
        return str(self._task.value) if self._task.outcome is Outcome.FAILED else None

    def _deliver(self) -> None:
        self._delivered = True
        if self._task.outcome is Outcome.FINISHED:
            self.finished.emit(self._task.value)
        elif self._task.outcome is Outcome.CANCELLED:
            self.cancelled.emit()
        else:
            self.failed.emit(str(self._task.value))


class JobRunner(QObject):
    """Runs jobs on its own worker thread(s) and keeps them alive until their outcome is delivered.

    With max_threads=1 (the default, used for the database) jobs run one at a time in submission order.
    `shutdown()` cancels what has not started, waits for the rest and joins the thread; call it before
    the QApplication goes away (run_gui does, and the tests' fixtures do).
    """

    idle = Signal()  # the last outstanding job has been delivered

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 1) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        # Keep the worker thread for the runner's life: SQLite connections then stay on one thread.
        self._pool.setExpiryTimeout(-1)
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._relay.ended.connect(self._on_ended, Qt.ConnectionType.QueuedConnection)
        self._jobs: dict[_Task, Job] = {}  # submitted, outcome not yet delivered
        self._closed = False

    def submit(self, work: Work, *, name: str) -> Job:
        """Queue work(control) for the worker; connect to the returned job's signals right away."""
        if self._closed:
            raise RuntimeError("JobRunner.submit after shutdown")
        relay = self._relay
        task: _Task

        def report(done: int, total: int, text: str) -> None:
            relay.progress.emit(task, done, total, text)

        task = _Task(work, name, JobControl(report))
        job = Job(task)
        self._jobs[task] = job
        self._pool.start(functools.partial(task.run, relay))
        return job

    def is_idle(self) -> bool:
        return not self._jobs

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel()

    def shutdown(self, timeout_ms: int = -1) -> bool:
        """Cancel the waiting jobs, wait for the running one and join the thread; False if that timed out.

        Outcomes not delivered by then are dropped: nothing is called back after shutdown.
        """
        self._closed = True
        self.cancel_all()
        joined = bool(self._pool.waitForDone(timeout_ms))
        self._jobs.clear()
        return joined

    @Slot(object, int, int, str)
    def _on_progress(self, task: _Task, done: int, total: int, text: str) -> None:
        job = self._jobs.get(task)
        if job is not None:
            job.progress.emit(done, total, text)

    @Slot(object)
    def _on_ended(self, task: _Task) -> None:
        job = self._jobs.pop(task, None)
        if job is None:  # the runner was shut down: nobody is listening any more
            return
        job._deliver()
        if not self._jobs:
            self.idle.emit()
