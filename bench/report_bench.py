"""Report budgets of DESIGN §7: a roster PDF of about 1,000 enterprises ≤ 1.5 s and ≤ 2× a bare reportlab
table of the same rows; the annual report with its charts ≤ 5 s.

Roster: the city-wide (program, entry year) list of the database whose size is nearest 1,000 is printed
by the real builder (query, grouping, subtotals, page furniture, two-pass page count) and, in the same
process, the same rows as plain strings go into a bare reportlab `Table(repeatRows=1)` in a
`SimpleDocTemplate` with the same font, page size and column widths. One warm-up of each (the font is
registered once per program run), then alternating runs; medians of wall-clock time for the budget and
of process CPU time for the ratio (both are single-threaded and CPU-bound; on a shared machine CPU
time is what the code costs, wall-clock also counts the neighbours).

Annual report: timed in a fresh interpreter with the program's modules imported and the database open
(as in the report centre of a running program), so the first report pays for importing matplotlib,
registering the font and reading its character map; further runs in the same process are warm.
Run as a script: `python bench/report_bench.py [DB] [--year Y]` prints both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/report_bench.py` from the project folder
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from zjtx_desktop.context import open_database  # noqa: E402
from zjtx_desktop.database import resolve_location, transaction  # noqa: E402
from zjtx_desktop.models import Cultivation  # noqa: E402
from zjtx_desktop.reports.catalog import generate_report  # noqa: E402
from zjtx_desktop.reports.request import ReportRequest  # noqa: E402
from zjtx_desktop.reports.roster import HEADERS, WIDTHS, roster_rows  # noqa: E402

ROSTER_SIZE = 1000
ANNUAL_YEAR = 2023  # the last year of the demo's monitoring with a year before it: every section filled


@dataclass
class RosterTiming:
    program: str
    year: int
    rows: int
    pages: int
    seconds: float  # wall-clock, median
    cpu: float  # process CPU, median
    baseline_seconds: float
    baseline_cpu: float


def roster_case(db_path: Path) -> tuple[str, int, int]:
    """(program, entry year, entries) of the city-wide roster nearest ROSTER_SIZE in size."""
    ctx = open_database(resolve_location(str(db_path)), create=False)
    try:
        with transaction(ctx.sessions) as session:
            counts = session.execute(
                select(Cultivation.program_code, Cultivation.year, func.count()).group_by(
                    Cultivation.program_code, Cultivation.year
                )
            ).all()
    finally:
        ctx.close()
    program, year, entries = min(counts, key=lambda row: (abs(row[2] - ROSTER_SIZE), row[0], row[1]))
    return str(program), int(year), int(entries)


def _bare_table(rows: list[list[str]], out: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    from zjtx_desktop.fonts import register_reportlab_font

    font = register_reportlab_font()
    document = SimpleDocTemplate(str(out), pagesize=A4, leftMargin=28 * mm, rightMargin=26 * mm)
    table = Table(rows, colWidths=[w * mm for w in WIDTHS], repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 9.5)]))
    document.build([table])


def _timed(action: object) -> tuple[float, float]:
    assert callable(action)
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def roster_timing(db_path: Path, *, runs: int = 5) -> RosterTiming:
    program, year, _ = roster_case(db_path)
    ctx = open_database(resolve_location(str(db_path)), create=False)
    try:
        with tempfile.TemporaryDirectory() as folder, transaction(ctx.sessions) as session:
            out, bare_out = Path(folder) / "roster.pdf", Path(folder) / "bare.pdf"
            request = ReportRequest("roster", program_code=program, year=year)
            found = roster_rows(session, program, year=year, unit_codes=None)
            plain = [list(HEADERS)] + [
                [str(i), name, code, industry, str(entry_year), batch, status]
                for i, (_, name, code, industry, entry_year, batch, status) in enumerate(found, start=1)
            ]
            built = generate_report(session, request, out)  # warm-ups: font, first queries
            _bare_table(plain, bare_out)
            mine: list[tuple[float, float]] = []
            bare: list[tuple[float, float]] = []
            for _ in range(runs):
                mine.append(_timed(lambda: generate_report(session, request, out)))
                bare.append(_timed(lambda: _bare_table(plain, bare_out)))
    finally:
        ctx.close()
    return RosterTiming(
        program,
        year,
        len(found),
        built.pages,
        statistics.median(t[0] for t in mine),
        statistics.median(t[1] for t in mine),
        statistics.median(t[0] for t in bare),
        statistics.median(t[1] for t in bare),
    )


# The child: everything a running program has loaded is imported before the clock starts.
ANNUAL_CHILD = """
import json, sys, time
from pathlib import Path
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.reports.catalog import generate_report
from zjtx_desktop.reports.request import ReportRequest
db, year, runs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
ctx = open_database(resolve_location(db), create=False)
times, pages = [], 0
for _ in range(runs + 1):
    with transaction(ctx.sessions) as session:
        started = time.perf_counter()
        built = generate_report(session, ReportRequest("annual", year=year), out)
        times.append(time.perf_counter() - started)
        session.rollback()
    pages = built.pages
ctx.close()
print(json.dumps({"cold": times[0], "warm": times[1:], "pages": pages}))
"""


@dataclass
class AnnualTiming:
    year: int
    cold: float  # the first report of the process, seconds
    warm: float  # median of the following ones
    pages: int


def annual_timing(db_path: Path, *, year: int = ANNUAL_YEAR, runs: int = 3) -> AnnualTiming:
    with tempfile.TemporaryDirectory() as folder:
        completed = subprocess.run(
            [sys.executable, "-c", ANNUAL_CHILD, str(db_path), str(year), str(runs), str(Path(folder) / "a.pdf")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
    if completed.returncode != 0:
        raise RuntimeError((completed.stderr.strip().splitlines() or ["no output"])[-1])
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    return AnnualTiming(year, measured["cold"], statistics.median(measured["warm"]), measured["pages"])


def main() -> int:
    from province import DB_PATH

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", nargs="?", type=Path, default=DB_PATH)
    parser.add_argument("--year", type=int, default=ANNUAL_YEAR)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    roster = roster_timing(args.db, runs=args.runs)
    print(
        f"roster {roster.program} {roster.year}: {roster.rows} rows, {roster.pages} pages; "
        f"{roster.seconds:.2f} s wall ({roster.cpu:.2f} s CPU); bare table {roster.baseline_seconds:.2f} s wall "
        f"({roster.baseline_cpu:.2f} s CPU); ratio {roster.cpu / roster.baseline_cpu:.2f}× CPU"
    )
    annual = annual_timing(args.db, year=args.year, runs=min(args.runs, 3))
    print(f"annual {annual.year}: {annual.pages} pages; first {annual.cold:.2f} s, then {annual.warm:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
