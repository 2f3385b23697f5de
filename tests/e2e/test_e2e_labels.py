"""Labels users give survive as distinct MLflow keys (issue 18): a CJK and punctuation cohort
keeps every group, site and attribute apart through a scored and logged run, and names too long
for MLflow's 250-character keys are shortened before training instead of failing at logging."""

from __future__ import annotations

import fnmatch
import json

import numpy as np
import pandas as pd
import pytest
from tests.conftest import assert_every_key_registered, compose_config, run_logged

from trustbench import experiment
from trustbench.errors import ConfigError
from trustbench.leaderboard.directions import resolve
from trustbench.suites.naming import MAX_KEY_LENGTH

SEX = ["男", "女"]
GROUPS = ["x/y", "x_y", "a b", "a_b"]
SITES = ["北京", "上海", "广州"]
FAST = [
    "suite.bootstrap.n_resamples=50",
    "suite.explainability.n_rows=30",
]


def _cohort(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "sex": rng.choice(SEX, n),
            "grp": rng.choice(GROUPS, n),
            "hospital": rng.choice(SITES, n),
            "y": (x1 + 0.5 * x2 + rng.normal(size=n) > 0).astype(int),
        }
    )


@pytest.fixture(scope="module")
def cohort_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cjk_run")
    path = tmp / "cohort.csv"
    _cohort().to_csv(path, index=False)
    overrides = [
        "dataset=csv",
        f"dataset.path={path}",
        "dataset.target=y",
        "dataset.sensitive=[sex,grp]",
        "dataset.site=hospital",
        'dataset.ood_sites=["广州"]',
        *FAST,
    ]
    return run_logged(overrides, tmp)


def _matching(keys, pattern: str) -> list[str]:
    return sorted(k for k in keys if fnmatch.fnmatchcase(k, pattern) and "/ci_" not in k)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("fairness/sex/*/accuracy", 2),
        ("fairness/grp/*/accuracy", 4),
        ("fairness/grp/*/true_positive_rate", 4),
        ("generalization/site/*/accuracy", 3),
        ("privacy/loss/sex/*/auc", 2),
        ("privacy/loss/grp/*/auc", 4),
        ("uncertainty/lac/test/grp/*/coverage", 4),
        ("uncertainty/lac/test/site/*/coverage", 2),
        ("uncertainty/selective/test/sex/*/aurc", 2),
    ],
)
def test_every_group_and_site_is_its_own_logged_key(cohort_run, pattern, expected):
    result, run, _ = cohort_run
    logged = _matching(run.data.metrics, pattern)
    assert len(logged) == expected, logged
    reported = _matching(result.report.values(), pattern)
    assert reported == logged


def test_logged_values_are_the_reports_and_no_key_repeats(cohort_run):
    result, run, _ = cohort_run
    keys = [m.key for m in result.report.metrics()]
    assert len(keys) == len(set(keys)), [k for k in set(keys) if keys.count(k) > 1][:5]
    for metric in result.report.metrics():
        if metric.value is not None:
            assert run.data.metrics[metric.key] == pytest.approx(metric.value), metric.key
    assert_every_key_registered(run.data.metrics)
    for key in _matching(run.data.metrics, "*/site/*/accuracy"):
        assert resolve(key, {}).source == "registry"  # the board reads them back


def test_original_labels_are_kept_in_the_report(cohort_run):
    result, _, local = cohort_run
    report = result.report
    within = {
        report[key].definition.rsplit("within the group sex=", 1)[1].split(" ")[0]
        for key in _matching(report.values(), "fairness/sex/*/accuracy")
    }
    assert within == set(SEX)
    sites = {
        report[key].definition.split("site '")[1].split("'")[0]
        for key in _matching(report.values(), "generalization/site/*/accuracy")
    }
    assert sites == set(SITES)
    labels = report.run["key_labels"]
    assert set(labels["groups"]["sex"].values()) == set(SEX)
    assert set(labels["groups"]["grp"].values()) == {"x/y"}  # the others are written as is
    assert set(labels["sites"].values()) == set(SITES)
    for component, label in labels["groups"]["sex"].items():
        assert f"fairness/sex/{component}/accuracy" in report.values()
        assert label in report[f"fairness/sex/{component}/accuracy"].definition
    saved = json.loads((local / "trust_report.json").read_text())
    assert saved["run"]["key_labels"] == labels
    table = pd.read_parquet(local / "fairness" / "groups.parquet")
    assert set(table.loc[table["attribute"] == "grp", "group"]) == set(GROUPS)
    assert set(table.loc[table["attribute"] == "sex", "group"]) == set(SEX)


LONG_COLUMN = "c" * 240
LONG_GROUP = "v" * 300


def test_names_longer_than_mlflow_keys_are_shortened_before_training(tmp_path):
    """Before: the run trained, scored and died at logging (MlflowException: 'Metric name'
    exceeds the maximum length of 250 characters)."""
    rng = np.random.default_rng(1)
    frame = _cohort(400).drop(columns=["sex", "grp", "hospital"])
    frame[LONG_COLUMN] = rng.choice(["A", "B"], len(frame))
    frame["g"] = rng.choice([LONG_GROUP, LONG_GROUP[:-1] + "w", "w"], len(frame))
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    overrides = [
        "dataset=csv",
        f"dataset.path={path}",
        "dataset.target=y",
        f"dataset.sensitive=[{LONG_COLUMN},g]",
        *FAST,
    ]
    result, run, _ = run_logged(overrides, tmp_path)
    assert run.info.status == "FINISHED"
    assert max(map(len, run.data.metrics)) <= MAX_KEY_LENGTH
    assert len(_matching(run.data.metrics, "fairness/g/*/accuracy")) == 3
    long_keys = _matching(run.data.metrics, "fairness/c*/*/accuracy")
    assert len(long_keys) == 2 and all(k.startswith("fairness/" + "c" * 50) for k in long_keys)
    labels = result.report.run["key_labels"]
    assert LONG_COLUMN in labels["attributes"].values()
    assert {LONG_GROUP, LONG_GROUP[:-1] + "w"} == set(labels["groups"]["g"].values())


def test_a_param_key_mlflow_refuses_stops_before_training(tmp_path, monkeypatch):
    """A column name as a key of ``dataset.sensitive_bins`` becomes a param key; before, MLflow
    refused it when the run logged its config (a traceback and a FAILED run)."""

    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the input was validated")

    monkeypatch.setattr(experiment, "train", forbidden)
    frame = _cohort(200).drop(columns=["grp", "hospital"])
    frame[LONG_COLUMN] = np.random.default_rng(2).integers(20, 90, len(frame))
    path = tmp_path / "bins.csv"
    frame.to_csv(path, index=False)
    cfg = compose_config(
        [
            "dataset=csv",
            f"dataset.path={path}",
            "dataset.target=y",
            f"dataset.sensitive=[sex,{LONG_COLUMN}]",
            f"dataset.sensitive_bins={{{LONG_COLUMN}:[0,50,200]}}",
        ],
        tracking_dir=tmp_path,
    )
    with pytest.raises(ConfigError, match="over MLflow's limit of 250") as info:
        experiment.run_experiment(cfg)
    assert "dataset.sensitive_bins.ccc" in str(info.value) and "\n" not in str(info.value)
