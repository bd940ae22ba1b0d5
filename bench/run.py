"""Measures the DESIGN §7 budgets on the province-scale database and prints one PASS/FAIL line per budget."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from province import DB_PATH, GENERATION_BUDGET_S, ROOT, complete_meta

from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.standing import load_thresholds, standings

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
            today = dt.date.today()

            def once() -> float:
                # What the dashboard computes: every target's count, last year's count for the change of
                # rank (same query), then pace, status and rank.
                started = time.perf_counter()
                report = progress_by_unit(session, previous_year_end=today.year - 1)
                standings(report, today, load_thresholds(session))
                elapsed = time.perf_counter() - started
                assert report.rows, "the province database has no targets"
                return elapsed * 1000

            milliseconds = median_of(runs, once)
    finally:
        ctx.close()
    result.measured = f"{milliseconds:.0f} ms"
    result.verdict = verdict(milliseconds <= 100)
    result.note = f"median of {runs} runs: progress_by_unit() with last year's counts, then standings()"
    return result


# --- start to an interactive main window -----------------------------------------------------

# Both children print "READY <wall-clock time>" at the first event-loop turn after show(); the parent
# subtracts the time it started them, so interpreter start-up and every import are included.
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

# The real program, as a user starts it: main.py → cli → ui.app.run_gui. The variable makes run_gui
# print "READY <time> <1 if window, navigation and first page are visible> <time run_gui was entered>"
# at the first event-loop turn after show, then "SETTLED <time>" once the first page has its data and
# chart, and quit (see ui/app.py).
APP = [sys.executable, "main.py", "--db", str(DB_PATH)]
# The benchmark's own administrator, typed into the sign-in dialog by run_gui in bench mode.
BENCH_USER, BENCH_PASSWORD = "bench", "bench-province-2026"
APP_ENV = {"ZJTX_BENCH_EXIT_AFTER_SHOW": "1", "ZJTX_BENCH_LOGIN": f"{BENCH_USER}:{BENCH_PASSWORD}"}
CHILD_TIMEOUT_S = 120


@dataclass
class Start:
    ready: float  # seconds from process start to the first event-loop turn after show()
    entered: float | None = None  # …to run_gui being called (main.py, the command line, ui.app and Qt imported)
    settled: float | None = None  # …to the first page having its data and chart
    peak_mb: float | None = None  # peak resident memory of the whole run


def _run_child(command: list[str], extra_env: dict[str, str]) -> tuple[float, int, str, float | None]:
    """Start time, exit code, output (stdout and stderr) and peak resident MB (where the OS reports it)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), **extra_env)
    started = time.time()
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        killer = threading.Timer(CHILD_TIMEOUT_S, child.kill)
        killer.start()
        try:
            assert child.stdout is not None
            output = child.stdout.read()
            peak_mb = None
            if hasattr(os, "wait4"):
                # wait4 reports this child's own peak memory (Linux: KiB, macOS: bytes).
                _, status, usage = os.wait4(child.pid, 0)
                child.returncode = os.waitstatus_to_exitcode(status)
                peak_mb = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
            else:
                child.wait()
        finally:
            killer.cancel()
    return started, child.returncode, output, peak_mb


