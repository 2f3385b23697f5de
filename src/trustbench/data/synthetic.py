"""A generated tabular task whose true feature effects are known (explanation ground truth)."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from trustbench.data.build import build_task
from trustbench.data.params import check_number
from trustbench.data.registration import dataset
from trustbench.data.task import GroundTruth, TaskData
from trustbench.errors import ConfigError

__all__ = ["load_synthetic", "synthetic_weights"]

LEVELS = ("a", "b", "c")
#: Level effects of a categorical feature, as multiples of its spread (max - min = 1).
_LEVEL_SHAPE = np.array([-0.5, 0.0, 0.5])
#: Mean shift of the first informative feature for group B, per unit of ``bias``.
_LEAK = 0.5
_OOD_STREAM = 1


def synthetic_weights(n_continuous: int, n_informative: int) -> np.ndarray:
    """Weights of the continuous features: ``2.0, -1.5, 1.0, -0.5`` (for 4 informative)...

    Magnitudes are evenly spaced from 2.0 down to 0.5 (all distinct), signs alternate, and
    the non-informative features get 0.
    """
    w = np.zeros(n_continuous)
    if n_informative == 1:
        mags = np.array([2.0])
    else:
        mags = np.linspace(2.0, 0.5, n_informative)
    signs = np.where(np.arange(n_informative) % 2 == 0, 1.0, -1.0)
    w[:n_informative] = np.round(mags * signs, 6)
    return w


def _level_effects(n_categorical: int) -> np.ndarray:
    """Per-level effects, shape ``(n_categorical, 3)``; feature ``j`` has spread ``1/(j+1)``."""
    spreads = 1.0 / (np.arange(n_categorical) + 1.0)
    return spreads[:, None] * _LEVEL_SHAPE[None, :]


def _generate(
    rng: np.random.Generator,
    n: int,
    w: np.ndarray,
    effects: np.ndarray,
    bias: float,
    offset: float,
    mean_shift: float,
) -> pd.DataFrame:
    n_informative = int(np.count_nonzero(w))
    x = rng.normal(0.0, 1.0, size=(n, len(w)))
    x[:, :n_informative] += mean_shift
    group_b = rng.random(n) < 0.5
    x[:, 0] += _LEAK * bias * group_b
    cats = rng.integers(0, len(LEVELS), size=(n, effects.shape[0]))
    logit = x @ w - offset + bias * group_b
    for j in range(effects.shape[0]):
        logit += effects[j, cats[:, j]]
    p = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.random(n) < p).astype(np.int64)
    frame = pd.DataFrame({f"x{j}": x[:, j] for j in range(len(w))})
    for j in range(effects.shape[0]):
        frame[f"c{j}"] = np.array(LEVELS, dtype=object)[cats[:, j]]
    frame["group"] = np.where(group_b, "B", "A").astype(object)
    frame["y"] = np.where(y == 1, "1", "0").astype(object)
    return frame


@dataset("synthetic")
def load_synthetic(
    *,
    seed: int = 0,
    n_samples: int = 2000,
    n_continuous: int = 6,
    n_categorical: int = 2,
    n_informative: int = 4,
    bias: float = 0.0,
    shift: float = 1.0,
    test_size: float = 0.3,
    sensitive_as_features: bool = True,
) -> TaskData:
    """A binary task with a known logit, for explanation ground truth and fairness checks.

    Features: ``x0 .. x{n_continuous-1}`` ~ N(0, 1), ``c0 .. c{n_categorical-1}`` with
    levels ``"a"``, ``"b"``, ``"c"`` (uniform), and the sensitive attribute ``group``
    (``"A"`` / ``"B"``, 50/50; a feature too unless ``sensitive_as_features=False``).

    The label is Bernoulli(sigmoid(logit)) with::

        logit = sum_j w_j x_j + sum_k effect_k[c_k] + bias * (group == "B") - offset

    where ``w = synthetic_weights(n_continuous, n_informative)`` (``2.0, -1.5, 1.0, -0.5``
    for 4 informative features, 0 for the rest), categorical ``c_k`` has level effects
    ``(-0.5, 0, 0.5) / (k + 1)``, and ``offset`` centres the logit. ``bias`` also moves
    the mean of ``x0`` by ``0.5 * bias`` for group B, so the group leaks into the label
    directly and through a feature.

    Ground truth (``GroundTruth.feature_importance``, in feature order): ``w_j`` for each
    continuous feature, the spread ``max - min`` of the level effects for each categorical
    feature, and ``bias`` for ``group`` (when it is a feature).

    ``ood`` is a covariate shift: ``round(n_samples * test_size)`` fresh rows from a
    separate seeded stream, with the same labelling function, whose informative features'
    means are moved by ``shift``.

    Target column ``y`` with classes ``["0", "1"]`` (``"1"`` positive). Deterministic in
    ``seed``.
    """
    n_samples = int(check_number("n_samples", n_samples, low=10, integer=True))
    n_continuous = int(check_number("n_continuous", n_continuous, low=1, integer=True))
    n_categorical = int(check_number("n_categorical", n_categorical, low=0, integer=True))
    n_informative = int(check_number("n_informative", n_informative, low=1, integer=True))
    seed = int(check_number("seed", seed, low=0, integer=True))
    if n_informative > n_continuous:
        raise ConfigError(
            f"n_informative: expected at most n_continuous={n_continuous}, got {n_informative}."
        )
    for key, value in (("bias", bias), ("shift", shift)):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not np.isfinite(float(value))
        ):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}.")
    bias = float(bias)
    shift = float(shift)

    w = synthetic_weights(n_continuous, n_informative)
    effects = _level_effects(n_categorical)
    # E[logit] without the offset: the level effects are centred and E[x] = 0, except the
    # group-B terms (probability 1/2): bias directly and w_0 * 0.5 * bias through x0.
    offset = 0.5 * bias + 0.5 * w[0] * _LEAK * bias

    main = _generate(np.random.default_rng(seed), n_samples, w, effects, bias, offset, 0.0)
    n_ood = max(1, round(n_samples * float(test_size))) if 0 < float(test_size) < 1 else 1
    ood_rng = np.random.default_rng(np.random.SeedSequence([seed, _OOD_STREAM]))
    ood = _generate(ood_rng, n_ood, w, effects, bias, offset, shift)

    importance = list(w)
    importance += [float(np.ptp(effects[j])) for j in range(n_categorical)]
    if sensitive_as_features:
        importance.append(bias)
    ground_truth = GroundTruth(feature_importance=np.asarray(importance, dtype=float))

    metadata = {
        "source": "generated by trustbench.data.synthetic.load_synthetic",
        "license": "generated data (no licence needed)",
        "generator": {
            "n_samples": n_samples,
            "n_continuous": n_continuous,
            "n_categorical": n_categorical,
            "n_informative": n_informative,
            "bias": bias,
            "shift": shift,
        },
        "weights": [float(v) for v in w],
        "level_effects": {
            f"c{j}": {lvl: float(v) for lvl, v in zip(LEVELS, effects[j], strict=True)}
            for j in range(n_categorical)
        },
        "offset": float(offset),
        "group_leak": f"x0 mean + {_LEAK} * bias for group B",
        "card": {
            "attribution": "trustbench (generated data)",
            "collection": "generated by trustbench, deterministically from the seed: "
            "Gaussian and categorical features with a known logit; no patients, no personal "
            "information",
            "target_definition": "y ~ Bernoulli(sigmoid(logit)), logit = sum_j w_j x_j + "
            "level effects + bias * (group == 'B') - offset",
            "sensitive_attributes": ["group"],
            "sites": {},
            "known_limitations": "synthetic data from a simple generative process: results "
            "say how methods behave with a known ground truth, not on real data",
            "intended_use": "Testing explanation ground-truth agreement, fairness and shift "
            "measurements",
            "composition.instances": "generated rows",
            "composition.count": n_samples + n_ood,
            "composition.label": "y in {'0', '1'} drawn from the known logit",
            "composition.missing_data": "none",
            "composition.confidential": "none: generated data",
            "collection_process.acquisition": "generated by trustbench.data.synthetic."
            "load_synthetic (no real data)",
            "collection_process.consent": "not applicable: no people",
            "preprocessing.software": "trustbench.data.synthetic.load_synthetic",
            "uses.unsuitable_tasks": "any claim about real people",
            "distribution.how": "generated on demand by trustbench",
            "maintenance.maintainer": "trustbench",
            "rai:dataCollectionType": "Software Collection (generated)",
            "rai:personalSensitiveInformation": "none: generated data; group is a simulated "
            "attribute",
            "rai:dataBiases": f"built in on purpose: bias = {bias:g} (group B gets + bias on the "
            f"logit and x0 mean + {_LEAK} * bias)",
            "rai:annotationsPerItem": "1 (generated)",
        },
    }
    return build_task(
        main,
        name="synthetic",
        target="y",
        positive_label="1",
        sensitive=("group",),
        sensitive_as_features=sensitive_as_features,
        test_size=test_size,
        seed=seed,
        ground_truth=ground_truth,
        metadata=metadata,
        ood_frame=ood,
        ood_description=(
            f"covariate shift: {n_ood} fresh rows, informative features x0..x{n_informative - 1} "
            f"mean + {shift:g}"
        ),
    )
