"""Charts drawn with matplotlib on axes the caller provides: the dashboard's Qt canvas and the PDF reports
draw the same pictures. No Qt here; callers configure matplotlib's fonts (`fonts.configure_matplotlib`).

Readable in greyscale: targets are light bars with a dark outline, what is done a narrower dark bar,
the expected pace a black tick; every bar also carries its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TARGET_FILL = "#d3d8df"
TARGET_EDGE = "#7d8794"
DONE_FILL = "#174a85"
PACE_MARK = "#111111"
TEXT = "#1d2733"
TEXT_MUTED = "#5b6573"
GRID = "#e6e9ed"
PERIOD_SHADE = "#eef1f5"
MIN_SLOTS = 6


@dataclass(frozen=True)
class Bar:
    label: str
    target: int
    done: int


def _tidy(axes: Any) -> None:
    axes.tick_params(axis="x", labelsize=8, colors=TEXT_MUTED)
    axes.tick_params(axis="y", length=0)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color("#b8c0cc")


def draw_progress_bars(axes: Any, bars: Sequence[Bar], *, pace: float | None = None) -> None:
    """One bullet per unit, top to bottom: target (light), done (dark), and the pace tick (target × pace)."""
    labels = [bar.label for bar in bars]
    targets = [bar.target for bar in bars]
    done = [bar.done for bar in bars]
    positions = list(range(len(bars)))
    axes.barh(positions, targets, height=0.72, color=TARGET_FILL, edgecolor=TARGET_EDGE, linewidth=0.8, label="目标数")
    axes.barh(positions, done, height=0.38, color=DONE_FILL, label="已完成")
    if pace is not None and 0 < pace < 1:
        expected = [target * pace for target in targets]
        axes.scatter(
            expected, positions, marker="|", s=260, linewidths=2, color=PACE_MARK, label="按时间进度应完成", zorder=3
        )
    axes.set_yticks(positions, labels, fontsize=9, color=TEXT)
    # Room for at least MIN_SLOTS bars, so one or two bars keep a normal thickness; reversed limits put
    # the first entry at the top, as in the table.
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
    axes.xaxis.grid(True, color=GRID, linewidth=0.8)
    _tidy(axes)
    if not bars:
        axes.text(0.5, 0.5, "没有可显示的目标", transform=axes.transAxes, ha="center", color=TEXT_MUTED)


def draw_entries_trend(
    axes: Any, counts: Sequence[tuple[int, int]], *, period: tuple[int, int] | None = None, title: str = ""
) -> None:
    """Enterprises entering per year as columns with their numbers; the target period shaded behind."""
    years = [year for year, _ in counts]
    values = [n for _, n in counts]
    if period is not None:
        axes.axvspan(period[0] - 0.5, period[1] + 0.5, color=PERIOD_SHADE, zorder=0, label="目标期间")
    axes.bar(years, values, width=0.6, color=DONE_FILL, label="当年入库")
    top = max([*values, 1])
    for year, n in counts:
        axes.text(year, n + top * 0.02, str(n), ha="center", va="bottom", fontsize=8, color=TEXT)
    axes.set_ylim(0, top * 1.2)
    if years:
        axes.set_xticks(years, [str(year) for year in years], fontsize=8)
    axes.yaxis.grid(True, color=GRID, linewidth=0.8)
    axes.tick_params(axis="y", labelsize=8, colors=TEXT_MUTED)
    _tidy(axes)
    if title:
        axes.set_title(title, loc="left", fontsize=9, color=TEXT)
    if not counts:
        axes.text(0.5, 0.5, "还没有入库记录", transform=axes.transAxes, ha="center", color=TEXT_MUTED)
