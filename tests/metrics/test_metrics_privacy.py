"""Membership-inference metrics against scikit-learn's ROC curve and scipy's KS test."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import sklearn.metrics as skm

import trustbench.metrics as tm
from trustbench.errors import TrustbenchError

ATOL = 1e-9
ALPHAS = [0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 1.0]


def _data(seed: int, n: int = 300, tied: bool = False):
    rng = np.random.default_rng(seed)
    member = rng.integers(0, 2, n)
    score = rng.normal(size=n) + 0.8 * member
    if tied:
        score = np.round(score, 1)
    return member, score


def _has_both(member):
    return np.any(member == 1) and np.any(member == 0)


def _ref_auc(member, score, w=None):
    return skm.roc_auc_score(member, score, sample_weight=w) if _has_both(member) else np.nan


def _ref_tpr_at_fpr(member, score, alpha, w=None):
    if not _has_both(member):
        return np.nan
    fpr, tpr, _ = skm.roc_curve(member, score, sample_weight=w, drop_intermediate=False)
    return tpr[fpr <= alpha].max()


def _ref_advantage(member, score, w=None):
    if not _has_both(member):
        return np.nan
    fpr, tpr, _ = skm.roc_curve(member, score, sample_weight=w, drop_intermediate=False)
    return np.max(tpr - fpr)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_values_match_references(seed, tied):
    member, score = _data(seed, tied=tied)
    auc = tm.attack_auc(member, score)
    assert type(auc) is float
    assert auc == pytest.approx(_ref_auc(member, score), abs=ATOL)
    for alpha in ALPHAS:
        assert tm.tpr_at_fpr(member, score, alpha) == pytest.approx(
            _ref_tpr_at_fpr(member, score, alpha), abs=ATOL
        ), alpha
    adv = tm.attacker_advantage(member, score)
    assert adv == pytest.approx(_ref_advantage(member, score), abs=ATOL)
    ks = scipy.stats.ks_2samp(score[member == 0], score[member == 1], alternative="greater")
    assert adv == pytest.approx(ks.statistic, abs=ATOL)


@pytest.mark.parametrize("tied", [False, True])
def test_row_weights_match_sample_weight(tied):
    member, score = _data(5, tied=tied)
    w = np.random.default_rng(0).exponential(size=member.shape[0])
    w[:20] = 0.0
    assert tm.attack_auc(member, score, w) == pytest.approx(_ref_auc(member, score, w), abs=ATOL)
    assert tm.attacker_advantage(member, score, w) == pytest.approx(
        _ref_advantage(member, score, w), abs=ATOL
    )
    for alpha in ALPHAS:
        assert tm.tpr_at_fpr(member, score, alpha, w) == pytest.approx(
            _ref_tpr_at_fpr(member, score, alpha, w), abs=ATOL
        ), alpha


@pytest.mark.parametrize("tied", [False, True])
def test_bootstrap_rows_match_resampled_reference(tied):
    member, score = _data(8, n=60, tied=tied)
    n = member.shape[0]
    counts = tm.bootstrap_counts(n, 20, np.random.default_rng(1))
    counts[0, member == 1] = 0  # no members
    auc = tm.attack_auc(member, score, counts)
    adv = tm.attacker_advantage(member, score, counts)
    tprs = {a: tm.tpr_at_fpr(member, score, a, counts) for a in (0.05, 0.2)}
    assert auc.shape == adv.shape == (20,)
    for b in range(20):
        idx = np.repeat(np.arange(n), counts[b])
        m, s = member[idx], score[idx]
        np.testing.assert_allclose(auc[b], _ref_auc(m, s), rtol=0, atol=ATOL)
        np.testing.assert_allclose(adv[b], _ref_advantage(m, s), rtol=0, atol=ATOL)
        for a, values in tprs.items():
            np.testing.assert_allclose(values[b], _ref_tpr_at_fpr(m, s, a), rtol=0, atol=ATOL)
    assert np.isnan(auc[0]) and np.isnan(adv[0]) and np.isnan(tprs[0.05][0])


def test_hand_computed_four_rows():
    member = np.array([1, 1, 0, 0])
    score = np.array([0.9, 0.4, 0.6, 0.1])
    # ROC points (FPR, TPR): (0, 0), (0, .5), (.5, .5), (.5, 1), (1, 1).
    assert tm.tpr_at_fpr(member, score, 0.0) == 0.5
    assert tm.tpr_at_fpr(member, score, 0.49) == 0.5
    assert tm.tpr_at_fpr(member, score, 0.5) == 1.0
    assert tm.attacker_advantage(member, score) == 0.5
    assert tm.attack_auc(member, score) == 0.75  # pairs: >, >, <, >


def test_collinear_roc_points_are_kept():
    # Each tie group holds one member and one non-member: ROC points (k/4, k/4).
    member = np.tile([1, 0], 4)
    score = np.repeat([4.0, 3.0, 2.0, 1.0], 2)
    assert tm.tpr_at_fpr(member, score, 0.6) == 0.5
    # scikit-learn's default drop_intermediate=True drops the collinear points (2/4, 2/4) and
    # (3/4, 3/4), so the naive reference would report 1/4.
    fpr, tpr, _ = skm.roc_curve(member, score)
    assert tpr[fpr <= 0.6].max() == 0.25
    assert tm.attacker_advantage(member, score) == pytest.approx(0.0, abs=1e-15)
    assert tm.attack_auc(member, score) == 0.5


def test_reversed_attack_has_zero_advantage():
    member = np.array([1, 1, 0, 0])
    score = np.array([0.1, 0.2, 0.8, 0.9])
    assert tm.attacker_advantage(member, score) == 0.0
    assert tm.attack_auc(member, score) == 0.0
    assert tm.tpr_at_fpr(member, score, 0.1) == 0.0


def test_perfect_attack():
    member = np.array([1, 1, 0, 0])
    score = np.array([0.8, 0.9, 0.1, 0.2])
    assert tm.attacker_advantage(member, score) == 1.0
    assert tm.attack_auc(member, score) == 1.0
    assert tm.tpr_at_fpr(member, score, 0.0) == 1.0


def test_single_class_is_nan():
    member = np.ones(5, dtype=int)
    score = np.arange(5.0)
    assert np.isnan(tm.attack_auc(member, score))
    assert np.isnan(tm.tpr_at_fpr(member, score, 0.1))
    assert np.isnan(tm.attacker_advantage(member, score))


@pytest.mark.parametrize(
    "member, score, fpr",
    [
        (np.array([0, 2]), np.array([0.1, 0.2]), 0.1),
        (np.array([0, 1]), np.array([0.1, np.nan]), 0.1),
        (np.array([0, 1]), np.array([0.1, 0.2, 0.3]), 0.1),
        (np.array([0, 1]), np.array([0.1, 0.2]), 1.5),
        (np.array([0, 1]), np.array([0.1, 0.2]), -0.1),
    ],
)
def test_bad_inputs_raise(member, score, fpr):
    with pytest.raises(TrustbenchError):
        tm.tpr_at_fpr(member, score, fpr)
