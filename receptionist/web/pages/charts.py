"""Bar charts as geometry for server-rendered SVG (``templates/dashboard/_charts.html`` draws them): no
script, no chart library, and the same figures in a table beside each chart for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_W = 150.0  # horizontal charts: room for the category names
BAR_AREA_W = 300.0
VALUE_W = 50.0
ROW_H = 28.0
BAR_H = 18.0
COLUMN_W = 20.0  # vertical charts: one column per category
COLUMN_GAP = 4.0
PLOT_H = 120.0
AXIS_H = 20.0
TOP = 16.0  # room for the value above the tallest column


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool = True


@dataclass(frozen=True, slots=True)
class BarChart:
    """Bars in a ``width`` × ``height`` view box; ``horizontal`` charts put labels left of their bars."""

    title: str
    bars: tuple[Bar, ...]
    width: float
    height: float
    horizontal: bool

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars)


def horizontal(title: str, data: Sequence[tuple[str, int]]) -> BarChart:
    """One row per category, longest bar ``BAR_AREA_W`` wide."""
    top = max((v for _, v in data), default=0) or 1
    bars = tuple(
        Bar(
            label=label,
            value=value,
            x=LABEL_W,
            y=i * ROW_H + (ROW_H - BAR_H) / 2,
            width=BAR_AREA_W * value / top,
            height=BAR_H,
        )
        for i, (label, value) in enumerate(data)
    )
    return BarChart(title, bars, LABEL_W + BAR_AREA_W + VALUE_W, max(1, len(data)) * ROW_H, horizontal=True)


def vertical(title: str, data: Sequence[tuple[str, int]], *, label_every: int = 1) -> BarChart:
    """One column per category (hours of the day), tallest ``PLOT_H`` high, every ``label_every``-th
    category named under the axis."""
    top = max((v for _, v in data), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(data):
        h = PLOT_H * value / top
        x = i * (COLUMN_W + COLUMN_GAP)
        bars.append(Bar(label, value, x, TOP + PLOT_H - h, COLUMN_W, h, show_label=i % label_every == 0))
    width = max(1, len(data)) * (COLUMN_W + COLUMN_GAP)
    return BarChart(title, tuple(bars), width, TOP + PLOT_H + AXIS_H, horizontal=False)
