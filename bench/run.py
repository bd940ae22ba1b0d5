"""Measures the DESIGN §7 budgets on the province-scale database and prints one PASS/FAIL line per budget."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass

from province import DB_PATH, GENERATION_BUDGET_S, ROOT, complete_meta

from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.progress import progress_by_unit

NOT_YET = "not yet"


@dataclass
class Result:
    name: str
    budget: str
    measured: str = "—"
    baseline: str = "—"
    ratio: str = "—"
    verdict: str = NOT_YET
    note: str = ""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


# --- progress for every unit, program and period ---------------------------------------------


def bench_progress(runs: int) -> Result:
    result = Result("progress for every unit, program and period", "≤ 100 ms")
    ctx = open_database(resolve_location(str(DB_PATH)), create=False)
    try:
        with transaction(ctx.sessions) as session:

            def once() -> float:
                started = time.perf_counter()
                report = progress_by_unit(session)
                elapsed = time.perf_counter() - started
                assert report.rows, "the province database has no targets"
                return elapsed * 1000

            milliseconds = median_of(runs, once)
    finally:
        ctx.close()
    result.measured = f"{milliseconds:.0f} ms"
    result.verdict = verdict(milliseconds <= 100)
    result.note = f"median of {runs} runs, progress_by_unit()"
    return result


# --- start to an interactive main window -----------------------------------------------------

# Both children print the wall-clock time of the first event-loop turn after show(); the parent
# subtracts the time it started them, so interpreter start-up and imports are included.
BARE_QT = """
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()
QTimer.singleShot(0, lambda: (print("READY", time.time(), flush=True), os._exit(0)))
app.exec()
"""

APP = """
import os, sys, time
try:
    from PySide6.QtCore import QTimer
    from ui.main_window import MainWindow
except ImportError as error:
    print("NOTYET", error, flush=True)
    sys.exit(3)
try:
    from ui.app import prepare_application  # names, font and stylesheet, as the real start does
except ImportError:
    from PySide6.QtWidgets import QApplication
    prepare_application = lambda: QApplication(sys.argv[:1])
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location

def resident_mb():
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:
        return -1

app = prepare_application()
ctx = open_database(resolve_location(os.environ["ZJTX_BENCH_DB"]), create=False)
window = MainWindow(ctx, remember_geometry=False)
window.show()

def done():
    print("SETTLED", time.time(), resident_mb(), flush=True)
    os._exit(0)

def ready():
    print("READY", time.time(), flush=True)
    page = window.stack.currentWidget()
    if hasattr(page, "is_settled") and not page.is_settled():
        page.settled.connect(done)
        QTimer.singleShot(30_000, done)
    else:
        done()

QTimer.singleShot(0, ready)
app.exec()
"""


@dataclass
class Start:
    ready: float  # seconds from process start to the first event-loop turn after show()
    settled: float | None = None  # …to the first page having finished its deferred work
    resident_mb: float | None = None


class NotYet(Exception):
    pass


def start_once(code: str) -> Start:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), ZJTX_BENCH_DB=str(DB_PATH))
    started = time.time()
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    start: Start | None = None
    for line in completed.stdout.splitlines():
        word, *values = line.split() or [""]
        if word == "NOTYET":
            raise NotYet(line.removeprefix("NOTYET ").strip())
        if word == "READY":
            start = Start(float(values[0]) - started)
        elif word == "SETTLED" and start is not None:
            start.settled = float(values[0]) - started
            start.resident_mb = float(values[1])
    if start is None:
        tail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the window did not come up (exit {completed.returncode}): {tail}")
    return start


def bench_start(runs: int) -> tuple[Result, Result, Result]:
    start = Result("start to an interactive main window", "≤ 1.5 s and ≤ 3× bare Qt")
    settled = Result("  first page settled (information)", "—", verdict="info")
    memory = Result("memory with the database open in the GUI", "≤ 300 MB resident")
    try:
        start_once(APP)  # warm-up: the first run pays for cold disk caches
        start_once(BARE_QT)
        apps = [start_once(APP) for _ in range(runs)]
        bare = statistics.median(start_once(BARE_QT).ready for _ in range(runs))
    except NotYet as reason:
        start.note = f"ui.main_window not importable: {reason}"
        memory.note = start.note
        return start, settled, memory
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        start.verdict = "FAIL"
        start.note = str(error)
        return start, settled, memory
    ready = statistics.median(run.ready for run in apps)
    start.measured = f"{ready:.2f} s"
    start.baseline = f"{bare:.2f} s"
    start.ratio = f"{ready / bare:.1f}×"
    start.verdict = verdict(ready <= 1.5 and ready <= 3 * bare)
    start.note = f"median of {runs}; baseline: QApplication + empty QMainWindow"
    settle_times = [run.settled for run in apps if run.settled is not None]
    if settle_times:
        settled.measured = f"{statistics.median(settle_times):.2f} s"
        settled.note = "until the first page's deferred loading finished"
    sizes = [run.resident_mb for run in apps if run.resident_mb is not None and run.resident_mb > 0]
    if sizes:
        resident = max(sizes)
        memory.measured = f"{resident:.0f} MB"
        memory.verdict = verdict(resident <= 300)
        memory.note = "after the first page settled; only the pages built so far"
    return start, settled, memory


# --- demo generation ---------------------------------------------------------------------------


def bench_generation() -> Result:
    result = Result("demo generation, 100,000 enterprises", f"≤ {GENERATION_BUDGET_S:.0f} s")
    meta = complete_meta()
    if meta is None:
        result.verdict = "FAIL"
        result.note = "no complete province database: run bench/generate.py first"
        return result
    seconds = float(meta["seconds"])
    result.measured = f"{seconds:.1f} s"
    result.verdict = verdict(seconds <= GENERATION_BUDGET_S)
    summary = meta["summary"]
    result.note = (
        f"as timed by bench/generate.py: {summary['cultivations']:,} cultivation, "
        f"{summary['annual_reports']:,} annual rows"
    )
    return result


def print_table(results: list[Result]) -> None:
    headers = ("budget", "limit", "measured", "baseline", "ratio", "result", "note")
    rows = [headers] + [(r.name, r.budget, r.measured, r.baseline, r.ratio, r.verdict, r.note) for r in results]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(headers) - 1)]
    for number, row in enumerate(rows):
        cells = [_pad(cell, width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))


def _width(text: str) -> int:
    """Display width: CJK characters and full-width signs take two columns."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def main() -> int:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or ""))
    parser.add_argument("--runs", type=int, default=5, help="repetitions per measurement (median is reported)")
    args = parser.parse_args()
    if complete_meta() is None:
        print("省级规模数据库不存在或不完整：请先运行 bench/generate.py（或 make bench）。", file=sys.stderr)
        return 2

    start, settled, memory = bench_start(args.runs)
    results = [
        start,
        settled,
        Result("search-as-you-type refresh per keystroke", "≤ 50 ms"),
        bench_progress(max(args.runs, 7)),
        Result("import 50,000 rows × 20 columns", "≤ 2× calamine parse"),
        Result("export of the same rows", "≤ 1.3× openpyxl dump"),
        Result("roster PDF of 1,000 enterprises", "≤ 1.5 s"),
        Result("annual report with its charts", "≤ 5 s"),
        memory,
        bench_generation(),
    ]
    print(f"Budgets of DESIGN §7 on {DB_PATH.name} ({DB_PATH.stat().st_size / 2**20:.0f} MB)")
    print_table(results)
    failed = [r.name for r in results if r.verdict == "FAIL"]
    if failed:
        print(f"\n{len(failed)} budget(s) failed: {'; '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
