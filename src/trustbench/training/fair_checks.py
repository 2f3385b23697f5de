"""Checks around fairness mitigation (``trainer=fair``): where post-processing is fitted, and
whether the mitigation changed anything.

:func:`postprocess_split` holds out the rows the threshold optimizer is fitted on. Fitted on
the rows the model trained on, the thresholds see the model's training fit: a model that
memorised its rows (an MLP, a deep tree, 1-NN) has TPR 1 and FPR 0 in every group there, every
constraint already holds, and the "mitigated" predictions are the model's own.

:func:`mitigation_effect` compares the mitigated classifier's ``P(yhat = 1)`` with the
unmitigated model's predictions on the same rows and words the warning a reader of the run
must see when they are equal on every row, or when the group rates the constraint is over are
unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trustbench.data.task import Split
from trustbench.errors import DataError
from trustbench.metrics.fairness import group_rates

__all__ = ["RATE_TOLERANCE", "check_mitigation", "mitigation_effect", "postprocess_split"]

#: Largest difference in ``P(yhat = 1)`` (per row) or in a group rate read as no change.
RATE_TOLERANCE = 1e-9


def postprocess_split(
    y: np.ndarray, groups: list[str], fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions ``(fit, held_out)``: ``held_out`` for post-processing, ``fit`` for the model.

    Stratified by label and group: every (label, group) stratum of ``m`` rows gives
    ``round(fraction * m)`` rows to the held-out part, clipped to ``[1, m - 1]`` when ``m >= 2``
    (both parts see the stratum); a stratum of one row goes to the held-out part (the
    post-processing needs each group's labels more than the model needs one row). Seeded: the
    same ``seed`` gives the same split.

    Raises
    ------
    DataError
        When the fit part would be empty.
    """
    y = np.asarray(y)
    keys = np.array([f"{label}|{group}" for label, group in zip(y, groups, strict=True)])
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for key in np.unique(keys):
        rows = rng.permutation(np.flatnonzero(keys == key))
        m = rows.shape[0]
        k = 1 if m == 1 else int(np.clip(round(fraction * m), 1, m - 1))
        held.append(rows[:k])
    held_out = np.sort(np.concatenate(held))
    fit = np.setdiff1d(np.arange(y.shape[0]), held_out)
    if fit.shape[0] == 0:
        raise DataError(
            f"trainer.postprocess_fraction={fraction}: the {y.shape[0]} training rows leave none "
            "to fit the model on (every label x group stratum has a single row)"
        )
    return fit, held_out


def mitigation_effect(
    expected: np.ndarray,
    base: np.ndarray,
    y: np.ndarray,
    groups: list[str],
    *,
    method: str,
    rows: str,
) -> tuple[float, str | None]:
    """The fraction of rows the mitigation changed, and a warning when it changed nothing.

    Parameters
    ----------
    expected : numpy.ndarray of shape (n,)
        ``P(yhat = 1)`` of the mitigated classifier (its hard prediction when deterministic).
    base : numpy.ndarray of shape (n,)
        The unmitigated model's predictions (argmax) on the same rows.
    y, groups : labels and group keys of those rows.
    method : the mitigation method (for the warning's text).
    rows : which rows these are (for the warning's text).

    Returns
    -------
    changed : float
        Fraction of rows with ``|expected - base| > RATE_TOLERANCE``.
    warning : str or None
        Set when no row changed, or when every group's selection rate, TPR and FPR (expected
        over a randomized classifier's draws) equals the unmitigated model's.
    """
    expected = np.asarray(expected, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    changed = float(np.mean(np.abs(expected - base) > RATE_TOLERANCE))
    n = expected.shape[0]
    hint = {
        "threshold_optimizer": "a model that fits the rows it is post-processed on perfectly "
        "leaves the thresholds nothing to correct; raise trainer.postprocess_fraction or "
        "regularise the model",
        "grid_search": "the grid's best trade-off may be the unconstrained model; try a larger "
        "trainer.grid_size",
    }.get(
        method,
        "the unmitigated model may already meet the constraint on train within trainer.tolerance",
    )
    if changed == 0.0:
        return changed, (
            f"trainer 'fair' ({method}) changed nothing: the mitigated predictions equal the "
            f"unmitigated model's on every one of the {n} {rows} rows, so its fairness numbers "
            f"are the unmitigated model's ({hint})"
        )
    mitigated = group_rates(y, np.clip(expected, 0.0, 1.0), groups, soft=True)
    unmitigated = group_rates(y, base, groups)
    same = all(
        np.allclose(
            getattr(mitigated, f), getattr(unmitigated, f), atol=RATE_TOLERANCE, equal_nan=True
        )
        for f in ("selection_rate", "tpr", "fpr")
    )
    if same:
        return changed, (
            f"trainer 'fair' ({method}) changed {changed:.1%} of the {n} {rows} rows but no "
            f"group's selection rate, TPR or FPR: the mitigation did not move the rates its "
            f"constraint is over ({hint})"
        )
    return changed, None


def check_mitigation(fair: Any, model: Any, rows: Split, method: str) -> tuple[float, str | None]:
    """:func:`mitigation_effect` of the fitted ``FairClassifier`` ``fair`` on ``rows``, those it
    was fitted on, against the unmitigated model: for the threshold optimizer its own base
    ``model`` (``rows`` are the held-out part), for the reductions the estimator fitted once on
    ``rows`` (train) without the constraint."""
    from sklearn.base import clone

    keys = fair._group_keys(fair._groups(rows.sensitive))
    if method == "threshold_optimizer":
        base = model
        expected = fair.predict_proba(rows.X, sensitive=rows.sensitive)[:, 1]
    else:
        base = clone(fair.estimator).fit(rows.X, rows.y)
        expected = fair.predict_proba(rows.X)[:, 1] if fair.randomized else fair.predict(rows.X)
    unmitigated = np.argmax(np.asarray(base.predict_proba(rows.X)), axis=1)
    where = "held-out post-processing" if method == "threshold_optimizer" else "training"
    return mitigation_effect(expected, unmitigated, rows.y, keys, method=method, rows=where)
