"""ZJTX Desktop entry point: no arguments start the GUI, a sub-command runs the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from zjtx_desktop.cli import main as cli_main
from zjtx_desktop.location import DatabaseLocation


class QtGui:
    """Starts the Qt layer only when it is needed, so command-line runs never load Qt."""

    def run_gui(self, location: DatabaseLocation) -> int:
        from ui.app import run_gui

        return run_gui(location)

    def render_screenshot(self, location: DatabaseLocation, page: str, out: Path) -> None:
        from ui.app import render_screenshot

        render_screenshot(location, page, out)


if __name__ == "__main__":
    sys.exit(cli_main(sys.argv[1:], gui=QtGui()))
