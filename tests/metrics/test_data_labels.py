"""Label issues: cross-fitted probabilities, confident learning (cleanlab), self-confidence."""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from trustbench.metrics import data_labels
from trustbench.metrics.data_labels import (
    cross_fitted_proba,
    label_issue_mask,
    self_confidence,
)
from trustbench.metrics.data_models import BOOSTED_TREES


@pytest.fixture(autouse=True)
def _one_thread():
    """One OpenMP thread: on a few shared cores, spinning OpenMP workers can make a 0.1 s
    gradient-boosting fit take tens of seconds."""
    with threadpool_limits(1):
        yield


def _blobs(seed: int, n: int = 1000, separation: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Two unit-variance Gaussian blobs in 2-D, ``separation`` apart on x0, 50/50 labels."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 2))
    X[:, 0] += separation * y
    return X, y


class _Memoriser:
    """A model that memorises row ids (column 0): probability 1 for the label it saw with an
    id, uniform for an id it never saw. In-sample its accuracy is 1."""

    def __init__(self, **_: object) -> None:
        pass

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.table_ = dict(zip(X[:, 0].tolist(), y.tolist(), strict=True))
        return self

    def predict_proba(self, X):
        out = np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))
        col = {c: j for j, c in enumerate(self.classes_.tolist())}
        for i, key in enumerate(X[:, 0].tolist()):  # test double: a loop is fine here
            if key in self.table_:
                out[i] = 0.0
                out[i, col[self.table_[key]]] = 1.0
        return out


class _Spy(HistGradientBoostingClassifier):
    """The real model, recording which ids (column 0) each fit saw and each predict got."""

    calls: ClassVar[list[tuple[str, np.ndarray]]] = []

    def fit(self, X, y):
        _Spy.calls.append(("fit", X[:, 0].copy()))
        return super().fit(X, y)

    def predict_proba(self, X):
        _Spy.calls.append(("predict", X[:, 0].copy()))
        return super().predict_proba(X)


# ---------------------------------------------------------------- label_issue_mask


def test_flipped_labels_are_found_with_good_precision_and_recall():
    X, y = _blobs(seed=0)
    flipped = np.random.default_rng(100).choice(len(y), size=50, replace=False)  # 5 %
    noisy = y.copy()
    noisy[flipped] = 1 - noisy[flipped]
    truth = np.zeros(len(y), dtype=bool)
    truth[flipped] = True
    mask = label_issue_mask(noisy, cross_fitted_proba(X, noisy, 2, seed=0))
    assert mask.dtype == bool and mask.shape == (len(y),)
    precision = (mask & truth).sum() / mask.sum()
    recall = (mask & truth).sum() / truth.sum()
    # measured: 64 flagged, precision 0.70, recall 0.90 (blobs 4 sd apart overlap by ~2 %)
    assert precision > 0.6
    assert recall > 0.8
    assert 40 <= mask.sum() <= 90


def test_clean_well_separated_blobs_are_hardly_flagged():
    X, y = _blobs(seed=1, separation=8.0)
    mask = label_issue_mask(y, cross_fitted_proba(X, y, 2, seed=1))
    assert mask.mean() < 0.01


