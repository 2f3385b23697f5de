"""A model only ever receives copies: one that changes its inputs in place (fills NaNs, normalises
a tensor) changes nothing the suites score next.

Each test scores a mutating model and its well-behaved twin (the same predictions, computed
before the mutation) with every suite: the TaskData must hash the same before and after, and the
two reports (predictions.parquet included) must be equal. On code that passed the task's own
frames and arrays to ``predict_proba`` the hashes differ and dozens of metrics change (the noisy
copies of ``test`` and the explained rows are built from the filled data), every suite "ok".
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from tests.explain.toy import ImageModel, TinyCNN, toy_image_task
from torch import nn

import trustbench
from trustbench.data import build_task
from trustbench.data.task import TaskData
from trustbench.models import make_preprocessor
from trustbench.models.facade import model_input, predict_proba, transform

FAST = {"bootstrap": {"n_resamples": 100}, "explainability": {"n_rows": 24}}


def task_digest(task: TaskData) -> str:
    """sha256 of every split's inputs, labels, groups, row ids and sites."""
    digest = hashlib.sha256()
    for name, split in task.splits.items():
        digest.update(name.encode())
        if isinstance(split.X, pd.DataFrame):
            digest.update(pd.util.hash_pandas_object(split.X, index=False).to_numpy().tobytes())
        else:
            digest.update(np.ascontiguousarray(split.X).tobytes())
        digest.update(pd.util.hash_pandas_object(split.sensitive, index=False).to_numpy().tobytes())
        digest.update(np.asarray(split.y).tobytes() + np.asarray(split.row_id).tobytes())
    return digest.hexdigest()


def same_values(a: dict, b: dict) -> list[str]:
    """Keys whose values differ (NaN equals NaN)."""

    def equal(x, y):
        if x is None or y is None:
            return x is y
        return (math.isnan(x) and math.isnan(y)) or x == y

    return [k for k in sorted(set(a) | set(b)) if not equal(a.get(k), b.get(k))]


def with_missing(n: int = 400, seed: int = 0) -> TaskData:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x1[rng.random(n) < 0.1] = np.nan
    y = rng.random(n) < 1 / (1 + np.exp(-np.nan_to_num(x1)))
    frame = pd.DataFrame(
        {
            "x1": x1,
            "x2": rng.normal(size=n),
            "sex": rng.choice(["F", "M"], n),
            "label": np.where(y, "yes", "no"),
        }
    )
    return build_task(frame, name="missing", target="label", sensitive=["sex"], seed=seed)


class FillsInPlace(BaseEstimator, ClassifierMixin):
    """Logistic regression whose ``predict_proba`` then fills the caller's NaNs with 0 and
    shifts ``x2`` (``mutate=False``: the same predictions, inputs left alone)."""

    def __init__(self, features=None, mutate: bool = True) -> None:
        self.features = features
        self.mutate = mutate

    def fit(self, X, y):
        base = LogisticRegression(max_iter=500)
        self.pipe_ = make_pipeline(make_preprocessor(self.features), base).fit(X, y)
        self.classes_ = self.pipe_.classes_
        return self

    def predict_proba(self, X):
        proba = self.pipe_.predict_proba(X)
        if self.mutate:
            X.fillna({"x1": 0.0}, inplace=True)
            X["x2"] = X["x2"] + 1.0
        return proba


def test_a_model_that_fills_nans_in_place_changes_no_suites_data():
    task = with_missing()
    before = task_digest(task)
    n_missing = int(task.test.X["x1"].isna().sum())
    assert n_missing > 0
    clean = FillsInPlace(task.features, mutate=False).fit(task.train.X, task.train.y)
    hostile = FillsInPlace(task.features, mutate=True).fit(task.train.X, task.train.y)
    expected = trustbench.score(clean, task, config=FAST)
    got = trustbench.score(hostile, task, config=FAST)
    assert task_digest(task) == before
    assert int(task.test.X["x1"].isna().sum()) == n_missing
    assert {k: s.status for k, s in got.suites.items()} == {
        k: s.status for k, s in expected.suites.items()
    }
    assert same_values(expected.values(), got.values()) == []
    pd.testing.assert_frame_equal(
        expected.artifacts["predictions.parquet"], got.artifacts["predictions.parquet"]
    )


class Normalise(nn.Module):
    """Subtracts 0.5 from the pixels, in place on its input tensor when autograd allows it
    (``in_place=False``: on a new tensor), then runs ``inner``."""

    def __init__(self, inner: nn.Module, in_place: bool) -> None:
        super().__init__()
        self.inner = inner
        self.in_place = in_place

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.sub_(0.5) if self.in_place and not x.requires_grad else x - 0.5
        return self.inner(x)


def test_a_torch_module_that_changes_its_input_tensor_changes_no_pixels():
    task = toy_image_task(n_train=96, n_test=48)
    before = task_digest(task)
    torch.manual_seed(0)
    inner = TinyCNN()
    ImageModel(Normalise(inner, in_place=False)).fit(task.train.X, task.train.y, epochs=10)
    reports = {}
    for in_place in (False, True):
        model = ImageModel(Normalise(inner, in_place=in_place))
        config = {**FAST, "privacy": {"enabled": False}}
        reports[in_place] = trustbench.score(model, task, config=config)
        assert task_digest(task) == before, f"in_place={in_place} changed the task"
    assert same_values(reports[False].values(), reports[True].values()) == []


@pytest.mark.parametrize(
    "values",
    [
        pd.DataFrame({"a": [1.0, np.nan], "b": ["x", "y"]}),
        pd.Series([1.0, 2.0]),
        np.arange(6.0).reshape(2, 3),
        torch.arange(4.0),
    ],
    ids=["frame", "series", "array", "tensor"],
)
def test_model_input_is_an_equal_copy_sharing_no_memory(values):
    copy = model_input(values)
    assert copy is not values and type(copy) is type(values)
    if isinstance(values, pd.DataFrame | pd.Series):
        assert copy.equals(values)
        assert not np.shares_memory(copy.to_numpy(), values.to_numpy())
    elif isinstance(values, np.ndarray):
        assert np.array_equal(copy, values) and not np.shares_memory(copy, values)
    else:
        assert torch.equal(copy, values) and copy.data_ptr() != values.data_ptr()
    assert model_input(None) is None


def test_facade_calls_pass_copies_of_inputs_and_sensitive_frames():
    seen = {}

    class Spy:
        requires_sensitive = True

        def predict_proba(self, X, sensitive=None):
            seen["X"], seen["sensitive"] = X, sensitive
            return np.full((len(X), 2), 0.5)

        def transform(self, X):
            seen["transform"] = X
            return X

    X = pd.DataFrame({"a": [1.0, 2.0]})
    groups = pd.DataFrame({"sex": ["F", "M"]})
    predict_proba(Spy(), X, groups)
    transform(Spy(), X)
    assert seen["X"] is not X and seen["X"].equals(X)
    assert seen["sensitive"] is not groups and seen["sensitive"].equals(groups)
    assert seen["transform"] is not X and seen["transform"].equals(X)
