"""Explanation metrics on hand-computed cases, and bootstrap weights equal resampled rows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy
from scipy.stats import spearmanr

from trustbench.metrics import bootstrap_counts
from trustbench.metrics import explain_faithfulness as ff
from trustbench.metrics import explain_groundtruth as gt
from trustbench.metrics import explain_robustness as rb
from trustbench.metrics._rows import row_mean
from trustbench.metrics.explain_complexity import entropy, sparseness
from trustbench.metrics.explain_fairness import group_gap
from trustbench.metrics.explain_sanity import randomisation_similarity, spearman_rows

TRUTH = np.array([3.0, -2.0, 1.0, 0.0])
A = np.array(
    [
        [0.9, -0.8, 0.1, 0.0],  # top-2 {0, 1} in order, signs right
        [-0.8, 0.0, 0.9, 0.1],  # top-2 {2, 0}: FA 1/2, RA 0, SA 0 (feature 0 has the wrong sign)
        [0.0, 0.5, 0.0, 0.9],  # top-2 {3, 1}: FA 1/2, RA 1/2 (feature 1 at rank 2), SA 0
    ]
)


def test_ground_truth_agreements_hand_computed():
    assert gt.feature_agreement(A, TRUTH, k=2) == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert gt.rank_agreement(A, TRUTH, k=2) == pytest.approx((1 + 0 + 0.5) / 3)
    positive = np.ones(3, dtype=int)
    assert gt.sign_agreement(A, TRUTH, k=2, explained_class=positive) == pytest.approx(1 / 3)
    # PRA over the 6 pairs (all |g| distinct):
    # |a0| = .9 .8 .1 0 vs |g| = 3 2 1 0 -> all 6 agree
    row0 = 1.0
    # |a1| = .8 0 .9 .1: pairs (0,1)+ (0,2)- (0,3)+ (1,2)- (1,3)- (2,3)+ -> 3/6
    row1 = 0.5
    # |a2| = 0 .5 0 .9: (0,1)- (0,2) tie=no (0,3)- (1,2)+ (1,3)- (2,3)- -> 1/6
    row2 = 1 / 6
    assert gt.pairwise_rank_agreement(A, TRUTH) == pytest.approx((row0 + row1 + row2) / 3)
    assert gt.pairwise_rank_agreement_untied(A, TRUTH) == pytest.approx((row0 + row1 + row2) / 3)
    with pytest.raises(ValueError, match="k must be in"):
        gt.rank_agreement(A, TRUTH, k=0)


def test_sign_agreement_negates_the_truth_on_rows_explaining_class_0():
    # truth top-2 = {0, 1}; on class-0 rows the truth reads (-3, 2, -1, 0)
    # row 0, class 1: features 0, 1 shared, signs (+, -) as g -> 1
    # row 1, class 0: top-2 {2, 0}, shared {0}: a = -0.8, -g = -3 -> 1/2
    # row 2, class 0: top-2 {3, 1}, shared {1}: a = 0.5, -g = 2 -> 1/2
    classes = np.array([1, 0, 0])
    assert gt.sign_agreement(A, TRUTH, 2, explained_class=classes) == pytest.approx(
        (1 + 0.5 + 0.5) / 3
    )
    # the same attributions negated explain the other class equally well
    assert gt.sign_agreement(-A, TRUTH, 2, explained_class=1 - classes) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"explained_class must be 0 .* received \[2\]"):
        gt.sign_agreement(A, TRUTH, 2, explained_class=np.array([1, 2, 0]))
    with pytest.raises(ValueError, match=r"one class per explained row, shape \(3,\)"):
        gt.sign_agreement(A, TRUTH, 2, explained_class=np.array([1, 0]))
    with pytest.raises(ValueError, match=r"truth must have shape \(d,\) = \(4,\)"):
        gt.sign_agreement(A, TRUTH[:3], 2, explained_class=classes)


def test_rank_agreement_asks_a_tie_of_the_truth_to_be_matched_by_a_tie():
    truth = np.array([3.0, 1.0, 1.0, 0.0])  # dense ranks 1 2 2 3; top-3 order 0 1 2
    a = np.array(
        [
            [0.9, 0.5, 0.4, 0.0],  # order 0 1 2, ranks 1 2 3: position 3 has rank 3 != 2
            [0.9, 0.5, 0.5, 0.0],  # the same tie: 3/3
            [0.9, 0.4, 0.5, 0.0],  # order 0 2 1: only position 1 -> 1/3
        ]
    )
    assert gt.rank_agreement(a, truth, k=3) == pytest.approx((2 / 3 + 1 + 1 / 3) / 3)
    assert gt.rank_agreement(a, truth, k=2) == pytest.approx((1 + 1 + 0.5) / 3)


def test_pairwise_rank_agreement_counts_tied_pairs_as_openxai():
    truth = np.array([3.0, 1.0, 1.0, 0.0])  # pair (1, 2) ties in |g|
    a = np.array(
        [
            [0.9, 0.4, 0.5, 0.0],  # (1,2): |a1| > |a2| False = |g1| > |g2| False: 6/6
            [0.9, 0.5, 0.4, 0.0],  # (1,2): True vs False: 5/6
            [0.9, 0.5, 0.5, 0.0],  # tied in both: 6/6
        ]
    )
    assert gt.pairwise_rank_agreement(a, truth) == pytest.approx((1 + 5 / 6 + 1) / 3)
    # the untied variant leaves pair (1, 2) out: every row orders the other 5 pairs right
    assert gt.pairwise_rank_agreement_untied(a, truth) == pytest.approx(1.0)
    # a tie in |a| where |g| orders the pair disagrees in both
    distinct = np.array([3.0, 2.0, 1.0, 0.0])
    tied = np.array([[1.0, 1.0, 0.5, 0.0]])
    assert gt.pairwise_rank_agreement(tied, distinct) == pytest.approx(5 / 6)
    assert gt.pairwise_rank_agreement_untied(tied, distinct) == pytest.approx(5 / 6)
    assert np.isnan(gt.pairwise_rank_agreement(np.ones((2, 1)), np.ones(1)))


def test_rank_correlation_is_per_row_on_dense_ranks():
    truth = np.array([3.0, 2.0, 1.0, 0.0])
    a = np.array([[4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0]])
    # +1, -1 and an undefined (constant) row, left out of the mean
    assert gt.rank_correlation(a, truth) == pytest.approx(0.0)
    assert gt.rank_correlation(a, truth, weights=np.array([3, 1, 5])) == pytest.approx(0.5)
    # dense ranks of |g| = (3, 3, 1, 0): 1 1 2 3 against 1 2 3 4: cov 3.5, var 2.75 and 5
    tied = np.array([3.0, 3.0, 1.0, 0.0])
    expected = 3.5 / np.sqrt(2.75 * 5)
    assert gt.rank_correlation(a[:1], tied) == pytest.approx(expected)
    assert expected != pytest.approx(spearmanr(a[0], tied).statistic)  # not average ranks
    # the per-row mean is not the correlation of the mean attribution
    rows = np.array([[3.0, 2.0, 1.0], [1.0, 3.0, 2.0]])
    assert gt.rank_correlation(rows, np.array([3.0, 2.0, 1.0])) == pytest.approx((1 - 0.5) / 2)
    assert gt.global_rank_correlation(rows, np.array([3.0, 2.0, 1.0])) == pytest.approx(0.5)


def test_untied_k_moves_k_off_ties_of_the_truth():
    synthetic = np.array([2.0, -1.5, 1.0, -0.5, 0.0, 0.0, 1.0, 0.5, 0.0])  # load_synthetic's g
    assert gt.untied_k(synthetic, 3) == 2  # x2 and c0 tie at 1.0 across position 3
    assert gt.untied_k(synthetic, 4) == 4
    assert gt.untied_k(synthetic, 5) == 4
    assert gt.untied_k(synthetic, 9) == 9
    assert gt.untied_k(np.array([1.0, -1.0, 1.0, 0.0]), 2) == 3  # raised: top group of 3
    with pytest.raises(ValueError, match="k must be in"):
        gt.untied_k(synthetic, 10)
    # with the moved k the truth's top-k set no longer depends on column order
    a = np.array([[2.0, 1.5, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]])  # ranks c0 third
    assert gt.feature_agreement(a, synthetic, 3) == pytest.approx(2 / 3)  # x2 by column order
    swapped = synthetic[[0, 1, 6, 3, 4, 5, 2, 7, 8]]  # c0 and x2 exchange columns
    assert gt.feature_agreement(a[:, [0, 1, 6, 3, 4, 5, 2, 7, 8]], swapped, 3) == 1.0
    k = gt.untied_k(synthetic, 3)
    assert gt.feature_agreement(a, synthetic, k) == 1.0
    assert gt.feature_agreement(a[:, [0, 1, 6, 3, 4, 5, 2, 7, 8]], swapped, k) == 1.0


def test_removal_and_insertion_masks_with_fewer_steps_than_features():
    a = np.array([[0.1, 0.9, 0.5, 0.3]])
    masks = ff.deletion_masks(a, n_steps=2)
    assert masks[:, 0].tolist() == [
        [False, False, False, False],
        [False, True, True, False],
        [True, True, True, True],
    ]
    ins = ff.insertion_masks(a, n_steps=2)
    assert (ins == ~masks).all()
    img = ff.deletion_masks(np.arange(8.0).reshape(1, 2, 4), n_steps=4)
    assert img.shape == (5, 1, 8) and img[1, 0].tolist() == [False] * 6 + [True] * 2


def test_pgi_pgu_insertion_hand_computed():
    deletion = np.array([[0.9, 0.5, 0.2], [0.8, 0.8, 0.1]])
    insertion = np.array([[0.1, 0.7, 0.9], [0.3, 0.6, 0.8]])
    assert ff.pgi_removal(deletion, step=1) == pytest.approx((0.4 + 0.0) / 2)
    assert ff.pgu_removal(deletion, insertion, step=1) == pytest.approx((0.2 + 0.2) / 2)
    assert ff.insertion_auc(insertion) == pytest.approx(
        np.mean(np.trapezoid(insertion, dx=0.5, axis=1))
    )


def test_random_subsets_have_the_requested_size():
    masks = ff.random_subsets(np.random.default_rng(0), 7, 5, 10, 3)
    assert masks.shape == (7, 5, 10) and (masks.sum(axis=2) == 3).all()
    a = np.arange(50.0).reshape(5, 10)
    np.testing.assert_allclose(ff.subset_sums(a, masks)[2, 4], a[2][masks[4, 2]].sum())


class _TiedKeys:
    """A generator whose keys tie everywhere: the k-th key is never unique."""

    def random(self, shape, dtype=np.float64):
        return np.full(shape, 0.5, dtype=dtype)


def test_random_subsets_keep_the_size_when_keys_tie():
    masks = ff.random_subsets(_TiedKeys(), 3, 4, 6, 2)
    assert (masks.sum(axis=2) == 2).all()


def test_faithfulness_correlation_is_one_for_additive_models():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 6))
    masks = ff.random_subsets(rng, 9, 4, 6, 2)
    sums = ff.subset_sums(a, masks)
    assert ff.faithfulness_correlation(sums, 0.5 * sums) == pytest.approx(1.0)
    assert ff.infidelity(sums, 0.5 * sums) == pytest.approx(0.0, abs=1e-15)  # normalized
    assert ff.infidelity(sums, 0.5 * sums, normalize=False) == pytest.approx(
        np.mean((0.5 * sums) ** 2)
    )


def test_complexity_hand_computed_and_scipy():
    a = np.array([[0.0, 0.0, 0.0, 4.0], [1.0, -1.0, 1.0, -1.0]])
    # Gini: one-hot row -> (2*4 - 4 - 1) * 4 / (4 * 4) = 0.75 = 1 - 1/d; uniform row -> 0
    assert sparseness(a, weights=np.array([1, 0])) == pytest.approx(0.75)
    assert sparseness(a, weights=np.array([0, 1])) == pytest.approx(0.0)
    assert entropy(a, weights=np.array([0, 1])) == pytest.approx(np.log(4))
    b = np.random.default_rng(2).normal(size=(5, 7))
    assert entropy(b) == pytest.approx(np.mean(scipy_entropy(np.abs(b), axis=1)))


def test_max_sensitivity_and_relative_stability_hand_computed():
    a = np.array([[3.0, 4.0]])
    a_s = np.array([[[3.0, 4.0]], [[0.0, 0.0]]])  # second copy: all changed
    assert rb.max_sensitivity(a, a_s) == pytest.approx(1.0)  # ||a|| / ||a||
    x = np.array([[1.0, 2.0]])
    x_s = np.array([[[1.1, 2.0]], [[1.0, 2.2]]])
    # copy 0: 0 / 0.1 = 0; copy 1: ||(1, 1)|| / ||(0, 0.1)|| = sqrt(2) / 0.1
    changed = np.array([[False], [False]])
    assert rb.relative_input_stability(a, a_s, x, x_s, changed) == pytest.approx(np.sqrt(2) / 0.1)
    changed[1, 0] = True  # the large copy changed the class: excluded
    assert rb.relative_input_stability(a, a_s, x, x_s, changed) == pytest.approx(0.0)
    changed[0, 0] = True
    assert np.isnan(rb.relative_input_stability(a, a_s, x, x_s, changed))


def test_randomisation_similarity_is_spearman_of_magnitudes():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 9)), rng.normal(size=(4, 9))
    expected = [spearmanr(np.abs(a[i]), np.abs(b[i])).statistic for i in range(4)]
    np.testing.assert_allclose(spearman_rows(np.abs(a), np.abs(b)), expected)
    assert randomisation_similarity(a, -a) == pytest.approx(1.0)


def test_group_gap_hand_computed_and_bootstrap_equals_resampling():
    s = np.array([0.1, 0.3, 0.6, np.nan, 1.0])
    g = np.array(["a", "a", "b", "b", "c"])
    assert group_gap(s, g) == pytest.approx(1.0 - 0.2)
    assert group_gap(s, g, weights=np.array([1, 1, 1, 1, 0])) == pytest.approx(0.6 - 0.2)
    counts = bootstrap_counts(5, 20, np.random.default_rng(4))
    reps = group_gap(s, g, weights=counts)
    for b in range(20):
        keep = np.repeat(np.arange(5), counts[b])
        assert reps[b] == pytest.approx(group_gap(s[keep], g[keep]), nan_ok=True)


def test_row_mean_skips_undefined_rows():
    assert row_mean(np.array([1.0, np.nan, 3.0])) == pytest.approx(2.0)
    assert np.isnan(row_mean(np.array([np.nan, np.nan])))


def test_registry_lists_every_explainability_metric_with_its_direction():
    from trustbench.metrics import REGISTRY
    from trustbench.suites.explainability.scores import FAMILY

    for name, direction in [
        ("deletion_auc", "min"),
        ("insertion_auc", "max"),
        ("randomisation_similarity", "min"),
        ("deletion_auc_gap", "target:0"),
    ]:
        assert REGISTRY.get(FAMILY, name).direction == direction


def test_group_gap_is_undefined_with_a_single_group():
    s = np.array([0.1, 0.3, 0.6])
    g = np.array(["a", "a", "b"])
    assert np.isnan(group_gap(s, g, weights=np.array([1, 1, 0])))


def test_prediction_gap_and_top_k_mask_hand_computed():
    # OpenXAI: mean over copies of |f(x) - f(x')|, then over rows
    original = np.array([0.9, 0.2])
    perturbed = np.array([[0.7, 0.2], [0.9, 0.5], [0.6, 0.2]])  # 3 copies x 2 rows
    row0 = (0.2 + 0.0 + 0.3) / 3
    row1 = (0.0 + 0.3 + 0.0) / 3
    assert ff.prediction_gap(original, perturbed) == pytest.approx((row0 + row1) / 2)
    a = np.array([[0.1, -3.0, 2.0, 0.5], [1.0, 1.0, 0.0, -1.0]])
    assert ff.top_k_mask(a, 2).tolist() == [
        [False, True, True, False],
        [True, True, False, False],  # ties by index, as the deletion order
    ]
