"""The data suite's model-based checks on train (src/trustbench/suites/data/models.py): single
column and site shortcuts, and label issues by confident learning, each on data built to
trigger it and on data built not to. The domain classifier is tested in test_drift.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustbench.api import merged_suite_config
from trustbench.data import build_task, load
from trustbench.data.task import TaskData
from trustbench.metrics.data_labels import cross_fitted_proba, label_issue_mask
from trustbench.report import MetricResult
from trustbench.suites import audit_data, load_suite_config
from trustbench.suites.context import ScoringContext
from trustbench.suites.data.inputs import data_inputs
from trustbench.suites.data.models import label_results, shortcut_results


def _config(**data):
    """The shipped suite config with 200 bootstrap resamples, no plots and ``data`` options."""
    return load_suite_config(
        merged_suite_config({"bootstrap": {"n_resamples": 200}, "data": {"plots": False, **data}})
    )


CONFIG = _config()


def _run(check, task: TaskData, config=CONFIG):
    """``check(ctx, inputs, cfg)`` as the data suite calls it (no model, seed 0)."""
    ctx = ScoringContext(model=None, task=task, proba={}, config=config, seed=0)
    return check(ctx, data_inputs(task), config.data)


def _by_key(metrics: list[MetricResult]) -> dict[str, MetricResult]:
    return {m.key: m for m in metrics}


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """``y = 1[x1 + x2 > 0]`` (no label noise), a useless ``x3``, a category and a sex."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=(3, n))
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "colour": rng.choice(["red", "green", "blue"], n),
            "sex": rng.choice(["F", "M"], n),
            "y": (x1 + x2 > 0).astype(int),
        }
    )


