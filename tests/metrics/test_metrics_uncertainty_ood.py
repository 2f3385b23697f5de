"""OOD detection: AUROC and FPR at 95% TPR against scikit-learn (weighted, on resampled rows),
the scores against scipy, and the Mahalanobis score against an explicit inverse."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import entropy
from sklearn.metrics import roc_auc_score, roc_curve

from trustbench.metrics import uncertainty_ood as O
from trustbench.metrics.weights import bootstrap_counts


def _sklearn_fpr_at_tpr(is_ood, score, level, weights=None):
    fpr, tpr, _ = roc_curve(is_ood, score, sample_weight=weights, drop_intermediate=False)
    return fpr[np.argmax(tpr >= level)]


@pytest.fixture(scope="module")
def split_scores():
    rng = np.random.default_rng(0)
    score = np.concatenate([rng.normal(0, 1, 300), rng.normal(1.2, 1, 200)])
    score = np.round(score, 1)  # ties
    return np.concatenate([np.zeros(300), np.ones(200)]), score, rng


def test_auroc_and_fpr_at_tpr_equal_scikit_learn(split_scores):
    is_ood, score, rng = split_scores
    assert O.ood_auroc(is_ood, score) == pytest.approx(roc_auc_score(is_ood, score), abs=1e-12)
    for level in (0.95, 0.8):
        assert O.fpr_at_tpr(is_ood, score, level) == pytest.approx(
            _sklearn_fpr_at_tpr(is_ood, score, level), abs=1e-12
        )
    w = rng.random(len(score))
    assert O.ood_auroc(is_ood, score, w) == pytest.approx(
        roc_auc_score(is_ood, score, sample_weight=w), abs=1e-12
    )
    assert O.fpr_at_tpr(is_ood, score, 0.95, w) == pytest.approx(
        _sklearn_fpr_at_tpr(is_ood, score, 0.95, w), abs=1e-12
    )


def test_replicates_resampling_both_splits_equal_the_resampled_rows(split_scores):
    is_ood, score, rng = split_scores
    counts = np.hstack([bootstrap_counts(300, 6, rng), bootstrap_counts(200, 6, rng)])
    auroc = O.ood_auroc(is_ood, score, counts)
    fpr = O.fpr_at_tpr(is_ood, score, 0.95, counts)
    for b in range(6):
        r = np.repeat(np.arange(len(score)), counts[b])
        assert auroc[b] == pytest.approx(roc_auc_score(is_ood[r], score[r]), abs=1e-12)
        assert fpr[b] == pytest.approx(_sklearn_fpr_at_tpr(is_ood[r], score[r], 0.95), abs=1e-12)


def test_scores_of_probabilities_and_logits():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 4))
    proba = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    np.testing.assert_allclose(O.msp_score(proba), 1 - proba.max(axis=1))
    np.testing.assert_allclose(O.entropy_score(proba), entropy(proba, axis=1), atol=1e-12)
    np.testing.assert_allclose(O.energy_score(logits), -logsumexp(logits, axis=1))
    assert O.entropy_score(np.array([[1.0, 0.0]]))[0] == 0.0


def test_mahalanobis_uses_class_means_and_the_tied_covariance():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    Z = rng.normal(size=(400, 3)) @ np.array([[1, 0.5, 0], [0, 1, 0.3], [0, 0, 1]]) + 2 * y[:, None]
    fitted = O.MahalanobisScore().fit(Z, y)
    means = np.stack([Z[y == k].mean(axis=0) for k in (0, 1)])
    centred = Z - means[y]
    precision = np.linalg.inv(centred.T @ centred / len(Z))
    new = rng.normal(size=(20, 3)) * 3
    expected = np.min(
        [np.einsum("nd,de,ne->n", new - m, precision, new - m) for m in means], axis=0
    )
    np.testing.assert_allclose(fitted.score(new), expected, rtol=1e-10)
    # a singular covariance (a constant column) is handled by the pseudo-inverse
    flat = np.column_stack([Z, np.ones(len(Z))])
    assert np.all(np.isfinite(O.MahalanobisScore().fit(flat, y).score(flat)))
    # rows far from the training data score higher
    assert fitted.score(Z + 10).mean() > fitted.score(Z).mean()
