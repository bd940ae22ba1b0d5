"""Charts on a Qt canvas with matplotlib, which is loaded on the worker thread before the first chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui.jobs import Job, JobRunner
from ui.theme import TEXT
from zjtx_desktop.charts import Bar, draw_entries_trend, draw_progress_bars
from zjtx_desktop.fonts import configure_matplotlib

if TYPE_CHECKING:
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure


DRAWING_TEXT = "正在绘制图表…"

_matplotlib_loaded = False


def load_matplotlib() -> None:
    """Import matplotlib, its Qt canvas and the Chinese font set-up (about 0.7 s).

    Creates no widget, so it runs on the worker: the window stays responsive while it loads.
    """
    global _matplotlib_loaded
    configure_matplotlib()
    import matplotlib.backends.backend_qtagg
    import matplotlib.figure  # noqa: F401

    _matplotlib_loaded = True


class ChartCanvas(QWidget):
    """A matplotlib figure on a Qt canvas, created once matplotlib has been loaded on the worker.

    Subclasses draw with `when_ready(draw)` and, inside draw, `_ensure_canvas()`.
    """

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._figure: Figure | None = None
        self._canvas: FigureCanvasQTAgg | None = None
        self._loading: Job | None = None
        self._waiting: list[Callable[[], None]] = []
        self.error: str | None = None
        self.labels_shown: list[str] = []
        # Empty until there is something to draw: the page says what it is waiting for.
        self._placeholder = QLabel()
        self._placeholder.setObjectName("emptyState")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._placeholder)
        self.setMinimumSize(240, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @property
    def is_drawn(self) -> bool:
        return self._canvas is not None

    def when_ready(self, draw: Callable[[], None]) -> None:
        """Call draw() on the GUI thread (on a later turn of the event loop) once matplotlib is loaded.

        The first time, matplotlib is loaded by a job on the worker. If it cannot be loaded, the chart
        shows why and draw() is still called (plot() then does nothing), so callers always hear back.
        """
        if _matplotlib_loaded or self.error is not None:
            QTimer.singleShot(0, self, draw)
            return
        self._waiting.append(draw)
        self._placeholder.setText(DRAWING_TEXT)
        if self._loading is None:
            self._loading = self.jobs.submit(lambda _control: load_matplotlib(), name="加载图表组件")
            self._loading.finished.connect(self._on_loaded)
            self._loading.failed.connect(self._on_load_failed)

    def _on_loaded(self, _result: object = None) -> None:
        self._loading = None
        waiting, self._waiting = self._waiting, []
        for draw in waiting:
            draw()

    def _on_load_failed(self, message: str) -> None:
        self.error = message
        self._placeholder.setText(f"图表无法显示：{message}")
        self._on_loaded()

    def _ensure_canvas(self) -> tuple[Figure, FigureCanvasQTAgg]:
        if self._figure is None or self._canvas is None:
            # Already imported by load_matplotlib() on the worker (see when_ready); cheap here.
            configure_matplotlib()
            from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
            from matplotlib.figure import Figure

            self._figure = Figure(figsize=(5, 4), dpi=100, facecolor="white", layout="constrained")
            self._canvas = FigureCanvasQTAgg(self._figure)
            self._canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            self._layout.removeWidget(self._placeholder)
            self._placeholder.deleteLater()
            self._layout.addWidget(self._canvas)
        return self._figure, self._canvas


class ProgressChart(ChartCanvas):
    """The dashboard's chart on a Qt canvas: progress bullets per unit (see `zjtx_desktop.charts`), and
    optionally the entries per year below them."""

    def plot(
        self,
        bars: Sequence[Bar],
        title: str,
        *,
        pace: float | None = None,
        trend: Sequence[tuple[int, int]] | None = None,
        period: tuple[int, int] | None = None,
        trend_title: str = "",
    ) -> None:
        """Progress bars top to bottom in the given order, and below them, with `trend`, the entries per
        year (after when_ready). The drawing itself is the core's, shared with the printed reports."""
        if self.error is not None:
            return
        figure, canvas = self._ensure_canvas()
        figure.clear()
        if trend is not None:
            grid = figure.add_gridspec(2, 1, height_ratios=(3, 1.25))
            axes = figure.add_subplot(grid[0])
            draw_entries_trend(figure.add_subplot(grid[1]), trend, period=period, title=trend_title)
        else:
            axes = figure.add_subplot()
        draw_progress_bars(axes, bars, pace=pace)
        # A figure title, wrapped, so a narrow chart (1024-pixel window) does not cut it off.
        figure.suptitle(title, x=0.02, ha="left", fontsize=10, color=TEXT, wrap=True)
        # Below the plot in its own row: it never covers a bar or collides with the title.
        handles, labels = axes.get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
        self.labels_shown = [bar.label for bar in bars]
        canvas.draw()
