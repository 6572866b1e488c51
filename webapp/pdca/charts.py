"""The dashboards' charts as SVG drawn on the server: the shapes of a bar chart computed
here, written out by one template macro (templates/pdca/_chart.html) with CSS classes for
colours, so a chart is readable on a tablet, prints as it shows and needs no script.

Written here rather than with pygal or leather: a pygal chart carries its own <style> and
<script> (the CSP allows neither inline) and weighs 20-40 KB; leather draws with inline
styles too. A bar chart is a few rectangles and labels: two layouts cover the dashboards,
horizontal bars (a funnel, reasons, buckets: rows of text, each with a bar of its own drawn
to the track's width) and grouped columns (a measure by month).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# The column chart's units (the SVG's viewBox); the page scales it to its width.
WIDTH = 560
COLUMN_HEIGHT = 200  # the columns' plot area
AXIS_BOTTOM = 32  # the category labels under the columns
TICKS = 4


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str  # the tooltip and what a screen reader reads


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float
    text: str
    css: str = ""
    anchor: str = "start"


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "chart-grid"


@dataclass(frozen=True, slots=True)
class Row:
    """One horizontal bar: its label, its figure as shown, its length in percent of the
    track and its CSS classes."""

    label: str
    shown: str
    length: float
    css: str


@dataclass(slots=True)
class Chart:
    """What the macro draws: the viewBox's size and the shapes in drawing order."""

    width: int
    height: int
    title: str
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css, label)
    rows: list[Row] = field(default_factory=list)  # horizontal bars (hbars)

    @property
    def empty(self) -> bool:
        return not self.rects and not any(row.length for row in self.rows)


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a column chart: its CSS class, its name and a value per category."""

    css: str
    label: str
    values: Sequence[int]


def _nice_top(value: int) -> int:
    """The axis's top: TICKS steps of 1, 2, 2.5 or 5 × 10^k, the smallest reaching `value`."""
    per_tick = max(1, -(-value // TICKS))
    magnitude = 10 ** (len(str(per_tick)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= per_tick and step == int(step):
            return int(step) * TICKS
    return 10 * magnitude * TICKS


def hbars(title: str, items: Sequence[tuple[str, int, str]], css: str = "chart-bar") -> Chart:
    """Horizontal bars, one row per (label, value, figure as shown), the longest bar for the
    largest value; a value of 0 keeps its row and figure with an empty track. Each row is
    written as text beside a bar of its own (see the macro), so the labels keep the page's
    size on a phone."""
    chart = Chart(100, 10, title)
    largest = max((value for _label, value, _shown in items), default=0)
    for index, (label, value, shown) in enumerate(items):
        length = round(100 * value / largest, 1) if largest else 0.0
        chart.rows.append(Row(label, shown, length, f"{css} {css}-{index % 6}"))
    return chart


def columns(title: str, categories: Sequence[str], series: Sequence[Series]) -> Chart:
    """Grouped columns: for each category one column per series, side by side, over an axis
    with TICKS gridlines; the legend names the series."""
    left, right = 60, 8
    height = COLUMN_HEIGHT + AXIS_BOTTOM + 28
    chart = Chart(WIDTH, height, title, legend=[(s.css, s.label) for s in series])
    largest = max((v for s in series for v in s.values), default=0)
    top = _nice_top(largest)
    plot_top = 26  # room for the tallest column's figure
    for tick in range(TICKS + 1):
        value = top * tick // TICKS
        y = plot_top + COLUMN_HEIGHT - COLUMN_HEIGHT * tick / TICKS
        chart.lines.append(Line(left, y, WIDTH - right, y))
        chart.texts.append(Text(left - 8, y + 5, str(value), "chart-tick", "end"))
    if not categories or not series:
        return chart
    slot = (WIDTH - left - right) / len(categories)
    gap = slot * 0.2
    width = (slot - gap) / len(series)
    for c_index, category in enumerate(categories):
        x0 = left + c_index * slot + gap / 2
        for s_index, one in enumerate(series):
            value = one.values[c_index]
            h = round(COLUMN_HEIGHT * value / top, 1)
            x = round(x0 + s_index * width, 1)
            y = plot_top + COLUMN_HEIGHT - h
            if h:
                title_text = f"{category} {one.label} {value}"
                chart.rects.append(Rect(x, y, round(width - 2, 1), h, one.css, title_text))
            chart.texts.append(Text(x + width / 2, y - 4, str(value), "chart-figure", "middle"))
        chart.texts.append(
            Text(
                left + c_index * slot + slot / 2,
                plot_top + COLUMN_HEIGHT + 20,
                category,
                "chart-label",
                "middle",
            )
        )
    return chart