def test_mask_is_cleanlab_find_label_issues_and_prints_nothing(capsys):
    from cleanlab.filter import find_label_issues

    rng = np.random.default_rng(3)
    proba = rng.dirichlet(np.ones(3), size=300)
    y = rng.integers(0, 3, size=300)
    expected = find_label_issues(
        labels=y, pred_probs=proba, filter_by="prune_by_noise_rate", n_jobs=1
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = label_issue_mask(y, proba)
    np.testing.assert_array_equal(got, expected)
    assert got.any() and not got.all()
    assert record == []
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_three_classes_with_a_confusable_pair():
    rng = np.random.default_rng(4)
    n = 900
    y = np.repeat([0, 1, 2], n // 3)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    X = centres[y] + rng.normal(size=(n, 2))
    flipped = rng.choice(np.flatnonzero(y == 0), size=30, replace=False)
    noisy = y.copy()
    noisy[flipped] = 2  # class-0 rows labelled 2
    mask = label_issue_mask(noisy, cross_fitted_proba(X, noisy, 3, seed=0))
    # measured: 60-70 % of the flipped rows flagged, 1.5 % of the others
    assert mask[flipped].mean() >= 0.5
    assert mask[np.setdiff1d(np.arange(n), flipped)].mean() < 0.03


def test_label_issue_mask_input_errors():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    y = np.array([0, 1, 0])
    with pytest.raises(ValueError, match=r"class 1 never occurs in y"):
        label_issue_mask(np.array([0, 0, 0]), proba)
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        label_issue_mask(np.array([0, 1]), proba)
    with pytest.raises(ValueError, match=r"class indices in 0\.\.1, got 2"):
        label_issue_mask(np.array([0, 1, 2]), proba)
    with pytest.raises(ValueError, match=r"class indices in 0\.\.1, got 1\.5"):
        label_issue_mask(np.array([0.0, 1.5, 0.0]), proba)
    with pytest.raises(ValueError, match=r"integer class indices"):
        label_issue_mask(np.array(["a", "b", "a"]), proba)
    with pytest.raises(ValueError, match=r"shape \(n, K\)"):
        label_issue_mask(y, proba[:, 0])
    with pytest.raises(ValueError, match=r"sum to 1 \(tolerance 1e-06\), got row 1"):
        label_issue_mask(y, proba + np.array([[0, 0], [0, 1e-5], [0, 0]]))
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        label_issue_mask(y, np.array([[1.1, -0.1], [0.2, 0.8], [0.6, 0.4]]))
    with pytest.raises(ValueError, match=r"finite"):
        label_issue_mask(y, np.array([[np.nan, 0.1], [0.2, 0.8], [0.6, 0.4]]))
    # within the tolerance is accepted
    label_issue_mask(y, proba + np.array([[0, 0], [0, 5e-7], [0, 0]]))


# ---------------------------------------------------------------- self_confidence


def test_self_confidence_matches_cleanlab():
    from cleanlab.rank import get_label_quality_scores

    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(4), size=200)
    y = rng.integers(0, 4, size=200)
    got = self_confidence(y, proba)
    expected = get_label_quality_scores(y, proba, method="self_confidence")
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(self_confidence([1, 0], [[0.3, 0.7], [0.6, 0.4]]), [0.7, 0.6])


def test_self_confidence_input_errors():
    with pytest.raises(ValueError, match=r"class indices in 0\.\.1"):
        self_confidence([0, 3], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"sum to 1"):
        self_confidence([0, 1], [[0.5, 0.6], [0.5, 0.5]])


# ---------------------------------------------------------------- cross_fitted_proba


def test_out_of_fold_never_predicts_a_row_it_trained_on(monkeypatch):
    """Each row's label is stored under a unique id: a model that saw the row knows it."""
    n = 400
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, size=n)
    ids = rng.permutation(n).astype(float)
    X = np.column_stack([ids, rng.normal(size=n)])
    monkeypatch.setattr(data_labels, "boosted_trees", lambda seed: _Memoriser())
    in_sample = _Memoriser().fit(X, y).predict_proba(X)
    assert (in_sample.argmax(axis=1) == y).mean() == 1.0
    proba = cross_fitted_proba(X, y, 2, seed=0)
    # every row is predicted by a model that never saw its id: uniform, never the memory
    np.testing.assert_array_equal(proba, np.full((n, 2), 0.5))


def test_out_of_fold_with_the_real_model_is_at_chance_on_an_id_column():
    n = 400
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=n)
    X = rng.permutation(n).astype(float)[:, None]  # a unique id, unrelated to y
    model = HistGradientBoostingClassifier(**BOOSTED_TREES, random_state=0).fit(X, y)
    in_sample_acc = (model.predict(X) == y).mean()
    out_of_fold_acc = (cross_fitted_proba(X, y, 2).argmax(axis=1) == y).mean()
    # the ids are partly memorised in sample, not out of fold
    assert in_sample_acc > 0.6
    assert 0.35 < out_of_fold_acc < 0.62


