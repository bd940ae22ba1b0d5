"""Charts on a Qt canvas with matplotlib, which is loaded on the worker thread before the first chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui.jobs import Job, JobRunner
from ui.theme import CHART_DONE, CHART_TARGET, CHART_TARGET_EDGE, TEXT, TEXT_MUTED
from zjtx_desktop.fonts import configure_matplotlib

if TYPE_CHECKING:
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure


MIN_SLOTS = 6
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


@dataclass(frozen=True)
class Bar:
    label: str
    target: int
    done: int


class ProgressChart(QWidget):
    """Horizontal bars: the target as a light bar, what is done as a narrower dark bar over it.

    Two clearly different grey levels (plus the numbers at the bar ends) keep it readable when
    printed in black and white.
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

    def plot(self, bars: Sequence[Bar], title: str) -> None:
        """Draw one bar pair per entry, top to bottom in the given order (after when_ready)."""
        if self.error is not None:
            return
        figure, canvas = self._ensure_canvas()
        figure.clear()
        axes = figure.add_subplot()
        labels = [bar.label for bar in bars]
        targets = [bar.target for bar in bars]
        done = [bar.done for bar in bars]
        positions = list(range(len(bars)))
        axes.barh(
            positions,
            targets,
            height=0.72,
            color=CHART_TARGET,
            edgecolor=CHART_TARGET_EDGE,
            linewidth=0.8,
            label="目标数",
        )
        axes.barh(positions, done, height=0.38, color=CHART_DONE, label="已完成")
        axes.set_yticks(positions, labels, fontsize=9, color=TEXT)
        # Room for at least MIN_SLOTS bars, so one or two bars keep a normal thickness;
        # reversed limits put the first entry at the top, as in the table.
        axes.set_ylim(max(len(bars), MIN_SLOTS) - 0.5, -0.5)
        highest = max([*targets, *done, 1])
        axes.set_xlim(0, highest * 1.18)  # room for the labels at the bar ends
        for position, (target, finished) in enumerate(zip(targets, done, strict=True)):
            axes.text(
                max(target, finished) + highest * 0.015,
                position,
                f"{finished}/{target}",
                va="center",
                fontsize=8,
                color=TEXT,
            )
        axes.tick_params(axis="x", labelsize=8, colors=TEXT_MUTED)
        axes.tick_params(axis="y", length=0)
        axes.xaxis.grid(True, color="#e6e9ed", linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            axes.spines[side].set_color("#b8c0cc")
        # A figure title, wrapped, so a narrow chart (1024-pixel window) does not cut it off.
        figure.suptitle(title, x=0.02, ha="left", fontsize=10, color=TEXT, wrap=True)
        # Below the plot in its own row: it never covers a bar or collides with the title.
        figure.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
        if not bars:
            axes.text(0.5, 0.5, "没有可显示的目标", transform=axes.transAxes, ha="center", color=TEXT_MUTED)
        self.labels_shown = labels
        canvas.draw()
