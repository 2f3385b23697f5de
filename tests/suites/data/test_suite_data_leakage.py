"""The data suite's leakage checks on tables built to trigger them (rows of train copied into
test or within train, with the label kept or changed, or with a tiny noise) and on a clean
random split of iid rows; and the twin inflation of a model that memorises its training rows,
through :func:`trustbench.score` on ``heart_duplicated``."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

import trustbench
from trustbench.api import merged_suite_config
from trustbench.data import build_task, load
from trustbench.data.task import TaskData
from trustbench.models import make_preprocessor
from trustbench.suites import audit_data, load_suite_config
from trustbench.suites.data.inputs import data_inputs
from trustbench.suites.data.leakage import LeakageResult, leakage_results

FAST = {"bootstrap": {"n_resamples": 200}, "data": {"plots": False}}
N = 500  # rows of the iid table: 350 train, 150 test
CONTINUOUS = [f"x{i}" for i in range(5)]


def iid_task(n: int = N, seed: int = 0) -> TaskData:
    """Five standard normal features, a sex column and a logistic label: no row repeats."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(CONTINUOUS)))
    logit = 2.0 * (X[:, 0] + X[:, 1] - X[:, 2])
    frame = pd.DataFrame(X, columns=CONTINUOUS)
    frame["sex"] = rng.choice(np.array(["F", "M"]), n)
    frame["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return build_task(
        frame, name="iid", target="label", positive_label="yes", sensitive=["sex"], seed=seed
    )


def planted(
    task: TaskData,
    at,
    source,
    *,
    split: str = "test",
    flip: bool = False,
    noise: float = 0.0,
) -> TaskData:
    """A copy of ``task`` whose ``split`` rows at positions ``at`` are copies of train rows at
    positions ``source`` (every feature and the sensitive columns; the label kept, or flipped
    with ``flip``), with Gaussian noise of standard deviation ``noise`` on the continuous
    features when ``noise > 0``. Row ids are left as they were."""
    task = copy.deepcopy(task)
    at, source = np.asarray(at), np.asarray(source)
    dst, src = task.splits[split], task.splits["train"]
    X, sensitive, y = dst.X.copy(), dst.sensitive.copy(), dst.y.copy()
    rng = np.random.default_rng(123)
    for column in X.columns:
        values = src.X[column].to_numpy()[source]
        if noise and column in CONTINUOUS:
            values = values + noise * rng.normal(size=values.shape)
        X.iloc[at, X.columns.get_loc(column)] = values
    for column in sensitive.columns:
        sensitive.iloc[at, sensitive.columns.get_loc(column)] = src.sensitive[column].to_numpy()[
            source
        ]
    y[at] = 1 - src.y[source] if flip else src.y[source]
    task.splits[split] = replace(dst, X=X, sensitive=sensitive, y=y)
    return task


def leakage(task: TaskData, **data: object) -> LeakageResult:
    cfg = load_suite_config(merged_suite_config({**FAST, "data": {**FAST["data"], **data}}))
    return leakage_results(task, data_inputs(task), cfg.data, seed=0)


def values(result: LeakageResult) -> dict[str, float]:
    return {m.key: m.value for m in result.metrics}


def twin_warnings(result: LeakageResult) -> list[str]:
    return [w for w in result.warnings if "have a twin in train" in w]


@pytest.fixture(scope="module")
def base() -> TaskData:
    return iid_task()


def test_clean_random_split_has_no_leakage_and_no_warning(base):
    assert {name: len(s) for name, s in base.splits.items()} == {"train": 350, "test": 150}
    cfg = load_suite_config(merged_suite_config(FAST))
    audit = audit_data(base, cfg, seed=0)
    shares = {m.key: m.value for m in audit.metrics if m.key.startswith("data/splits/")}
    assert set(shares) == {
        *(
            f"data/splits/{s}/{m}"
            for s in ("train", "test")
            for m in ("duplicate_share", "duplicate_share_with_label", "conflicting_label_share")
        ),
        "data/splits/all/conflicting_label_share",
        "data/splits/test/twin_share",
        "data/splits/test/twin_share_with_label",
        "data/splits/test/near_twin_share",
    }
    assert all(value == 0.0 for value in shares.values()), shares
    assert audit.warnings == []
    assert not audit.twins["test"].any()
    assert "data/twins.parquet" not in audit.artifacts