def start_once(command: list[str], extra_env: dict[str, str] | None = None) -> Start:
    started, code, output, peak_mb = _run_child(command, extra_env or {})
    start: Start | None = None
    for line in output.splitlines():
        word, *values = line.split() or [""]
        if word == "READY":
            if len(values) > 1 and values[1] != "1":
                raise RuntimeError("the main window, its navigation or its first page was not visible")
            start = Start(float(values[0]) - started, peak_mb=peak_mb)
            if len(values) > 2:
                start.entered = float(values[2]) - started
        elif word == "SETTLED" and start is not None:
            start.settled = float(values[0]) - started
    if start is None or code != 0:
        tail = (output.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the window did not come up (exit {code}): {tail}")
    return start


def ensure_configured() -> None:
    """Configure the benchmark database as a city installation (`init`, harmless once done) with an
    administrator: no first-run wizard, and the start signs in as a user would."""
    completed = subprocess.run([*APP, "init"], cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"main.py init failed: {completed.stderr.strip()}")
    from zjtx_desktop.accounts import create_first_admin, has_accounts
    from zjtx_desktop.context import open_database
    from zjtx_desktop.database import resolve_location, transaction

    ctx = open_database(resolve_location(str(DB_PATH)), daily=False)
    try:
        with transaction(ctx.sessions) as session:
            if not has_accounts(session):
                create_first_admin(session, ctx.actor, BENCH_USER, "基准测试", BENCH_PASSWORD)
    finally:
        ctx.close()


def bench_start(runs: int) -> tuple[Result, Result, Result, Result]:
    start = Result("start to an interactive main window", "≤ 1.5 s and ≤ 3× bare Qt")
    before_gui = Result("  of which before run_gui (information)", "—", verdict="info")
    settled = Result("  first page settled (information)", "—", verdict="info")
    memory = Result("memory with the database open in the GUI", "≤ 300 MB resident")
    try:
        ensure_configured()
        start_once(APP, APP_ENV)  # warm-up: the first run pays for cold disk caches
        start_once([sys.executable, "-c", BARE_QT])
        apps = [start_once(APP, APP_ENV) for _ in range(runs)]
        bare = statistics.median(start_once([sys.executable, "-c", BARE_QT]).ready for _ in range(runs))
    except RuntimeError as error:
        start.verdict = "FAIL"
        start.note = str(error)
        return start, before_gui, settled, memory
    ready = statistics.median(run.ready for run in apps)
    start.measured = f"{ready:.2f} s"
    start.baseline = f"{bare:.2f} s"
    start.ratio = f"{ready / bare:.1f}×"
    start.verdict = verdict(ready <= 1.5 and ready <= 3 * bare)
    start.note = f"median of {runs}; python main.py to the shown window; baseline: QApplication + empty QMainWindow"
    entered = [run.entered for run in apps if run.entered is not None]
    if entered:
        inside = statistics.median(run.ready - run.entered for run in apps if run.entered is not None)
        before_gui.measured = f"{statistics.median(entered):.2f} s"
        before_gui.note = (
            "interpreter, main.py → zjtx_desktop.cli imports, then ui.app with Qt; "
            f"run_gui itself (QApplication, font, stylesheet, window, show) took {inside * 1000:.0f} ms"
        )
    settle_times = [run.settled for run in apps if run.settled is not None]
    if settle_times:
        settled.measured = f"{statistics.median(settle_times):.2f} s"
        settled.note = "database opened on the worker, first page's data and chart shown"
    sizes = [run.peak_mb for run in apps if run.peak_mb is not None]
    if sizes:
        peak = max(sizes)
        memory.measured = f"{peak:.0f} MB"
        memory.verdict = verdict(peak <= 300)
        memory.note = "peak resident, until the first page settled; only the pages built so far"
    return start, before_gui, settled, memory


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


def bench_search(runs: int) -> tuple[Result, Result]:
    from search_bench import search_bench

    measured = search_bench(DB_PATH, runs=runs)
    keystroke = Result("search-as-you-type refresh per keystroke", "≤ 50 ms")
    keystroke.measured, keystroke.baseline = f"{measured.keystroke_ms:.1f} ms", f"{measured.bare_sql_ms:.2f} ms"
    keystroke.ratio, keystroke.verdict = f"{measured.ratio:.0f}×", verdict(measured.keystroke_ms <= 50)
    keystroke.note = f"first screenful of ids and their rows; all ids (the count) {measured.all_ids_ms:.0f} ms"
    paint = Result("  first paint of the 企业库 list", "≤ 300 ms")
    paint.measured, paint.verdict = f"{measured.first_paint_ms:.0f} ms", verdict(measured.first_paint_ms <= 300)
    paint.note = f"model created → first rows; whole page {measured.page_first_paint_ms:.0f} ms"
    return keystroke, paint


def bench_export(runs: int) -> Result:
    import tempfile

    from exchange_bench import export_ratio

    result = Result("export of the same rows", "≤ 1.3× openpyxl dump")
    with tempfile.TemporaryDirectory() as folder:
        seconds, baseline = export_ratio(folder, runs=runs)
    ratio = seconds / baseline
    result.measured, result.baseline, result.ratio = f"{seconds:.2f} s", f"{baseline:.2f} s", f"{ratio:.2f}×"
    result.verdict = verdict(ratio <= 1.3)
    result.note = "CPU time, 50,000 enterprises × 28 columns vs a bare openpyxl write-only dump of the same values"
    return result


def bench_import() -> Result:
    import tempfile
    from pathlib import Path

    from import_bench import ROWS, import_ratio

    result = Result("import 50,000 rows × 20 columns", "≤ 2× calamine parse")
    with tempfile.TemporaryDirectory() as folder:
        seconds, baseline = import_ratio(Path(folder), DB_PATH)
    ratio = seconds / baseline
    result.measured, result.baseline, result.ratio = f"{seconds:.2f} s", f"{baseline:.2f} s", f"{ratio:.1f}×"
    result.verdict = verdict(ratio <= 2.0)
    result.note = (
        f"median of 3: {ROWS:,} new enterprises validated and committed (with audit entries) into a copy of the "
        "province database; baseline: bare calamine parse of the same file"
    )
    return result


def bench_roster(runs: int) -> Result:
    from report_bench import roster_timing

    result = Result("roster PDF of 1,000 enterprises", "≤ 1.5 s and ≤ 2× bare table")
    timing = roster_timing(DB_PATH, runs=runs)
    ratio = timing.cpu / timing.baseline_cpu
    result.measured, result.baseline = f"{timing.seconds:.2f} s", f"{timing.baseline_seconds:.2f} s"
    result.ratio, result.verdict = f"{ratio:.1f}×", verdict(timing.seconds <= 1.5 and ratio <= 2.0)
    result.note = (
        f"median of {runs}: {timing.program} {timing.year}, {timing.rows:,} rows, {timing.pages} pages through the "
        "builder; baseline: the same rows as plain strings in a bare Table(repeatRows=1); ratio of CPU times"
    )
    return result


def bench_annual(runs: int) -> Result:
    from report_bench import annual_timing

    result = Result("annual report with its charts", "≤ 5 s")
    try:
        timing = annual_timing(DB_PATH, runs=runs)
    except RuntimeError as error:
        result.verdict, result.note = "FAIL", str(error)
        return result
    result.measured, result.verdict = f"{timing.cold:.2f} s", verdict(timing.cold <= 5.0)
    result.note = (
        f"{timing.year}, {timing.pages} pages, 3 charts: the first report in a fresh process with the database open "
        f"(matplotlib and the font loaded on the way); later ones {timing.warm:.2f} s"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or ""))
    parser.add_argument("--runs", type=int, default=5, help="repetitions per measurement (median is reported)")
    args = parser.parse_args()
    if complete_meta() is None:
        print("省级规模数据库不存在或不完整：请先运行 bench/generate.py（或 make bench）。", file=sys.stderr)
        return 2

    start, before_gui, settled, memory = bench_start(args.runs)
    results = [
        start,
        before_gui,
        settled,
        *bench_search(args.runs),
        bench_progress(max(args.runs, 7)),
        bench_import(),
        bench_export(min(args.runs, 3)),
        bench_roster(args.runs),
        bench_annual(min(args.runs, 3)),
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
