"""Export budget of DESIGN §7: exporting 50,000 enterprises ≤ 1.3× a bare openpyxl write-only dump of the same values.

`export_ratio(tmpdir)` builds a fresh database of 50,000 demo enterprises in `tmpdir` (28 columns,
≈ 1.1 million non-empty cells), times the export of the 企业信息 sheet (query, conversion, styles,
drop-downs, save) and, in the same process, a bare openpyxl write-only dump of exactly the values in
that file (read back with python-calamine beforehand, so the dump writes the same cells without
styles, validations or database work). Both are single-threaded and CPU-bound, so they are timed in
process CPU time (`time.process_time`, which includes the system time of the file writes): on a
shared machine wall-clock time mostly measures the neighbours. Runs alternate; medians are reported.
Run as a script it prints both times and the ratio.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/exchange_bench.py` from the project folder
    sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from zjtx_desktop.context import open_database  # noqa: E402
from zjtx_desktop.database import resolve_location, transaction  # noqa: E402
from zjtx_desktop.demo import generate_demo  # noqa: E402
from zjtx_desktop.exchange.export import write_workbook  # noqa: E402
from zjtx_desktop.exchange.sheets import SHEET_BY_KIND  # noqa: E402

ROWS = 50_000
SEED = 20180615
BUDGET = 1.3


def _bare_dump(rows: list[list[Any]], path: Path) -> float:
    started = time.process_time()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_BY_KIND["enterprises"].name)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return time.process_time() - started


def export_ratio(tmpdir: str | Path, *, rows: int = ROWS, runs: int = 5) -> tuple[float, float]:
    """(export seconds, baseline seconds): medians of `runs` alternating runs on `rows` enterprises."""
    folder = Path(tmpdir)
    ctx = open_database(resolve_location(str(folder / "export_bench.sqlite3")), actor="bench")
    out = folder / "export.xlsx"
    try:
        with transaction(ctx.sessions) as session:
            generate_demo(session, rows, SEED)
        with transaction(ctx.sessions) as session:
            result = write_workbook(out, session, ["enterprises"])  # warm-up; gives the values for the baseline
        assert result.rows["enterprises"] == rows, result.rows
        sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(SHEET_BY_KIND["enterprises"].name)
        values = [[None if cell == "" else cell for cell in row] for row in sheet.to_python()]
        # The baseline's input stays in memory while both are timed: keep the garbage collector from
        # re-scanning its 1.4 million objects, which would slow either side for nothing it does.
        gc.collect()
        gc.freeze()
        exports: list[float] = []
        dumps: list[float] = []
        for _ in range(runs):
            with transaction(ctx.sessions) as session:
                started = time.process_time()
                write_workbook(out, session, ["enterprises"])
                exports.append(time.process_time() - started)
            dumps.append(_bare_dump(values, folder / "bare.xlsx"))
    finally:
        gc.unfreeze()
        ctx.close()
    return statistics.median(exports), statistics.median(dumps)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="zjtx-export-bench-") as tmpdir:
        seconds, baseline = export_ratio(tmpdir)
    ratio = seconds / baseline
    verdict = "PASS" if ratio <= BUDGET else "FAIL"
    print(
        f"export of {ROWS:,} enterprises: {seconds:.2f} s CPU; bare openpyxl write-only dump of the same values: "
        f"{baseline:.2f} s CPU; ratio {ratio:.2f}× (budget ≤ {BUDGET}×) {verdict}"
    )
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
