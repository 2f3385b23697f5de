"""Faithfulness of explanations: does removing what an explanation calls relevant change the output?

Pure functions. The suite builds the removal masks (``removal_masks``, ``random_subsets``),
the engine (:mod:`trustbench.explain.engine`) turns them into target-class probabilities in
one batched pass, and the functions here turn those probabilities into per-row scores and
(bootstrap-weighted) means.

"Removing" a feature means replacing it with its baseline value: the train median/mode for
tabular data, black (0) for image pixels. Attributions are ``(n, d)`` (tabular) or
``(n, H, W)`` maps, flattened to ``(n, H * W)``.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics._rows import flat, pearson_rows, row_mean


def deletion_order(attributions: np.ndarray) -> np.ndarray:
    """Rank of each feature in deletion order (0 = removed first), per row.

    Features are removed most relevant first: highest attribution first, ties broken by
    column order (stable sort), so the order is deterministic.
    """
    attributions = flat(attributions)
    order = np.argsort(-attributions, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(
        ranks, order, np.arange(attributions.shape[1])[None, :].repeat(len(order), 0), axis=1
    )
    return ranks


def removal_masks(attributions: np.ndarray, n_steps: int | None = None) -> np.ndarray:
    """Masks ``(n_steps + 1, n, d)``: at step ``k`` the ``round(k d / n_steps)`` most relevant
    features of each row are removed (``True`` = replaced by the baseline).

    ``n_steps=None`` uses one step per feature (``n_steps = d``), the tabular default; image
    maps use a few tens of steps over ``H * W`` pixels.
    """
    ranks = deletion_order(attributions)
    d = ranks.shape[1]
    n_steps = d if n_steps is None else int(n_steps)
    removed = np.round(np.arange(n_steps + 1) * d / n_steps).astype(int)
    return ranks[None, :, :] < removed[:, None, None]


def deletion_masks(attributions: np.ndarray, n_steps: int | None = None) -> np.ndarray:
    """Deletion masks: :func:`removal_masks` (most relevant removed first)."""
    return removal_masks(attributions, n_steps)


def insertion_masks(attributions: np.ndarray, n_steps: int | None = None) -> np.ndarray:
    """Insertion masks ``(n_steps + 1, n, d)``: at step ``k`` only the ``round(k d / n_steps)``
    most relevant features keep their value, all others are at the baseline."""
    return ~removal_masks(attributions, n_steps)


def curve_auc(curves: np.ndarray) -> np.ndarray:
    """Area under per-row curves sampled at evenly spaced fractions 0, 1/s, ..., 1 (trapezoid).

    Parameters
    ----------
    curves : array (n, s + 1)

    Returns
    -------
    array (n,), each in [0, 1] when the curves are probabilities. Equal to
    ``numpy.trapezoid(curves, dx=1 / s, axis=1)`` (tested).
    """
    curves = np.asarray(curves, dtype=float)
    steps = curves.shape[1] - 1
    return (curves[:, 0] / 2 + curves[:, 1:-1].sum(axis=1) + curves[:, -1] / 2) / steps


def deletion_auc(curves: np.ndarray, weights: np.ndarray | None = None):
    """Deletion AUC (Petsiuk et al. 2018, "RISE"), averaged over rows.

    ``DAUC_i = ∫_0^1 f_t(x_i with the fraction u most relevant features removed) du`` (trapezoid
    over the steps of :func:`deletion_masks`), ``f_t`` the probability of the explained
    (predicted) class. Range [0, 1]; **lower is better** (a faithful explanation removes the
    evidence first, so the probability falls fast). Agrees with Quantus ``PixelFlipping``
    followed by the trapezoid AUC when the baselines and steps agree.

    Parameters
    ----------
    curves : array (n, s + 1)
        Target-class probability at each deletion step (column 0: nothing removed).
    weights : None, (n,) or (B, n)
        Row weights (bootstrap counts); ``(B, n)`` returns ``(B,)``.
    """
    return row_mean(curve_auc(curves), weights)


def insertion_auc(curves: np.ndarray, weights: np.ndarray | None = None):
    """Insertion AUC (Petsiuk et al. 2018), averaged over rows.

    ``IAUC_i = ∫_0^1 f_t(baseline with the fraction u most relevant features of x_i restored) du``
    (trapezoid over the steps of :func:`insertion_masks`). Range [0, 1]; **higher is better**.

    Parameters
    ----------
    curves : array (n, s + 1)
        Target-class probability at each insertion step (column 0: all features at baseline).
    weights : None, (n,) or (B, n)
    """
    return row_mean(curve_auc(curves), weights)


def top_k_mask(attributions: np.ndarray, k: int) -> np.ndarray:
    """``(n, d)`` bool: the ``k`` features of each row with the largest ``|a|`` (ties by index).

    Magnitudes, as OpenXAI ranks features for PGI/PGU (a strongly negative attribution is as
    important as a strongly positive one).
    """
    return deletion_order(np.abs(flat(attributions))) < int(k)


def prediction_gap(original: np.ndarray, perturbed: np.ndarray, weights: np.ndarray | None = None):
    """OpenXAI's prediction gap, averaged over rows: ``mean_s |f_t(x_i) - f_t(x'_is)|``.

    With ``x'`` the input with its top-k features perturbed this is **PGI** (higher is better:
    perturbing what the explanation calls important should move the prediction); with every
    other feature perturbed it is **PGU** (lower is better). Range [0, 1] for probabilities.

    Parameters
    ----------
    original : array (n,)
        Target-class probability of each unperturbed row.
    perturbed : array (S, n)
        Target-class probability of ``S`` perturbed copies of each row.
    weights : None, (n,) or (B, n)
    """
    gaps = np.abs(np.asarray(perturbed, dtype=float) - np.asarray(original, dtype=float)[None])
    return row_mean(gaps.mean(axis=0), weights)


def pgi_removal(deletion_curves: np.ndarray, step: int, weights: np.ndarray | None = None):
    """Prediction gap on important features, removal form, averaged over rows.

    ``|f_t(x_i) - f_t(x_i with its top-k features removed)|`` where the top-k features are those
    removed at ``step`` of the deletion curve. Range [0, 1]; **higher is better**. OpenXAI's
    PGI (:func:`prediction_gap`) perturbs them with noise instead; removal to the baseline is
    the deletion curve's perturbation, read at one point.
    """
    curves = np.asarray(deletion_curves, dtype=float)
    return row_mean(np.abs(curves[:, 0] - curves[:, step]), weights)


def pgu_removal(
    deletion_curves: np.ndarray,
    insertion_curves: np.ndarray,
    step: int,
    weights: np.ndarray | None = None,
):
    """Prediction gap on unimportant features, removal form, averaged over rows.

    ``|f_t(x_i) - f_t(x_i with every feature but its top-k removed)|``; the top-k are the
    features kept at ``step`` of the insertion curve. Range [0, 1]; **lower is better**.
    """
    kept = np.asarray(insertion_curves, dtype=float)[:, step]
    original = np.asarray(deletion_curves, dtype=float)[:, 0]
    return row_mean(np.abs(original - kept), weights)


def random_subsets(rng: np.random.Generator, n_runs: int, n: int, d: int, size: int) -> np.ndarray:
    """Random feature subsets as masks ``(n_runs, n, d)``: each (run, row) removes ``size``
    features drawn uniformly without replacement (independently per row and run)."""
    size = int(min(max(size, 1), d))
    if size == d:
        return np.ones((n_runs, n, d), dtype=bool)
    keys = rng.random((n_runs, n, d), dtype=np.float32)  # float32: half the draw and partition cost
    kth = np.partition(keys, size - 1, axis=2)[..., size - 1 : size]
    masks = keys <= kth  # the size smallest keys (one partition, no sort)
    # each row has >= size keys <= its k-th key, more only on a tie at the k-th: one total count
    # detects any tie (rare), and the exact fallback handles it
    if np.count_nonzero(masks) != n_runs * n * size:
        chosen = np.argpartition(keys, size - 1, axis=2)[..., :size]
        masks = np.zeros((n_runs, n, d), dtype=bool)
        np.put_along_axis(masks, chosen, True, axis=2)
    return masks


def subset_sums(attributions: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``s[i, r] = sum_{j in S_ir} a_ij``: attribution mass of each removed subset, ``(n, R)``."""
    a = flat(attributions)
    return np.einsum("rnd,nd->nr", masks.astype(a.dtype), a)


