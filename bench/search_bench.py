"""Search budgets of DESIGN §7 on the province-scale database (100,000 enterprises).

`search_bench()` measures, as the 企业库 page does them:

- the refresh per keystroke: what the page runs on the worker for each keystroke before the list
  repaints — the first screenful of ids (`search_ids(limit=40)`) and their rows (`fetch_rows`), in a
  session of its own (`ui.pages.enterprises.first_screen`) — as the median over a typed sequence
  (丽, 丽水, 精, 精密, l, ls, lsj, lsjm, 9133, 913311), budget ≤ 50 ms;
- a bare indexed SQL query of the same search with the standard library's sqlite3 (the same LIKE
  patterns, `ORDER BY name LIMIT 40`, ids only) as the baseline, and the ratio;
- the second step, every id of the search (scroll bar and count), for information;
- first paint of the list: an `EnterpriseTableModel` created on the open database until its first rows
  are there (the first-screenful job through the JobRunner, delivered on the GUI thread), budget
  ≤ 300 ms; and the same for the whole 企业库 page (filter lists, saved filters and form choices
  loaded too), for information.

Run as a script (offscreen Qt) it prints the numbers: `python bench/search_bench.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/search_bench.py` from the project folder
    sys.path.insert(0, str(ROOT))

from province import DB_PATH  # noqa: E402

TYPED = ("丽", "丽水", "精", "精密", "l", "ls", "lsj", "lsjm", "9133", "913311")
SCREEN_ROWS = 40
KEYSTROKE_BUDGET_MS = 50.0
FIRST_PAINT_BUDGET_MS = 300.0
WAIT_LIMIT_S = 30.0

BARE_SEARCH = "SELECT id FROM enterprise WHERE deleted_at IS NULL AND ({match}) ORDER BY name LIMIT ?"


@dataclass(frozen=True)
class SearchBenchResult:
    """Milliseconds; medians over the typed sequence (per keystroke) or over the runs (first paint)."""

    keystroke_ms: float  # first screenful of ids + their rows, per keystroke (budget ≤ 50 ms)
    bare_sql_ms: float  # the same search as one bare sqlite3 query of ids, per keystroke
    ratio: float  # keystroke_ms / bare_sql_ms
    ids_ms: float  # of the keystroke, the first screenful of ids alone (search_ids, limit 40); information
    all_ids_ms: float  # every id of the search (the count), per keystroke; information
    first_paint_ms: float  # model created → first rows available (budget ≤ 300 ms)
    page_first_paint_ms: float  # the whole 企业库 page created → first rows shown; information
    per_text: dict[str, tuple[float, float]] = field(default_factory=dict)  # text → (keystroke, bare)

    @property
    def passed(self) -> bool:
        return self.keystroke_ms <= KEYSTROKE_BUDGET_MS and self.first_paint_ms <= FIRST_PAINT_BUDGET_MS


def _ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _bare_query(connection: sqlite3.Connection, text: str) -> list[int]:
    """The search as one plain indexed query: the core's own LIKE patterns, nothing else."""
    from zjtx_desktop.search_text import initials_pattern, like_escape, normalise

    substring = f"%{like_escape(normalise(text))}%"
    initials = initials_pattern(text)
    if initials is None:
        sql = BARE_SEARCH.format(match="search_text LIKE ? ESCAPE '\\'")
        parameters: tuple[object, ...] = (substring, SCREEN_ROWS)
    else:
        sql = BARE_SEARCH.format(match="search_text LIKE ? ESCAPE '\\' OR name_initials LIKE ?")
        parameters = (substring, initials, SCREEN_ROWS)
    return [row[0] for row in connection.execute(sql, parameters)]


