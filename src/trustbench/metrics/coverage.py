"""Coverage simulation: do the registered interval methods cover the truth as often as they claim?

Test sets are drawn again and again from a known generator, a fixed model is scored on each
with the interval method its registry entry names (the code path of the suites:
:func:`~trustbench.metrics.intervals.interval_of` and
:meth:`~trustbench.metrics.group_stats.GroupStats.box_interval`), and each interval is checked
against the metric's true value on the generator's population (a sample 500 times the size of a test set).
The plain percentile bootstrap is scored beside each for comparison.

The generator: ``x ~ N(0, 1)``; an attribute ``age`` with groups ``B`` and ``C`` of 30 rows each
(about 20 positives each) and ``A`` the rest; an attribute ``sex`` (50/50);
``P(y = 1) = expit(1.2 x + b_age + b_sex)``. The model is over-confident,
``s = expit(1.6 (1.2 x + b_age + b_sex) - m_age)`` with ``m = (0, 1.5, 4.5)``, so its ECE is
not 0, its TPR in ``B`` is about 0.7, and it finds few positives in ``C`` (TPR about 0.07: 0
to 2 events out of about 20). The ood split is the
test patients with measurement noise ``x + N(0, 0.5^2)`` (the paired drop).

``scripts/interval_coverage.py`` writes the table of ``docs/intervals.md``;
``tests/metrics/test_interval_coverage.py`` runs a smaller, seeded version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from trustbench.metrics.calibration import expected_calibration_error
from trustbench.metrics.group_stats import group_stats
from trustbench.metrics.intervals import interval_of
from trustbench.metrics.performance import accuracy, roc_auc
from trustbench.metrics.registry import REGISTRY
from trustbench.metrics.weights import bootstrap_counts, stacked

__all__ = ["CASES", "Draw", "coverage_table", "draw", "true_values"]

_SMALL_GROUP = 30
_AGE_EFFECT = np.array([-0.5, 0.8, 0.8])
_SEX_EFFECT = np.array([-0.3, 0.3])
#: How far the model's logit is pushed down in each age group (it misses positives of B and C).
_MISSED = np.array([0.0, 1.5, 4.5])
_NOISE = 0.5
N_BINS = 15

#: Each simulated quantity: its label in the table, and the registry key whose interval
#: method it uses.
CASES = {
    "accuracy": "performance/accuracy",
    "roc_auc": "performance/roc_auc",
    "TPR, group B (~20 positives)": "fairness/age/B/true_positive_rate",
    "TPR, group C (0-2 events)": "fairness/age/C/true_positive_rate",
    "demographic parity gap (sex)": "fairness/sex/demographic_parity_difference",
    "ECE": "generalization/ece",
    "roc_auc drop (paired ood)": "generalization/roc_auc_drop",
}


@dataclass(frozen=True)
class Draw:
    """One sample of the generator: labels, attributes, test and ood probabilities."""

    y: np.ndarray
    age: np.ndarray
    sex: np.ndarray
    proba: np.ndarray
    proba_ood: np.ndarray


def _score(x: np.ndarray, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    logit = 1.2 * x + _AGE_EFFECT[age] + _SEX_EFFECT[sex]
    s = expit(1.6 * logit - _MISSED[age])
    return np.column_stack([1.0 - s, s])


def draw(n: int, rng: np.random.Generator, small: int = _SMALL_GROUP) -> Draw:
    """``n`` test patients of the generator (and their noisy ood copies), ``small`` of them in
    each of the groups ``B`` and ``C``."""
    age = rng.permutation(np.repeat([0, 1, 2], [n - 2 * small, small, small]))
    sex = rng.integers(0, 2, size=n)
    x = rng.normal(size=n)
    y = (rng.random(n) < expit(1.2 * x + _AGE_EFFECT[age] + _SEX_EFFECT[sex])).astype(np.int64)
    noisy = x + rng.normal(0.0, _NOISE, size=n)
    return Draw(y, np.array(list("ABC"))[age], sex, _score(x, age, sex), _score(noisy, age, sex))


def _estimates(d: Draw, counts: np.ndarray) -> dict[str, tuple[np.ndarray, float | None, object]]:
    """``{case: (row of 1 + B values, denominator or None, group stats or None)}``."""
    w = stacked(counts)
    age = group_stats(d.y, d.proba, d.age, counts, N_BINS, calibration=False)
    sex = group_stats(d.y, d.proba, d.sex, counts, N_BINS, calibration=False)
    tpr = age.values["true_positive_rate"]
    positives = age.denominators("true_positive_rate")
    auc = roc_auc(d.y, d.proba, w)
    return {
        "accuracy": (accuracy(d.y, d.proba, w), float(len(d.y)), None),
        "roc_auc": (auc, None, None),
        "TPR, group B (~20 positives)": (tpr[:, 1], float(positives[1]), None),
        "TPR, group C (0-2 events)": (tpr[:, 2], float(positives[2]), None),
        "demographic parity gap (sex)": (sex.gaps["demographic_parity_difference"], None, sex),
        "ECE": (expected_calibration_error(d.y, d.proba, w, n_bins=N_BINS), None, None),
        "roc_auc drop (paired ood)": (auc - roc_auc(d.y, d.proba_ood, w), None, None),
    }


def true_values(n: int, seed: int = 20261201, scale: int = 500) -> dict[str, float]:
    """Each case's value on the population of test sets of ``n`` rows (its estimand): a sample
    of ``scale * n`` rows with the same group sizes relative to ``n``."""
    d = draw(scale * n, np.random.default_rng(seed), small=scale * _SMALL_GROUP)
    one = np.zeros((0, len(d.y)), dtype=np.int64)  # no replicates: row 0 only
    return {case: float(row[0]) for case, (row, _, _) in _estimates(d, one).items()}


def coverage_table(
    n: int, n_draws: int, n_resamples: int, seed: int, level: float = 0.95
) -> dict[str, dict[str, float | str]]:
    """Share of ``n_draws`` test sets of ``n`` rows whose interval covers the true value.

    Returns
    -------
    dict
        Per case: ``method`` (the registered one, as used), ``coverage`` with it,
        ``percentile`` (the plain percentile bootstrap's coverage), ``mean_width`` and
        ``zero_width`` (share of intervals of width 0).
    """
    truth = true_values(n)
    rng = np.random.default_rng(seed)
    hits: dict[str, dict[str, list[float]]] = {c: {} for c in CASES}
    methods: dict[str, str] = {}
    for _ in range(n_draws):
        d = draw(n, rng)
        counts = bootstrap_counts(n, n_resamples, rng)
        for case, (row, denominator, stats) in _estimates(d, counts).items():
            spec = REGISTRY.require(CASES[case]).spec
            name = CASES[case].rsplit("/", 1)[-1]
            box = None if stats is None else stats.box_interval(name, level)
            if box is None:
                low, high, method = interval_of(spec.interval, row[0], row[1:], level, denominator)
            else:
                (low, high), method = box, "box"
            p_low, p_high, _ = interval_of("percentile", row[0], row[1:], level)
            low, high = spec.clip(low), spec.clip(high)
            methods[case] = method
            record = hits[case]
            record.setdefault("covered", []).append(float(low <= truth[case] <= high))
            record.setdefault("percentile", []).append(float(p_low <= truth[case] <= p_high))
            record.setdefault("width", []).append(high - low)
    return {
        case: {
            "key": CASES[case],
            "method": methods[case],
            "true_value": truth[case],
            "coverage": float(np.mean(r["covered"])),
            "percentile": float(np.mean(r["percentile"])),
            "mean_width": float(np.nanmean(r["width"])),
            "zero_width": float(np.mean(np.asarray(r["width"]) == 0)),
        }
        for case, r in hits.items()
    }