def test_exact_twins_are_counted_exactly_and_warned_with_the_count(base):
    k, n = 6, len(base.test)
    at, source = np.arange(0, 60, 10), np.array([3, 50, 99, 150, 201, 333])
    result = leakage(planted(base, at, source))
    got = values(result)
    assert got["data/splits/test/twin_share"] == k / n
    assert got["data/splits/test/twin_share_with_label"] == k / n
    assert got["data/splits/test/near_twin_share"] == k / n  # exact twins are near twins too
    assert got["data/splits/all/conflicting_label_share"] == 0.0
    assert got["data/splits/test/duplicate_share"] == 0.0
    twin = next(m for m in result.metrics if m.key == "data/splits/test/twin_share")
    assert (twin.n, twin.ci_low, twin.ci_high) == (n, None, None)  # a fact, no interval
    assert f"{k} of {n} rows" in twin.definition
    [warning] = twin_warnings(result)
    assert f"{k} of {n} test rows" in warning
    assert f"({k} exact, 0 near)" in warning
    assert np.flatnonzero(result.twins["test"]).tolist() == at.tolist()
    table = result.table
    assert sorted(table["row_id"]) == sorted(base.test.row_id[at])
    assert set(table["split"]) == {"test"} and table["exact"].all()


def test_one_twin_below_the_warning_share_is_counted_but_not_warned(base):
    result = leakage(planted(base, [7], [12]))  # 1 of 150 = 0.67% <= warn.twin_share 1%
    assert values(result)["data/splits/test/twin_share"] == 1 / len(base.test)
    assert twin_warnings(result) == []
    # the same row with the threshold below it is a warning
    assert len(twin_warnings(leakage(planted(base, [7], [12]), warn={"twin_share": 0.005}))) == 1


def test_copies_with_the_label_changed_are_twins_without_label_and_conflicts(base):
    same_at, same_src = np.array([1, 2, 3]), np.array([10, 20, 30])
    flip_at, flip_src = np.array([40, 41, 42, 43]), np.array([100, 110, 120, 130])
    task = planted(planted(base, same_at, same_src), flip_at, flip_src, flip=True)
    assert (task.test.y[flip_at] != base.train.y[flip_src]).all()
    n_test, n_all = len(base.test), len(base.train) + len(base.test)
    result = leakage(task)
    got = values(result)
    assert got["data/splits/test/twin_share"] == 7 / n_test
    assert got["data/splits/test/twin_share_with_label"] == 3 / n_test
    # both rows of each of the 4 conflicting pairs, over every split together
    assert got["data/splits/all/conflicting_label_share"] == 8 / n_all
    # each pair spans two splits: neither split holds a conflict of its own
    assert got["data/splits/test/conflicting_label_share"] == 0.0
    assert got["data/splits/train/conflicting_label_share"] == 0.0
    [conflict] = [w for w in result.warnings if "identical features with a row of another" in w]
    assert conflict.startswith("data: 8 rows share")


def test_near_twins_are_near_not_exact(base):
    exact_at, exact_src = np.array([5, 6]), np.array([0, 1])
    near_at, near_src = np.array([70, 80, 90, 100, 110]), np.array([200, 210, 220, 230, 240])
    task = planted(planted(base, exact_at, exact_src), near_at, near_src, noise=1e-6)
    n = len(base.test)
    result = leakage(task)
    got = values(result)
    assert got["data/splits/test/twin_share"] == 2 / n
    assert got["data/splits/test/twin_share_with_label"] == 2 / n
    assert got["data/splits/test/near_twin_share"] == 7 / n
    [warning] = twin_warnings(result)
    assert f"7 of {n} test rows" in warning and "(2 exact, 5 near)" in warning
    table = result.table.set_index("row_id")
    assert table.loc[base.test.row_id[exact_at], "exact"].all()
    assert not table.loc[base.test.row_id[near_at], "exact"].any()
    # the noisy copies are really different rows: no exact twin, no duplicate
    assert got["data/splits/test/duplicate_share"] == 0.0
    # a large noise makes them ordinary rows again
    far = leakage(planted(base, near_at, near_src, noise=1.0))
    assert values(far)["data/splits/test/near_twin_share"] == 0.0
    assert twin_warnings(far) == []