def _wait(app: object, done: Callable[[], bool]) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.perf_counter() + WAIT_LIMIT_S
    while not done():
        if time.perf_counter() > deadline:
            raise RuntimeError("the list did not show its first rows in time")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def search_bench(db_path: Path = DB_PATH, runs: int = 5) -> SearchBenchResult:
    """Measure the search budgets on an existing province-scale database (opened, never changed)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from zjtx_desktop.context import open_database
    from zjtx_desktop.database import resolve_location
    from zjtx_desktop.enterprise_query import EnterpriseFilter, search_ids

    ctx = open_database(resolve_location(str(db_path)), create=False)
    bare = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        from ui.pages.enterprises import all_ids, first_screen

        per_text: dict[str, tuple[float, float]] = {}
        counts: list[float] = []
        ids_only: list[float] = []
        for text in TYPED:
            query = EnterpriseFilter(text=text)
            first_screen(ctx, query, SCREEN_ROWS)  # warm: the first query of a text pays for cold pages
            _bare_query(bare, text)
            with ctx.sessions() as session:
                assert search_ids(session, query, limit=SCREEN_ROWS) == _bare_query(bare, text), text
            screen = statistics.median(_ms(lambda q=query: first_screen(ctx, q, SCREEN_ROWS)) for _ in range(runs))
            plain = statistics.median(_ms(lambda t=text: _bare_query(bare, t)) for _ in range(runs))
            per_text[text] = (screen, plain)
            with ctx.sessions() as session:
                ids_only.append(
                    statistics.median(
                        _ms(lambda q=query, s=session: search_ids(s, q, limit=SCREEN_ROWS)) for _ in range(runs)
                    )
                )
            counts.append(statistics.median(_ms(lambda q=query: all_ids(ctx, q)) for _ in range(max(1, runs // 2))))
        keystroke = statistics.median(screen for screen, _plain in per_text.values())
        bare_ms = statistics.median(plain for _screen, plain in per_text.values())
        model_ms, page_ms = _first_paint(ctx, runs)
    finally:
        bare.close()
        ctx.close()
    return SearchBenchResult(
        keystroke_ms=keystroke,
        bare_sql_ms=bare_ms,
        ratio=keystroke / bare_ms if bare_ms else float("inf"),
        ids_ms=statistics.median(ids_only),
        all_ids_ms=statistics.median(counts),
        first_paint_ms=model_ms,
        page_first_paint_ms=page_ms,
        per_text=per_text,
    )


def _first_paint(ctx: object, runs: int) -> tuple[float, float]:
    """(model, page): medians of `runs`, after one warm-up each, of creation → first rows in the model."""
    from ui.app import prepare_application
    from ui.jobs import JobRunner
    from ui.models.enterprise_model import EnterpriseTableModel
    from ui.pages.enterprises import EnterprisesPage, first_screen
    from zjtx_desktop.context import AppContext
    from zjtx_desktop.enterprise_query import EnterpriseFilter

    assert isinstance(ctx, AppContext)
    app = prepare_application()
    jobs = JobRunner()
    try:

        def model_once() -> float:
            started = time.perf_counter()
            model = EnterpriseTableModel(jobs)
            job = jobs.submit(lambda _control: first_screen(ctx, EnterpriseFilter()), name="bench")

            def show(first: object) -> None:
                model.add_rows(first.rows)  # type: ignore[attr-defined]
                model.set_ids(first.ids)  # type: ignore[attr-defined]

            job.finished.connect(show)
            _wait(app, lambda: model.rowCount() > 0 and model.is_fetched(0))
            return (time.perf_counter() - started) * 1000

        def page_once() -> float:
            started = time.perf_counter()
            page = EnterprisesPage(jobs)
            page.set_context(ctx)
            page.activate()
            _wait(app, lambda: page.model.rowCount() > 0 and page.model.is_fetched(0))
            elapsed = (time.perf_counter() - started) * 1000
            _wait(app, lambda: not page.is_counting())  # let the count finish before the next run
            page.deleteLater()
            return elapsed

        model_once()
        page_once()
        model_ms = statistics.median(model_once() for _ in range(runs))
        page_ms = statistics.median(page_once() for _ in range(runs))
    finally:
        jobs.shutdown()
    return model_ms, page_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per measurement (median is reported)")
    args = parser.parse_args()
    if not DB_PATH.exists():
        print("省级规模数据库不存在：请先运行 bench/generate.py。", file=sys.stderr)
        return 2
    result = search_bench(runs=args.runs)
    print(f"Search on {DB_PATH.name}: median over {', '.join(TYPED)}")
    for text, (screen, plain) in result.per_text.items():
        print(f"  {text:<8} first screenful + rows {screen:6.1f} ms   bare SQL {plain:6.2f} ms")
    print(
        f"refresh per keystroke {result.keystroke_ms:.1f} ms (budget ≤ {KEYSTROKE_BUDGET_MS:.0f} ms), "
        f"bare SQL {result.bare_sql_ms:.2f} ms, ratio {result.ratio:.1f}×"
    )
    print(f"of which the first screenful of ids alone (search_ids, limit {SCREEN_ROWS}) {result.ids_ms:.2f} ms")
    print(f"every id of the search (count, information) {result.all_ids_ms:.0f} ms")
    print(
        f"first paint: model → first rows {result.first_paint_ms:.0f} ms (budget ≤ {FIRST_PAINT_BUDGET_MS:.0f} ms); "
        f"whole page {result.page_first_paint_ms:.0f} ms"
    )
    print("PASS" if result.passed else "FAIL")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
