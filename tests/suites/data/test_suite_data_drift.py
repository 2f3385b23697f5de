"""Drift from train to each other split (src/trustbench/suites/data/drift.py): the reported
maxima agree with scipy on the feature they name, the table holds every feature and split,
the notes name the top features; and the domain classifier of each split against train
(``drift/<split>/domain_auc``, src/trustbench/suites/data/models.py) on a shifted test split,
a random one and heart's held-out hospitals."""

from __future__ import annotations

import dataclasses
import itertools
import re

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

from trustbench.api import merged_suite_config
from trustbench.data import build_task, load
from trustbench.data.task import TaskData
from trustbench.report import MetricResult
from trustbench.suites import load_suite_config
from trustbench.suites.context import ScoringContext
from trustbench.suites.data.drift import drift_results
from trustbench.suites.data.inputs import data_inputs
from trustbench.suites.data.models import domain_results

CONFIG = load_suite_config(
    merged_suite_config({"bootstrap": {"n_resamples": 200}, "data": {"plots": False}})
)
SHIFTED = ("x1", "x2")


def _by_key(metrics: list[MetricResult]) -> dict[str, MetricResult]:
    return {m.key: m for m in metrics}


def _named(metric: MetricResult) -> str:
    """The feature a drift maximum names (its definition ends with ``feature 'name'``)."""
    found = re.search(r"feature '([^']+)'$", metric.definition)
    assert found, metric.definition
    return found.group(1)


def _domain(task: TaskData) -> tuple[dict[str, MetricResult], list[str]]:
    ctx = ScoringContext(model=None, task=task, proba={}, config=CONFIG, seed=0)
    metrics, warnings = domain_results(ctx, data_inputs(task), CONFIG.data)
    return _by_key(metrics), warnings


def _categories(values: pd.Series) -> pd.Series:
    """Category labels with missing values as a category of their own."""
    values = values.astype(object)
    return values.where(values.notna(), "<missing>").astype(str)


def _js_reference(train: pd.Series, other: pd.Series) -> float:
    p = _categories(train).value_counts(normalize=True)
    q = _categories(other).value_counts(normalize=True)
    union = p.index.union(q.index)
    p, q = p.reindex(union, fill_value=0.0), q.reindex(union, fill_value=0.0)
    return float(jensenshannon(p.to_numpy(), q.to_numpy(), base=2) ** 2)


def _ks_reference(train: pd.Series, other: pd.Series) -> float:
    return float(ks_2samp(train.dropna(), other.dropna()).statistic)


@pytest.fixture(scope="module")
def heart() -> TaskData:
    return load("heart", seed=0)


@pytest.fixture(scope="module")
def heart_drift(heart):
    return drift_results(data_inputs(heart))


def _table(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, n))
    return pd.DataFrame(
        {
            "x1": x[0],
            "x2": x[1],
            "x3": x[2],
            "x4": x[3],
            "colour": rng.choice(["red", "green", "blue"], n),
            "y": (x[0] + x[2] + rng.normal(size=n) > 0).astype(int),
        }
    )


@pytest.fixture(scope="module")
def random_split() -> TaskData:
    return build_task(_table(), name="random", target="y", seed=0)


@pytest.fixture(scope="module")
def shifted_split(random_split) -> TaskData:
    """``random_split`` with its test rows moved by +1.5 train SD in ``x1`` and ``x2``."""
    train, test = random_split.train.X, random_split.test.X
    moved = test.assign(**{c: test[c] + 1.5 * train[c].std() for c in SHIFTED})
    splits = {**random_split.splits, "test": dataclasses.replace(random_split.test, X=moved)}
    return dataclasses.replace(random_split, splits=splits)


# -- per-feature drift -------------------------------------------------------------------------


@pytest.mark.parametrize("split", ["test", "ood"])
def test_max_ks_is_scipys_statistic_on_the_named_feature(heart, heart_drift, split):
    metrics, _, table = heart_drift
    found = _by_key(metrics)[f"data/drift/{split}/max_ks"]
    train, other = heart.train.X, heart.splits[split].X
    feature = _named(found)
    assert found.value == pytest.approx(_ks_reference(train[feature], other[feature]), abs=1e-12)
    every = {f: _ks_reference(train[f], other[f]) for f in heart.features_of_kind("continuous")}
    assert found.value == pytest.approx(max(every.values()), abs=1e-12)
    rows = table[(table["split"] == split) & (table["kind"] == "continuous")]
    np.testing.assert_allclose(rows["ks"], [every[f] for f in rows["feature"]], atol=1e-12)
    assert found.split == split and found.n == len(other)


