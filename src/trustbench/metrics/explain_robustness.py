"""Robustness of explanations to small input perturbations.

Inputs: original attributions ``a`` ``(n, ...)``, attributions of ``S`` perturbed copies
``a_s`` ``(S, n, ...)``, and for the relative stabilities the numeric inputs ``x`` / ``x_s``
(or model outputs ``h`` / ``h_s``) and which perturbations changed the predicted class.

Convention (RIS/ROS): we follow **Quantus 0.6** (Agarwal et al. 2022 as implemented there):
element-wise relative changes ``(e_x - e_xs) / e_x`` with ``e_x = 0`` replaced by
``eps_min = 1e-6``, L2 norms, the denominator clipped below at ``eps_min``, and perturbations
that change the predicted class excluded. We follow Quantus rather than OpenXAI because our
benchmark compares against Quantus and because OpenXAI's version normalises by the input
with a different epsilon placement that is undefined for zero-valued (e.g. black) pixels.
One deviation: Quantus' ``np.max`` returns NaN for a row as soon as one perturbation changed
its class; we take the maximum over the remaining perturbations (NaN only if all changed),
which identical on rows whose class never changes.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics._rows import row_mean

EPS_MIN = 1e-6


def _flat_s(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values.reshape(values.shape[0], values.shape[1], -1)


def max_sensitivity_per_row(attributions: np.ndarray, perturbed: np.ndarray) -> np.ndarray:
    """``MS_i = max_s ||a_i - a_is||_2 / ||a_i||_2`` (Yeh et al. 2019; Quantus ``MaxSensitivity``
    with its defaults: difference, Frobenius norms, no normalisation, all perturbations)."""
    a = np.asarray(attributions, dtype=float).reshape(len(attributions), -1)
    ap = _flat_s(perturbed)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.linalg.norm(a[None] - ap, axis=2) / np.linalg.norm(a, axis=1)[None, :]
    return np.max(ratio, axis=0)


def max_sensitivity(
    attributions: np.ndarray, perturbed: np.ndarray, weights: np.ndarray | None = None
):
    """Max-sensitivity, averaged over rows (see :func:`max_sensitivity_per_row`).

    Perturbations: uniform noise ``U(-r, r)`` on every input value (images: pixels; tabular:
    continuous features, ``r`` in train standard deviations). Range [0, inf); **lower is
    better**. Equals Quantus 0.6 ``MaxSensitivity`` on the same perturbations (tested).
    """
    return row_mean(max_sensitivity_per_row(attributions, perturbed), weights)


def _relative_norm(original: np.ndarray, perturbed: np.ndarray) -> np.ndarray:
    """``||(v - v_s) / (v + (v == 0) eps)||_2`` per (s, i): shape (S, n)."""
    v = np.asarray(original, dtype=float).reshape(len(original), -1)[None]
    vs = _flat_s(perturbed)
    return np.linalg.norm((v - vs) / (v + (v == 0) * EPS_MIN), axis=2)


def relative_stability_per_row(
    attributions: np.ndarray,
    perturbed_attributions: np.ndarray,
    reference: np.ndarray,
    perturbed_reference: np.ndarray,
    changed: np.ndarray | None = None,
) -> np.ndarray:
    """``max_s ||Δe / e|| / max(||Δv / v||, eps_min)`` over perturbations that keep the class.

    ``v`` is the input (RIS) or the model output (ROS). NaN where every perturbation changed
    the predicted class.
    """
    numerator = _relative_norm(attributions, perturbed_attributions)
    denominator = _relative_norm(reference, perturbed_reference)
    denominator = denominator + (denominator == 0) * EPS_MIN
    ratio = numerator / denominator
    if changed is not None:
        ratio = np.where(np.asarray(changed, bool), np.nan, ratio)
    with np.errstate(invalid="ignore"):
        all_nan = np.all(np.isnan(ratio), axis=0)
        safe = np.where(np.isnan(ratio), -np.inf, ratio)
        return np.where(all_nan, np.nan, safe.max(axis=0))


def relative_input_stability(
    attributions: np.ndarray,
    perturbed_attributions: np.ndarray,
    inputs: np.ndarray,
    perturbed_inputs: np.ndarray,
    changed: np.ndarray | None = None,
    weights: np.ndarray | None = None,
):
    """Relative input stability (Agarwal et al. 2022; Quantus 0.6 convention), row mean.

    ``RIS_i = max_s ||(a_i - a_is) / a_i||_2 / max(||(x_i - x_is) / x_i||_2, eps_min)`` over
    perturbations that keep the predicted class (see module notes). Range [0, inf);
    **lower is better**. Equals Quantus ``RelativeInputStability`` on the same perturbations
    (tested).
    """
    per_row = relative_stability_per_row(
        attributions, perturbed_attributions, inputs, perturbed_inputs, changed
    )
    return row_mean(per_row, weights)


def relative_output_stability(
    attributions: np.ndarray,
    perturbed_attributions: np.ndarray,
    outputs: np.ndarray,
    perturbed_outputs: np.ndarray,
    changed: np.ndarray | None = None,
    weights: np.ndarray | None = None,
):
    """Relative output stability (Agarwal et al. 2022; Quantus 0.6 convention), row mean.

    As :func:`relative_input_stability` with the model outputs ``h`` in the denominator. We
    use the predicted class probabilities (every model has them; Quantus uses logits when
    the model gives them). Range [0, inf); **lower is better**.
    """
    per_row = relative_stability_per_row(
        attributions, perturbed_attributions, outputs, perturbed_outputs, changed
    )
    return row_mean(per_row, weights)
