"""Inline SVG scatter plots with error bars and a Pareto front (no plotting library needed).

Axes: each spans the points and their intervals, padded by 5 %, and never leaves the metric's
registered range (an AUC axis stays inside [0, 1]; :attr:`Tradeoff.x_range`). Ticks are
round numbers, multiples of a 1-2-5 step (0.05, 0.1, 0.2, 0.5, 1, 2, ...), labelled with as
many decimals as the step needs (:func:`axis`). Points carry a number that the legend under
the plot names; each number is placed where its box overlaps no other number, no marker and
nothing outside the plot (:func:`place_labels`), nudged further out (with a leader line)
when the nearest places are taken, and left out only when no place is free (the marker's
tooltip and the legend still name it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from trustbench.leaderboard.tradeoffs import Tradeoff

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 460, 320, 64, 16, 28, 48
LEGEND_LINE = 13
ARROW = {"max": "↑ better", "min": "↓ better", "target:0": "→0 better"}
#: Point labels: font size, and the box of one character: bold digits of Chromium's default
#: sans-serif at 10 px measure 7.0 x 11 (getBBox: 9 above the baseline, 2 below), rounded up.
LABEL_FONT = 10
CHAR_W, ASCENT, DESCENT = 7.4, 9.5, 2.5
#: Pixels kept free around each label when it is placed.
GAP = 1.0
MARKER_R = 4
#: Distances (px) from a marker at which its label is tried, nearest first, 8 directions each.
RADII = (3, 7, 12, 18, 26, 36, 48)
#: Characters of a label the legend line shows (the marker's tooltip has all of it).
LEGEND_CHARS = 44
STEPS = (1.0, 2.0, 5.0, 10.0)
Box = tuple[float, float, float, float]


def nice_step(span: float, target: int = 5) -> float:
    """The 1-2-5 step (``m * 10**k``, ``m`` in 1, 2, 5) that cuts ``span`` into about
    ``target - 1`` intervals."""
    raw = span / max(target - 1, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in STEPS if raw <= m * magnitude * (1 + 1e-9))


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def axis(
    values: Sequence[float], bounds: Sequence[float | None] = (None, None), target: int = 5
) -> tuple[float, float, list[float], int]:
    """The extent, the ticks and the tick decimals of one axis.

    Parameters
    ----------
    values : sequence of float
        Every value the axis must show (points and interval ends).
    bounds : (low, high)
        The metric's registered range (None: unbounded); the axis never leaves it.
    target : int
        About how many ticks.

    Returns
    -------
    low, high : float
        The axis extent: the values padded by 5 %, widened to the ticks around them, then
        clipped to ``bounds``.
    ticks : list of float
        Multiples of a 1-2-5 step inside ``[low, high]``, at least two.
    decimals : int
        Digits after the point that show every tick exactly.
    """
    floor_ = -math.inf if bounds[0] is None else float(bounds[0])
    ceil_ = math.inf if bounds[1] is None else float(bounds[1])
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 if high > low else (abs(low) * 0.05 or 0.05)
    low, high = max(low - pad, floor_), min(high + pad, ceil_)
    if high <= low:  # a value on the bound of a degenerate range
        low, high = low - 0.05, high + 0.05
    step = nice_step(high - low, target)
    low = max(math.floor(low / step + 1e-9) * step, floor_)
    high = min(math.ceil(high / step - 1e-9) * step, ceil_)
    decimals = _decimals(step)
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    ticks = [round(k * step, decimals + 1) + 0.0 for k in range(first, last + 1)]
    return low, high, ticks, decimals


def label_box(x: float, y: float, text: str) -> Box:
    """The box ``(x0, y0, x1, y1)`` of a point label drawn at ``x, y`` (text-anchor start,
    baseline ``y``) at :data:`LABEL_FONT`."""
    return (x, y - ASCENT, x + CHAR_W * len(text), y + DESCENT)


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(
    points: Sequence[tuple[float, float]], texts: Sequence[str], area: Box
) -> list[tuple[float, float] | None]:
    """Where to draw each point's label so that no two labels overlap, no label covers a
    marker, and every label stays inside ``area``: ``(x, y)`` (text-anchor start, baseline)
    or None when no place is free. Greedy, in point order, nearest place first."""
    markers = [(x - MARKER_R, y - MARKER_R, x + MARKER_R, y + MARKER_R) for x, y in points]
    placed: list[Box] = []
    out: list[tuple[float, float] | None] = []
    for (px, py), text in zip(points, texts, strict=True):
        w, h = CHAR_W * len(text), ASCENT + DESCENT
        spot = None
        for radius in RADII:
            r = MARKER_R + radius
            # right, upper right, up, upper left, left, lower left, down, lower right
            for dx, dy in ((1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1)):
                cx, cy = px + dx * r, py + dy * r  # the box's corner or edge nearest the point
                x0 = cx if dx > 0 else cx - w if dx < 0 else cx - w / 2
                y0 = cy if dy > 0 else cy - h if dy < 0 else cy - h / 2
                box = (x0, y0, x0 + w, y0 + h)
                inside = area[0] <= x0 and x0 + w <= area[2] and area[1] <= y0 and y0 + h <= area[3]
                padded = (box[0] - GAP, box[1] - GAP, box[2] + GAP, box[3] + GAP)
                if inside and not any(overlaps(padded, b) for b in placed + markers):
                    spot = (x0, y0 + ASCENT)
                    placed.append(box)
                    break
            if spot is not None:
                break
        out.append(spot)
    return out


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return "0" if text.strip("-0.") == "" else text


def _short(label: str) -> str:
    return label if len(label) <= LEGEND_CHARS else label[: LEGEND_CHARS - 1] + "…"


def scatter(plot: Tradeoff) -> str:
    """The trade-off as one ``<svg>`` element: points with CI error bars, front in red."""
    xs = [v for p in plot.points for v in (p.x, p.x_low, p.x_high) if v is not None]
    ys = [v for p in plot.points for v in (p.y, p.y_low, p.y_high) if v is not None]
    x0, x1, xticks, xd = axis(xs, plot.x_range)
    y0, y1, yticks, yd = axis(ys, plot.y_range)
    iw, ih = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    total = HEIGHT + LEGEND_LINE * len(plot.points) + 6

    def sx(v: float) -> float:
        return PAD_L + (v - x0) / (x1 - x0) * iw

    def sy(v: float) -> float:
        return PAD_T + ih - (v - y0) / (y1 - y0) * ih

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total}" '
        f'viewBox="0 0 {WIDTH} {total}" role="img" aria-label="{escape(plot.title)}" '
        f'data-x-key="{escape(plot.x_key)}" data-y-key="{escape(plot.y_key)}">',
        f'<text x="{WIDTH / 2:.1f}" y="16" text-anchor="middle" font-size="13" '
        f'font-weight="bold">{escape(plot.title)}</text>',
    ]
    for v in xticks:
        out.append(
            f'<line x1="{sx(v):.1f}" y1="{PAD_T}" x2="{sx(v):.1f}" y2="{PAD_T + ih}" '
            f'stroke="#eee"/><text class="x-tick" x="{sx(v):.1f}" y="{PAD_T + ih + 14}" '
            f'font-size="10" text-anchor="middle" data-value="{v!r}">{_fmt(v, xd)}</text>'
        )
    for v in yticks:
        out.append(
            f'<line x1="{PAD_L}" y1="{sy(v):.1f}" x2="{PAD_L + iw}" y2="{sy(v):.1f}" '
            f'stroke="#eee"/><text class="y-tick" x="{PAD_L - 4}" y="{sy(v) + 3:.1f}" '
            f'font-size="10" text-anchor="end" data-value="{v!r}">{_fmt(v, yd)}</text>'
        )
    out.append(
        f'<rect x="{PAD_L}" y="{PAD_T}" width="{iw}" height="{ih}" fill="none" stroke="#888" '
        f'data-x-range="{x0!r} {x1!r}" data-y-range="{y0!r} {y1!r}"/>'
    )
    out.append(
        f'<text x="{PAD_L + iw / 2:.1f}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle">'
        f"{escape(plot.x_key)} ({ARROW[plot.x_direction]})</text>"
    )
    out.append(
        f'<text x="12" y="{PAD_T + ih / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {PAD_T + ih / 2:.1f})">{escape(plot.y_key)} '
        f"({ARROW[plot.y_direction]})</text>"
    )
    front = sorted((p for p in plot.points if p.on_front), key=lambda p: (p.x, p.y))
    if len(front) > 1:
        path = " ".join(f"{sx(p.x):.1f},{sy(p.y):.1f}" for p in front)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="#c0392b" stroke-dasharray="4 3"/>'
        )
    centres = [(sx(p.x), sy(p.y)) for p in plot.points]
    texts = [str(i + 1) for i in range(len(plot.points))]
    spots = place_labels(centres, texts, (PAD_L + 1, PAD_T + 1, PAD_L + iw - 1, PAD_T + ih - 1))
    labels = []
    for i, p in enumerate(plot.points):
        color = "#c0392b" if p.on_front else "#2c6fbb"
        cx, cy = centres[i]
        if p.x_low is not None and p.x_high is not None:
            out.append(
                f'<line x1="{sx(p.x_low):.1f}" y1="{cy:.1f}" x2="{sx(p.x_high):.1f}" '
                f'y2="{cy:.1f}" stroke="{color}" stroke-width="1"/>'
            )
        if p.y_low is not None and p.y_high is not None:
            out.append(
                f'<line x1="{cx:.1f}" y1="{sy(p.y_low):.1f}" x2="{cx:.1f}" '
                f'y2="{sy(p.y_high):.1f}" stroke="{color}" stroke-width="1"/>'
            )
        out.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{MARKER_R}" fill="{color}">'
            f"<title>{i + 1}: {escape(p.label)}: {p.x:.4g}, {p.y:.4g}</title></circle>"
        )
        spot = spots[i]
        if spot is not None:  # drawn last, with a white halo: no bar or marker covers a number
            lx, ly = spot
            box = label_box(lx, ly, texts[i])
            bx = min(max(cx, box[0]), box[2])
            by = min(max(cy, box[1]), box[3])
            if math.hypot(bx - cx, by - cy) > MARKER_R + 8:  # far from its marker: a leader
                labels.append(
                    f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{bx:.1f}" y2="{by:.1f}" '
                    'stroke="#999" stroke-width="0.7"/>'
                )
            labels.append(
                f'<text class="point-label" x="{lx:.1f}" y="{ly:.1f}" font-size="{LABEL_FONT}" '
                'fill="#222" stroke="#fff" stroke-width="3" paint-order="stroke" '
                f'font-weight="bold">{texts[i]}</text>'
            )
        front_note = " (Pareto front)" if p.on_front else ""
        out.append(
            f'<text class="legend" x="8" y="{HEIGHT + LEGEND_LINE * i + 4}" font-size="10" '
            f'fill="{color}"><title>{escape(p.label)}</title>{i + 1}: {escape(_short(p.label))}'
            f"{front_note} — x {p.x:.4g}, y {p.y:.4g}</text>"
        )
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out)