def _flip(values: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 ``values`` with a random ``share`` of them flipped, and the flipped mask."""
    flipped = np.random.default_rng(seed).random(len(values)) < share
    return np.where(flipped, 1 - values, values), flipped


# -- shortcuts ---------------------------------------------------------------------------------


def test_a_column_copying_the_label_is_named_as_the_shortcut_and_warned_about():
    frame = _table(800, seed=1)
    copy, _ = _flip(frame["y"].to_numpy(), 0.02, seed=2)
    frame["discharge_code"] = copy + np.random.default_rng(3).normal(0, 0.1, len(frame))
    task = build_task(frame, name="leaky", target="y", sensitive="sex", seed=0)
    metrics, warnings, table = _run(shortcut_results, task)
    best = _by_key(metrics)["data/shortcuts/max_feature_auc"]
    assert best.value > 0.95
    assert best.definition.endswith("column 'discharge_code'")
    assert best.ci_low <= best.value <= best.ci_high and best.ci_high - best.ci_low < 0.05
    assert table["column"].iloc[0] == "discharge_code"
    assert table["auc"].iloc[0] == pytest.approx(best.value)
    assert set(table["column"]) == set(task.feature_names)
    [warning] = warnings
    assert "column 'discharge_code' alone predicts the label" in warning
    assert f"AUC {best.value:.3f}" in warning


def test_heart_has_no_shortcut_warning():
    task = load("heart", seed=0)
    metrics, warnings, table = _run(shortcut_results, task)
    found = _by_key(metrics)
    best = found["data/shortcuts/max_feature_auc"]
    assert 0.6 < best.value < CONFIG.data.warn.shortcut_auc
    assert found["data/shortcuts/site_auc"].value < CONFIG.data.warn.site_auc
    assert not warnings
    assert set(table["column"]) == {*task.feature_names, "(site)"}


def test_a_site_that_gives_the_label_away_is_a_site_warning():
    frame = _table(800, seed=4)
    y = frame["y"].to_numpy()
    agrees = np.random.default_rng(5).random(len(frame)) < 0.9
    frame["hospital"] = np.where(agrees == (y == 1), "north", "south")
    task = build_task(frame, name="sites", target="y", sensitive="sex", site="hospital", seed=0)
    metrics, warnings, _ = _run(shortcut_results, task)
    site = _by_key(metrics)["data/shortcuts/site_auc"]
    assert site.value == pytest.approx(0.9, abs=0.04)  # 90% of rows: site = label
    assert site.split == "train" and site.n == len(task.train)
    assert [w for w in warnings if "the site alone predicts the label" in w]
    # x1 + x2 decide the label but neither alone is a shortcut (AUC ~0.8)
    assert not [w for w in warnings if "the column " in w]


def test_sites_with_equal_prevalence_give_no_site_warning():
    frame = _table(800, seed=6)
    frame["hospital"] = np.random.default_rng(7).choice(["north", "south", "east"], len(frame))
    task = build_task(frame, name="sites", target="y", sensitive="sex", site="hospital", seed=0)
    metrics, warnings, _ = _run(shortcut_results, task)
    site = _by_key(metrics)["data/shortcuts/site_auc"]
    assert site.value == pytest.approx(0.5, abs=0.1)
    assert site.ci_low < 0.5 + 0.02  # the interval does not exclude "no information" by much
    assert not warnings


# -- label issues ------------------------------------------------------------------------------


def _noisy_task(n: int, copies: int, seed: int = 8) -> tuple[TaskData, np.ndarray]:
    """A task from :func:`_table` with 5% of its patients' labels flipped (in every one of
    their ``copies`` rows), and the source row ids of the flipped rows."""
    base = _table(n, seed=seed)
    base["y"], flipped = _flip(base["y"].to_numpy(), 0.05, seed=seed + 1)
    frame = base.loc[np.repeat(base.index, copies)].reset_index(drop=True)
    task = build_task(frame, name="noisy", target="y", sensitive="sex", seed=0)
    return task, np.flatnonzero(np.repeat(flipped, copies))


def test_flipped_labels_are_flagged_overall_and_per_group():
    task, flipped_ids = _noisy_task(1000, copies=1)
    metrics, warnings, table = _run(label_results, task)
    found = _by_key(metrics)
    flipped = np.isin(task.train.row_id, flipped_ids)
    flagged = np.isin(task.train.row_id, table["row_id"])
    precision = (flagged & flipped).sum() / flagged.sum()
    recall = (flagged & flipped).sum() / flipped.sum()
    assert precision > 0.5 and recall > 0.5
    share = found["data/labels/label_issue_share"]
    assert share.value == pytest.approx(flagged.mean())
    assert share.value == pytest.approx(flipped.mean(), abs=0.03)
    assert share.ci_low < share.value < share.ci_high
    assert share.n == len(task.train)
    sex = task.train.sensitive["sex"].to_numpy()
    for group in ("F", "M"):
        member = sex == group
        per_group = found[f"data/groups/sex/{group}/label_issue_share"]
        assert per_group.value == pytest.approx(flagged[member].mean())
        assert per_group.n == member.sum()
    assert not warnings  # 5% flagged is below suite.data.warn.label_issue_share
    # the suggested label is the other class for a binary task, its probability below 0.5
    assert (table["suggested_label"] != table["given_label"]).all()
    assert (table["given_label_probability"] < 0.5).all()


def test_clean_labels_are_rarely_flagged():
    clean = _table(1000, seed=8)  # the rows of _noisy_task(1000, 1), labels unflipped
    task = build_task(clean, name="clean", target="y", sensitive="sex", seed=0)
    metrics, _, table = _run(label_results, task)
    assert _by_key(metrics)["data/labels/label_issue_share"].value < 0.02
    assert len(table) < 0.02 * len(task.train)


def test_copies_of_a_row_are_cross_fitted_as_one():
    task, flipped_ids = _noisy_task(600, copies=3)
    _, _, table = _run(label_results, task)
    flipped = np.isin(task.train.row_id, flipped_ids)
    flagged = np.isin(task.train.row_id, table["row_id"])
    recall = (flagged & flipped).sum() / flipped.sum()
    assert recall > 0.75 and (flagged & flipped).sum() / flagged.sum() > 0.5
    # every copy of a row in train gets the same verdict
    patient = task.train.row_id // 3
    verdicts = pd.Series(flagged).groupby(patient).nunique()
    assert (verdicts == 1).all()
    # cross-fitting the copies separately lets a copy vouch for its own wrong label
    inputs = data_inputs(task)
    y = task.train.y
    naive = label_issue_mask(y, cross_fitted_proba(inputs.matrix("train"), y, 2, folds=5, seed=0))
    assert (naive & flipped).sum() / flipped.sum() < recall - 0.15


def test_label_issues_off_gives_no_label_metrics():
    task, _ = _noisy_task(300, copies=1)
    audit = audit_data(task, _config(label_issues=False), seed=0)
    assert not [m.key for m in audit.metrics if "label_issue" in m.key]
    assert "data/label_issues.parquet" not in audit.artifacts
    assert not [n for n in audit.notes if "label issues" in n]
    assert [m.key for m in audit.metrics if m.key.startswith("data/shortcuts/")]
