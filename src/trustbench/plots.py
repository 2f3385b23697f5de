"""Figures logged as ``plots/*.png``: reliability diagram, per-group bars, attack ROC.

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


def attack_roc(member: np.ndarray, scores: Mapping[str, np.ndarray]) -> Figure:
    """Membership-attack ROC on log-log axes (the low-FPR regime is what matters)."""
    from sklearn.metrics import roc_curve

    fig, ax = _pyplot().subplots(figsize=(4.6, 4.4))
    floor = 1.0 / max(1, int((np.asarray(member) == 0).sum()))
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(member, score)
        ax.plot(np.maximum(fpr, floor), np.maximum(tpr, floor), label=name)
    grid = np.logspace(np.log10(floor), 0, 50)
    ax.plot(grid, grid, color="grey", linestyle="--", linewidth=1, label="chance")
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
