"""Figures logged as ``plots/*.png``: reliability diagram, per-group bars, shift curves and
risk-coverage curves; the attack ROC (:mod:`trustbench.plots_privacy`) and the performance
figures (:mod:`trustbench.plots_performance`: ROC/PR, confusion matrix, decision curve) are
re-exported here.

Each function takes plain arrays and returns a matplotlib Figure sized for the trust card
(:mod:`trustbench.plots_style`: at most 5.6 in wide, no text under 9 pt, Okabe-Ito colours);
the figures are not pyplot figures, so none leaks, and the tracking layer writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trustbench.metrics import reliability_bins
from trustbench.plots_performance import confusion_matrix, decision_curve, roc_pr
from trustbench.plots_privacy import attack_roc
from trustbench.plots_style import (
    CARD_WIDTH_IN,
    FONT_PT,
    PALETTE,
    TITLE_PT,
    axes_grid,
    finish,
    new_figure,
    pretty,
    text_width_in,
    wrap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "attack_roc",
    "confusion_matrix",
    "decision_curve",
    "group_bars",
    "group_panels",
    "reliability_diagram",
    "risk_coverage",
    "roc_pr",
    "shift_curves",
]


def _pyplot():
    """matplotlib.pyplot on the Agg backend, imported on first use (it costs ~0.7 s)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def reliability_diagram(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]], n_bins: int = 15
) -> Figure:
    """Accuracy against confidence per bin, one line per split (``{split: (y, proba)}``).

    Marker area is proportional to the bin's share of rows; the diagonal is perfect calibration.
    """
    fig = new_figure(4.8, 4.4)
    ax = axes_grid(fig, 1, 1, (0.6, 0.15, 0.55, 0.5))[0, 0]
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    for k, (name, (y, proba)) in enumerate(curves.items()):
        conf, acc, count = reliability_bins(y, proba, n_bins)
        keep = count > 0
        color = PALETTE[k % len(PALETTE)]
        label = f"{name} (n={int(count.sum())})"
        ax.plot(conf[keep], acc[keep], marker="os^D"[k % 4], color=color, lw=1.2, label=label)
        ax.scatter(conf[keep], acc[keep], s=400 * count[keep] / count.sum(), alpha=0.25, c=color)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (top-label probability)")
    ax.set_ylabel("observed accuracy")
    ax.set_title(f"Reliability diagram ({n_bins} equal-width bins;\nmarker area: share of rows)")
    ax.legend(loc="upper left", fontsize=FONT_PT)
    return finish(fig)


def group_bars(
    attribute: str,
    labels: Sequence[str],
    values: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    sizes: Sequence[int],
    metric: str = "accuracy",
) -> Figure:
    """One bar per group with its bootstrap CI as an error bar; group sizes under the labels."""
    fig = new_figure(min(CARD_WIDTH_IN, 1.2 + 0.9 * len(labels)), 3.6)
    ax = axes_grid(fig, 1, 1, (0.6, 0.15, 0.4, 0.6))[0, 0]
    values = np.asarray(values, dtype=float)
    yerr = np.vstack(
        [values - np.asarray(low, dtype=float), np.asarray(high, dtype=float) - values]
    )
    ax.bar(range(len(labels)), values, yerr=np.nan_to_num(yerr), capsize=4, color=PALETTE[0])
    ax.set_xticks(
        range(len(labels)), [f"{lab}\nn={n}" for lab, n in zip(labels, sizes, strict=True)]
    )
    ax.set(ylim=(0, 1), ylabel=metric, title=f"{metric} by {attribute} (95% CI)")
    return finish(fig)


def _group_label(label: str, size: int, small: bool) -> str:
    name = f"{label}{'*' if small else ''}"
    one_line = f"{name} (n={size})"
    return one_line if len(one_line) <= 24 else f"{wrap(name, 22)}\n(n={size})"


