"""Pure SVG chart builders of the HTML report (customer_tiering.html_report): no script, no
library, no external resource. Each builder returns one `<svg>` string; text is escaped; every
data mark (bar, cell, point, label) that shows a figure of a mart carries its `Ref` as
`data-mart`, `data-key`, `data-column` and `data-value` attributes, so that a test can read the
values back from the rendered page.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape

FONT = "font-family=\"'Noto Sans CJK SC','Noto Sans SC',sans-serif\""
PALETTE = ("#1f4e79", "#c0504d", "#4f8a3c", "#d08c1a", "#7b5aa6", "#2a9d8f", "#8c564b")
GREY = "#888"
FONT_SIZE = 12


@dataclass(frozen=True)
class Ref:
    """Where a shown figure comes from: a mart, the key of its row, a column, the raw value and
    how the text shows it (count, share, money, ratio)."""

    mart: str
    key: str
    column: str
    value: object
    format: str = ""

    def attributes(self) -> str:
        shown = f' data-format="{escape(self.format)}"' if self.format else ""
        return (
            f' data-mart="{escape(self.mart)}" data-key="{escape(self.key)}"'
            f' data-column="{escape(self.column)}" data-value="{escape(raw_value(self.value))}"'
            f"{shown}"
        )


@dataclass(frozen=True)
class Mark:
    """One figure: its plotted value (None: not drawn), its label and its source."""

    value: float | None
    text: str
    ref: Ref | None = None


@dataclass(frozen=True)
class Series:
    """Marks of one series: one per category (bars) or one per point (lines, with `xs`)."""

    name: str
    marks: Sequence[Mark]
    xs: Sequence[float] = ()


@dataclass(frozen=True)
class Cell:
    """A heatmap cell: its shade in [0, 1] (None: blank) and its lines of text."""

    shade: float | None
    lines: Sequence[Mark] = field(default_factory=tuple)
    title: str = ""


@dataclass(frozen=True)
class Bin:
    """A histogram bin [low, high) and its count."""

    low: float
    high: float
    count: Mark


def raw_value(value: object) -> str:
    """The raw value as the data-value attribute holds it ('' for null)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | date):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Approximate rendered width: wide (CJK) characters count one em, others about 0.6."""
    wide = sum(1 for char in text if unicodedata.east_asian_width(char) in "WF")
    return size * (wide + 0.6 * (len(text) - wide))


def _attrs(ref: Ref | None) -> str:
    return "" if ref is None else ref.attributes()


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: float = FONT_SIZE,
    ref: Ref | None = None,
    fill: str = "#222",
    extra: str = "",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}"{_attrs(ref)}{extra}>{escape(text)}</text>'
    )


def _svg(width: float, height: float, body: Sequence[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{escape(label)}" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" {FONT}>'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _empty(label: str, message: str, width: float = 480) -> str:
    return _svg(width, 40, [_text(8, 24, message, fill=GREY)], label)


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    out: list[str] = []
    for index, name in enumerate(names):
        out.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        out.append(_text(x + 14, y, name))
        x += 14 + text_width(name) + 16
    return out


def _finite(values: Sequence[float | None]) -> list[float]:
    return [value for value in values if value is not None and math.isfinite(value)]


def bar_chart(
    label: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: float = 640,
    reference: float | None = None,
    reference_text: str = "",
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series, the figure's text at
    the end of each bar; `reference` draws a dashed vertical line (e.g. lift 1)."""
    values = _finite([mark.value for one in series for mark in one.marks])
    if not categories or not values:
        return _empty(label, "-")
    label_width = max(text_width(name) for name in categories) + 12
    bar_height, gap = 16, 10
    group = bar_height * len(series) + gap
    top = 28 if len(series) > 1 or reference is not None else 8
    height = top + group * len(categories) + 8
    highest = max([*values, reference or 0.0, 0.0])
    lowest = min([*values, 0.0])
    span = (highest - lowest) or 1.0
    plot = width - label_width - 90
    zero = label_width + plot * (-lowest / span)
    body: list[str] = []
    if len(series) > 1:
        body += _legend([one.name for one in series], label_width, 16)
    for row, name in enumerate(categories):
        y0 = top + row * group
        body.append(_text(label_width - 8, y0 + group / 2, name, anchor="end"))
        for index, one in enumerate(series):
            if row >= len(one.marks):
                continue
            mark = one.marks[row]
            y = y0 + index * bar_height
            size = 0.0 if mark.value is None else plot * abs(mark.value) / span
            x = zero - size if (mark.value or 0) < 0 else zero
            body.append(
                f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{max(size, 0.5):.1f}" '
                f'height="{bar_height - 2}" fill="{PALETTE[index % len(PALETTE)]}"'
                f"{_attrs(mark.ref)}><title>{escape(one.name)}: {escape(mark.text)}</title></rect>"
            )
            body.append(_text(max(x + size, zero) + 4, y + bar_height - 5, mark.text, size=11))
    body.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top - 4}" y2="{height - 4}" stroke="{GREY}"/>'
    )
    if reference is not None:
        x = zero + plot * (reference - 0.0) / span
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 4}" stroke="#555" '
            f'stroke-dasharray="4 3"/>'
        )
        body.append(_text(x, top - 10, reference_text, anchor="middle", size=11, fill="#555"))
    return _svg(width, height, body, label)


