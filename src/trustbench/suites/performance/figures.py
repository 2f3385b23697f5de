"""The performance suite's figures of the scored split (``suite.performance.plots``):

- ``plots/roc_pr.png`` (binary tasks): ROC and precision-recall curves of ``proba_1``, the
  operating point at the decision threshold (the argmax: positive when ``proba_1 > 0.5``)
  marked on both and stated in the legend;
- ``plots/confusion_matrix.png`` (every task): counts and row percentages of the argmax
  prediction, the positive class named on a binary task. On a multiclass task there is no
  single threshold to mark, so ROC/PR curves (one-vs-rest) are left out and the confusion
  matrix of the argmax stands alone.

The decision curve lives with the clinical metrics (:mod:`~trustbench.suites.performance.clinical`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trustbench.plots_performance import confusion_matrix, roc_pr
from trustbench.suites.context import ScoringContext
from trustbench.suites.performance.clinical import DECISION_THRESHOLD

__all__ = ["THRESHOLD_TEXT", "performance_figures"]

#: How the plots state the decision threshold of a binary task.
THRESHOLD_TEXT = (
    f"threshold {DECISION_THRESHOLD:.2f} (positive if proba_1 > {DECISION_THRESHOLD:.2f})"
)


def performance_figures(ctx: ScoringContext, split: str) -> dict[str, Any]:
    """``{artifact path: figure}`` of ``split``: ROC/PR (binary) and the confusion matrix."""
    task = ctx.task
    y, proba, pred = ctx.split(split).y, ctx.proba[split], ctx.y_pred(split)
    classes = [str(c) for c in task.classes]
    if task.n_classes != 2:
        return {
            "plots/confusion_matrix.png": confusion_matrix(
                y, pred, classes, "argmax (most probable class)", None, split
            )
        }
    positive = classes[1]
    return {
        "plots/roc_pr.png": roc_pr(y, proba[:, 1], pred, THRESHOLD_TEXT, positive, split),
        "plots/confusion_matrix.png": confusion_matrix(
            y, np.asarray(pred), classes, THRESHOLD_TEXT, positive, split
        ),
    }
