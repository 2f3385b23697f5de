"""Figures logged as ``plots/*.png``: reliability diagram, per-group bars, attack ROC, shift
curves, risk-coverage and decision curves.

Each function takes plain arrays and returns a matplotlib Figure (Agg backend, no display);
the tracking layer writes and closes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trustbench.metrics import reliability_bins

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
    fig, ax = _pyplot().subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    for name, (y, proba) in curves.items():
        conf, acc, count = reliability_bins(y, proba, n_bins)
        keep = count > 0
        ax.plot(
            conf[keep], acc[keep], marker="o", linewidth=1.2, label=f"{name} (n={int(count.sum())})"
        )
        ax.scatter(conf[keep], acc[keep], s=400 * count[keep] / count.sum(), alpha=0.25)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (top-label probability)", ylabel="accuracy")
    ax.set_title(f"Reliability diagram ({n_bins} equal-width bins)")
    ax.legend(loc="upper left", fontsize=8)
    return fig


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
    fig, ax = _pyplot().subplots(figsize=(1.2 + 0.9 * len(labels), 3.6))
    values = np.asarray(values, dtype=float)
    yerr = np.vstack(
        [values - np.asarray(low, dtype=float), np.asarray(high, dtype=float) - values]
    )
    ax.bar(range(len(labels)), values, yerr=np.nan_to_num(yerr), capsize=4, color="#4c78a8")
    ax.set_xticks(
        range(len(labels)), [f"{lab}\nn={n}" for lab, n in zip(labels, sizes, strict=True)]
    )
    ax.set(ylim=(0, 1), ylabel=metric, title=f"{metric} by {attribute} (95% CI)")
    return fig


def attack_roc(
    member: np.ndarray,
    scores: Mapping[str, np.ndarray],
    fpr_levels: Sequence[float] = (),
) -> Figure:
    """Membership-attack ROC on log-log axes (the low-FPR regime is what matters).

    Every ROC point is drawn (no intermediate points dropped); rates below the audit set's
    resolution ``1 / n_nonmembers`` are drawn at that floor. ``fpr_levels`` (e.g. 0.01, 0.001)
    are marked with dotted verticals where the audit set resolves them.
    """
    from sklearn.metrics import roc_curve

    fig, ax = _pyplot().subplots(figsize=(4.6, 4.4))
    floor = 1.0 / max(1, int((np.asarray(member) == 0).sum()))
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(member, score, drop_intermediate=False)
        ax.plot(np.maximum(fpr, floor), np.maximum(tpr, floor), label=name)
    grid = np.logspace(np.log10(floor), 0, 50)
    ax.plot(grid, grid, color="grey", linestyle="--", linewidth=1, label="chance")
    for level in fpr_levels:
        if floor <= level < 1:
            ax.axvline(level, color="grey", linestyle=":", linewidth=0.8)
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(floor, 1),
        ylim=(floor, 1),
        xlabel="false positive rate",
        ylabel="true positive rate",
        title="Membership inference ROC",
    )
    ax.legend(loc="lower right", fontsize=8)
    return fig


def group_panels(
    attribute: str,
    labels: Sequence[str],
    sizes: Sequence[int],
    metrics: Mapping[str, tuple[np.ndarray, Sequence[float], Sequence[float]]],
    min_group_size: int = 0,
) -> Figure:
    """Grouped bars: for each group, one bar per metric (``{name: (values, low, high)}``) with
    its CI as an error bar.

    Group sizes are written under the labels; groups under ``min_group_size`` are marked ``*``
    and their bars drawn lighter; an undefined value (NaN) leaves its bar out and is marked
    ``undef.``. One axes per figure keeps the figure cheap to draw.
    """
    plt = _pyplot()
    labels = [str(v) for v in labels]
    names = list(metrics)
    n_groups, n_metrics = len(labels), len(names)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.0 + 0.28 * n_groups * (n_metrics + 1)), 3.8))
    small = np.asarray([int(n) < min_group_size for n in sizes], dtype=bool)
    width = 0.8 / n_metrics
    x = np.arange(n_groups)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, name in enumerate(names):
        values, low, high = (np.asarray(v, dtype=float) for v in metrics[name])
        pos = x - 0.4 + width * (k + 0.5)
        yerr = np.nan_to_num(np.vstack([values - low, high - values]).clip(min=0))
        color = colors[k % len(colors)]
        ax.bar(
            pos,
            np.nan_to_num(values),
            width,
            yerr=yerr,
            capsize=2,
            color=color,
            alpha=1.0,
            label=name.replace("_", " "),
            error_kw={"linewidth": 0.8},
        )
        if small.any():
            ax.bar(pos[small], np.nan_to_num(values[small]), width, color="white", alpha=0.45)
        for xp in pos[~np.isfinite(values)]:
            ax.text(xp, 0.01, "undef.", rotation=90, ha="center", va="bottom", fontsize=6)
    ticks = [
        f"{lab}{'*' if s else ''}\nn={n}" for lab, n, s in zip(labels, sizes, small, strict=True)
    ]
    ax.set_xticks(x, ticks, fontsize=7)
    ax.set(ylim=(0, 1.05), xlim=(-0.5, n_groups - 0.5))
    note = f"; * n < {min_group_size}, drawn lighter" if small.any() else ""
    ax.set_title(f"by {attribute} (95% bootstrap CI{note})", fontsize=9)
    ax.legend(
        fontsize=7, ncol=n_metrics, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False
    )
    return fig


def shift_curves(
    curves: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]]],
    severities: Sequence[float],
    baseline: Mapping[str, float],
) -> Figure:
    """Metric against shift severity, one panel per metric and one line per kind of shift.

    ``curves[metric][kind] = (values, low, high)`` over ``severities``; severity 0 is the
    unshifted test split (``baseline[metric]``). The CI is drawn as a band.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(3.8 * len(curves), 3.6), squeeze=False)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.84, wspace=0.3)
    xs = np.concatenate([[0.0], np.asarray(severities, dtype=float)])
    order = np.argsort(xs, kind="stable")
    for ax, (metric, kinds) in zip(axes[0], curves.items(), strict=True):
        for kind, (values, low, high) in kinds.items():
            ys = np.concatenate([[baseline[metric]], np.asarray(values, dtype=float)])[order]
            lo = np.concatenate([[np.nan], np.asarray(low, dtype=float)])[order]
            hi = np.concatenate([[np.nan], np.asarray(high, dtype=float)])[order]
            (line,) = ax.plot(xs[order], ys, marker="o", label=kind)
            ax.fill_between(xs[order], lo, hi, alpha=0.15, color=line.get_color())
        ax.set(xlabel="severity (0 = test)", ylabel=metric, title=metric)
        ax.legend(fontsize=7)
    fig.suptitle("Synthetic shifts of the test split (95% bootstrap CI)", fontsize=10)
    return fig