def funnel(label: str, stages: Sequence[tuple[str, Mark]], *, width: float = 640) -> str:
    """Centred bars, one per stage, as wide as the stage's value relative to the largest."""
    values = _finite([mark.value for _, mark in stages])
    if not stages or not values:
        return _empty(label, "-")
    label_width = max(text_width(name) for name, _ in stages) + 16
    plot = width - label_width - 10
    centre = label_width + plot / 2
    highest = max(values) or 1.0
    step = 30
    body: list[str] = []
    for row, (name, mark) in enumerate(stages):
        y = 6 + row * step
        size = max(plot * (mark.value or 0.0) / highest, 1.0)
        body.append(_text(label_width - 8, y + 17, name, anchor="end"))
        body.append(
            f'<rect class="mark" x="{centre - size / 2:.1f}" y="{y:.1f}" width="{size:.1f}" '
            f'height="{step - 6}" rx="3" fill="{PALETTE[row % len(PALETTE)]}" opacity="0.85"'
            f"{_attrs(mark.ref)}><title>{escape(name)}: {escape(mark.text)}</title></rect>"
        )
        inside = text_width(mark.text, 11) + 8 < size
        body.append(
            _text(
                centre if inside else centre + size / 2 + 4,
                y + 16,
                mark.text,
                anchor="middle" if inside else "start",
                size=11,
                fill="#fff" if inside else "#222",
            )
        )
    return _svg(width, 12 + step * len(stages), body, label)


@dataclass(frozen=True)
class Marker:
    """A highlighted point of a line chart, with its caption and the figures it shows."""

    x: float
    y: float
    text: str
    refs: Sequence[Ref] = ()


