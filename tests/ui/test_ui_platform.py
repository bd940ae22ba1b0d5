"""Workarounds for the Qt binding, checked: they must keep holding when PySide6 or Python is upgraded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Tens of thousands of invalid QVariants handed to Python, as a day of typing and scrolling makes.
CHILD = """
from PySide6.QtWidgets import QComboBox, QLabel
from ui.app import prepare_application
app = prepare_application()
combo = QComboBox()
combo.addItem("（未填）")  # an item without data: currentData() is an invalid QVariant
label = QLabel()
for _ in range(50_000):
    assert combo.currentData() is None
    assert label.property("severity") is None
print("alive")
"""


def test_none_survives_many_invalid_qvariants() -> None:
    # PySide6 6.12 drops a reference to None for every invalid QVariant it hands to Python; on Python
    # 3.11 the interpreter aborted ("deallocating None") after a few thousand. In a child process, so
    # that a regression fails this test instead of aborting the whole run.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "alive", result.stderr[-2000:]
