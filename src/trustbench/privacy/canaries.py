"""Canary audit: mislabelled duplicates inserted into training, and a one-run epsilon bound.

``m`` candidate canaries are copies of random training rows with a wrong label
(``(y + 1) mod n_classes``); each is inserted into the training set independently with
probability 1/2 (Steinke, Nasr & Jagielski 2023, "Privacy Auditing with One (1) Training Run").
After training, the auditor scores every candidate (``log p(y_canary | x)``), guesses IN for
the ``k`` highest scores and OUT for the ``k`` lowest, abstains on the rest, and counts the
correct guesses. For an ε-DP algorithm the number of correct guesses out of ``r = 2k`` is
stochastically dominated by ``Binomial(r, e^ε / (1 + e^ε))`` (their Theorem 3.1, δ = 0), so
with ``v`` correct guesses

``ε_lb = logit(p_lo)``, ``p_lo = Beta^-1(β; v, r - v + 1)``

(the one-sided Clopper–Pearson lower bound on the guessing accuracy at confidence ``1 - β``)
is an ε lower bound at that confidence, 0 when ``p_lo <= 1/2``. The δ > 0 correction of their
Theorem 5.2 is not applied: for a DP run the bound is compared with ε as if δ = 0, which is
conservative only up to a δ-sized slack.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from trustbench.data.task import Split, TaskData
from trustbench.metrics.privacy_roc import clopper_pearson
from trustbench.privacy.pool import stack_rows

__all__ = ["CanarySet", "guess_epsilon_lower_bound", "insert_canaries"]


@dataclass
class CanarySet:
    """The candidate canaries of one run (``included`` marks those trained on)."""

    X: pd.DataFrame | np.ndarray
    y: np.ndarray
    included: np.ndarray
    source_row_id: np.ndarray


def insert_canaries(task: TaskData, m: int, seed: int) -> tuple[TaskData, CanarySet]:
    """A copy of ``task`` whose train split also holds the included canaries.

    Only the training data change; the returned task has the same test/ood splits. Score the
    model on the original ``task`` so that no other suite sees a canary.
    """
    rng = np.random.default_rng([int(seed), 23])
    train = task.train
    source = rng.choice(len(train), size=int(m), replace=len(train) < int(m))
    candidates = train.subset(source)
    flipped = (candidates.y + 1) % len(task.classes)
    included = rng.random(int(m)) < 0.5
    canary = CanarySet(candidates.X, flipped, included, candidates.row_id)
    inserted = candidates.subset(np.flatnonzero(included))
    inserted = replace(
        inserted,
        y=flipped[included],
        row_id=-1 - np.flatnonzero(included),  # negative ids: never a source row id
    )
    new_train = Split(
        X=stack_rows([train.X, inserted.X]),
        y=np.concatenate([train.y, inserted.y]),
        sensitive=pd.concat([train.sensitive, inserted.sensitive], ignore_index=True),
        row_id=np.concatenate([train.row_id, inserted.row_id]),
        site=None if train.site is None else np.concatenate([train.site, inserted.site]),
        masks=None if train.masks is None else np.concatenate([train.masks, inserted.masks]),
    )
    splits = {**task.splits, "train": new_train}
    return replace(task, splits=splits), canary


def guess_epsilon_lower_bound(
    score: np.ndarray, included: np.ndarray, k: int, level: float = 0.95
) -> dict:
    """Steinke et al. (2023) one-run ε lower bound from top/bottom-``k`` guesses.

    Parameters
    ----------
    score : ndarray (m,)
        Membership score of each candidate canary (higher = IN).
    included : ndarray (m,) bool
        Whether each candidate was trained on.
    k : int
        Guesses on each side (``2k <= m``).
    level : float
        Confidence of the bound.

    Returns
    -------
    dict
        ``epsilon`` (``[0, inf)``), ``correct``, ``guesses``, ``accuracy``.
    """
    score = np.asarray(score, dtype=float)
    included = np.asarray(included, dtype=bool)
    k = int(min(k, len(score) // 2))
    if k < 1:
        return {"epsilon": float("nan"), "correct": 0, "guesses": 0, "accuracy": float("nan")}
    order = np.argsort(score, kind="stable")
    correct = int(included[order[-k:]].sum() + (~included[order[:k]]).sum())
    r = 2 * k
    p_lo, _ = clopper_pearson(correct, r, level, "greater")
    eps = float(np.log(p_lo / (1 - p_lo))) if p_lo > 0.5 else 0.0
    return {"epsilon": eps, "correct": correct, "guesses": r, "accuracy": correct / r}
