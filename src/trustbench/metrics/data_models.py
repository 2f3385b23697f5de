"""The one model the data checks cross-fit (domain classifier, label issues): small
gradient-boosted trees, so that a data audit costs a fraction of the training it precedes."""

from __future__ import annotations

from typing import Any

__all__ = ["BOOSTED_TREES", "boosted_trees"]

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
