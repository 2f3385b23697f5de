"""Splits with few rows of a class: their bootstrap intervals are not trustworthy, and the
suites say so.

A bootstrap interval of a metric that ranks one class against another (AUC, average
precision, calibration) can be no wider than its replicates: with one positive in ``test``
every replicate that keeps it gives the same AUC, and a run reported AUC 1.0 [1.0, 1.0] with no
word. The data layer refuses fewer than
:data:`~trustbench.data.splits.MIN_ROWS_PER_CLASS` (5) rows of a class in train or test; between
that and :data:`THIN_CLASS_ROWS` (10), and in an ``ood`` split of other patients below 10 (a
site may lack a class), a suite that scores the split adds a **warning** (shown on
the trust card) naming the split, the class and its count, and a note on each of the split's
metrics whose interval is a bootstrap one (:data:`BOOTSTRAP_METHODS`). Jeffreys intervals of a
rate (a sensitivity of 1 of 1 is [0.15, 1]) already carry their denominator and get no note.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trustbench.report import MetricResult

__all__ = [
    "BOOTSTRAP_METHODS",
    "THIN_CLASS_ROWS",
    "thin_class_warning",
    "thin_classes",
]

#: Fewer rows of a class than this in a scored split is a warning.
THIN_CLASS_ROWS = 10
#: Interval methods that resample patients, and so inherit a thin class's few rows.
BOOTSTRAP_METHODS = ("percentile", "bc", "recentred")
_FIXES = {
    "test": "add rows, or raise dataset.test_size",
    "ood": "add rows, or hold out more sites (dataset.ood_sites)",
}


def thin_classes(y: np.ndarray, classes: Sequence[str]) -> dict[str, int]:
    """``{class label: rows}`` of every class with fewer than :data:`THIN_CLASS_ROWS` rows.

    Parameters
    ----------
    y : numpy.ndarray
        Class index of every row of the split.
    classes : sequence of str
        The task's class labels.

    Returns
    -------
    dict of str to int
        In class order; empty when every class has enough rows.
    """
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(classes))
    return {str(classes[k]): int(c) for k, c in enumerate(counts) if c < THIN_CLASS_ROWS}


def thin_class_warning(
    results: list[MetricResult], y: np.ndarray, classes: Sequence[str], split: str
) -> str | None:
    """Note the thin classes of ``split`` on its bootstrap intervals; return the warning.

    Parameters
    ----------
    results : list of MetricResult
        The suite's results; each one on ``split`` (a result on ``"ood,test"`` is on both)
        whose interval is a bootstrap one gets a note appended, in place.
    y : numpy.ndarray
        Class index of every row of the split.
    classes : sequence of str
        The task's class labels.
    split : str
        The split's name.

    Returns
    -------
    str or None
        The warning naming the split, its thin classes with their counts and the metrics at
        stake; ``None`` when every class has at least :data:`THIN_CLASS_ROWS` rows.
    """
    thin = thin_classes(y, classes)
    if not thin:
        return None
    counts = ", ".join(
        f"{n} row{'' if n == 1 else 's'} of class '{label}'" for label, n in thin.items()
    )
    note = f"interval not trustworthy: '{split}' holds only {counts} (< {THIN_CLASS_ROWS})"
    marked = []
    for result in results:
        if split in (result.split or "").split(",") and result.ci_method in BOOTSTRAP_METHODS:
            result.note = note if not result.note else f"{result.note}; {note}"
            marked.append(result.name)
    shown = ", ".join(marked[:4]) + (f" and {len(marked) - 4} more" if len(marked) > 4 else "")
    what = f"the bootstrap intervals of {shown}" if marked else "its metrics"
    return (
        f"split '{split}' ({len(y)} rows) holds only {counts} (fewer than {THIN_CLASS_ROWS}): "
        f"{what} rest on so few patients that they are not trustworthy (an interval can be no "
        f"wider than its replicates); {_FIXES.get(split, 'add rows')}"
    )
