"""Membership-inference attack metrics, vectorised over bootstrap replicates.

Inputs are ``member`` of shape ``(n,)`` in ``{0, 1}`` (1 = the row was in the training set) and
``score`` of shape ``(n,)``, higher meaning "more likely a member". The attack is the family of
threshold rules "predict member when ``score >= t``"; its ROC curve has one point per distinct
score plus (0, 0), with ``TPR(t) = P(score >= t | member)`` and
``FPR(t) = P(score >= t | non-member)``.
"""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics._ranking import _binary_auc, _roc_curve
from trustbench.metrics.weights import _finish, _weight_matrix, replicated

__all__ = ["attack_auc", "attacker_advantage", "tpr_at_fpr"]


def _check_attack(member, score, name: str) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(member)
    s = np.asarray(score, dtype=np.float64)
    if m.ndim != 1 or s.shape != m.shape:
        raise TrustbenchError(
            f"{name}: member and score must both have shape (n,), got {m.shape} and {s.shape}"
        )
    if m.dtype.kind not in "biuf" or not np.all((m == 0) | (m == 1)):
        raise TrustbenchError(f"{name}: member must hold only 0 and 1")
    if not np.all(np.isfinite(s)):
        raise TrustbenchError(f"{name}: score must be finite")
    return m == 1, s


@replicated()
def attack_auc(member, score, weights=None):
    """AUC of the membership-inference attack.

    ``AUC = P(score_member > score_nonmember) + P(score_member = score_nonmember) / 2`` under
    the (weighted) empirical distributions, i.e. the weighted Mann–Whitney statistic, equal to
    the trapezoidal area under the ROC curve.

    Parameters
    ----------
    member : array-like of shape (n,)
        1 for training-set members, 0 for non-members.
    score : array-like of shape (n,)
        Attack score, higher = more likely a member.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``; 0.5 is a chance-level attack (no measurable leakage), lower is better
        for the defended model. NaN where members or non-members have zero weight.

    Notes
    -----
    Tested against ``sklearn.metrics.roc_auc_score(member, score, sample_weight=w)``.
    """
    is_member, s = _check_attack(member, score, "attack_auc")
    w, squeeze = _weight_matrix(weights, s.shape[0], "attack_auc")
    return _finish(_binary_auc(is_member, s, w), squeeze)


@replicated()
def tpr_at_fpr(member, score, fpr: float, weights=None):
    """Attack true positive rate at a fixed false positive rate (LiRA convention).

    ``TPR@FPR(alpha) = max { TPR(t) : FPR(t) <= alpha }`` over the thresholds of the empirical
    ROC curve, (0, 0) included, with no interpolation between ROC points (Carlini et al., 2022,
    "Membership Inference Attacks From First Principles"). Because TPR and FPR both grow as
    ``t`` decreases, this is the TPR at the lowest threshold whose FPR stays within ``alpha``.

    Parameters
    ----------
    member : array-like of shape (n,)
        1 for training-set members, 0 for non-members.
    score : array-like of shape (n,)
        Attack score, higher = more likely a member.
    fpr : float
        The false positive rate budget ``alpha`` in ``[0, 1]`` (e.g. 0.001 or 0.01).
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, lower is better for the defended model (a chance attack gives about
        ``alpha``). NaN where members or non-members have zero weight.

    Notes
    -----
    Tested against ``fpr_c, tpr_c, _ = sklearn.metrics.roc_curve(member, score,
    sample_weight=w, drop_intermediate=False)`` then ``tpr_c[fpr_c <= alpha].max()``.
    ``drop_intermediate=False`` matters: scikit-learn's default drops collinear ROC points,
    which can remove the point that attains the maximum.
    """
    alpha = float(fpr)
    if not 0.0 <= alpha <= 1.0:
        raise TrustbenchError(f"tpr_at_fpr: fpr must lie in [0, 1], got {fpr!r}")
    is_member, s = _check_attack(member, score, "tpr_at_fpr")
    w, squeeze = _weight_matrix(weights, s.shape[0], "tpr_at_fpr")
    tpr, fpr_curve = _roc_curve(is_member, s, w)
    # FPR is non-decreasing along the columns, so the thresholds with FPR <= alpha are a prefix;
    # TPR is non-decreasing too, so the largest TPR among them is at the prefix's end. An empty
    # prefix leaves only the origin (0, 0): TPR 0.
    with np.errstate(invalid="ignore"):
        n_within = np.sum(fpr_curve <= alpha, axis=1)
    at_end = np.take_along_axis(tpr, np.maximum(n_within - 1, 0)[:, None], axis=1)[:, 0]
    best = np.where(n_within > 0, at_end, 0.0)
    # A replicate lacking members or non-members has an all-NaN TPR or FPR row: NaN.
    undefined = np.isnan(tpr[:, -1]) | np.isnan(fpr_curve[:, -1])
    return _finish(np.where(undefined, np.nan, best), squeeze)


@replicated()
def attacker_advantage(member, score, weights=None):
    """Membership advantage of the best threshold attack.

    ``Adv = max_t (TPR(t) - FPR(t))`` over the ROC thresholds, (0, 0) and (1, 1) included, so
    ``Adv >= 0`` (Yeom et al., 2018). It is the one-sided Kolmogorov–Smirnov statistic
    ``sup_x (F_nonmember(x) - F_member(x))`` between the score distributions, which equals the
    two-sided ``max_t |TPR(t) - FPR(t)|`` whenever the attack is oriented the right way (higher
    score = member); an attack scoring members lower gets 0 here.

    Parameters
    ----------
    member : array-like of shape (n,)
        1 for training-set members, 0 for non-members.
    score : array-like of shape (n,)
        Attack score, higher = more likely a member.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, lower is better for the defended model (0 = no threshold attack beats
        chance). NaN where members or non-members have zero weight.

    Notes
    -----
    Tested against ``max(tpr - fpr)`` from ``sklearn.metrics.roc_curve(..., sample_weight=w)``
    and, unweighted, against ``scipy.stats.ks_2samp(nonmember, member,
    alternative="greater").statistic``.
    """
    is_member, s = _check_attack(member, score, "attacker_advantage")
    w, squeeze = _weight_matrix(weights, s.shape[0], "attacker_advantage")
    tpr, fpr_curve = _roc_curve(is_member, s, w)
    # The origin (0, 0) gives 0; NaN propagates for a replicate lacking either class.
    return _finish(np.maximum(np.max(tpr - fpr_curve, axis=1), 0.0), squeeze)