def faithfulness_correlation(
    attribution_sums: np.ndarray, deltas: np.ndarray, weights: np.ndarray | None = None
):
    """Faithfulness correlation (Bhatt et al. 2020; Quantus ``FaithfulnessCorrelation``).

    For row ``i`` and random subsets ``S_1..S_R`` of fixed size:
    ``FC_i = Pearson_r( sum_{j in S_r} a_ij , f_t(x_i) - f_t(x_i with S_r removed) )``.
    Range [-1, 1]; **higher is better**; NaN for a row whose sums or deltas are constant.
    Equals Quantus 0.6 with ``normalise=False, abs=False`` on the same subsets (tested).

    Parameters
    ----------
    attribution_sums : array (n, R)
        :func:`subset_sums` of the attributions over the subsets.
    deltas : array (n, R)
        Drop of the target-class probability when each subset is removed.
    weights : None, (n,) or (B, n)
    """
    return row_mean(
        pearson_rows(np.asarray(attribution_sums, float), np.asarray(deltas, float)), weights
    )


def infidelity_per_row(
    attribution_sums: np.ndarray, deltas: np.ndarray, normalize: bool = True
) -> np.ndarray:
    """Captum ``infidelity`` per row for perturbations ``I_r`` = indicator of subset ``S_r``.

    ``INFD_i = mean_r (beta_i * I_r . a_i - (f_t(x_i) - f_t(x_i - I_r)))^2`` with
    ``beta_i = mean_r(s_r delta_r) / mean_r(s_r^2)`` when ``normalize`` (Captum's optimal
    scaling, which makes the metric invariant to the attribution scale), else 1.
    """
    s = np.asarray(attribution_sums, float)
    delta = np.asarray(deltas, float)
    if normalize:
        with np.errstate(invalid="ignore", divide="ignore"):
            beta = (s * delta).mean(axis=1) / (s * s).mean(axis=1)
        beta = np.where(np.isfinite(beta), beta, 0.0)
    else:
        beta = np.ones(len(s))
    return ((beta[:, None] * s - delta) ** 2).mean(axis=1)


def infidelity(
    attribution_sums: np.ndarray,
    deltas: np.ndarray,
    normalize: bool = True,
    weights: np.ndarray | None = None,
):
    """Explanation infidelity (Yeh et al. 2019), Captum's definition, averaged over rows.

    Perturbation ``I_r`` is the indicator vector of a random feature subset ``S_r`` (in the
    interpretable space where 1 = present, 0 = at baseline), so ``I_r . a_i`` is
    :func:`subset_sums` and the output change is the drop when ``S_r`` is removed. See
    :func:`infidelity_per_row`. Range [0, inf) (at most ``mean delta^2`` when normalized);
    **lower is better**. Equals ``captum.metrics.infidelity`` with the same perturbations
    (tested).
    """
    return row_mean(infidelity_per_row(attribution_sums, deltas, normalize), weights)
