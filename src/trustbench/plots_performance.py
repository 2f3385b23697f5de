"""Performance figures: ROC and precision-recall curves with the operating point, the
confusion matrix at the decision threshold, and the decision curve.

What is drawn is computed by :func:`roc_pr_data` and :func:`confusion_counts` (scikit-learn's
``roc_curve``, ``precision_recall_curve`` and ``confusion_matrix``), so that tests compare the
drawn data with the library. matplotlib and scikit-learn are imported on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trustbench.plots_style import (
    CARD_WIDTH_IN,
    FONT_PT,
    PALETTE,
    TITLE_PT,
    axes_grid,
    finish,
    new_figure,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "RocPr",
    "confusion_counts",
    "confusion_matrix",
    "decision_curve",
    "roc_pr",
    "roc_pr_data",
]


@dataclass(frozen=True)
class RocPr:
    """ROC and PR curves of one binary score, and the operating point of a prediction.

    Attributes
    ----------
    fpr, tpr : ndarray
        ``sklearn.metrics.roc_curve(y, score)``.
    precision, recall : ndarray
        ``sklearn.metrics.precision_recall_curve(y, score)``.
    auc, average_precision : float
        ``roc_auc_score`` and ``average_precision_score`` (NaN with one class only).
    prevalence : float
        Share of positives (the PR curve of a no-skill model).
    point : tuple of float
        ``(fpr, tpr, precision)`` of the prediction at the decision threshold.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    auc: float
    average_precision: float
    prevalence: float
    point: tuple[float, float, float]


def roc_pr_data(y: np.ndarray, score: np.ndarray, pred: np.ndarray) -> RocPr:
    """The curves of ``score`` (the positive-class probability) against the 0/1 labels ``y``
    and the operating point of the 0/1 prediction ``pred``."""
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
        roc_curve,
    )

    y, score, pred = (np.asarray(v) for v in (y, score, pred))
    both = len(np.unique(y)) == 2
    fpr, tpr, _ = roc_curve(y, score) if both else (np.array([0.0, 1.0]),) * 2 + (None,)
    precision, recall, _ = precision_recall_curve(y, score)
    tp, fp = int(((pred == 1) & (y == 1)).sum()), int(((pred == 1) & (y == 0)).sum())
    positives, negatives = int((y == 1).sum()), int((y == 0).sum())
    point = (
        fp / negatives if negatives else np.nan,
        tp / positives if positives else np.nan,
        tp / (tp + fp) if tp + fp else np.nan,
    )
    return RocPr(
        fpr=fpr,
        tpr=tpr,
        precision=precision,
        recall=recall,
        auc=float(roc_auc_score(y, score)) if both else np.nan,
        average_precision=float(average_precision_score(y, score)) if positives else np.nan,
        prevalence=positives / max(len(y), 1),
        point=point,
    )


def roc_pr(
    y: np.ndarray,
    score: np.ndarray,
    pred: np.ndarray,
    threshold: str = "threshold 0.50",
    positive: str = "1",
    split: str = "test",
) -> Figure:
    """ROC (left) and precision-recall (right) curves of a binary task, the operating point of
    ``pred`` (the decision ``threshold``, stated in the legend) marked on both."""
    data = roc_pr_data(y, score, pred)
    fpr0, tpr0, ppv0 = data.point
    fig = new_figure(CARD_WIDTH_IN, 3.55)
    roc, pr = axes_grid(fig, 1, 2, (0.6, 0.1, 0.75, 0.5), (0.75, 0.0))[0]
    point = f"{threshold.split(' (')[0]}:\nsens {tpr0:.2f}, spec {1 - fpr0:.2f}"
    roc.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance")
    roc.plot(data.fpr, data.tpr, color=PALETTE[0], lw=1.5, label=f"AUC {data.auc:.3f}")
    roc.plot([fpr0], [tpr0], "o", color=PALETTE[1], markersize=7, label=point)
    roc.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="1 - specificity (FPR)")
    roc.set_ylabel("sensitivity (TPR)")
    roc.set_title("ROC", fontsize=TITLE_PT)
    pr.axhline(data.prevalence, color="grey", linestyle="--", linewidth=1,
               label=f"prevalence {data.prevalence:.2f}")  # fmt: skip
    pr.plot(data.recall, data.precision, color=PALETTE[0], lw=1.5, drawstyle="steps-post",
            label=f"AP {data.average_precision:.3f}")  # fmt: skip
    pr.plot([tpr0], [ppv0], "o", color=PALETTE[1], markersize=7,
            label=f"{threshold.split(' (')[0]}: PPV {ppv0:.2f}")  # fmt: skip
    pr.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="sensitivity (recall)")
    pr.set_ylabel("PPV (precision)")
    pr.set_title("Precision-recall", fontsize=TITLE_PT)
    for ax in (roc, pr):
        ax.set_aspect("equal")
    roc.legend(fontsize=FONT_PT, loc="lower right", handlelength=1.2, borderaxespad=0.2,
               borderpad=0.3, labelspacing=0.25)  # fmt: skip
    pr.legend(fontsize=FONT_PT, loc="lower left", handlelength=1.2, borderaxespad=0.2,
              borderpad=0.3, labelspacing=0.25)  # fmt: skip
    fig.suptitle(
        f"'{split}' split, n={len(y)}, positive class '{positive}';\n"
        f"operating point (dot): {threshold}",
        fontsize=FONT_PT,
    )
    return finish(fig)


