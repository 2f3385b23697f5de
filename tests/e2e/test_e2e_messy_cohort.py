"""A messy hospital export (repeat admissions, dates, missing age and sex, died/survived) from
the first command to a scored run: each problem is one line with the fix to type, and the fixed
command keeps every patient, scores the 'missing' groups, and splits by patient and by time."""

from __future__ import annotations

import re
import shlex

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from tests.conftest import compose_config, trustbench_error_lines
from tests.data.messy_cohort import messy_cohort

from trustbench import experiment
from trustbench.data import load
from trustbench.errors import DataError

CUTOFF = "2022-01-01"


@pytest.fixture(scope="module")
def admissions(tmp_path_factory):
    frame = messy_cohort()
    path = tmp_path_factory.mktemp("messy_e2e") / "admissions.csv"
    frame.to_csv(path, index=False)
    return frame, path


def _args(path) -> list[str]:
    return [
        "dataset=csv",
        f"dataset.path={path}",
        "dataset.target=outcome",
        "dataset.sensitive=[sex]",
        "dataset.sensitive_bins={age:[0,50,65,200]}",
    ]


@pytest.fixture
def no_training(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the input was validated")

    monkeypatch.setattr(experiment, "train", forbidden)


def test_every_unencodable_column_is_one_line_and_its_fix_parses(admissions, tmp_path):
    _, path = admissions
    lines = trustbench_error_lines(_args(path), tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith(
        "trustbench: error: Feature columns 'patient_id', 'admit_date': expected values a "
        "model can encode"
    )
    assert lines[0].endswith(
        "drop them with 'dataset.drop=[patient_id,admit_date]' (Python: "
        "drop=['patient_id', 'admit_date'])."
    )
    fix = shlex.split(re.search(r"'dataset\.drop=\[[^\]]*\]'", lines[0]).group(0))
    assert list(compose_config([*_args(path), *fix]).dataset.drop) == ["patient_id", "admit_date"]


def test_died_survived_needs_the_positive_label_before_any_training(admissions, no_training):
    _, path = admissions
    cfg = compose_config([*_args(path), "dataset.drop=[patient_id,admit_date]"])
    with pytest.raises(DataError) as info:
        experiment.run_experiment(cfg, track=False)
    assert str(info.value).endswith(
        "set 'dataset.positive_label=died' or 'dataset.positive_label=survived' (Python: "
        "positive_label='died')."
    )


def test_the_fixed_command_scores_every_patient_by_patient_and_by_time(admissions):
    frame, path = admissions
    overrides = [
        *_args(path),
        "dataset.positive_label=died",
        "dataset.group_column=patient_id",
        "dataset.time_column=admit_date",
        f"dataset.time_cutoff={CUTOFF}",
    ]
    cfg = compose_config(overrides)
    result = experiment.run_experiment(cfg, track=False)
    report = result.report
    assert not result.failed_suites
    assert sum(report.run["n"].values()) == len(frame)  # no patient dropped
    assert "given as positive_label" in report.run["positive_class"]
    keys = report.values()
    for attribute in ("sex", "age_group"):  # the missing groups are scored like any other
        assert f"fairness/{attribute}/missing/accuracy" in keys
        assert f"uncertainty/lac/test/{attribute}/missing/coverage" in keys
    assert any("group 'missing' has" in w for w in report.suites["data"].warnings)
    assert not any("'missing' vs" in w for w in report.suites["data"].warnings)

    dataset = OmegaConf.to_container(cfg, resolve=True)["dataset"]
    task = load("csv", seed=0, **{k: v for k, v in dataset.items() if k != "name"})
    assert task.fingerprint == report.run["fingerprint"]
    pid = frame["patient_id"].to_numpy()
    train, test, ood = (set(pid[s.row_id]) for s in task.splits.values())
    assert not train & test and not train & ood
    times = pd.to_datetime(frame["admit_date"]).to_numpy()
    cut = np.datetime64(CUTOFF)
    assert (times[task.ood.row_id] >= cut).all()
    assert (times[np.concatenate([task.train.row_id, task.test.row_id])] < cut).all()
    assert "patient_id" not in task.feature_names and "admit_date" not in task.feature_names
