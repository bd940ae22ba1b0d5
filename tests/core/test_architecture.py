"""The core never loads Qt: every zjtx_desktop module imports in a fresh interpreter without PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import zjtx_desktop

ROOT = Path(__file__).resolve().parents[2]


def test_core_modules_do_not_load_qt() -> None:
    modules = [f"zjtx_desktop.{info.name}" for info in pkgutil.walk_packages(zjtx_desktop.__path__)]
    assert len(modules) >= 10
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"core imported Qt or ui: {result.stdout}"


def test_the_command_line_parses_before_the_database_layer_loads() -> None:
    """Start-up budget: the GUI window must not wait for SQLAlchemy and Alembic to import."""
    script = (
        "import sys, zjtx_desktop.cli\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
