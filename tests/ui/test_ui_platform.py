"""Workarounds for the Qt binding, checked: they must keep holding when PySide6 or Python is upgraded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Tens of thousands of invalid QVariants handed to Python, as a day of typing and scrolling makes.
CHILD = """
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QLabel
from ui.app import prepare_application

class Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()): return 1
    def columnCount(self, parent=QModelIndex()): return 1
    def data(self, index, role=Qt.ItemDataRole.DisplayRole): return None

app = prepare_application()
combo = QComboBox()
combo.addItem("（未填）")  # an item without data: currentData() is an invalid QVariant
label = QLabel()
model = Model()
for _ in range(50_000):
    assert combo.currentData() is None
    assert label.property("severity") is None
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) is None
print("alive")
"""


def test_none_survives_many_invalid_qvariants() -> None:
    # PySide6 6.12.0 drops a reference to None (and, on some paths, to True/False) for every invalid
    # QVariant it hands to Python; on Python 3.11 the interpreter aborted ("deallocating None") after
    # a few thousand. That is why PySide6 is pinned to 6.11.3. In a child process, so that a
    # regression after an upgrade fails this test instead of aborting the whole run.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "alive", result.stderr[-2000:]


def test_cycles_are_collected_on_the_gui_thread_only(app: object, qtbot: object) -> None:
    """The database worker must never run the cycle collector: it could destroy Qt objects there."""
    import gc

    from ui.gc_guard import GuiThreadCollector

    assert not gc.isenabled()
    collector = app.findChild(GuiThreadCollector)  # type: ignore[attr-defined]
    assert collector is not None and collector.timer.isActive()
    for _ in range(collector.thresholds[0] + 100):
        cycle: list[object] = []
        cycle.append(cycle)
    assert gc.get_count()[0] > collector.thresholds[0]
    qtbot.waitUntil(lambda: gc.get_count()[0] < collector.thresholds[0], timeout=5000)  # type: ignore[attr-defined]
