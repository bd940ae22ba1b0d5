"""Smoke test of the frozen program that `make dist` builds: what a county PC needs first, run from the bundle.

Usage (from the repository root): python -m installer.smoke_test [BUNDLE]   (default dist/ZJTXDesktop)

Runs --version, init with demo data, check, a dashboard screenshot offscreen and two PDF reports against a
temporary data folder, checks that nothing was written into the bundle and, on Linux, that every Qt library
the bundle's binaries link to is in it; then prints the folder size and its biggest parts and fails above the
size limit. Exit 0 when everything passed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from installer import bundle
from zjtx_desktop.charts import DONE_FILL, TARGET_FILL

# The aim is a folder under 150 MB. Measured on Linux: 261 MB, of which Linux alone accounts for ICU
# (36 MB, linked by QtCore; Windows uses the system's), the X11/Wayland, CUPS and TLS libraries (23 MB) that
# Windows has built in, and symbol tables (libpython 22 MB; stripping is off, see zjtx.spec). Estimated for
# Windows from the Windows wheels: about 165 MB, of which 15 MB is the second executable zjtx.exe (each
# PyInstaller executable carries the program's Python modules, compressed). The limits are these sizes plus
# a margin, so that growth is noticed; the first Windows build replaces the estimate with a measurement.
# The PostgreSQL driver (psycopg's binary wheel with its own libpq, ≈ 11 MB) later took Linux to 272 MB; the
# limits grew by that much (the city's shared deployment needs it in every client).
SIZE_LIMITS_MB = {"win32": 190.0, "linux": 290.0}
DEFAULT_SIZE_LIMIT_MB = 290.0
TOP_ITEMS = 15
COMMAND_TIMEOUT_S = 300
ROSTER_PROGRAM = "ZJTX_POOL"
# Libraries the bundle itself must provide: if a binary cannot find one of these, the build is broken.
# (Missing system libraries, such as the xcb helpers an X11 display needs, are only reported.)
BUNDLED_LIBRARY = re.compile(r"^lib(Qt6|pyside6|shiboken6|python3)")


class SmokeFailure(Exception):
    """One check failed; the message says which and why."""


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass(frozen=True)
class Programs:
    gui: Path  # ZJTXDesktop: the GUI (windowed on Windows)
    cli: Path  # the one to run commands with: zjtx.exe on Windows, else the same executable


def programs(folder: Path) -> Programs:
    suffix = ".exe" if sys.platform == "win32" else ""
    gui = folder / f"{bundle.APP_NAME}{suffix}"
    console = folder / f"{bundle.CONSOLE_NAME}{suffix}"
    if not gui.is_file():
        raise SmokeFailure(f"{gui} is missing: run make dist first")
    if sys.platform == "win32" and not console.is_file():
        raise SmokeFailure(f"{console} is missing (installer/zjtx.spec builds it on Windows)")
    return Programs(gui=gui, cli=console if console.is_file() else gui)


def run(program: Path, args: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    started = time.perf_counter()
    result = subprocess.run(
        [str(program), *args],
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    done = Run(
        tuple(args),
        result.returncode,
        result.stdout.decode("utf-8", errors="replace"),
        result.stderr.decode("utf-8", errors="replace"),
        time.perf_counter() - started,
    )
    print(f"  {program.name} {' '.join(args)}  → exit {done.returncode} ({done.seconds:.1f} s)")
    return done


def expect(done: Run, *, says: str | None = None) -> Run:
    # A failure on a background thread (a chart, say) is logged with its traceback but changes no exit code.
    if done.returncode != 0 or "Traceback" in done.stderr:
        raise SmokeFailure(f"{' '.join(done.args)} exited {done.returncode}\n{done.stdout}{done.stderr}")
    if says is not None and says not in done.stdout:
        raise SmokeFailure(f"{' '.join(done.args)} did not print {says!r}:\n{done.stdout}{done.stderr}")
    return done


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.removeprefix("#"), 16)
    return (value >> 16, (value >> 8) & 0xFF, value & 0xFF)


def check_png(path: Path) -> None:
    """The screenshot shows the dashboard with its charts: many colours, and the charts' bar colours.

    A chart that fails to draw (matplotlib or its Qt canvas missing from the bundle) leaves a message in
    its place and the command still succeeds, so the bars themselves are looked for.
    """
    from PIL import Image

    if not path.is_file():
        raise SmokeFailure(f"no screenshot at {path}")
    with Image.open(path) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    pixels = {colour: count for count, colour in colours}
    if width < 800 or height < 600 or len(pixels) < 50:
        raise SmokeFailure(f"the screenshot looks blank: {width}×{height}, {len(pixels)} colours")
    bars = {name: pixels.get(_rgb(colour), 0) for name, colour in (("done", DONE_FILL), ("target", TARGET_FILL))}
    if min(bars.values()) < 500:
        raise SmokeFailure(f"the screenshot has no charts (pixels of the bar colours: {bars})")


def check_pdf(path: Path) -> None:
    """A PDF with the bundled Chinese font embedded (reportlab found resources/fonts in the bundle)."""
    data = path.read_bytes() if path.is_file() else b""
    if not data.startswith(b"%PDF"):
        raise SmokeFailure(f"{path} is not a PDF")
    if b"WenQuanYiMicroHei" not in data:
        raise SmokeFailure(f"{path} does not embed the bundled font (WenQuanYi Micro Hei)")


class Session:
    """The frozen program run against a temporary data folder and database, one step at a time."""

    def __init__(self, found: Programs, work: Path) -> None:
        self.found = found
        self.work = work
        self.db = str(work / "smoke.sqlite3")
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"ZJTX_DB", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "MPLCONFIGDIR"}
        }
        self.env.update({"ZJTX_DATA_DIR": str(work / "data"), "QT_QPA_PLATFORM": "offscreen"})

    def cli(self, *args: str, says: str | None = None) -> Run:
        return expect(run(self.found.cli, args, self.env, self.work), says=says)

    def version(self) -> None:
        self.cli("--version", says=f"{bundle.version()}")
        if self.found.gui != self.found.cli:  # Windows: the windowed executable takes commands too
            expect(run(self.found.gui, ["--version"], self.env, self.work))

    def init(self) -> None:
        self.cli("--db", self.db, "init", "--demo", "60", "--seed", "7", says="已创建数据库")

    def check(self) -> None:
        self.cli("--db", self.db, "check", says="未发现问题")

    def screenshot(self) -> None:
        png = self.work / "dashboard.png"
        expect(
            run(self.found.gui, ["--db", self.db, "screenshot", "dashboard", "--out", str(png)], self.env, self.work)
        )
        check_png(png)

    def roster(self) -> None:
        pdf = self.work / "roster.pdf"
        self.cli("--db", self.db, "report", "roster", "--program", ROSTER_PROGRAM, "--out", str(pdf))
        check_pdf(pdf)

    def annual(self) -> None:
        """matplotlib's charts drawn with the bundled font on Agg, then placed in the PDF by reportlab."""
        pdf = self.work / "annual.pdf"
        self.cli("--db", self.db, "report", "annual", "--out", str(pdf))
        check_pdf(pdf)


