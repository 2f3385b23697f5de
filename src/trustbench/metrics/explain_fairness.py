"""Explanation fairness: does explanation quality differ between sensitive groups?"""

from __future__ import annotations

import warnings

import numpy as np

from trustbench.metrics.weights import _finish, _weight_matrix


def group_gap(per_row: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None):
    """Largest difference between group means of a per-row explanation score.

    ``gap = max_g mean_{i in g} s_i - min_g mean_{i in g} s_i`` over the groups present
    (rows with NaN scores left out), e.g. per-row deletion AUC or max-sensitivity. Range
    [0, range of s]; **lower is better** (target 0). With ``(B, n)`` weights the group means
    are weighted (bootstrap), groups with zero weight in a replicate are skipped, and a
    replicate with fewer than two groups left is NaN (undefined).
    """
    s = np.asarray(per_row, dtype=float)
    w, squeeze = _weight_matrix(weights, len(s), "weights")
    finite = np.isfinite(s)
    labels, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    onehot = (codes[:, None] == np.arange(len(labels))[None, :]) & finite[:, None]
    wg = w @ onehot  # (B, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (w @ (onehot * np.where(finite, s, 0.0)[:, None])) / wg
    means = np.where(wg > 0, means, np.nan)
    with warnings.catch_warnings():  # a replicate without two weighted groups: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        gap = np.nanmax(means, axis=1) - np.nanmin(means, axis=1)
    gap = np.where(np.isfinite(means).sum(axis=1) >= 2, gap, np.nan)
    return _finish(gap, squeeze)
