"""ZJTX Desktop entry point: no arguments start the GUI, a sub-command runs the command line."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from zjtx_desktop.cli import main as cli_main
from zjtx_desktop.location import DatabaseLocation
from zjtx_desktop.paths import cache_dir


class QtGui:
    """Starts the Qt layer only when it is needed, so command-line runs never load Qt."""

    def run_gui(self, location: DatabaseLocation) -> int:
        from ui.app import run_gui

        return run_gui(location)

    def render_screenshot(self, location: DatabaseLocation, page: str, out: Path) -> None:
        from ui.app import render_screenshot

        render_screenshot(location, page, out)


def _attach_parent_console() -> None:
    """Windows, windowed ZJTXDesktop.exe given a sub-command in cmd: print into that console.

    A windowed program starts without standard output. cmd does not wait for it, so the output may follow
    the next prompt; scripts use zjtx.exe, the console executable beside it (installer/zjtx.spec).
    """
    if sys.platform != "win32" or sys.stdout is not None:
        return  # a console program, or output already redirected to a file or pipe
    import ctypes

    attach_parent_process = -1
    if not ctypes.windll.kernel32.AttachConsole(attach_parent_process):
        return  # not started from a console: nothing to print into
    # "CONOUT$" opens as console I/O, which writes Unicode whatever the console's code page.
    sys.stdout = open("CONOUT$", "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the process's life
    sys.stderr = sys.stdout


def prepare_frozen_run(argv: list[str]) -> None:
    """What the release build (PyInstaller, installer/zjtx.spec) does differently from a run from source."""
    if not getattr(sys, "frozen", False):
        return
    # PyInstaller's run-time hook gives matplotlib a new empty settings folder on every start (meant for
    # one-file builds), so matplotlib would scan every system font again before each session's first chart:
    # seconds on an office PC with many fonts. A one-folder build can keep the font list.
    os.environ["MPLCONFIGDIR"] = str(cache_dir() / "matplotlib")
    if argv:
        # Printing is a courtesy here: the command runs and sets its exit code either way.
        with contextlib.suppress(OSError):
            _attach_parent_console()


if __name__ == "__main__":
    prepare_frozen_run(sys.argv[1:])
    sys.exit(cli_main(sys.argv[1:], gui=QtGui()))
