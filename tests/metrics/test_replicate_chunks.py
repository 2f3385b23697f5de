"""Bounded chunks of replicates: the same numbers as one pass, for every weighted metric."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import trustbench.metrics as metrics_pkg
from trustbench.metrics import calibration as CAL
from trustbench.metrics import clinical as K
from trustbench.metrics import fairness as F
from trustbench.metrics import fairness_groups as FG
from trustbench.metrics import performance as P
from trustbench.metrics import privacy as PR
from trustbench.metrics import privacy_roc as ROC
from trustbench.metrics import recalibration as R
from trustbench.metrics import uncertainty_conformal as C
from trustbench.metrics import uncertainty_ood as O
from trustbench.metrics import uncertainty_selective as S
from trustbench.metrics import uncertainty_set_means as SM
from trustbench.metrics._rows import row_mean
from trustbench.metrics.weights import (
    _concat,
    bootstrap_counts,
    chunk_memory,
    map_chunks,
    replicate_chunk_rows,
    stacked,
)

N, B = 400, 37
RNG = np.random.default_rng(7)
Y = RNG.integers(0, 2, N)
SCORE = np.clip(0.35 * Y + RNG.uniform(0, 0.65, N), 0, 1).round(2)  # ties included
PROBA = np.column_stack([1 - SCORE, SCORE])
PRED = (SCORE >= 0.5).astype(int)
GROUPS = RNG.choice(["a", "b", "c"], N)
W = stacked(bootstrap_counts(N, B, np.random.default_rng(3)))
PER_REPLICATE_PRED = (SCORE[None, :] >= RNG.uniform(0.3, 0.7, B + 1)[:, None]).astype(np.uint8)
ERROR = (PRED != Y).astype(float)
CONFORMITY = C.conformity_scores(PROBA, Y, "lac")

@pytest.fixture(autouse=True)
def _chunks_of_any_size(monkeypatch):
    """Chunks as small as the budget makes them (the floor of 32 replicates is lifted), so a
    37-replicate test matrix is split in several."""
    from trustbench.metrics import weights

    monkeypatch.setattr(weights, "_MIN_CHUNK_ROWS", 1)


CASES = {
    "accuracy": lambda w: P.accuracy(Y, PROBA, w),
    "balanced_accuracy": lambda w: P.balanced_accuracy(Y, PROBA, w),
    "roc_auc": lambda w: P.roc_auc(Y, PROBA, w),
    "auprc": lambda w: P.auprc(Y, PROBA, w),
    "log_loss": lambda w: P.log_loss(Y, PROBA, w),
    "brier": lambda w: P.brier(Y, PROBA, w),
    "ece": lambda w: CAL.expected_calibration_error(Y, PROBA, w),
    "ace": lambda w: CAL.adaptive_calibration_error(Y, PROBA, w),
    "group_ece": lambda w: CAL.group_calibration_error(Y, PROBA, GROUPS, w),
    "ece_difference": lambda w: CAL.ece_difference(Y, PROBA, GROUPS, w),
    "sensitivity": lambda w: K.sensitivity(Y, PRED, w),
    "specificity_per_replicate": lambda w: K.specificity(Y, PER_REPLICATE_PRED, w),
    "ppv": lambda w: K.ppv(Y, PRED, w),
    "npv": lambda w: K.npv(Y, PRED, w),
    "prevalence": lambda w: K.prevalence(Y, w),
    "net_benefit": lambda w: K.net_benefit(Y, PRED, 0.2, w),
    "treat_all": lambda w: K.treat_all_net_benefit(Y, 0.2, w),
    "decision_curve": lambda w: K.decision_curve(Y, SCORE, np.array([0.1, 0.3]), w),
    "no_skill_accuracy": lambda w: K.no_skill_accuracy(Y, 2, w),
    "group_rates_per_replicate": lambda w: F.group_rates(Y, PER_REPLICATE_PRED, GROUPS, w),
    "equalized_odds": lambda w: F.equalized_odds_difference(Y, PRED, GROUPS, w),
    "demographic_parity_ratio": lambda w: F.demographic_parity_ratio(Y, PRED, GROUPS, w),
    "group_accuracy": lambda w: F.group_accuracy(Y, PRED, GROUPS, w),
    "group_roc_auc": lambda w: FG.group_roc_auc(Y, SCORE, GROUPS, w),
    "threshold_at_sensitivity": lambda w: FG.threshold_at_sensitivity(Y, SCORE, 0.8, w),
    "attack_auc": lambda w: PR.attack_auc(Y, SCORE, w),
    "tpr_at_fpr": lambda w: PR.tpr_at_fpr(Y, SCORE, 0.1, w),
    "attacker_advantage": lambda w: PR.attacker_advantage(Y, SCORE, w),
    "balanced_accuracy_best": lambda w: ROC.balanced_accuracy_best(Y, SCORE, w),
    "calibration_slope": lambda w: R.calibration_slope(Y, PROBA, w),
    "calibration_intercept": lambda w: R.calibration_intercept(Y, PROBA, w),
    "ood_auroc": lambda w: O.ood_auroc(Y, SCORE, w),
    "fpr_at_tpr": lambda w: O.fpr_at_tpr(Y, SCORE, 0.9, w),
    "aurc": lambda w: S.aurc(SCORE, ERROR, w),
    "excess_aurc": lambda w: S.excess_aurc(SCORE, ERROR, w),
    "selected_fraction": lambda w: S.selected_fraction(SCORE, 0.7, w),
    "selective_rates": lambda w: S.selective_rates(Y, PRED, SCORE, 0.7, w),
    "selective_group_rates": lambda w: S.selective_group_rates(Y, PRED, SCORE, 0.7, GROUPS, w),
    "conformal_quantile": lambda w: C.conformal_quantile(CONFORMITY, 0.9, w),
    "mondrian_thresholds": lambda w: C.mondrian_thresholds(CONFORMITY, GROUPS, GROUPS, 0.9, w),
    "split_conformal": lambda w: C.split_conformal(PROBA, Y, PROBA, Y, 0.9, weights=w),
    "set_means": lambda w: SM.set_means(PROBA, Y, 0.6, "lac", w, {"g": GROUPS}),
    "row_mean": lambda w: row_mean(SCORE, w),
}


def _leaves(value):
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _leaves(value[k])]
    if isinstance(value, tuple | list):
        return [x for v in value for x in _leaves(v)]
    if dataclasses.is_dataclass(value):
        return [x for f in dataclasses.fields(value) for x in _leaves(getattr(value, f.name))]
    return [np.asarray(value)]


@pytest.mark.parametrize("name", list(CASES))
def test_chunks_of_a_few_replicates_give_the_values_of_one_pass(name):
    whole = CASES[name](W)
    with chunk_memory(0.1):  # 1,638 elements: 4 replicates of 400 rows a chunk
        assert replicate_chunk_rows(N) == 4
        chunked = CASES[name](W)
    for a, b in zip(_leaves(whole), _leaves(chunked), strict=True):
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-12, equal_nan=True)
        else:
            np.testing.assert_array_equal(b, a)


def _weighted_public_functions():
    for info in pkgutil.iter_modules(metrics_pkg.__path__):
        if info.name.startswith(("data_", "explain_", "_ranking", "weights", "coverage")):
            continue  # data and explanation metrics run on bounded rows or chunk themselves
        module = importlib.import_module(f"trustbench.metrics.{info.name}")
        for name, fn in vars(module).items():
            if (
                inspect.isfunction(fn)
                and fn.__module__ == module.__name__
                and "weights" in inspect.signature(fn).parameters
                and (not name.startswith("_") or name == "row_mean")
            ):
                yield f"{info.name}.{name}", fn


def test_every_public_weighted_metric_is_evaluated_in_chunks():
    found = dict(_weighted_public_functions())
    assert len(found) > 40
    vector_only = {"uncertainty_selective.risk_coverage_curve"}  # a plot's curve: weights (n,)
    unchunked = [
        name
        for name, fn in found.items()
        if not hasattr(fn, "__wrapped__") and name not in vector_only
    ]
    assert unchunked == []


def test_bootstrap_counts_are_one_byte_and_the_stream_of_a_single_draw():
    n, n_boot = 1000, 50
    counts = bootstrap_counts(n, n_boot, np.random.default_rng(11))
    idx = np.random.default_rng(11).integers(0, n, size=(n_boot, n))
    reference = np.stack([np.bincount(row, minlength=n) for row in idx])
    assert counts.dtype == np.uint8
    np.testing.assert_array_equal(counts, reference)
    assert (counts.sum(axis=1) == n).all()


def test_bootstrap_counts_drawn_in_blocks_equal_one_draw(monkeypatch):
    from trustbench.metrics import weights

    whole = bootstrap_counts(500, 40, np.random.default_rng(5))
    monkeypatch.setattr(weights, "_DRAW_ELEMENTS", 1200)  # 2 replicates a block
    np.testing.assert_array_equal(bootstrap_counts(500, 40, np.random.default_rng(5)), whole)


def test_stacked_keeps_one_byte_counts():
    counts = bootstrap_counts(10, 3, np.random.default_rng(0))
    w = stacked(counts)
    assert w.dtype == np.uint8 and w.shape == (4, 10)
    assert (w[0] == 1).all() and (w[1:] == counts).all()
    assert stacked(counts.astype(float)).dtype == np.float64


def test_map_chunks_transforms_each_chunk_and_joins_them():
    shift = RNG.uniform(0.5, 2.0, N)
    whole = P.roc_auc(Y, PROBA, W * shift)
    with chunk_memory(0.1):
        chunked = map_chunks(lambda c: P.roc_auc(Y, PROBA, c * shift), W)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-12)


def test_concat_keeps_the_fixed_parts_from_the_first_chunk():
    parts = [(np.array(["a", "b"]), np.ones((2, 2))), (np.array(["a", "b"]), np.zeros((1, 2)))]
    labels, values = _concat(parts, (0,))
    assert list(labels) == ["a", "b"] and values.shape == (3, 2)
    with pytest.raises(TypeError, match="cannot join"):
        _concat([1.0, 2.0], ())


def test_chunk_memory_rejects_a_budget_that_is_not_positive():
    from trustbench.errors import TrustbenchError

    with pytest.raises(TrustbenchError, match="positive number of MiB"):
        with chunk_memory(0):
            pass


def test_set_means_equals_the_row_level_sets():
    q = np.linspace(0.4, 0.7, B + 1)
    covered, size = C.coverage_and_size(PROBA, Y, q, "lac")
    means = SM.set_means(PROBA, Y, q, "lac", W, {"g": GROUPS})
    w = W.astype(float)
    np.testing.assert_allclose(means["coverage"], (w * covered).sum(1) / w.sum(1), atol=1e-12)
    np.testing.assert_allclose(means["set_size"], (w * size).sum(1) / w.sum(1), atol=1e-12)
    for g, label in enumerate(np.unique(GROUPS)):
        rows = GROUPS == label
        want = (w[:, rows] * covered[:, rows]).sum(1) / w[:, rows].sum(1)
        np.testing.assert_allclose(means["groups"]["g"]["coverage"][:, g], want, atol=1e-12)


def test_set_means_with_one_threshold_per_group_equals_mondrian_row_thresholds():
    rows = C.mondrian_thresholds(CONFORMITY, GROUPS, GROUPS, 0.9, W)
    groups, codes = np.unique(GROUPS, return_inverse=True)
    per_group = C.mondrian_thresholds(CONFORMITY, GROUPS, groups, 0.9, W)
    a = SM.set_means(PROBA, Y, rows, "aps", W, {"g": GROUPS})
    b = SM.set_means(PROBA, Y, per_group, "aps", W, {"g": GROUPS}, threshold_codes=codes)
    for x, y in zip(_leaves(a), _leaves(b), strict=True):
        np.testing.assert_allclose(y, x, atol=1e-12, equal_nan=True)


def test_selective_group_rates_equal_selective_rates_within_each_group():
    out = S.selective_group_rates(Y, PRED, SCORE, 0.7, GROUPS, W)
    for g, label in enumerate(out["groups"]):
        one = S.selective_rates(Y, PRED, SCORE, 0.7, W, rows=GROUPS == label)
        for name in ("accuracy", "sensitivity", "retained"):
            np.testing.assert_allclose(out[name][:, g], one[name], atol=1e-12, equal_nan=True)


def test_the_chunk_follows_the_widest_per_replicate_matrix():
    from trustbench.metrics.weights import replicated

    seen = []

    @replicated(rows={"threshold": (1, 2)})
    def widths(threshold, weights=None):
        seen.append(np.shape(weights)[0])
        return np.asarray(weights, float).sum(axis=1)

    per_group = np.zeros((B + 1, 2))  # (B, G) before (B, n) in the signature
    with chunk_memory(0.1):
        widths(per_group, W)
        assert max(seen) == replicate_chunk_rows(N) == 4


def test_a_chunk_holds_at_least_32_replicates_and_otherwise_follows_the_budget(monkeypatch):
    from trustbench.metrics import weights

    monkeypatch.setattr(weights, "_MIN_CHUNK_ROWS", 32)
    with chunk_memory(64):  # 1M elements
        assert replicate_chunk_rows(1_000) == 1048
        assert replicate_chunk_rows(300_000) == 32  # the floor: 3 by the budget alone
    with chunk_memory(1024):
        assert replicate_chunk_rows(300_000) == 55
