import numpy as np
import pytest
from scipy.stats import spearmanr

from trustbench.metrics import bootstrap_counts
from trustbench.metrics.explainability import (
    curve_auc,
    deletion_auc,
    deletion_masks,
    deletion_order,
    feature_agreement,
    global_rank_correlation,
)


def test_deletion_order_is_most_relevant_first_with_stable_ties():
    ranks = deletion_order(np.array([[0.1, 0.9, 0.5], [1.0, 1.0, -2.0]]))
    assert ranks.tolist() == [[2, 0, 1], [0, 1, 2]]


def test_deletion_masks_remove_k_features_at_step_k():
    masks = deletion_masks(np.array([[0.1, 0.9, 0.5]]))
    assert masks.shape == (4, 1, 3)
    assert masks[:, 0].tolist() == [
        [False, False, False],
        [False, True, False],
        [False, True, True],
        [True, True, True],
    ]


def test_curve_auc_hand_computed():
    # trapezoid over fractions 0, 1/2, 1: (1 + 0.5)/2 * 0.5 + (0.5 + 0)/2 * 0.5 = 0.5
    assert curve_auc(np.array([[1.0, 0.5, 0.0]])).tolist() == [0.5]
    np.testing.assert_allclose(curve_auc(np.array([[1.0, 1.0, 1.0, 1.0]])), [1.0])
    curves = np.random.default_rng(0).random((5, 7))
    np.testing.assert_allclose(curve_auc(curves), np.trapezoid(curves, dx=1 / 6, axis=1))


def test_deletion_auc_weights_match_resampled_rows():
    curves = np.random.default_rng(1).random((20, 5))
    counts = bootstrap_counts(20, 30, np.random.default_rng(2))
    replicates = deletion_auc(curves, weights=counts)
    for b in range(30):
        assert replicates[b] == pytest.approx(
            deletion_auc(np.repeat(curves, counts[b], axis=0)), abs=1e-12
        )


def test_feature_agreement_hand_computed():
    truth = np.array([3.0, -2.0, 0.0, 0.0])
    attributions = np.array(
        [
            [0.9, 0.8, 0.1, 0.0],  # top-2 = {0, 1}: full agreement
            [0.9, 0.0, -0.8, 0.1],  # top-2 = {0, 2}: half
            [0.0, 0.0, 0.5, 0.9],  # top-2 = {3, 2}: none
        ]
    )
    assert feature_agreement(attributions, truth, k=2) == pytest.approx(0.5)
    assert feature_agreement(attributions, truth, k=2, weights=np.array([1, 0, 0])) == 1.0
    with pytest.raises(ValueError, match="k must be in"):
        feature_agreement(attributions, truth, k=5)


def test_global_rank_correlation_matches_scipy_spearman():
    rng = np.random.default_rng(3)
    attributions = rng.normal(size=(40, 6))
    truth = np.array([2.0, -1.5, 1.0, -1.0, 0.0, 0.0])  # ties in |truth|
    expected = spearmanr(np.abs(attributions).mean(0), np.abs(truth)).statistic
    assert global_rank_correlation(attributions, truth) == pytest.approx(expected, abs=1e-12)
    counts = bootstrap_counts(40, 10, rng)
    replicates = global_rank_correlation(attributions, truth, weights=counts)
    for b in range(10):
        resampled = np.repeat(attributions, counts[b], axis=0)
        assert replicates[b] == pytest.approx(
            spearmanr(np.abs(resampled).mean(0), np.abs(truth)).statistic, abs=1e-12
        )
