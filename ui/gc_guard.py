"""Python's cycle collector runs on the GUI thread only, so Qt objects are never destroyed elsewhere.

The collector runs in whichever thread happens to allocate when its threshold is crossed. If that
is the database worker, it may finalise Qt wrappers left in reference cycles (closed dialogs, old
pages) and call Qt destructors off the GUI thread, which crashes the program at random. So automatic
collection is switched off and a timer on the GUI thread collects instead, as often as the
thresholds would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start()

    def collect_if_due(self) -> None:
        counts = gc.get_count()
        # The youngest generation whose count passed its threshold, as the automatic collector decides.
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install once per application (kept alive as the application's child)."""
    existing = app.findChild(GuiThreadCollector)
    return existing if isinstance(existing, GuiThreadCollector) else GuiThreadCollector(app)