def test_folds_partition_the_rows_and_fits_exclude_predicted_rows(monkeypatch):
    n = 120
    rng = np.random.default_rng(8)
    y = np.tile([0, 1, 2], n // 3)
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(size=n)])
    _Spy.calls = []
    monkeypatch.setattr(data_labels, "boosted_trees", lambda seed: _Spy(**BOOSTED_TREES))
    proba = cross_fitted_proba(X, y, 3, folds=4, seed=2)
    fits = [ids for kind, ids in _Spy.calls if kind == "fit"]
    predicted = [ids for kind, ids in _Spy.calls if kind == "predict"]
    assert len(fits) == len(predicted) == 4
    for seen, asked in zip(fits, predicted, strict=True):
        assert np.intersect1d(seen, asked).size == 0
        assert np.union1d(seen, asked).size == n
    np.testing.assert_array_equal(np.sort(np.concatenate(predicted)), np.arange(n))
    assert proba.shape == (n, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_rare_class_reduces_the_number_of_folds(monkeypatch):
    rng = np.random.default_rng(9)
    y = np.array([0] * 50 + [1] * 50 + [2] * 3)
    X = np.column_stack([np.arange(len(y), dtype=float), rng.normal(size=len(y))])
    _Spy.calls = []
    monkeypatch.setattr(data_labels, "boosted_trees", lambda seed: _Spy(**BOOSTED_TREES))
    proba = cross_fitted_proba(X, y, 3, folds=5)
    assert sum(kind == "fit" for kind, _ in _Spy.calls) == 3
    assert proba.shape == (len(y), 3)


def test_classes_a_model_never_saw_get_probability_zero_in_their_column():
    X = np.arange(40, dtype=float)[:, None]
    y = np.where(np.arange(40) < 20, 0, 2)
    model = HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    out = data_labels._scatter_proba(model, X, 3)
    np.testing.assert_array_equal(out[:, 1], 0.0)
    np.testing.assert_allclose(out[:, [0, 2]], model.predict_proba(X))


def test_nan_features_are_accepted_and_results_are_deterministic():
    X, y = _blobs(seed=10, n=200)
    X[::7, 1] = np.nan
    a = cross_fitted_proba(X, y, 2, folds=3, seed=4)
    b = cross_fitted_proba(X, y, 2, folds=3, seed=4)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a)) and np.all((a >= 0) & (a <= 1))
    assert (a.argmax(axis=1) == y).mean() > 0.9


def test_cross_fitted_proba_input_errors():
    X = np.zeros((10, 2))
    y = np.array([0] * 5 + [1] * 5)
    with pytest.raises(ValueError, match=r"class 1 has 1 row\(s\) in y"):
        cross_fitted_proba(X, np.array([0] * 9 + [1]), 2)
    with pytest.raises(ValueError, match=r"class 2 has 0 row\(s\) in y"):
        cross_fitted_proba(X, y, 3)
    with pytest.raises(ValueError, match=r"class indices in 0\.\.1, got 2"):
        cross_fitted_proba(X, np.array([0] * 5 + [1] * 4 + [2]), 2)
    with pytest.raises(ValueError, match=r"y must have shape \(10,\)"):
        cross_fitted_proba(X, y[:9], 2)
    with pytest.raises(ValueError, match=r"X must have shape \(n, d\)"):
        cross_fitted_proba(np.zeros(10), y, 2)
    with pytest.raises(ValueError, match=r"X must be finite or NaN, got inf"):
        cross_fitted_proba(np.full((10, 2), np.inf), y, 2)
    with pytest.raises(ValueError, match=r"X must be a numeric matrix"):
        cross_fitted_proba(np.full((10, 2), "a"), y, 2)
    with pytest.raises(ValueError, match=r"n_classes: expected an integer >= 2, got 1"):
        cross_fitted_proba(X, y, 1)
    with pytest.raises(ValueError, match=r"folds: expected an integer >= 2, got 1"):
        cross_fitted_proba(X, y, 2, folds=1)
    with pytest.raises(ValueError, match=r"seed: expected an integer >= 0, got True"):
        cross_fitted_proba(X, y, 2, seed=True)
