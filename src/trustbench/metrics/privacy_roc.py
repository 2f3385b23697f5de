"""Membership-inference ROC as data, exact binomial intervals and the empirical epsilon bound.

Conventions follow :mod:`trustbench.metrics.privacy`: ``member`` is 1 for training-set rows,
``score`` is higher for "more likely a member", and the attack is the family of rules
"predict member when ``score >= t``". Here the ROC is kept in *counts* (true and false
positives per threshold) because exact (Clopper–Pearson) intervals and the empirical
epsilon lower bound of an (epsilon, delta)-DP audit need counts, not rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from trustbench.errors import TrustbenchError
from trustbench.metrics.privacy import _check_attack
from trustbench.metrics.weights import replicated

__all__ = [
    "RocCounts",
    "balanced_accuracy_best",
    "clopper_pearson",
    "epsilon_lower_bound",
    "epsilon_lower_bound_split",
    "roc_counts",
    "tpr_at_fpr_exact",
]


@dataclass(frozen=True)
class RocCounts:
    """The empirical ROC of a threshold attack, in counts.

    Attributes
    ----------
    threshold : ndarray of shape (U + 1,)
        ``+inf`` (nothing predicted member: the origin) then every distinct score, descending.
    tp, fp : ndarray of shape (U + 1,)
        Members (non-members) with ``score >= threshold``; non-decreasing.
    n_members, n_nonmembers : int
    """

    threshold: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    n_members: int
    n_nonmembers: int

    @property
    def tpr(self) -> np.ndarray:
        return self.tp / max(self.n_members, 1)

    @property
    def fpr(self) -> np.ndarray:
        return self.fp / max(self.n_nonmembers, 1)


def roc_counts(member, score) -> RocCounts:
    """Every point of the empirical ROC curve, (0, 0) included, without dropping any.

    Parameters
    ----------
    member : array-like of shape (n,)
        1 for members, 0 for non-members.
    score : array-like of shape (n,)
        Attack score, higher = more likely a member.

    Returns
    -------
    RocCounts
        The same points as ``sklearn.metrics.roc_curve(member, score,
        drop_intermediate=False)`` (whose first threshold is ``inf`` too), as counts.
    """
    is_member, s = _check_attack(member, score, "roc_counts")
    order = np.argsort(-s, kind="stable")
    s_desc = s[order]
    m_desc = is_member[order]
    # the last row of each tie group (scores descending) closes that threshold
    last = np.flatnonzero(np.concatenate([s_desc[1:] != s_desc[:-1], [True]]))
    tp = np.cumsum(m_desc)[last] if len(s) else np.zeros(0, dtype=int)
    fp = (np.arange(1, len(s) + 1) - np.cumsum(m_desc))[last] if len(s) else np.zeros(0, dtype=int)
    return RocCounts(
        threshold=np.concatenate([[np.inf], s_desc[last]]),
        tp=np.concatenate([[0], tp]).astype(np.int64),
        fp=np.concatenate([[0], fp]).astype(np.int64),
        n_members=int(is_member.sum()),
        n_nonmembers=int((~is_member).sum()),
    )


def clopper_pearson(k, n, level: float = 0.95, alternative: str = "two-sided"):
    """Exact (Clopper–Pearson) confidence interval for a binomial proportion ``k / n``.

    ``lower = Beta^-1(alpha_l; k, n - k + 1)`` (0 when ``k = 0``) and
    ``upper = Beta^-1(1 - alpha_u; k + 1, n - k)`` (1 when ``k = n``), with
    ``alpha_l = alpha_u = (1 - level) / 2`` for ``"two-sided"``, and the whole ``1 - level``
    on one side for ``"greater"`` (lower bound only, upper = 1) or ``"less"`` (upper bound
    only, lower = 0).

    Parameters
    ----------
    k, n : int or array-like of int
        Successes and trials (broadcast together), ``0 <= k <= n``, ``n >= 1``.
    level : float
        Confidence level in ``(0, 1)``.
    alternative : {"two-sided", "greater", "less"}

    Returns
    -------
    (lower, upper) : floats or arrays, in ``[0, 1]``.

    Notes
    -----
    Agrees with ``scipy.stats.binomtest(k, n, alternative=...).proportion_ci(level,
    method="exact")``; vectorised over ``k`` (one call for every threshold of a ROC).
    """
    if not 0.0 < float(level) < 1.0:
        raise TrustbenchError(f"clopper_pearson: level must lie in (0, 1), got {level!r}")
    if alternative not in ("two-sided", "greater", "less"):
        raise TrustbenchError(
            "clopper_pearson: alternative must be 'two-sided', 'greater' or 'less'; "
            f"received {alternative!r}"
        )
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise TrustbenchError("clopper_pearson: need 0 <= k <= n and n >= 1")
    alpha = 1.0 - float(level)
    a_low = alpha / 2 if alternative == "two-sided" else alpha
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(k > 0, stats.beta.ppf(a_low, k, n - k + 1), 0.0)
        upper = np.where(k < n, stats.beta.ppf(1 - a_low, k + 1, n - k), 1.0)
    if alternative == "greater":
        upper = np.ones_like(upper)
    elif alternative == "less":
        lower = np.zeros_like(lower)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def tpr_at_fpr_exact(member, score, fpr: float, level: float = 0.95) -> dict:
    """TPR at a fixed FPR with its Clopper–Pearson interval, or why it cannot be resolved.

    The threshold is the lowest one whose empirical FPR stays ``<= fpr`` (the convention of
    :func:`trustbench.metrics.tpr_at_fpr`, with which the value agrees); the interval is the
    exact binomial interval of ``TP`` out of the members, *conditional on that threshold*.

    With ``n`` non-members the smallest non-zero FPR the audit set can show is ``1 / n``: a
    budget ``0 < fpr < 1 / n`` can only be met at FPR 0, so it is reported as unresolvable
    (value NaN) and the caller reports ``fpr = 0`` instead, which is always resolvable.

    Parameters
    ----------
    member, score : array-like of shape (n,)
    fpr : float
        Budget in ``[0, 1]``.
    level : float
        Two-sided confidence level of the interval.

    Returns
    -------
    dict
        ``tpr``, ``ci_low``, ``ci_high``, ``tp``, ``n_members``, ``fpr_achieved``,
        ``threshold``, ``resolvable`` (bool), ``min_fpr`` (``1 / n_nonmembers``).
        Range ``[0, 1]``, lower is better for the defended model.
    """
    alpha = float(fpr)
    if not 0.0 <= alpha <= 1.0:
        raise TrustbenchError(f"tpr_at_fpr_exact: fpr must lie in [0, 1], got {fpr!r}")
    roc = roc_counts(member, score)
    if roc.n_members == 0 or roc.n_nonmembers == 0:
        raise TrustbenchError("tpr_at_fpr_exact: needs both members and non-members")
    min_fpr = 1.0 / roc.n_nonmembers
    resolvable = alpha == 0.0 or alpha >= min_fpr
    j = int(np.flatnonzero(roc.fpr <= alpha)[-1])  # the origin always qualifies
    low, high = clopper_pearson(int(roc.tp[j]), roc.n_members, level)
    return {
        "tpr": float(roc.tpr[j]) if resolvable else float("nan"),
        "ci_low": low if resolvable else float("nan"),
        "ci_high": high if resolvable else float("nan"),
        "tp": int(roc.tp[j]),
        "n_members": roc.n_members,
        "fpr_achieved": float(roc.fpr[j]),
        "threshold": float(roc.threshold[j]),
        "resolvable": bool(resolvable),
        "min_fpr": min_fpr,
    }


@replicated()
def balanced_accuracy_best(member, score, weights=None):
    """Balanced accuracy of the best threshold attack.

    ``max_t (TPR(t) + 1 - FPR(t)) / 2 = (1 + Adv) / 2`` with ``Adv`` the attacker advantage
    (:func:`trustbench.metrics.attacker_advantage`), so it inherits its weights handling.

    Returns
    -------
    float or ndarray of shape (B,)
        In ``[0.5, 1]``; 0.5 = chance, lower is better for the defended model.

    Notes
    -----
    Tested against ``max((tpr + 1 - fpr) / 2)`` from ``sklearn.metrics.roc_curve``, which is
    the maximum of ``sklearn.metrics.balanced_accuracy_score(member, score >= t)`` over ``t``.
    """
    from trustbench.metrics.privacy import attacker_advantage

    return (1.0 + np.asarray(attacker_advantage(member, score, weights=weights))) / 2.0


def _eps_at(tp, fp, n_mem: int, n_non: int, delta: float, level: float) -> np.ndarray:
    """Per-threshold epsilon lower bound from one-sided Clopper–Pearson bounds.

    Each of the two bounds (TPR from below, FPR from above) holds at ``1 - (1 - level) / 2``,
    so both hold together at ``level`` (Bonferroni).
    """
    one_sided = 1.0 - (1.0 - level) / 2.0
    tpr_lo, _ = clopper_pearson(tp, n_mem, one_sided, "greater")
    _, fpr_hi = clopper_pearson(fp, n_non, one_sided, "less")
    tpr_lo, fpr_hi = np.atleast_1d(tpr_lo), np.atleast_1d(fpr_hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.log(np.clip(tpr_lo - delta, 0, None) / fpr_hi)
        second = np.log(np.clip(1.0 - fpr_hi - delta, 0, None) / (1.0 - tpr_lo))
    eps = np.fmax(first, second)
    return np.where(np.isfinite(eps) | (eps > 0), eps, -np.inf)


def epsilon_lower_bound(member, score, delta: float = 0.0, level: float = 0.95) -> float:
    """Empirical epsilon lower bound of an (epsilon, delta)-DP audit, maximised over thresholds.

    An (epsilon, delta)-DP training algorithm bounds every membership test by
    ``TPR <= e^eps FPR + delta`` and ``1 - FPR <= e^eps (1 - TPR) + delta`` (Kairouz et al.
    2015), so at each threshold

    ``eps >= max(log((TPR_lo - delta) / FPR_hi), log((1 - FPR_hi - delta) / (1 - TPR_lo)))``

    where ``TPR_lo`` is a one-sided Clopper–Pearson lower bound on TPR and ``FPR_hi`` an upper
    bound on FPR, each at confidence ``1 - (1 - level) / 2`` (Jagielski et al. 2020; Nasr et
    al. 2021). The result is the maximum over every ROC threshold, floored at 0.

    Caveat: maximising over thresholds on the same data that bound them is a multiple
    comparison, so the stated confidence is optimistic; :func:`epsilon_lower_bound_split` picks
    the threshold on one half and bounds on the other and is the one the suite reports.

    Returns
    -------
    float
        In ``[0, inf)``; higher means more leakage demonstrated. For a model trained with
        (eps, delta)-DP it should stay below eps (it is a lower bound), else the guarantee or
        the implementation is broken.
    """
    roc = roc_counts(member, score)
    if roc.n_members == 0 or roc.n_nonmembers == 0:
        return float("nan")
    eps = _eps_at(roc.tp, roc.fp, roc.n_members, roc.n_nonmembers, float(delta), float(level))
    return float(max(0.0, np.max(eps)))


def epsilon_lower_bound_split(
    member, score, delta: float = 0.0, level: float = 0.95, seed: int = 0
) -> dict:
    """Empirical epsilon lower bound with the threshold chosen on a held-out half.

    The audit rows are split in two halves (stratified by membership, seeded): the threshold
    that maximises the bound of :func:`epsilon_lower_bound` on the first half is fixed, and
    the Clopper–Pearson bound is evaluated at it on the second half only, so the confidence
    statement holds without a multiple-comparison correction (at the price of half the rows).

    Returns
    -------
    dict
        ``epsilon`` (in ``[0, inf)``, the bound), ``threshold``, ``n_select``, ``n_bound``.
    """
    is_member, s = _check_attack(member, score, "epsilon_lower_bound_split")
    rng = np.random.default_rng([int(seed), 11])
    half = np.zeros(len(s), dtype=bool)
    for cls in (True, False):
        rows = np.flatnonzero(is_member == cls)
        half[rng.permutation(rows)[: len(rows) // 2]] = True
    sel, bnd = half, ~half
    roc = roc_counts(is_member[sel], s[sel])
    if roc.n_members == 0 or roc.n_nonmembers == 0:
        return {"epsilon": float("nan"), "threshold": float("nan"), "n_select": 0, "n_bound": 0}
    # the Clopper-Pearson bound itself (finite, unlike the raw ratios at TPR 1 or FPR 0)
    # picks the threshold on the selection half
    sel_eps = _eps_at(roc.tp, roc.fp, roc.n_members, roc.n_nonmembers, float(delta), float(level))
    j = int(np.argmax(sel_eps))
    t = roc.threshold[j]
    mem_b, s_b = is_member[bnd], s[bnd]
    tp = int(np.sum(mem_b & (s_b >= t)))
    fp = int(np.sum(~mem_b & (s_b >= t)))
    eps = _eps_at(tp, fp, int(mem_b.sum()), int((~mem_b).sum()), float(delta), float(level))
    return {
        "epsilon": float(max(0.0, eps[0])),
        "threshold": float(t),
        "n_select": int(sel.sum()),
        "n_bound": int(bnd.sum()),
    }