def confusion_counts(y: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``sklearn.metrics.confusion_matrix(y, pred)`` over every class ``0 .. n_classes - 1``:
    rows true class, columns predicted class."""
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    return sk_confusion_matrix(y, pred, labels=np.arange(n_classes))


def confusion_matrix(
    y: np.ndarray,
    pred: np.ndarray,
    classes: Sequence[str],
    threshold: str = "argmax",
    positive: str | None = None,
    split: str = "test",
) -> Figure:
    """Counts and row percentages (share of each true class) of the prediction ``pred``,
    shaded by row percentage; ``threshold`` and the ``positive`` class are stated."""
    classes = [str(c) for c in classes]
    k = len(classes)
    counts = confusion_counts(y, pred, k)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape, float), where=totals > 0)
    cell = 1.1 if k <= 3 else 0.55
    side = min(cell * k, 5.4)
    fig = new_figure(min(CARD_WIDTH_IN, side + 2.4), side + 1.5)
    ax = axes_grid(fig, 1, 1, (1.05, 1.2, 0.6, 0.9))[0, 0]
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            dark = share[i, j] > 0.55
            ax.text(j, i, f"{counts[i, j]}\n{100 * share[i, j]:.0f}%", ha="center",
                    va="center", fontsize=FONT_PT, color="white" if dark else "black")  # fmt: skip
    ticks = np.arange(k)
    names = [f"{c}\n(positive)" if c == positive else c for c in classes]
    ax.set_xticks(ticks, names, rotation=0 if k <= 4 else 45, ha="center" if k <= 4 else "right")
    ax.set_yticks(ticks, names)
    ax.set(xlabel="predicted class", ylabel="true class")
    cbar = fig.colorbar(image, ax=ax, fraction=0.06, pad=0.04)
    cbar.set_label("share of the true class (row %)")
    ax.set_title(
        f"Confusion matrix at {threshold}\n'{split}' split, n={int(counts.sum())}; "
        "cells: count and row %",
        fontsize=FONT_PT,
    )
    return finish(fig)


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
    fig = new_figure(CARD_WIDTH_IN, 4.2)
    ax = axes_grid(fig, 1, 1, (0.65, 0.15, 0.35, 1.35))[0, 0]
    pt = np.asarray(thresholds, dtype=float)
    ax.plot(pt, model, linewidth=1.6, color=PALETTE[0], label=label)
    ax.fill_between(pt, low, high, alpha=0.18, color=PALETTE[0], linewidth=0)
    ax.plot(pt, treat_all, color=PALETTE[3], linewidth=1.3, linestyle="--", label="treat all")
    ax.axhline(0.0, color="grey", linewidth=1.1, label="treat none")
    if marked is not None:
        ax.axvline(marked, color="grey", linestyle=":", linewidth=1,
                   label=f"reported threshold pt = {marked:.2f}")  # fmt: skip
    top = np.nanmax(np.concatenate([np.asarray(model, float), np.asarray(treat_all, float)]))
    top = max(float(top), 0.01) if np.isfinite(top) else 1.0
    ax.set(
        xlim=(float(pt.min()), float(pt.max())),
        ylim=(-0.15 * top, 1.1 * top),
        xlabel="threshold probability pt",
        ylabel="net benefit",
    )
    ax.set_title("Decision curve (band: 95% bootstrap CI)", fontsize=TITLE_PT)
    ax.legend(fontsize=FONT_PT, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2)
    return finish(fig)