def test_duplicates_within_train_share_and_warning(base):
    n = len(base.train)
    dup_at, dup_src = np.arange(300, 307), np.arange(0, 7)  # 7 of 350 = 2.0%
    result = leakage(planted(base, dup_at, dup_src, split="train"))
    got = values(result)
    assert got["data/splits/train/duplicate_share"] == 7 / n
    assert got["data/splits/train/duplicate_share_with_label"] == 7 / n
    assert got["data/splits/train/conflicting_label_share"] == 0.0
    assert got["data/splits/test/duplicate_share"] == 0.0
    assert got["data/splits/test/twin_share"] == 0.0  # duplicates in train are no leak
    [warning] = [w for w in result.warnings if "repeat another train row" in w]
    assert f"7 of {n} train rows (2.0%)" in warning
    # three more with the label changed: duplicates, not duplicates with their label, conflicts
    flipped = planted(
        planted(base, dup_at, dup_src, split="train"),
        [320, 321, 322],
        [10, 11, 12],
        split="train",
        flip=True,
    )
    got = values(leakage(flipped))
    assert got["data/splits/train/duplicate_share"] == 10 / n
    assert got["data/splits/train/duplicate_share_with_label"] == 7 / n
    assert got["data/splits/train/conflicting_label_share"] == 6 / n
    assert got["data/splits/all/conflicting_label_share"] == 6 / (n + len(base.test))


def test_few_duplicates_within_train_are_counted_but_not_warned(base):
    n = len(base.train)
    result = leakage(planted(base, [300, 301, 302], [0, 1, 2], split="train"))  # 0.86%
    assert values(result)["data/splits/train/duplicate_share"] == 3 / n
    assert not [w for w in result.warnings if "repeat another train row" in w]


def _row_text(X: pd.DataFrame) -> pd.Series:
    """Each row as one string (``repr`` of a float round-trips; NaN is 'nan'): a reference
    for 'every feature equal' independent of the suite's row hashes."""
    return X.astype(object).map(repr).agg("|".join, axis=1)


def test_twin_inflation_of_a_memorising_model_on_heart_duplicated():
    task = load("heart_duplicated", seed=0)
    model = make_pipeline(
        make_preprocessor(task.features), DecisionTreeClassifier(random_state=0)
    ).fit(task.train.X, task.train.y)
    config = {**FAST, "performance": {"plots": False}}
    report = trustbench.score(model, task, suites=["data", "performance"], config=config)
    data = report.suites["data"]
    assert data.status == "ok", data.reason
    got = {m.key: m for m in data.metrics}
    auc = next(m for m in report.suites["performance"].metrics if m.key == "performance/roc_auc")
    assert auc.split == "test"
    free = got["data/splits/test/roc_auc_twin_free"]
    inflation = got["data/splits/test/twin_auc_inflation"]
    assert free.value < auc.value
    assert inflation.value > 0
    assert inflation.ci_low <= inflation.value <= inflation.ci_high
    assert inflation.ci_method == "bc"

    # the twin-free rows, from the artifact's row ids, and the AUCs recomputed with sklearn
    twins = report.artifacts["data/twins.parquet"]
    test = task.test
    mask = np.isin(test.row_id, twins.loc[twins["split"] == "test", "row_id"])
    reference = _row_text(test.X).isin(set(_row_text(task.train.X)))
    assert (mask == reference.to_numpy()).all()  # every twin is an exact twin here
    assert got["data/splits/test/twin_share"].value == reference.mean()
    proba = model.predict_proba(test.X)[:, 1]
    assert free.n == int((~mask).sum())
    assert free.value == pytest.approx(roc_auc_score(test.y[~mask], proba[~mask]), abs=1e-12)
    full = roc_auc_score(test.y, proba)
    assert auc.value == pytest.approx(full, abs=1e-12)
    assert inflation.value == pytest.approx(full - free.value, abs=1e-12)


def test_no_twins_no_twin_free_auc():
    task = iid_task(seed=1)
    model = make_pipeline(
        make_preprocessor(task.features), DecisionTreeClassifier(random_state=0)
    ).fit(task.train.X, task.train.y)
    report = trustbench.score(model, task, suites=["data"], config=FAST)
    keys = {m.key for m in report.suites["data"].metrics}
    assert report.suites["data"].status == "ok"
    assert "data/splits/test/twin_share" in keys
    assert not {k for k in keys if k.endswith(("roc_auc_twin_free", "twin_auc_inflation"))}
    assert "data/twins.parquet" not in report.artifacts