@pytest.mark.parametrize("split", ["test", "ood"])
def test_max_js_is_scipys_jensen_shannon_on_the_named_feature(heart, heart_drift, split):
    metrics, _, table = heart_drift
    found = _by_key(metrics)[f"data/drift/{split}/max_js"]
    train, other = heart.train.X, heart.splits[split].X
    feature = _named(found)
    assert feature in heart.features_of_kind("categorical")
    assert found.value == pytest.approx(_js_reference(train[feature], other[feature]), abs=1e-10)
    every = {f: _js_reference(train[f], other[f]) for f in heart.features_of_kind("categorical")}
    assert found.value == pytest.approx(max(every.values()), abs=1e-10)
    rows = table[(table["split"] == split) & (table["kind"] == "categorical")]
    np.testing.assert_allclose(rows["js"], [every[f] for f in rows["feature"]], atol=1e-10)


def test_drift_table_has_a_row_per_feature_and_split(heart, heart_drift):
    _, _, table = heart_drift
    pairs = list(zip(table["split"], table["feature"], strict=True))
    assert sorted(pairs) == sorted(itertools.product(["test", "ood"], heart.feature_names))
    kinds = dict(zip(table["feature"], table["kind"], strict=False))
    assert kinds == {f.name: f.kind for f in heart.features}
    assert (table["psi"] >= 0).all()


def test_notes_name_the_features_that_drift_most(heart_drift):
    metrics, notes, table = heart_drift
    assert len(notes) == 2
    found = _by_key(metrics)
    for split, note in zip(["test", "ood"], notes, strict=True):
        top = table[table["split"] == split].sort_values("psi", ascending=False).head(3)
        named = re.findall(r"(\w+) \(PSI [\d.]+\)", note)
        assert note.startswith(f"data: the features that drift most from train to {split}:")
        assert named == list(top["feature"])
        assert named[0] == _named(found[f"data/drift/{split}/max_psi"])


def test_a_shifted_test_split_is_named_by_its_drift(shifted_split, random_split):
    moved, _, table = drift_results(data_inputs(shifted_split))
    still, _, _ = drift_results(data_inputs(random_split))
    ks, base = _by_key(moved)["data/drift/test/max_ks"], _by_key(still)["data/drift/test/max_ks"]
    assert _named(ks) in SHIFTED and ks.value > 0.4  # normal, 1.5 SD apart: KS ~0.55
    assert base.value < 0.15
    assert _by_key(moved)["data/drift/test/max_psi"].value > 0.25  # a "major" shift
    assert _by_key(still)["data/drift/test/max_psi"].value < 0.1
    by_feature = table.set_index("feature")
    assert by_feature.loc[["x3", "x4"], "ks"].max() < 0.15  # the other columns stay put


# -- the domain classifier ---------------------------------------------------------------------


def test_a_shifted_test_split_is_told_from_train_and_warned_about(shifted_split):
    found, warnings = _domain(shifted_split)
    auc = found["data/drift/test/domain_auc"]
    assert auc.value > 0.75
    assert auc.ci_low <= auc.value <= auc.ci_high
    assert auc.n == len(shifted_split.train) + len(shifted_split.test)
    [warning] = warnings
    assert f"domain AUC {auc.value:.3f}" in warning and "test rows can be told" in warning


def test_a_random_split_is_indistinguishable(random_split):
    found, warnings = _domain(random_split)
    assert found["data/drift/test/domain_auc"].value == pytest.approx(0.5, abs=0.1)
    assert not warnings


def test_heart_ood_hospital_is_told_apart_without_a_warning(heart):
    found, warnings = _domain(heart)
    assert found["data/drift/ood/domain_auc"].value > 0.75  # a different hospital
    assert found["data/drift/test/domain_auc"].value == pytest.approx(0.5, abs=0.1)
    assert not warnings  # only a test split that differs from train is a warning
