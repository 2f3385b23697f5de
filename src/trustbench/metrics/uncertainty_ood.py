"""Out-of-distribution detection from the model's own uncertainty, vectorised over replicates.

An OOD score is higher for rows that look less like the training data. Each score is judged by
how well it separates the in-distribution ``test`` rows (negatives) from the shifted ``ood``
rows (positives): the ROC AUC (:func:`ood_auroc`) and the false positive rate at a fixed true
positive rate (:func:`fpr_at_tpr`, 95% by convention: Hendrycks & Gimpel 2017; Liang et al.
2018). Scores:

* ``msp``: ``1 - max_k p_k`` (maximum softmax probability, Hendrycks & Gimpel 2017);
* ``entropy``: ``-sum_k p_k log p_k`` (nats);
* ``energy``: ``-logsumexp_k f_k(x)`` of the logits ``f`` (Liu et al. 2020), torch models only
  (probabilities lose the logits' scale);
* ``mahalanobis``: ``min_k (z - mu_k)^T Sigma^+ (z - mu_k)`` on encoded features ``z``, with
  class means ``mu_k`` and one shared (tied) covariance ``Sigma`` fitted on the training rows
  (Lee et al. 2018, on the inputs rather than a network's hidden features; ``Sigma^+`` the
  pseudo-inverse, since one-hot columns make ``Sigma`` singular).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, xlogy

from trustbench.errors import TrustbenchError
from trustbench.metrics._ranking import _binary_auc, _roc_curve
from trustbench.metrics.weights import _finish, _weight_matrix, replicated

__all__ = [
    "MahalanobisScore",
    "energy_score",
    "entropy_score",
    "fpr_at_tpr",
    "msp_score",
    "ood_auroc",
]


def msp_score(proba) -> np.ndarray:
    """``1 - max_k p_k``: in ``[0, 1 - 1/K]``, higher = less confident = more likely OOD."""
    return 1.0 - np.asarray(proba, dtype=np.float64).max(axis=1)


def entropy_score(proba) -> np.ndarray:
    """Predictive entropy ``-sum_k p_k log p_k`` in nats, in ``[0, log K]`` (``0 log 0 = 0``)."""
    return -xlogy(np.asarray(proba, dtype=np.float64), np.asarray(proba, dtype=np.float64)).sum(
        axis=1
    )


def energy_score(logits) -> np.ndarray:
    """Free energy ``-logsumexp_k f_k`` of the logits (temperature 1): higher = more likely OOD."""
    return -logsumexp(np.asarray(logits, dtype=np.float64), axis=1)


class MahalanobisScore:
    """Class-conditional Gaussians with a tied covariance, fitted on the training rows.

    ``fit(Z, y)`` stores the class means ``means_`` ``(K, d)`` and the pseudo-inverse
    ``precision_`` of the pooled within-class covariance
    ``Sigma = (1/n) sum_i (z_i - mu_{y_i})(z_i - mu_{y_i})^T``; ``score(Z)`` is the squared
    Mahalanobis distance to the closest class mean.
    """

    def fit(self, Z, y) -> MahalanobisScore:
        Z = np.asarray(Z, dtype=np.float64)
        y = np.asarray(y).reshape(-1)
        if Z.ndim != 2 or Z.shape[0] != y.shape[0] or Z.shape[0] == 0:
            raise TrustbenchError(
                f"MahalanobisScore.fit: Z must have shape (n, d) with n = len(y) > 0; got "
                f"{Z.shape} and {y.shape}"
            )
        self.classes_ = np.unique(y)
        self.means_ = np.stack([Z[y == k].mean(axis=0) for k in self.classes_])
        centred = Z - self.means_[np.searchsorted(self.classes_, y)]
        self.precision_ = np.linalg.pinv(centred.T @ centred / Z.shape[0], hermitian=True)
        return self

    def score(self, Z) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float64)
        diff = Z[:, None, :] - self.means_[None]  # (n, K, d)
        distance = np.einsum("nkd,de,nke->nk", diff, self.precision_, diff)
        return np.maximum(distance.min(axis=1), 0.0)


def _check(is_ood, score, name: str) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(is_ood).reshape(-1)
    s = np.asarray(score, dtype=np.float64).reshape(-1)
    if m.shape != s.shape:
        raise TrustbenchError(
            f"{name}: is_ood and score must have the same shape, got {m.shape}, {s.shape}"
        )
    if not np.all((m == 0) | (m == 1)):
        raise TrustbenchError(f"{name}: is_ood must hold only 0 and 1")
    if not np.all(np.isfinite(s)):
        raise TrustbenchError(f"{name}: score must be finite")
    return m == 1, s


@replicated()
def ood_auroc(is_ood, score, weights=None):
    """ROC AUC of ``score`` for ood rows (1) against test rows (0).

    ``P(s_ood > s_test) + P(s_ood = s_test) / 2`` under the weighted empirical distributions, in
    ``[0, 1]``, higher is better, 0.5 = the score cannot tell the splits apart. NaN where a
    replicate lacks either split. Equal to ``sklearn.metrics.roc_auc_score(is_ood, score,
    sample_weight=w)``.
    """
    m, s = _check(is_ood, score, "ood_auroc")
    w, squeeze = _weight_matrix(weights, s.shape[0], "ood_auroc")
    return _finish(_binary_auc(m, s, w), squeeze)


@replicated()
def fpr_at_tpr(is_ood, score, tpr: float = 0.95, weights=None):
    """False positive rate at the first ROC threshold whose true positive rate reaches ``tpr``.

    ``FPR@TPR = min { FPR(t) : TPR(t) >= tpr }`` over thresholds "flag as OOD when
    ``score >= t``": the share of in-distribution rows wrongly flagged when ``tpr`` of the ood
    rows are caught. In ``[0, 1]``, lower is better. Equal to
    ``fpr[np.argmax(tpr_curve >= tpr)]`` from ``sklearn.metrics.roc_curve(is_ood, score,
    sample_weight=w, drop_intermediate=False)`` (the OpenOOD convention).
    """
    level = float(tpr)
    if not 0.0 < level <= 1.0:
        raise TrustbenchError(f"fpr_at_tpr: tpr must lie in (0, 1], got {tpr!r}")
    m, s = _check(is_ood, score, "fpr_at_tpr")
    w, squeeze = _weight_matrix(weights, s.shape[0], "fpr_at_tpr")
    tpr_curve, fpr_curve = _roc_curve(m, s, w)
    with np.errstate(invalid="ignore"):
        first = np.argmax(tpr_curve >= level, axis=1)
    value = np.take_along_axis(fpr_curve, first[:, None], axis=1)[:, 0]
    undefined = np.isnan(tpr_curve[:, -1]) | np.isnan(fpr_curve[:, -1])
    return _finish(np.where(undefined, np.nan, value), squeeze)
