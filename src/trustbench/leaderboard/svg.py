"""Inline SVG scatter plots with error bars and a Pareto front (no plotting library needed)."""

from __future__ import annotations

from html import escape

from trustbench.leaderboard.tradeoffs import Tradeoff

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 460, 320, 64, 16, 28, 48
LEGEND_LINE = 13
ARROW = {"max": "↑ better", "min": "↓ better", "target:0": "→0 better"}


def _range(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high == low:
        pad = abs(low) * 0.05 or 0.05
        return low - pad, high + pad
    pad = (high - low) * 0.08
    return low - pad, high + pad


def scatter(plot: Tradeoff) -> str:
    """The trade-off as one ``<svg>`` element: points with CI error bars, front in red."""
    xs = [v for p in plot.points for v in (p.x, p.x_low, p.x_high) if v is not None]
    ys = [v for p in plot.points for v in (p.y, p.y_low, p.y_high) if v is not None]
    (x0, x1), (y0, y1) = _range(xs), _range(ys)
    iw, ih = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    total = HEIGHT + LEGEND_LINE * len(plot.points) + 6

    def sx(v: float) -> float:
        return PAD_L + (v - x0) / (x1 - x0) * iw

    def sy(v: float) -> float:
        return PAD_T + ih - (v - y0) / (y1 - y0) * ih

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total}" '
        f'viewBox="0 0 {WIDTH} {total}" role="img" aria-label="{escape(plot.title)}">',
        f'<text x="{WIDTH / 2:.1f}" y="16" text-anchor="middle" font-size="13" '
        f'font-weight="bold">{escape(plot.title)}</text>',
        f'<rect x="{PAD_L}" y="{PAD_T}" width="{iw}" height="{ih}" fill="none" stroke="#888"/>',
    ]
    for i in range(5):
        xv, yv = x0 + (x1 - x0) * i / 4, y0 + (y1 - y0) * i / 4
        out.append(
            f'<text x="{sx(xv):.1f}" y="{PAD_T + ih + 14}" font-size="10" '
            f'text-anchor="middle">{xv:.3g}</text>'
        )
        out.append(
            f'<text x="{PAD_L - 4}" y="{sy(yv) + 3:.1f}" font-size="10" '
            f'text-anchor="end">{yv:.3g}</text>'
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
    for i, p in enumerate(plot.points):
        color = "#c0392b" if p.on_front else "#2c6fbb"
        if p.x_low is not None and p.x_high is not None:
            out.append(
                f'<line x1="{sx(p.x_low):.1f}" y1="{sy(p.y):.1f}" x2="{sx(p.x_high):.1f}" '
                f'y2="{sy(p.y):.1f}" stroke="{color}" stroke-width="1"/>'
            )
        if p.y_low is not None and p.y_high is not None:
            out.append(
                f'<line x1="{sx(p.x):.1f}" y1="{sy(p.y_low):.1f}" x2="{sx(p.x):.1f}" '
                f'y2="{sy(p.y_high):.1f}" stroke="{color}" stroke-width="1"/>'
            )
        out.append(
            f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="4" fill="{color}">'
            f"<title>{escape(p.label)}: {p.x:.4g}, {p.y:.4g}</title></circle>"
        )
        # points carry a number; the legend under the plot names them
        out.append(
            f'<text x="{sx(p.x) + 5:.1f}" y="{sy(p.y) - 5:.1f}" font-size="10" '
            f'fill="#222">{i + 1}</text>'
        )
        front_note = " (Pareto front)" if p.on_front else ""
        out.append(
            f'<text x="{PAD_L}" y="{HEIGHT + LEGEND_LINE * i + 4}" font-size="10" fill="{color}">'
            f"{i + 1}: {escape(p.label)}{front_note} — x {p.x:.4g}, y {p.y:.4g}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
