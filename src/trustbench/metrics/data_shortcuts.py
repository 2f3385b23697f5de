"""Single-column shortcuts and image properties: can one feature alone predict the label?

A *shortcut* is a column (or a simple image property: brightness, a frame, blur) that predicts
the label on its own, often for a reason unrelated to the task (a scanner, a site, a marker
drawn on positive cases). :func:`single_column_scores` turns one column into out-of-fold class
scores by a cross-fitted target encoding, and :func:`scores_auc` measures how well those
scores rank the label, vectorised over bootstrap replicates. Cross-fitting matters: an
in-sample encoding of a high-cardinality noise column (an identifier, say) memorises the labels
and looks like a perfect predictor; the out-of-fold encoding of the same column scores 0.5.
:func:`image_properties` gives the image columns to feed through the same test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.errors import TrustbenchError
from trustbench.metrics._ranking import _binary_auc
from trustbench.metrics.data_bins import (
    _category_codes,
    _check_n_bins,
    _numeric_1d,
    _quantile_bin_codes,
)
from trustbench.metrics.data_models import _check_folds
from trustbench.metrics.weights import _finish, _weight_matrix

__all__ = ["image_properties", "scores_auc", "single_column_scores"]

_KINDS = ("continuous", "categorical")


def _check_labels(y, n_classes: int, where: str) -> np.ndarray:
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TrustbenchError(f"{where}: n_classes must be an integer >= 2, got {n_classes!r}")
    if n_classes < 2:
        raise TrustbenchError(f"{where}: n_classes must be an integer >= 2, got {n_classes}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise TrustbenchError(f"{where}: y must be 1-D, got shape {y.shape}")
    if y.size and (
        not np.issubdtype(y.dtype, np.number)
        or not np.all(np.isfinite(y))
        or np.any(y != np.round(y))
        or y.min() < 0
        or y.max() >= n_classes
    ):
        raise TrustbenchError(
            f"{where}: y must hold integer class indices in [0, {n_classes - 1}], got values "
            f"{np.unique(y)[:10].tolist()}"
        )
    return y.astype(np.intp)


def single_column_scores(
    values: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    folds: int = 5,
    seed: int = 0,
    n_bins: int = 10,
    kind: str = "continuous",
) -> np.ndarray:
    """Out-of-fold class scores from one column, by a cross-fitted target encoding.

    The rows are split by ``StratifiedKFold(folds, shuffle=True, random_state=seed)``. For
    each fold, the column is binned using the *training* rows only, and each held-out row gets
    the smoothed class frequencies of its bin among the training rows:

    ``score[i, k] = (c_{b(i), k} + pi_k) / (n_{b(i)} + 1)``,

    ``c_{b,k}`` the number of training rows of class ``k`` in bin ``b``, ``n_b`` their total
    and ``pi_k`` the class share of the training rows (additive smoothing with one pseudo-count
    spread over the classes by the fold's prior). A bin with no training rows (an unseen
    category, say) gets the prior ``pi``. Each score row sums to 1.

    Bins. ``kind="continuous"``: the quantile bins of :func:`trustbench.metrics.data_drift.psi`
    fitted on the training rows' non-missing values (edges
    ``np.quantile(train, linspace(0, 1, n_bins + 1))``, unique edges, left-closed intervals,
    a value tied over several quantiles a bin of its own, values outside the training range
    in the end bins), missing values (NaN) one more bin. ``kind="categorical"``: one bin per
    category, missing values (None/NaN) one more.

    Folds. When the least populated class present has fewer rows than ``folds``, the number of
    folds falls back to that count (stratification needs a row of every class in every fold);
    below 2 rows it is an error.

    Parameters
    ----------
    values : array-like of shape (n,)
        The column: numeric (``kind="continuous"``) or any labels (``kind="categorical"``).
    y : array-like of shape (n,)
        Integer class indices in ``[0, n_classes)``.
    n_classes : int
        Number of classes ``K`` (>= 2); absent classes get score 0.
    folds : int, default 5
        Number of cross-fitting folds (>= 2).
    seed : int, default 0
        Seed of the fold split.
    n_bins : int, default 10
        Number of quantile bins (continuous only; fewer when edges tie).
    kind : {"continuous", "categorical"}, default "continuous"
        How the column is binned.

    Returns
    -------
    numpy.ndarray of shape (n, n_classes)
        Out-of-fold class scores in ``[0, 1]``; rank them with :func:`scores_auc`.
    """
    from sklearn.model_selection import StratifiedKFold

    where = "single_column_scores"
    if kind not in _KINDS:
        raise TrustbenchError(f"{where}: kind must be one of {list(_KINDS)}, got {kind!r}")
    y = _check_labels(y, n_classes, where)
    folds = _check_folds(folds, where)
    n_bins = _check_n_bins(n_bins, where)
    n = y.shape[0]
    if kind == "continuous":
        x = _numeric_1d(values, "values", where, allow_inf=False)
        codes = None
    else:
        x = np.asarray(values, dtype=object)
        (codes,), n_codes = _category_codes(x, where=where, names=("values",))
    if x.shape[0] != n:
        raise TrustbenchError(
            f"{where}: values and y must have the same length, got {x.shape[0]} and {n}"
        )
    counts = np.bincount(y, minlength=n_classes)
    smallest = int(counts[counts > 0].min()) if n else 0
    if smallest < 2:
        raise TrustbenchError(
            f"{where}: every class present in y needs at least 2 rows for cross-fitting, got "
            f"class counts {counts.tolist()}"
        )
    k = min(folds, smallest)
    scores = np.empty((n, n_classes), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros((n, 1)), y):
        if codes is None:
            xt = x[train]
            ctrain, ctest, n_codes = _quantile_bin_codes(xt[~np.isnan(xt)], n_bins, xt, x[test])
        else:
            ctrain, ctest = codes[train], codes[test]
        cells = ctrain * n_classes + y[train]  # (bin, class) cell of each training row
        table = np.bincount(cells, minlength=n_codes * n_classes).reshape(n_codes, n_classes)
        prior = np.bincount(y[train], minlength=n_classes) / train.shape[0]
        smoothed = (table + prior[None, :]) / (table.sum(axis=1, keepdims=True) + 1.0)
        scores[test] = smoothed[ctest]
    return scores


def scores_auc(
    y: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray | float:
    """ROC AUC of class scores, optionally for many bootstrap replicates at once.

    Binary (``K == 2``): the weighted Mann–Whitney statistic of ``scores[:, 1]``,
    ``AUC = sum_{i: y_i=1} sum_{j: y_j=0} w_i w_j ([s_i > s_j] + [s_i = s_j] / 2)
    / (W_1 W_0)``, ties counted 1/2. Multiclass: the unweighted mean over classes ``k`` of the
    binary AUC of ``scores[:, k]`` for "class k vs rest" (macro one-vs-rest). The scores are
    sorted once per class; each replicate's weights are gathered into that order
    (``weights[:, order]``) and accumulated along the rows, so the cost is
    ``O(n log n + B n)`` with no loop over rows or replicates.

    Parameters
    ----------
    y : array-like of shape (n,)
        Integer class indices in ``[0, K)``.
    scores : array-like of shape (n, K)
        Class scores (higher = more likely that class), e.g. :func:`single_column_scores`.
    weights : None, array-like of shape (n,) or (B, n), optional
        Non-negative row weights, typically bootstrap resample counts
        (:func:`trustbench.metrics.weights.bootstrap_counts`).

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        A float for ``None`` or ``(n,)`` weights, one value per replicate for ``(B, n)``.
        In ``[0, 1]``; 0.5 is chance, higher means the column predicts the label better (a
        shortcut when close to 1). NaN when a class has no weight (binary) or any class is
        absent (multiclass), where scikit-learn raises.

    Notes
    -----
    Equals ``sklearn.metrics.roc_auc_score(y, scores[:, 1], sample_weight=w)`` (binary) and
    ``roc_auc_score(y, scores, multi_class="ovr", average="macro", sample_weight=w)``
    (multiclass, scores summing to 1) for each row ``w`` of ``weights``.
    """
    where = "scores_auc"
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] < 2:
        raise TrustbenchError(f"{where}: scores must have shape (n, K) with K >= 2, got {s.shape}")
    if not np.all(np.isfinite(s)):
        raise TrustbenchError(f"{where}: scores must be finite")
    n, k = s.shape
    y = _check_labels(y, k, where)
    if y.shape[0] != n:
        raise TrustbenchError(
            f"{where}: y and scores must have the same number of rows, got {y.shape[0]} and {n}"
        )
    w, squeeze = _weight_matrix(weights, n, where)
    if k == 2:
        return _finish(_binary_auc(y == 1, s[:, 1], w), squeeze)
    per_class = np.stack([_binary_auc(y == c, s[:, c], w) for c in range(k)], axis=0)
    return _finish(per_class.mean(axis=0), squeeze)


def image_properties(images: np.ndarray) -> pd.DataFrame:
    """Simple per-image properties that a model could use as a shortcut.

    On the grayscale image ``g`` (the mean over the channels) of each image:

    * ``brightness``: ``mean(g)``, in ``[0, 1]``;
    * ``contrast``: ``std(g)`` (population, ``ddof=0``), in ``[0, 0.5]``; 0 for a constant image;
    * ``blur``: the variance of the 4-neighbour Laplacian
      ``L = g[i-1, j] + g[i+1, j] + g[i, j-1] + g[i, j+1] - 4 g[i, j]`` over the interior
      pixels (no padding); LOW means blurry (few sharp edges), 0 for a constant image;
    * ``border``: the mean of the outer frame minus the mean of the centre, the frame being
      ``max(1, round(0.1 H))`` rows at top and bottom and ``max(1, round(0.1 W))`` columns at
      left and right; in ``[-1, 1]``, positive when the frame is brighter (a vignette, a
      scanner border, a ruler).

    Parameters
    ----------
    images : array-like of shape (n, C, H, W)
        Intensities in ``[0, 1]``, ``H, W >= 3``.

    Returns
    -------
    pandas.DataFrame
        ``n`` rows, columns ``brightness``, ``contrast``, ``blur``, ``border``.
    """
    where = "image_properties"
    x = np.asarray(images)
    if x.dtype.kind not in "fiu":
        raise TrustbenchError(f"{where}: images must be a numeric array, got dtype {x.dtype}")
    if x.ndim != 4:
        raise TrustbenchError(f"{where}: images must have shape (n, C, H, W), got {x.shape}")
    _, _, h, w = x.shape
    if h < 3 or w < 3:
        raise TrustbenchError(f"{where}: images must be at least 3x3 pixels, got {h}x{w}")
    if not np.all(np.isfinite(x)) or (x.size and (x.min() < 0.0 or x.max() > 1.0)):
        raise TrustbenchError(
            f"{where}: images must be finite intensities in [0, 1] (scale 8-bit images by 1/255),"
            f" got range [{np.nanmin(x) if x.size else 0}, {np.nanmax(x) if x.size else 0}]"
        )
    g = x.mean(axis=1, dtype=np.float64)  # (n, H, W), without a float64 copy of the batch
    flat = g.reshape(g.shape[0], -1)
    lap = (
        g[:, :-2, 1:-1] + g[:, 2:, 1:-1] + g[:, 1:-1, :-2] + g[:, 1:-1, 2:] - 4.0 * g[:, 1:-1, 1:-1]
    )
    bh, bw = max(1, round(0.1 * h)), max(1, round(0.1 * w))
    bh, bw = min(bh, (h - 1) // 2), min(bw, (w - 1) // 2)  # leave a centre
    frame = np.ones((h, w), dtype=bool)
    frame[bh : h - bh, bw : w - bw] = False
    border = g[:, frame].mean(axis=1) - g[:, ~frame].mean(axis=1)
    return pd.DataFrame(
        {
            "brightness": flat.mean(axis=1),
            "contrast": flat.std(axis=1),
            "blur": lap.reshape(lap.shape[0], -1).var(axis=1),
            "border": border,
        }
    )
