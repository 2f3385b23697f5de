"""Synthetic distribution shifts of a tabular split, at a chosen severity.

For datasets without a natural shift (or to probe one that has), the generalization suite
applies these to the ``test`` split and reports metrics as a curve over severity
(``suite.generalization.shifts``). All are pure functions of their inputs.

Three kinds (:data:`SHIFT_KINDS`):

``covariate``
    Covariate shift on one continuous feature ``x`` by exponential tilting: row weight
    ``w_i ∝ exp(s z_i)``, ``z = (x - mean) / std`` (a missing ``x`` counts as ``z = 0``). For a
    Gaussian feature this moves its mean by ``s`` standard deviations and keeps its spread, and
    the labelling ``P(y | x)`` is unchanged. :func:`covariate_shift_weights` gives the weights
    (metrics are then weighted means, exactly the expectation of selecting rows with those
    probabilities); :func:`weighted_sample` draws such a selection when rows are needed.
``label_prior``
    Label (prior) shift: ``P(x | y)`` unchanged, class prevalence moved. The positive class's
    log-odds move by ``s``: ``logit(pi') = logit(pi) + s``; row weight ``pi'_k / pi_k`` for a
    row of class ``k`` (:func:`label_shift_weights`). With ``K > 2`` classes the prior becomes
    ``pi'_k ∝ pi_k exp(s k / (K - 1))``, which is the same rule for ``K = 2``.
``noise``
    Additive Gaussian noise ``s * std_train(x)`` on every continuous feature that is a
    measurement (:func:`gaussian_noise`); the model is run again on the noisy rows. It
    measures robustness to measurement noise on the same patients, not a population shift.

Noise and numeric columns that only look continuous (:func:`numeric_scale`, decided on the
training values): a numeric column whose values are all integers and take at most
:data:`MAX_INTEGER_LEVELS` (10) distinct values is a set of coded levels (a 0/1 indicator,
a 0-3 vessel count, a 1-5 grade) and is treated as categorical by every shift: it gets no
noise and is never the default covariate-shift feature. An integer column with more values
is a count (cigarettes per day, age in years): its noisy values are rounded to integers.
Every noisy value is clipped to the range of the column observed in training and in the
rows being perturbed, so noise never produces a value no patient has (a negative count, a
sex code of 1.88).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from trustbench.data.task import FeatureSpec
from trustbench.errors import DataError

__all__ = [
    "MAX_INTEGER_LEVELS",
    "SHIFT_KINDS",
    "covariate_shift_weights",
    "effective_sample_size",
    "gaussian_noise",
    "label_shift_weights",
    "noise_scales",
    "numeric_scale",
    "shifted_prior",
    "weighted_sample",
]

SHIFT_KINDS = ("covariate", "label_prior", "noise")
#: An integer-valued numeric column with at most this many distinct values is a set of coded
#: levels, not a measurement (the same bound as a numeric sensitive column's groups).
MAX_INTEGER_LEVELS = 10


def _severity(severity: float, name: str) -> float:
    s = float(severity)
    if not np.isfinite(s):
        raise DataError(f"{name}: severity must be a finite number, got {severity!r}")
    return s


def covariate_shift_weights(x, severity: float) -> np.ndarray:
    """Weights ``exp(s z) / mean(exp(s z))`` tilting the rows toward large (``s > 0``) or small
    (``s < 0``) values of ``x``.

    Parameters
    ----------
    x : array-like of shape (n,)
        The shifted feature (numbers; NaN counts as the mean).
    severity : float
        ``s``: the mean shift in standard deviations for a Gaussian ``x``; 0 is no shift.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Positive weights with mean 1.

    Raises
    ------
    DataError
        If ``x`` is empty, not numeric, or has no spread.
    """
    s = _severity(severity, "covariate shift")
    try:
        values = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("covariate shift: the feature must be numeric") from None
    finite = np.isfinite(values)
    if values.ndim != 1 or not finite.any():
        raise DataError("covariate shift: the feature has no finite value")
    mean, std = values[finite].mean(), values[finite].std()
    if not std > 0:
        raise DataError("covariate shift: the feature is constant on this split (no spread)")
    z = np.where(finite, (values - mean) / std, 0.0)
    logw = s * z
    w = np.exp(logw - logw.max())
    return w / w.mean()


def shifted_prior(prior: np.ndarray, severity: float) -> np.ndarray:
    """``pi'_k ∝ pi_k exp(s k / (K - 1))``: for two classes, the positive log-odds plus ``s``."""
    s = _severity(severity, "label-prior shift")
    prior = np.asarray(prior, dtype=np.float64)
    k = prior.shape[0]
    logits = np.log(prior) + s * np.arange(k) / max(k - 1, 1)
    out = np.exp(logits - logits.max())
    return out / out.sum()


