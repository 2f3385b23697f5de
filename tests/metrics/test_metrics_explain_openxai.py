"""Ground-truth agreement against an independent, loop-by-loop reading of OpenXAI's definitions.

The reference below is written from the definitions of ``openxai/metrics.py``
(``eval_ground_truth_faithfulness`` for FA/RA/SA, ``pairwise_comp`` for PRA, ``rankcorr``
for RC): per row and per pair, with Python sets and scipy, on inputs full of ties. Top-k
ties are taken in column order (the documented rule; OpenXAI leaves it to ``np.argsort``).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import pearsonr
from sklearn.linear_model import LogisticRegression

from trustbench.metrics import bootstrap_counts
from trustbench.metrics import explain_groundtruth as gt


def _top_k(values, k):
    return sorted(range(len(values)), key=lambda j: (-abs(values[j]), j))[:k]


def _dense(values):
    """1 for the largest magnitude; equal magnitudes share a rank, no rank is skipped."""
    levels = sorted({abs(v) for v in values}, reverse=True)
    return [levels.index(abs(v)) + 1 for v in values]


def _sign(v):
    return int(v > 0) - int(v < 0)


def ref_fa(a, g, k):
    return [len(set(_top_k(row, k)) & set(_top_k(g, k))) / k for row in a]


def ref_ra(a, g, k):
    # OpenXAI labels each top-k position "feat<j>rank<dense rank>" and compares positions
    truth = [f"{j}:{_dense(g)[j]}" for j in _top_k(g, k)]
    return [
        sum(f"{j}:{_dense(row)[j]}" == t for j, t in zip(_top_k(row, k), truth, strict=True)) / k
        for row in a
    ]


def ref_sa(a, g, k, classes):
    scores = []
    for row, c in zip(a, classes, strict=True):
        signed = [(2 * c - 1) * v for v in g]  # OpenXAI: (predictions * 2 - 1) * ground_truth
        mine = {(j, _sign(row[j])) for j in _top_k(row, k)}
        truth = {(j, _sign(signed[j])) for j in _top_k(signed, k)}
        scores.append(len(mine & truth) / k)
    return scores


def ref_pra(a, g):
    d, rg = len(g), _dense(g)
    scores = []
    for row in a:
        ra = _dense(row)
        same = sum(
            (ra[j] < ra[m]) == (rg[j] < rg[m]) for j, m in itertools.combinations(range(d), 2)
        )
        scores.append(same / math.comb(d, 2))
    return scores


def ref_rc(a, g):
    with np.errstate(invalid="ignore", divide="ignore"):
        return [
            pearsonr(_dense(row), _dense(g)).statistic if len(set(np.abs(row))) > 1 else np.nan
            for row in a
        ]


def _case(seed):
    """Integer-valued attributions and truth: ties everywhere, zeros, both signs."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(3, 9))
    a = rng.integers(-3, 4, size=(25, d)).astype(float)
    g = rng.integers(-2, 3, size=d).astype(float)
    g[0] = 3.0  # at least one non-zero truth
    classes = rng.integers(0, 2, size=25)
    return a, g, classes, int(rng.integers(1, d + 1))


@pytest.mark.parametrize("seed", range(12))
def test_ground_truth_metrics_equal_the_openxai_definitions(seed):
    a, g, classes, k = _case(seed)
    assert gt.feature_agreement(a, g, k) == pytest.approx(np.mean(ref_fa(a, g, k)))
    assert gt.rank_agreement(a, g, k) == pytest.approx(np.mean(ref_ra(a, g, k)))
    assert gt.sign_agreement(a, g, k, explained_class=classes) == pytest.approx(
        np.mean(ref_sa(a, g, k, classes))
    )
    assert gt.pairwise_rank_agreement(a, g) == pytest.approx(np.mean(ref_pra(a, g)))
    assert gt.rank_correlation(a, g) == pytest.approx(np.nanmean(ref_rc(a, g)), abs=1e-12)


def test_bootstrap_weights_equal_resampled_rows():
    a, g, classes, k = _case(99)
    counts = bootstrap_counts(len(a), 15, np.random.default_rng(5))
    metrics = [
        (gt.feature_agreement, (k,)),
        (gt.rank_agreement, (k,)),
        (gt.pairwise_rank_agreement, ()),
        (gt.pairwise_rank_agreement_untied, ()),
        (gt.rank_correlation, ()),
    ]
    for fn, extra in metrics:
        replicates = fn(a, g, *extra, weights=counts)
        for b in range(15):
            keep = np.repeat(np.arange(len(a)), counts[b])
            assert replicates[b] == pytest.approx(fn(a[keep], g, *extra), abs=1e-12), fn
    replicates = gt.sign_agreement(a, g, k, explained_class=classes, weights=counts)
    for b in range(15):
        keep = np.repeat(np.arange(len(a)), counts[b])
        assert replicates[b] == pytest.approx(
            gt.sign_agreement(a[keep], g, k, explained_class=classes[keep])
        )


def test_a_perfect_gradient_explainer_on_a_logistic_model_scores_sign_agreement_one():
    rng = np.random.default_rng(0)
    truth = np.array([2.0, -1.5, 1.0, -0.5, 0.0, 0.0])  # the data-generating logit
    X = rng.normal(size=(3000, len(truth)))
    y = (rng.random(3000) < 1 / (1 + np.exp(-X @ truth))).astype(int)
    model = LogisticRegression().fit(X, y)
    rows = X[:200]
    p = model.predict_proba(rows)[:, 1]
    explained = (p > 0.5).astype(int)  # the predicted class, as the suite explains
    assert 40 < explained.sum() < 160  # rows of both classes
    # d P(explained class | x) / dx: +p(1-p) coef for class 1, -p(1-p) coef for class 0
    gradient = ((2 * explained - 1) * p * (1 - p))[:, None] * model.coef_[0][None, :]
    k = 4
    assert gt.feature_agreement(gradient, truth, k) == 1.0
    assert gt.sign_agreement(gradient, truth, k, explained_class=explained) == 1.0
    # comparing with g itself on every row credits only the class-1 rows
    unflipped = gt.sign_agreement(gradient, truth, k, explained_class=np.ones_like(explained))
    assert unflipped == pytest.approx(explained.mean())