def risk_coverage(
    panels: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]],
    coverages: Sequence[float] = (),
) -> Figure:
    """Selective risk against coverage, one panel per entry of ``panels`` and one line per
    curve (``panels[title][label] = (coverage, risk)`` from
    :func:`trustbench.metrics.uncertainty_selective.risk_coverage_curve`); dotted verticals mark
    the reported coverage levels."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.9 * len(panels), 3.6), squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.84, wspace=0.3)
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        for label, (coverage, risk) in curves.items():
            ax.plot(coverage, risk, linewidth=1.2, label=label)
        for level in coverages:
            ax.axvline(level, color="grey", linestyle=":", linewidth=0.8)
        ax.set(
            xlim=(0, 1),
            ylim=(0, None),
            xlabel="coverage (share answered)",
            ylabel="risk (error rate)",
        )
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("Risk-coverage curves (most confident first)", fontsize=10)
    return fig


def decision_curve(
    thresholds: np.ndarray,
    model: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    treat_all: np.ndarray,
    marked: float | None = None,
    label: str = "model",
) -> Figure:
    """Net benefit against threshold probability (Vickers & Elkin 2006): the model (with its
    bootstrap CI as a band), treating everybody and treating nobody (0); a dotted vertical
    marks the reported threshold ``marked``. The y axis spans the model's and treat-all's net
    benefit from a little below 0 (where treat-all falls far below it, it leaves the plot)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    pt = np.asarray(thresholds, dtype=float)
    (line,) = ax.plot(pt, model, linewidth=1.4, label=label)
    ax.fill_between(pt, low, high, alpha=0.18, color=line.get_color())
    ax.plot(pt, treat_all, color="#b07aa1", linewidth=1.1, label="treat all")
    ax.axhline(0.0, color="grey", linewidth=1.1, label="treat none")
    if marked is not None:
        ax.axvline(marked, color="grey", linestyle=":", linewidth=0.8)
    top = np.nanmax(np.concatenate([np.asarray(model, float), np.asarray(treat_all, float)]))
    top = max(float(top), 0.01) if np.isfinite(top) else 1.0
    ax.set(
        xlim=(float(pt.min()), float(pt.max())),
        ylim=(-0.15 * top, 1.1 * top),
        xlabel="threshold probability pt",
        ylabel="net benefit",
    )
    ax.set_title("Decision curve (95% bootstrap CI)", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    return fig