def group_panels(
    attribute: str,
    labels: Sequence[str],
    sizes: Sequence[int],
    metrics: Mapping[str, tuple[np.ndarray, Sequence[float], Sequence[float]]],
    min_group_size: int = 0,
) -> Figure:
    """Small multiples: one panel per metric (``{name: (values, low, high)}``), one horizontal
    bar per group with its CI as a whisker, two panels a row.

    Group labels and sizes read along the shared y axis (long labels wrapped); groups under
    ``min_group_size`` are marked ``*`` and drawn lighter; an undefined value (NaN) leaves its
    bar out and is marked ``undefined``. A rate panel spans 0-1; a panel whose values all stay
    under 0.45 (e.g. ECE) spans 0-0.5.
    """
    labels = [str(v) for v in labels]
    names = list(metrics)
    small = np.asarray([int(n) < min_group_size for n in sizes], dtype=bool)
    ticks = [_group_label(lab, int(n), s) for lab, n, s in zip(labels, sizes, small, strict=True)]
    lines = max([t.count("\n") + 1 for t in ticks] or [1])
    ncols = 1 if len(names) == 1 else 2
    nrows = -(-len(names) // ncols)
    panel_h = len(labels) * (0.17 * lines + 0.12)
    head = 0.75 if small.any() else 0.55
    fig = new_figure(CARD_WIDTH_IN, nrows * (panel_h + 0.75) + head)
    left = min(text_width_in("\n".join(ticks)) + 0.2, 2.6)
    axes = axes_grid(fig, nrows, ncols, (left, 0.2, head + 0.25, 0.45), (0.3, 0.75), sharey=True)
    y = np.arange(len(labels))
    colors = np.where(small, "#9ecae1", PALETTE[0])
    for ax, name in zip(axes.flat, names, strict=False):
        values, low, high = (np.asarray(v, dtype=float) for v in metrics[name])
        xerr = np.nan_to_num(np.vstack([values - low, high - values]).clip(min=0))
        ax.barh(y, np.nan_to_num(values), 0.7, xerr=xerr, color=colors, capsize=2.5,
                error_kw={"linewidth": 0.9, "ecolor": "#333333"})  # fmt: skip
        for yp in y[~np.isfinite(values)]:
            ax.text(0.01, yp, "undefined", va="center", fontsize=FONT_PT, color="#555555")
        top = np.nanmax(np.concatenate([values, high])) if np.isfinite(values).any() else 1.0
        upper = 1.0 if top > 0.45 else 0.5
        ax.set_xlim(0, upper)
        ax.set_xticks(np.linspace(0, upper, 3))
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(pretty(name), fontsize=TITLE_PT)
    axes[0, 0].set_yticks(y, ticks)
    axes[0, 0].invert_yaxis()
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    note = f"\n* n < {min_group_size}: small group, drawn lighter" if small.any() else ""
    fig.suptitle(
        f"{wrap(f'By {attribute}: value per group (whisker: 95% bootstrap CI)', 70)}{note}",
        fontsize=TITLE_PT,
        y=1 - 0.1 / fig.get_size_inches()[1],
        va="top",
    )
    return finish(fig)


def _kinds(curves: Mapping[str, Mapping[str, object]]) -> list[str]:
    return list(dict.fromkeys(kind for kinds in curves.values() for kind in kinds))


def shift_curves(
    curves: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]]],
    severities: Sequence[float],
    baseline: Mapping[str, float],
    axes_info: Mapping[str, tuple[str, str]] | None = None,
) -> Figure:
    """Metric against shift severity: one row of panels per kind of shift, one panel per metric.

    ``curves[metric][kind] = (values, low, high)`` over ``severities``; severity 0 is the
    unshifted test split (``baseline[metric]``, also drawn as a dotted line). The CI is drawn
    as a band. ``axes_info[kind] = (xlabel, description)`` names what is shifted and in which
    unit: ``xlabel`` labels the x axes of the kind's row, ``description`` heads the row.
    """
    info = dict(axes_info or {})
    kinds, metrics = _kinds(curves), list(curves)
    heads = [wrap(info.get(kind, ("", kind))[1], 76) for kind in kinds]
    xlabels = [wrap(info.get(kind, ("severity (0 = test)",))[0], 24) for kind in kinds]
    # per row: its header lines, the panel titles, the axes, tick labels and x-label lines
    heads_h = [0.1 + 0.16 * (h.count("\n") + 1) + 0.25 for h in heads]
    blocks = [
        h + 1.15 + 0.4 + 0.17 * (x.count("\n") + 1) for h, x in zip(heads_h, xlabels, strict=True)
    ]
    top = 0.5
    fig = new_figure(CARD_WIDTH_IN, top + sum(blocks))
    width, height = fig.get_size_inches()
    left, gap = 0.55, 0.5
    panel_w = (width - left - 0.1 - gap * (len(metrics) - 1)) / len(metrics)
    xs = np.concatenate([[0.0], np.asarray(severities, dtype=float)])
    order = np.argsort(xs, kind="stable")
    y_top = height - top
    rows = zip(kinds, heads, heads_h, xlabels, blocks, strict=True)
    for r, (kind, head, head_h, xlabel, block) in enumerate(rows):
        fig.text(0.1 / width, (y_top - 0.08) / height, head, fontsize=FONT_PT, va="top",
                 color="#222222")  # fmt: skip
        bottom = y_top - head_h - 1.15
        color = PALETTE[r % len(PALETTE)]
        for c, metric in enumerate(metrics):
            if kind not in curves[metric]:
                continue
            x0 = left + c * (panel_w + gap)
            ax = fig.add_axes((x0 / width, bottom / height, panel_w / width, 1.15 / height))
            values, low, high = curves[metric][kind]
            ys = np.concatenate([[baseline[metric]], np.asarray(values, dtype=float)])[order]
            lo = np.concatenate([[np.nan], np.asarray(low, dtype=float)])[order]
            hi = np.concatenate([[np.nan], np.asarray(high, dtype=float)])[order]
            ax.axhline(baseline[metric], color="grey", linestyle=":", linewidth=1)
            ax.plot(xs[order], ys, marker="o", markersize=4, color=color)
            ax.fill_between(xs[order], lo, hi, alpha=0.18, color=color, linewidth=0)
            ax.set_xlabel(xlabel)
            ax.set_title(pretty(metric), fontsize=FONT_PT)
            ax.locator_params(axis="y", nbins=4)
        y_top -= block
    fig.suptitle(
        "Synthetic shifts of the test split\n(band: 95% bootstrap CI; dotted line: unshifted test)",
        fontsize=TITLE_PT,
        y=1 - 0.05 / height,
        va="top",
    )
    return finish(fig)


