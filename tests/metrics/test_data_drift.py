"""Drift between splits: KS against scipy (ties, integers, NaN), its asymptotic p-value against
``ks_2samp(method="asymp")``, JS against scipy's Jensen-Shannon distance, PSI on hand-computed
cases, the per-feature table, and the cross-fitted domain classifier."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import kolmogorov
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from trustbench.errors import TrustbenchError
from trustbench.metrics import data_drift as D
from trustbench.metrics import data_models as DM

# --------------------------------------------------------------------------------------------
# Kolmogorov-Smirnov


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ks_statistic_equals_scipy_with_ties_integers_and_nan(seed):
    rng = np.random.default_rng(seed)
    cont_a = rng.normal(size=400)
    cont_b = rng.normal(0.2, 1.3, size=250)
    ints_a = rng.integers(0, 6, size=300)  # heavy ties, integer dtype
    ints_b = rng.integers(1, 8, size=123)
    rounded_a = np.round(rng.normal(size=500), 1)
    rounded_b = np.round(rng.normal(0.1, size=77), 1)
    for a, b in ((cont_a, cont_b), (ints_a, ints_b), (rounded_a, rounded_b), (ints_a, ints_a)):
        assert D.ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    with_nan = rounded_a.copy()
    with_nan[::7] = np.nan
    expected = ks_2samp(with_nan[~np.isnan(with_nan)], rounded_b).statistic
    assert D.ks_statistic(with_nan, rounded_b) == pytest.approx(expected, abs=1e-12)


def test_ks_statistic_extremes_and_empty_sides():
    a = np.arange(10.0)
    assert D.ks_statistic(a, a) == 0.0
    assert D.ks_statistic(a, a + 100) == 1.0
    assert np.isnan(D.ks_statistic(np.array([np.nan, np.nan]), a))
    assert np.isnan(D.ks_statistic(a, np.array([])))
    with pytest.raises(TrustbenchError, match="reference must be numeric"):
        D.ks_statistic(np.array(["a", "b"], dtype=object), a)


def test_ks_pvalue_equals_scipy_asymptotic_and_tends_to_kolmogorov():
    rng = np.random.default_rng(3)
    for n, m, shift in ((300, 200, 0.0), (1000, 37, 0.3), (64, 64, 0.5), (2000, 3000, 0.05)):
        a, b = rng.normal(size=n), rng.normal(shift, size=m)
        ref = ks_2samp(a, b, method="asymp")
        d = D.ks_statistic(a, b)
        assert D.ks_pvalue(d, n, m) == pytest.approx(ref.pvalue, abs=1e-12)
    # large samples: the limiting Kolmogorov law on sqrt(n m / (n + m)) * D
    n = m = 200_000
    d = 0.004
    limit = kolmogorov(np.sqrt(n * m / (n + m)) * d)
    assert D.ks_pvalue(d, n, m) == pytest.approx(limit, abs=2e-3)
    # a clear shift is significant, an absent one is not
    assert D.ks_pvalue(0.3, 500, 500) < 1e-10
    assert D.ks_pvalue(0.0, 500, 500) == pytest.approx(1.0)


def test_ks_pvalue_undefined_and_bad_input():
    assert np.isnan(D.ks_pvalue(float("nan"), 10, 10))
    assert np.isnan(D.ks_pvalue(0.2, 0, 10))
    with pytest.raises(TrustbenchError, match=r"statistic must lie in \[0, 1\]"):
        D.ks_pvalue(1.5, 10, 10)
    with pytest.raises(TrustbenchError, match="n must be an integer >= 0"):
        D.ks_pvalue(0.1, -1, 10)


# --------------------------------------------------------------------------------------------
# Jensen-Shannon


def _aligned(a, b):
    """Independent reference: category shares over the union, missing as a sentinel."""

    def key(v):
        return "<missing>" if v is None or (isinstance(v, float) and np.isnan(v)) else v

    ca, cb = Counter(map(key, a)), Counter(map(key, b))
    cats = sorted(set(ca) | set(cb), key=str)
    p = np.array([ca[c] for c in cats], dtype=float) / len(a)
    q = np.array([cb[c] for c in cats], dtype=float) / len(b)
    return p, q


def test_js_divergence_equals_scipy_on_aligned_frequencies():
    rng = np.random.default_rng(4)
    a = rng.choice(np.array(["a", "b", "c", None], dtype=object), 500, p=[0.5, 0.3, 0.1, 0.1])
    b = rng.choice(np.array(["a", "b", "d", np.nan], dtype=object), 300, p=[0.2, 0.3, 0.3, 0.2])
    p, q = _aligned(a, b)
    assert D.js_divergence(a, b) == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-12)
    same = rng.permutation(a)
    assert D.js_divergence(a, same) == pytest.approx(0.0, abs=1e-15)
    assert D.js_divergence(np.array(["x"] * 5), np.array(["y"] * 3)) == pytest.approx(1.0)


def test_js_divergence_counts_missing_as_its_own_category():
    ref = np.array(["a", "a", "b", "b"], dtype=object)
    with_missing = np.array(["a", None, "b", np.nan], dtype=object)  # None and NaN: one category
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
    assert D.js_divergence(ref, with_missing) == pytest.approx(
        jensenshannon(p, q, base=2) ** 2, abs=1e-12
    )
    assert D.js_divergence(ref, with_missing) > 0.1
    assert np.isnan(D.js_divergence(ref, np.array([], dtype=object)))


# --------------------------------------------------------------------------------------------
# PSI


def _psi(e, a):
    e, a = np.asarray(e, float), np.asarray(a, float)
    return float(np.sum((a - e) * np.log(a / e)))


def test_psi_two_bins_hand_computed():
    ref = np.array([0.0, 1.0, 2.0, 3.0])  # quantiles 0, 1.5, 3: bins below / from 1.5
    other = np.array([0.0, 0.0, 0.0, 3.0])  # shares 3/4, 1/4 against 1/2, 1/2
    expected = 0.25 * np.log(1.5) + 0.25 * np.log(2.0)  # = ln(3) / 4
    assert D.psi(ref, other, n_bins=2) == pytest.approx(expected, abs=1e-12)
    assert D.psi(ref, other, n_bins=2) == pytest.approx(np.log(3) / 4, abs=1e-12)
    # values outside the reference's range fall in the end bins: shares 1/2, 1/2 again
    assert D.psi(ref, np.array([-10.0, 100.0]), n_bins=2) == pytest.approx(0.0, abs=1e-15)


def test_psi_floors_empty_bins_at_eps_and_renormalises():
    ref = np.array([0.0, 1.0, 2.0, 3.0])
    other = np.zeros(8)  # every value in the low bin: the high bin is empty
    eps = 1e-3
    a = np.array([1.0, eps]) / (1.0 + eps)
    assert D.psi(ref, other, n_bins=2, eps=eps) == pytest.approx(_psi([0.5, 0.5], a), rel=1e-12)
    assert np.isfinite(D.psi(ref, other, n_bins=2))


def test_psi_missing_values_are_one_extra_bin():
    ref = np.array([0.0, 1.0, 2.0, 3.0])
    other = np.array([0.0, 3.0, np.nan, np.nan])  # shares 1/4, 1/4, missing 1/2
    eps = 1e-4
    e = np.array([0.5, 0.5, eps]) / (1 + eps)
    a = np.array([0.25, 0.25, 0.5])
    assert D.psi(ref, other, n_bins=2, eps=eps) == pytest.approx(_psi(e, a), rel=1e-12)


def test_psi_keeps_tied_levels_apart():
    # a binary column: 19 zeros and a one against 10/10. Quantile edges 0, ..., 0, 1 would give
    # a single interval; the repeated edge 0 is a bin of its own, so the shift is seen.
    ref = np.r_[np.zeros(19), 1.0]
    other = np.r_[np.zeros(10), np.ones(10)]
    assert D.psi(ref, other) == pytest.approx(_psi([0.95, 0.05], [0.5, 0.5]), rel=1e-12)
    zero_inflated = np.r_[np.zeros(80), np.linspace(1, 2, 20)]  # zeros: 80% of the reference
    assert D.psi(zero_inflated, zero_inflated) == 0.0
    assert D.psi(zero_inflated, np.linspace(0.01, 2, 100)) > 1.0  # the zeros are gone


def test_psi_categorical_hand_computed():
    ref = np.array(["a", "a", "b", "b"], dtype=object)
    other = np.array(["a", "a", "a", "b"], dtype=object)
    assert D.psi(ref, other) == pytest.approx(np.log(3) / 4, abs=1e-12)
    unseen = np.array(["a", "c"], dtype=object)  # "b" gone, "c" new: both floored at eps
    eps = 1e-4
    e = np.array([0.5, 0.5, eps]) / (1 + eps)
    a = np.array([0.5, eps, 0.5]) / (1 + eps)
    assert D.psi(ref, unseen, eps=eps) == pytest.approx(_psi(e, a), rel=1e-12)


def test_psi_identical_near_zero_and_shifted_normal_large():
    rng = np.random.default_rng(5)
    x = rng.normal(size=5000)
    assert D.psi(x, x.copy()) == pytest.approx(0.0, abs=1e-12)
    assert D.psi(x, rng.normal(size=5000)) < 0.02  # same distribution, another sample
    assert D.psi(x, rng.normal(1.0, 1.0, size=5000)) > 0.25
    with pytest.raises(TrustbenchError, match="eps must lie in"):
        D.psi(x, x, eps=0.0)
    with pytest.raises(TrustbenchError, match="n_bins must be an integer >= 1"):
        D.psi(x, x, n_bins=0)


# --------------------------------------------------------------------------------------------
# per-feature table


def test_feature_drift_table():
    rng = np.random.default_rng(6)
    n = 600
    ref = pd.DataFrame(
        {
            "age": rng.normal(50, 10, n),
            "bmi": rng.normal(25, 4, n),
            "sex": rng.choice(["F", "M"], n),
            "site": pd.Categorical(rng.choice(["A", "B", None], n)),
        }
    )
    oth = pd.DataFrame(
        {
            "age": rng.normal(60, 10, n),  # shifted
            "bmi": np.where(rng.random(n) < 0.1, np.nan, rng.normal(25, 4, n)),
            "sex": rng.choice(["F", "M"], n),
            "site": pd.Categorical(rng.choice(["A", "C"], n)),
        }
    )
    table = D.feature_drift(ref, oth, ["bmi", "age"], ["site", "sex"])
    assert list(table.columns) == [
        "feature",
        "kind",
        "ks",
        "ks_pvalue",
        "js",
        "psi",
        "missing_reference",
        "missing_other",
    ]
    assert table["feature"].tolist() == ["bmi", "age", "site", "sex"]
    assert table["kind"].tolist() == ["continuous"] * 2 + ["categorical"] * 2
    cont, cat = table.iloc[:2], table.iloc[2:]
    assert cont["js"].isna().all() and cat[["ks", "ks_pvalue"]].isna().all().all()
    age = table.set_index("feature").loc["age"]
    assert age["ks"] == pytest.approx(ks_2samp(ref["age"], oth["age"]).statistic, abs=1e-12)
    assert age["psi"] == pytest.approx(D.psi(ref["age"].to_numpy(), oth["age"].to_numpy()))
    assert age["ks_pvalue"] < 1e-6 and age["psi"] > 0.25
    bmi = table.set_index("feature").loc["bmi"]
    assert bmi["missing_reference"] == 0.0
    assert bmi["missing_other"] == pytest.approx(np.isnan(oth["bmi"]).mean())
    assert bmi["ks_pvalue"] > 0.01
    site = table.set_index("feature").loc["site"]
    assert site["missing_reference"] == pytest.approx(ref["site"].isna().mean())
    p, q = _aligned(ref["site"].to_numpy(dtype=object), oth["site"].to_numpy(dtype=object))
    assert site["js"] == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-12)
    assert table.set_index("feature").loc["sex", "js"] < 0.01


def test_feature_drift_names_a_missing_or_non_numeric_column():
    ref = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    with pytest.raises(TrustbenchError, match="column 'zz' is missing from reference"):
        D.feature_drift(ref, ref, ["zz"], [])
    with pytest.raises(TrustbenchError, match="continuous column 'b' must be numeric"):
        D.feature_drift(ref, ref, ["b"], [])
    with pytest.raises(TrustbenchError, match="'a' is listed more than once"):
        D.feature_drift(ref, ref, ["a"], ["a"])


# --------------------------------------------------------------------------------------------
# domain classifier (one OpenMP thread: the test machine is shared, and contended threads
# make the boosting many times slower)


@pytest.fixture
def one_thread():
    with threadpool_limits(1):
        yield


def test_domain_scores_same_distribution_is_chance(one_thread):
    rng = np.random.default_rng(7)
    ref, oth = rng.normal(size=(1000, 5)), rng.normal(size=(1000, 5))
    labels, proba = DM.domain_scores(ref, oth)
    assert labels.tolist() == [0] * 1000 + [1] * 1000
    assert proba.shape == (2000,) and np.all((proba >= 0) & (proba <= 1))
    assert abs(roc_auc_score(labels, proba) - 0.5) < 0.08


def test_domain_scores_mean_shift_in_one_column_is_found(one_thread):
    rng = np.random.default_rng(8)
    ref, oth = rng.normal(size=(1000, 5)), rng.normal(size=(1000, 5))
    oth[:, 3] += 1.0
    oth[rng.random(1000) < 0.1, 0] = np.nan  # NaN is handled natively
    labels, proba = DM.domain_scores(ref, oth, seed=1)
    assert roc_auc_score(labels, proba) > 0.7


def test_domain_scores_subsample_folds_and_errors(one_thread):
    rng = np.random.default_rng(9)
    ref, oth = rng.normal(size=(300, 2)), rng.normal(size=(40, 2))
    labels, proba = DM.domain_scores(ref, oth, max_rows=100, folds=2)
    assert (labels == 0).sum() == 100 and (labels == 1).sum() == 40
    again = DM.domain_scores(ref, oth, max_rows=100, folds=2)
    np.testing.assert_array_equal(proba, again[1])  # seeded: the same subsample and folds
    labels, _ = DM.domain_scores(ref[:50], oth[:3], folds=5)  # 3 rows: falls back to 3 folds
    assert labels.shape == (53,)
    with pytest.raises(TrustbenchError, match="same number of columns"):
        DM.domain_scores(ref, oth[:, :1])
    with pytest.raises(TrustbenchError, match="holds \\+/-inf"):
        DM.domain_scores(np.full((5, 2), np.inf), oth)
    with pytest.raises(TrustbenchError, match="at least 2 rows"):
        DM.domain_scores(ref, oth[:1])
