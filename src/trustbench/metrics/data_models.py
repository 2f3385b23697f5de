"""The models the data checks cross-fit: small gradient-boosted trees (for the domain
classifier here and the label issues of :mod:`~trustbench.metrics.data_labels`), so that a
data audit costs a fraction of the training it precedes."""

from __future__ import annotations

from typing import Any

import numpy as np

from trustbench.errors import TrustbenchError

__all__ = ["BOOSTED_TREES", "boosted_trees", "domain_scores"]

#: scikit-learn ``HistGradientBoostingClassifier`` settings: 20 rounds of trees with at most
#: 8 leaves (native NaN handling; no early stopping, so every fold fits the same model).
BOOSTED_TREES = {
    "max_iter": 20,
    "max_leaf_nodes": 8,
    "learning_rate": 0.2,
    "early_stopping": False,
}


def boosted_trees(seed: int) -> Any:
    """An unfitted ``HistGradientBoostingClassifier`` with :data:`BOOSTED_TREES` and ``seed``."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**BOOSTED_TREES, random_state=seed)


def _check_folds(folds: int, where: str) -> int:
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise TrustbenchError(f"{where}: folds must be an integer >= 2, got {folds!r}")
    return int(folds)


def _numeric_2d(values, name: str, where: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TrustbenchError(
            f"{where}: {name} must be a numeric (encoded) matrix, got dtype "
            f"{np.asarray(values).dtype}"
        ) from exc
    if x.ndim != 2:
        raise TrustbenchError(f"{where}: {name} must be 2-D (rows, features), got shape {x.shape}")
    if np.isinf(x).any():
        raise TrustbenchError(f"{where}: {name} holds +/-inf; only NaN may mark a missing value")
    return x


def domain_scores(
    reference: np.ndarray,
    other: np.ndarray,
    *,
    folds: int = 5,
    seed: int = 0,
    max_rows: int = 50000,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-fitted domain classifier: how well can a model tell ``other`` rows from ``reference``?

    The two numeric matrices are stacked, with at most ``max_rows`` rows per side (a seeded
    uniform subsample without replacement above that, kept in the original row order), and
    labelled 0 (``reference``) / 1 (``other``). Every row is then scored by a
    gradient-boosted trees (:func:`~trustbench.metrics.data_models.boosted_trees`)
    (native NaN handling) fitted on the other folds of
    ``StratifiedKFold(folds, shuffle=True, random_state=seed)``. When a side has fewer rows than
    ``folds``, the number of folds falls back to that side's size (at least 2).

    The AUC of these scores (``sklearn.metrics.roc_auc_score(labels, proba)``) is the drift
    measure: in ``[0, 1]``, 0.5 when the splits are indistinguishable, higher means more
    (joint) drift.

    Parameters
    ----------
    reference, other : array-like of shape (n, d) and (m, d)
        Encoded numeric features (NaN allowed, inf not), the same ``d`` columns.
    folds : int, default 5
        Number of cross-fitting folds (>= 2).
    seed : int, default 0
        Seed of the subsample, the fold split and the classifier.
    max_rows : int, default 50000
        Largest number of rows used from each side (>= 1).

    Returns
    -------
    labels : numpy.ndarray of shape (n' + m',)
        Integer membership, 0 for the ``reference`` rows (first) and 1 for the ``other`` rows.
    proba : numpy.ndarray of shape (n' + m',)
        Out-of-fold predicted probability that the row is from ``other``, in ``[0, 1]``.
    """
    from sklearn.model_selection import StratifiedKFold

    a = _numeric_2d(reference, "reference", "domain_scores")
    b = _numeric_2d(other, "other", "domain_scores")
    if a.shape[1] != b.shape[1]:
        raise TrustbenchError(
            f"domain_scores: reference and other must have the same number of columns, got "
            f"{a.shape[1]} and {b.shape[1]}"
        )
    folds = _check_folds(folds, "domain_scores")
    if isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1:
        raise TrustbenchError(f"domain_scores: max_rows must be an integer >= 1, got {max_rows!r}")
    rng = np.random.default_rng(seed)
    parts = []
    for x in (a, b):
        if x.shape[0] > max_rows:
            x = x[np.sort(rng.choice(x.shape[0], size=max_rows, replace=False))]
        parts.append(x)
    smallest = min(p.shape[0] for p in parts)
    if smallest < 2:
        raise TrustbenchError(
            f"domain_scores: each side needs at least 2 rows, got {a.shape[0]} (reference) "
            f"and {b.shape[0]} (other)"
        )
    k = min(folds, smallest)
    x = np.vstack(parts)
    labels = np.repeat(np.array([0, 1]), [parts[0].shape[0], parts[1].shape[0]])
    proba = np.empty(x.shape[0], dtype=np.float64)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, labels):
        clf = boosted_trees(seed).fit(x[train], labels[train])
        proba[test] = clf.predict_proba(x[test])[:, 1]
    return labels, proba