def listing(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")}


def linked_library_check(folder: Path) -> None:
    """Linux: every bundled binary finds the Qt, PySide6 and Python libraries it links to inside the bundle."""
    if not sys.platform.startswith("linux"):
        return
    missing_bundled: list[str] = []
    missing_system: set[str] = set()
    binaries = [path for path in folder.rglob("*.so*") if path.is_file() and not path.is_symlink()]
    for path in binaries:
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
        for line in result.stdout.splitlines():
            if "not found" not in line:
                continue
            name = line.split("=>")[0].strip()
            if BUNDLED_LIBRARY.match(name):
                missing_bundled.append(f"{path.relative_to(folder)} → {name}")
            else:
                missing_system.add(name)
    print(f"  ldd: {len(binaries)} binaries checked")
    if missing_system:
        print(
            f"  system libraries this machine lacks (needed only for an X11 desktop): {', '.join(sorted(missing_system))}"
        )
    if missing_bundled:
        raise SmokeFailure("binaries link to libraries the bundle lacks:\n  " + "\n  ".join(missing_bundled))


def size_of(path: Path) -> int:
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(child.stat().st_size for child in path.rglob("*") if child.is_file() and not child.is_symlink())


def size_report(folder: Path) -> float:
    """Print the folder size and its biggest parts (folders inside _internal/ summed); return MB."""
    total_mb = size_of(folder) / 2**20
    internal = folder / "_internal"
    parts = [child for child in folder.iterdir() if child != internal]
    if internal.is_dir():
        parts += list(internal.iterdir())
    biggest = sorted(((size_of(part), part) for part in parts), key=lambda item: item[0], reverse=True)
    files = sorted(
        ((path.stat().st_size, path) for path in folder.rglob("*") if path.is_file() and not path.is_symlink()),
        key=lambda item: item[0],
        reverse=True,
    )
    print(f"\n{folder}: {total_mb:.1f} MB in {len(files)} files")
    print(f"biggest {TOP_ITEMS} items:")
    for size, part in biggest[:TOP_ITEMS]:
        print(f"  {size / 2**20:7.1f} MB  {part.relative_to(folder).as_posix()}{'/' if part.is_dir() else ''}")
    print(f"biggest {TOP_ITEMS} files:")
    for size, path in files[:TOP_ITEMS]:
        print(f"  {size / 2**20:7.1f} MB  {path.relative_to(folder).as_posix()}")
    return total_mb


def main(argv: Sequence[str]) -> int:
    folder = Path(argv[0] if argv else bundle.ROOT / "dist" / bundle.APP_NAME).resolve()
    limit_mb = SIZE_LIMITS_MB.get(sys.platform, DEFAULT_SIZE_LIMIT_MB)
    started = time.perf_counter()
    passed = 0
    try:
        found = programs(folder)
        print(f"smoke test of {folder} (version {bundle.version()})")
        before = listing(folder)
        with tempfile.TemporaryDirectory(prefix="zjtx-smoke-") as temporary:
            session = Session(found, Path(temporary))
            for step in (
                session.version,
                session.init,
                session.check,
                session.screenshot,
                session.roster,
                session.annual,
            ):
                step()
                passed += 1
        written = sorted(str(path) for path in listing(folder) - before)
        if written:
            raise SmokeFailure(f"the program wrote into its own folder: {', '.join(written[:10])}")
        passed += 1
        linked_library_check(folder)
        passed += 1
        total_mb = size_report(folder)
        if total_mb > limit_mb:
            raise SmokeFailure(
                f"the folder is {total_mb:.1f} MB, over the limit of {limit_mb:.0f} MB for {sys.platform}"
            )
        passed += 1
    except (SmokeFailure, subprocess.TimeoutExpired) as failure:
        print(f"\nSMOKE TEST FAILED: {failure}", file=sys.stderr, flush=True)
        print(f"smoke: {passed} passed, 1 failed")
        return 1
    print(
        f"\nfrozen program checked in {time.perf_counter() - started:.0f} s ({total_mb:.1f} MB, limit {limit_mb:.0f} MB)"
    )
    print(f"smoke: {passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
