"""The vectorised ensemble trains the same models as one-by-one training; pools; the cache."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch

from trustbench.models import TorchClassifier
from trustbench.models.mlp import MLP
from trustbench.models.recipe import TorchRecipe
from trustbench.privacy import ensemble as ens
from trustbench.privacy import reference as ref
from trustbench.privacy.pool import complementary_halves, plan_audit


def _frame(n=150, seed=0):
    from trustbench.data.task import FeatureSpec

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"x{j}" for j in range(5)])
    y = (X["x0"] + 0.3 * X["x1"] > 0).to_numpy().astype(int)
    return X, y, [FeatureSpec(c, "continuous") for c in X.columns]


def _smooth_mlp(in_features: int, n_classes: int) -> torch.nn.Module:
    """An MLP with tanh units: float32 rounding (vmap's batched matmuls versus one model's)
    stays at float32 size through training. With ReLU a row near a kink can flip between the two
    runs and the trajectories part by more than rounding; in float64 they agree to 1e-15."""
    return torch.nn.Sequential(
        torch.nn.Linear(in_features, 16),
        torch.nn.Tanh(),
        torch.nn.Linear(16, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, n_classes),
    )


def test_ensemble_member_equals_torch_classifier_fit():
    """Member k of the ensemble is the model TorchClassifier.fit trains on subset k alone."""
    X, y, features = _frame()
    rng = np.random.default_rng(0)
    # unequal subset sizes: the smaller models run out of batches before the others
    subsets = [np.sort(rng.choice(150, size=s, replace=False)) for s in (70, 75, 40, 100)]
    seeds = [11, 12, 13, 14]
    recipe = dict(epochs=4, batch_size=16, lr=5e-3, weight_decay=1e-3)
    for k in range(4):
        alone = TorchClassifier(_smooth_mlp, features, seed=seeds[k], device="cpu", **recipe)
        alone.fit(X.iloc[subsets[k]], y[subsets[k]])
        # the ensemble sees every row through member k's fitted encoder (its preprocessing is
        # fitted on its own subset), so member k trains on exactly what fit trained on
        inputs = alone.transform(X)
        targets = torch.as_tensor(y, dtype=torch.long)
        factory = partial(_smooth_mlp, in_features=inputs.shape[1], n_classes=2)
        base, params, buffers = ens.train_ensemble(
            factory, inputs, targets, subsets, seeds, alone.recipe
        )
        logits = ens.predict_ensemble(base, params, buffers, inputs)
        assert logits.shape == (4, 150, 2)
        with torch.no_grad():
            np.testing.assert_allclose(alone.logits(inputs).numpy(), logits[k].numpy(), atol=1e-4)


def test_full_batch_member_equals_torch_classifier_fit():
    X, y, features = _frame(60, seed=1)
    module = partial(MLP, hidden_sizes=(8,), dropout=0.0)
    alone = TorchClassifier(module, features, epochs=25, batch_size=60, lr=1e-2, seed=3)
    alone.set_params(device="cpu").fit(X, y)
    inputs = alone.transform(X)
    factory = partial(module, in_features=inputs.shape[1], n_classes=2)
    subsets = [np.arange(60), np.arange(0, 60, 2)]
    base, params, buffers = ens.train_ensemble(
        factory, inputs, torch.as_tensor(y), subsets, [3, 4], alone.recipe
    )
    with torch.no_grad():
        np.testing.assert_allclose(
            alone.logits(inputs).numpy(),
            ens.predict_ensemble(base, params, buffers, inputs)[0].numpy(),
            atol=1e-5,
        )


def test_batch_schedule_covers_each_subset_once_per_epoch():
    subsets = [np.arange(10), np.arange(20, 27)]
    index, valid = ens.batch_schedule(subsets, [0, 1], TorchRecipe(epochs=2, batch_size=4))
    assert index.shape == (6, 2, 4)
    for k, subset in enumerate(subsets):
        for epoch in range(2):
            rows = index[epoch * 3 : (epoch + 1) * 3, k][valid[epoch * 3 : (epoch + 1) * 3, k]]
            assert sorted(rows.tolist()) == sorted(subset.tolist())


def test_complementary_halves_balance_every_row():
    keep = complementary_halves(101, 8, seed=3)
    assert keep.shape == (8, 101)
    np.testing.assert_array_equal(keep.sum(axis=0), 4)
    assert set(keep.sum(axis=1)) <= {50, 51}
    with pytest.raises(ValueError, match="even"):
        complementary_halves(10, 3, seed=0)


def test_plan_audit_keeps_population_out_of_audit_and_pool():
    plan = plan_audit(504, 216, 5000, seed=0, population_fraction=0.5)
    assert len(plan.population) == 108 and len(plan.members) == len(plan.nonmembers) == 108
    assert not set(plan.population) & set(plan.nonmembers)
    assert not set(plan.population) & set(plan.pool_test)
    assert set(plan.nonmembers) <= set(plan.pool_test)


def _tiny(n=80, seed=0):
    from trustbench.data.task import FeatureSpec

    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (X["a"] > 0).to_numpy().astype(int)
    features = [FeatureSpec("a", "continuous"), FeatureSpec("b", "continuous")]
    return X, y, features


def test_reference_outputs_are_cached_and_reused(tmp_path, monkeypatch):
    X, y, features = _tiny()
    target = TorchClassifier(
        partial(MLP, hidden_sizes=(8,)), features, epochs=2, batch_size=16, device="cpu"
    ).fit(X, y)
    calls = []
    real = ens.train_ensemble
    monkeypatch.setattr(ens, "train_ensemble", lambda *a, **k: calls.append(1) or real(*a, **k))
    keep = complementary_halves(60, 4, seed=0)
    kwargs = dict(
        seed=0,
        training={"trainer": "standard"},
        fingerprint="f" * 64,
        row_keys=[str(i) for i in range(80)],
        cache_dir=tmp_path,
    )
    first = ref.reference_outputs(target, X[:60], y[:60], X[60:], y[60:], keep, **kwargs)
    second = ref.reference_outputs(target, X[:60], y[:60], X[60:], y[60:], keep, **kwargs)
    assert len(calls) == 1 and not first.cached and second.cached
    np.testing.assert_array_equal(first.phi, second.phi)
    assert first.phi.shape == (4, 80) and not first.keep[:, 60:].any()
    # another recipe (epochs) is another cache entry
    other = TorchClassifier(
        partial(MLP, hidden_sizes=(8,)), features, epochs=3, batch_size=16, device="cpu"
    ).fit(X, y)
    ref.reference_outputs(other, X[:60], y[:60], X[60:], y[60:], keep, **kwargs)
    assert len(calls) == 2


def test_sklearn_reference_models_follow_the_recipe():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from trustbench.models import make_preprocessor

    X, y, features = _tiny(60)
    target = Pipeline(
        [("preprocess", make_preprocessor(features)), ("estimator", LogisticRegression(C=0.5))]
    ).fit(X, y)
    keep = complementary_halves(40, 2, seed=0)
    out = ref.reference_outputs(
        target,
        X[:40],
        y[:40],
        X[40:],
        y[40:],
        keep,
        seed=0,
        training={},
        fingerprint="x",
        row_keys=[str(i) for i in range(60)],
        n_jobs=1,
    )
    rows = np.flatnonzero(keep[0])
    alone = Pipeline(
        [("preprocess", make_preprocessor(features)), ("estimator", LogisticRegression(C=0.5))]
    ).fit(X.iloc[rows], y[rows])
    logp = np.log(alone.predict_proba(X)[np.arange(60), y])
    np.testing.assert_allclose(out.logp[0], logp, atol=1e-10)


def test_true_class_stats_is_logit_scaling():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 5.0, 0.0]])
    y = np.array([0, 1])
    logp, phi = ref.true_class_stats(logits, y)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    py = p[[0, 1], y]
    np.testing.assert_allclose(logp, np.log(py))
    np.testing.assert_allclose(phi, np.log(py / (1 - py)))