def line_chart(
    label: str,
    series: Sequence[Series],
    *,
    width: float = 640,
    height: float = 300,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    x_ticks: Sequence[tuple[float, str]] = (),
    y_ticks: Sequence[tuple[float, str]] = (),
    markers: Sequence[Marker] = (),
    diagonal: bool = False,
    point_radius: float = 2.5,
    legend: bool = True,
) -> str:
    """Lines over numeric x (Series.xs); every point is a circle carrying its Ref; `markers`
    are annotated points (e.g. the 80/20 point), `diagonal` the line of equality."""
    points = [
        (x, mark.value)
        for one in series
        for x, mark in zip(one.xs, one.marks, strict=True)
        if mark.value is not None
    ]
    if not points:
        return _empty(label, "-", width)
    xs = [x for x, _ in points]
    ys = [float(y) for _, y in points]
    x0, x1 = x_range or (min(xs), max(xs))
    y0, y1 = y_range or (min([*ys, 0.0]), max(ys))
    left, right = 56, 14
    top = 26 if legend and len(series) > 1 else 12
    bottom = 34
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + plot_w * (x - x0) / ((x1 - x0) or 1.0)

    def py(y: float) -> float:
        return top + plot_h * (1 - (y - y0) / ((y1 - y0) or 1.0))

    body = [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        f'stroke="#ddd"/>'
    ]
    for value, text in y_ticks:
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(value):.1f}" y2="{py(value):.1f}" '
            f'stroke="#e4e4e4"/>'
        )
        body.append(_text(left - 4, py(value) + 4, text, anchor="end", size=10, fill="#555"))
    for value, text in x_ticks:
        body.append(
            _text(px(value), top + plot_h + 14, text, anchor="middle", size=10, fill="#555")
        )
    if diagonal:
        body.append(
            f'<line x1="{px(x0):.1f}" y1="{py(y0):.1f}" x2="{px(x1):.1f}" y2="{py(y1):.1f}" '
            f'stroke="{GREY}" stroke-dasharray="4 3"/>'
        )
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        coordinates = [
            (px(x), py(float(mark.value)))
            for x, mark in zip(one.xs, one.marks, strict=True)
            if mark.value is not None
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, mark in zip(one.xs, one.marks, strict=True):
            if mark.value is None:
                continue
            body.append(
                f'<circle class="mark" cx="{px(x):.1f}" cy="{py(float(mark.value)):.1f}" '
                f'r="{point_radius}" fill="{colour}"{_attrs(mark.ref)}>'
                f"<title>{escape(one.name)}: {escape(mark.text)}</title></circle>"
            )
    for marker in markers:
        cx, cy = px(marker.x), py(marker.y)
        body.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{cy:.1f}" y2="{top + plot_h}" stroke="#c00" '
            f'stroke-dasharray="3 3"/><line x1="{left}" x2="{cx:.1f}" y1="{cy:.1f}" '
            f'y2="{cy:.1f}" stroke="#c00" stroke-dasharray="3 3"/>'
        )
        body.append(f'<circle class="marker" cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="#c00"/>')
        for ref in marker.refs:
            body.append(f'<g class="marker-value"{ref.attributes()}></g>')
        body.append(_text(cx + 8, cy + 16, marker.text, fill="#c00"))
    if legend and len(series) > 1:
        body += _legend([one.name for one in series], left, 14)
    return _svg(width, height, body, label)