def risk_coverage(
    panels: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]],
    coverages: Sequence[float] = (),
) -> Figure:
    """Selective risk against coverage, one panel per entry of ``panels`` (two a row) and one
    line per curve (``panels[title][label] = (coverage, risk)`` from
    :func:`trustbench.metrics.uncertainty_selective.risk_coverage_curve`); dotted verticals mark
    the reported coverage levels."""
    ncols = 1 if len(panels) == 1 else 2
    nrows = -(-len(panels) // ncols)
    fig = new_figure(CARD_WIDTH_IN, 0.55 + 2.75 * nrows)
    axes = axes_grid(fig, nrows, ncols, (0.6, 0.1, 0.6, 0.5), (0.65, 0.75))
    for ax, (title, curves) in zip(axes.flat, panels.items(), strict=False):
        for k, (label, (coverage, risk)) in enumerate(curves.items()):
            ax.plot(coverage, risk, linewidth=1.3, color=PALETTE[k % len(PALETTE)],
                    linestyle=("-", "--", "-.", ":")[k % 4], label=label)  # fmt: skip
        for level in coverages:
            ax.axvline(level, color="grey", linestyle=":", linewidth=0.8)
        ax.set(xlim=(0, 1), ylim=(0, None), xlabel="coverage (share answered)")
        ax.set_ylabel("risk (error rate)")
        ax.set_title(title, fontsize=FONT_PT)
        ax.legend(fontsize=FONT_PT, loc="upper left", handlelength=1.6, borderaxespad=0.3)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    levels = ", ".join(f"{c:g}" for c in coverages)
    fig.suptitle(
        "Risk-coverage curves (most confident answered first"
        + (f";\ndotted: coverage {levels})" if levels else ")"),
        fontsize=TITLE_PT,
        y=1 - 0.05 / fig.get_size_inches()[1],
        va="top",
    )
    return finish(fig)
