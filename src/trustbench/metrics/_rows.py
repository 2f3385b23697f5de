"""Per-row scores to a (bootstrap-weighted) mean: the reduction every explanation metric shares.

Explanation metrics score each explained row; the reported value is the weighted mean of the
finite row scores. Rows where a metric is undefined carry NaN and are left out (for example
the pointing game on an image without a lesion).
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics.weights import _finish, _weight_matrix, replicated


@replicated()
def row_mean(per_row: np.ndarray, weights: np.ndarray | None = None):
    """Weighted mean of the finite entries of ``per_row``.

    Parameters
    ----------
    per_row : array (n,)
        One score per row; NaN where undefined.
    weights : None, (n,) or (B, n)
        Row weights (bootstrap counts); ``(B, n)`` returns ``(B,)``.

    Returns
    -------
    float or array (B,)
        NaN where no weighted row is finite.
    """
    per_row = np.asarray(per_row, dtype=float)
    w, squeeze = _weight_matrix(weights, len(per_row), "weights")
    finite = np.isfinite(per_row)
    w = w * finite[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (w @ np.where(finite, per_row, 0.0)) / w.sum(axis=1)
    return _finish(values, squeeze)


def flat(attributions: np.ndarray) -> np.ndarray:
    """Attributions as ``(n, d)``: image maps ``(n, H, W)`` are flattened, tabular ones kept."""
    attributions = np.asarray(attributions, dtype=float)
    return attributions.reshape(len(attributions), -1)


def pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``a`` with the same row of ``b``, shape ``(n,)``;
    NaN where a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