def small_multiples(
    label: str,
    panels: Sequence[tuple[str, str]],
    *,
    columns: int = 2,
    legend: Sequence[str] = (),
) -> str:
    """Several charts (title, svg) in one grid, side by side, under one shared `legend` (the
    series names, in the colours of the panels' series)."""
    if not panels:
        return _empty(label, "-")
    sizes = [_size(svg) for _, svg in panels]
    cell_w = max(w for w, _ in sizes)
    cell_h = max(h for _, h in sizes) + 22
    top = 24 if legend else 0
    rows = math.ceil(len(panels) / columns)
    body: list[str] = _legend(legend, 8, 14) if legend else []
    for index, (title, svg) in enumerate(panels):
        x = (index % columns) * cell_w
        y = top + (index // columns) * cell_h
        body.append(_text(x + 8, y + 16, title, size=13, extra=' font-weight="bold"'))
        inner = svg.replace("<svg ", f'<svg x="{x:.0f}" y="{y + 22:.0f}" ', 1)
        body.append(inner)
    return _svg(cell_w * min(columns, len(panels)), top + cell_h * rows, body, label)


def _size(svg: str) -> tuple[float, float]:
    def number(name: str) -> float:
        start = svg.index(f' {name}="') + len(name) + 3
        return float(svg[start : svg.index('"', start)])

    return number("width"), number("height")


def heatmap(
    label: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Mapping[tuple[int, int], Cell],
    *,
    row_title: str = "",
    column_title: str = "",
    cell_width: float = 96,
    cell_height: float = 44,
) -> str:
    """A grid of shaded cells (darker = higher shade), each with its lines of text; a missing
    cell is left blank."""
    if not row_labels or not column_labels:
        return _empty(label, "-")
    left = max(text_width(name) for name in row_labels) + 16 + (18 if row_title else 0)
    top = 40 if column_title else 24
    width = left + cell_width * len(column_labels) + 8
    height = top + cell_height * len(row_labels) + 8
    body: list[str] = []
    if column_title:
        body.append(
            _text(
                left + cell_width * len(column_labels) / 2,
                14,
                column_title,
                anchor="middle",
                fill="#555",
            )
        )
    if row_title:
        middle = top + cell_height * len(row_labels) / 2
        body.append(
            _text(
                12,
                middle,
                row_title,
                anchor="middle",
                fill="#555",
                extra=f' transform="rotate(-90 12 {middle:.1f})"',
            )
        )
    for column, name in enumerate(column_labels):
        body.append(_text(left + cell_width * (column + 0.5), top - 6, name, anchor="middle"))
    for row, name in enumerate(row_labels):
        y = top + cell_height * row
        body.append(_text(left - 8, y + cell_height / 2 + 4, name, anchor="end"))
        for column in range(len(column_labels)):
            x = left + cell_width * column
            cell = cells.get((row, column))
            shade = None if cell is None else cell.shade
            fill = "#f4f4f4" if shade is None else _blue(shade)
            refs = [] if cell is None else [mark.ref for mark in cell.lines if mark.ref]
            ref = refs[0] if refs else None
            body.append(
                f'<rect class="{"cell" if cell is None else "mark cell"}" x="{x:.1f}" '
                f'y="{y:.1f}" width="{cell_width - 2}" height="{cell_height - 2}" '
                f'fill="{fill}"{_attrs(ref)}>'
                f"<title>{escape(cell.title if cell else '')}</title></rect>"
            )
            if cell is None:
                continue
            ink = "#fff" if (shade or 0) > 0.55 else "#222"
            count = len(cell.lines)
            for line, mark in enumerate(cell.lines):
                ty = y + cell_height / 2 + 4 + (line - (count - 1) / 2) * 14
                body.append(
                    _text(
                        x + cell_width / 2 - 1,
                        ty,
                        mark.text,
                        anchor="middle",
                        size=11,
                        fill=ink,
                        ref=mark.ref,
                    )
                )
    return _svg(width, height, body, label)


def _blue(shade: float) -> str:
    """White to dark blue."""
    shade = min(max(shade, 0.0), 1.0)
    low, high = (235, 243, 251), (16, 63, 120)
    red, green, blue = (round(a + (b - a) * shade) for a, b in zip(low, high, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def histogram(
    label: str,
    bins: Sequence[Bin],
    *,
    width: float = 640,
    height: float = 240,
    tick_format: str = "{:g}",
) -> str:
    """Vertical columns, one per bin, with the count above each and the edges below."""
    counts = _finite([one.count.value for one in bins])
    if not bins or not counts:
        return _empty(label, "-", width)
    left, right, top, bottom = 24, 24, 18, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    column = plot_w / len(bins)
    highest = max(counts) or 1.0
    body: list[str] = []
    for index, one in enumerate(bins):
        size = plot_h * (one.count.value or 0.0) / highest
        x = left + index * column
        y = top + plot_h - size
        body.append(
            f'<rect class="mark" x="{x + 1:.1f}" y="{y:.1f}" width="{column - 2:.1f}" '
            f'height="{max(size, 0.5):.1f}" fill="{PALETTE[0]}"{_attrs(one.count.ref)}>'
            f"<title>{escape(tick_format.format(one.low))}-"
            f"{escape(tick_format.format(one.high))}: {escape(one.count.text)}</title></rect>"
        )
        if text_width(one.count.text, 10) < column + 6:
            body.append(_text(x + column / 2, y - 4, one.count.text, anchor="middle", size=10))
    edges = [one.low for one in bins] + [bins[-1].high]
    widest = max(text_width(tick_format.format(edge), 10) for edge in edges)
    every = max(1, math.ceil((widest + 6) / column))
    for index in range(0, len(bins) + 1, every):
        edge = bins[index].low if index < len(bins) else bins[-1].high
        body.append(
            _text(
                left + index * column,
                top + plot_h + 14,
                tick_format.format(edge),
                anchor="middle",
                size=10,
                fill="#555",
            )
        )
    body.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}" stroke="{GREY}"/>'
    )
    return _svg(width, height, body, label)