def label_shift_weights(y, severity: float, n_classes: int | None = None) -> np.ndarray:
    """Weights ``pi'_{y_i} / pi_{y_i}`` that move the class prior as :func:`shifted_prior`.

    Parameters
    ----------
    y : array-like of shape (n,)
        Integer class indices.
    severity : float
        ``s``: added to the positive class's log-odds (binary); 0 is no shift.
    n_classes : int, optional
        Number of classes (default ``max(y) + 1``).

    Returns
    -------
    numpy.ndarray of shape (n,)
        Positive weights with mean 1; the weighted prevalence of class ``k`` is ``pi'_k``.

    Raises
    ------
    DataError
        If a class is absent from ``y`` (its prevalence cannot be moved by reweighting).
    """
    labels = np.asarray(y).astype(np.int64)
    k = int(n_classes or labels.max(initial=0) + 1)
    prior = np.bincount(labels, minlength=k) / max(labels.shape[0], 1)
    if np.any(prior == 0):
        missing = [int(c) for c in np.flatnonzero(prior == 0)]
        raise DataError(
            f"label-prior shift: expected every class in the split, got no row of class "
            f"index {missing}"
        )
    ratio = shifted_prior(prior, severity) / prior
    return ratio[labels]


def effective_sample_size(weights) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of a weighted sample."""
    w = np.asarray(weights, dtype=np.float64)
    denom = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / denom) if denom > 0 else 0.0


def weighted_sample(weights, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row positions drawn with replacement with probability ``w_i / sum w`` (selection)."""
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(w.shape[0], size=int(size), replace=True, p=w / w.sum())


def numeric_scale(values) -> str:
    """How a numeric column behaves under a shift, from its (training) values.

    Parameters
    ----------
    values : array-like of shape (n,)
        The column's values (NaN and infinite values are ignored).

    Returns
    -------
    str
        ``"levels"`` when every value is an integer and there are at most
        :data:`MAX_INTEGER_LEVELS` distinct values (also for a column with no value):
        coded categories, left unchanged by noise and never the default covariate-shift
        feature; ``"count"`` when every value is an integer and there are more; otherwise
        ``"continuous"``.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if not np.all(v == np.round(v)):
        return "continuous"
    return "levels" if np.unique(v).shape[0] <= MAX_INTEGER_LEVELS else "count"


def noise_scales(X_train: pd.DataFrame, features: Sequence[FeatureSpec]) -> dict[str, str]:
    """:func:`numeric_scale` of every continuous feature on the training rows, in order."""
    return {
        spec.name: numeric_scale(X_train[spec.name].to_numpy(dtype=np.float64))
        for spec in features
        if spec.kind == "continuous"
    }


def gaussian_noise(
    X: pd.DataFrame,
    X_train: pd.DataFrame,
    features: Sequence[FeatureSpec],
    severity: float,
    seed: int,
) -> pd.DataFrame:
    """A copy of ``X`` with ``N(0, (s * std_train)^2)`` noise on every continuous measurement.

    ``std_train`` is each feature's standard deviation on ``X_train`` (missing values
    skipped). Per :func:`noise_scales`: a ``"levels"`` column (integer codes, at most
    :data:`MAX_INTEGER_LEVELS` values) is left unchanged, a ``"count"`` column's noisy values
    are rounded to integers, and every noisy value is clipped to ``[lo, hi]``, the smallest and
    largest value of the column in ``X_train`` and ``X`` together. Missing values stay missing
    and categorical features are unchanged. The noise is drawn from
    ``numpy.random.default_rng([seed, 7919])``, ``len(X)`` values per continuous feature in
    feature order (a column left unchanged still consumes its draws, so that the noise of one
    column does not depend on how the others are typed).
    """
    s = _severity(severity, "noise shift")
    rng = np.random.default_rng([int(seed), 7919])
    out = X.copy()
    scales = noise_scales(X_train, features)
    for name, scale in scales.items():
        draw = rng.normal(0.0, 1.0, size=len(out))
        if scale == "levels" or s == 0:
            continue
        train = X_train[name].to_numpy(dtype=np.float64)
        values = out[name].to_numpy(dtype=np.float64)
        std = float(np.nanstd(train, ddof=1)) if np.isfinite(train).sum() > 1 else 0.0
        seen = np.concatenate([train, values])
        seen = seen[np.isfinite(seen)]
        if seen.size == 0 or not std > 0:
            continue
        noisy = np.clip(values + draw * s * std, seen.min(), seen.max())
        out[name] = np.round(noisy) if scale == "count" else noisy
    return out
