"""Patient-level (group_column) and temporal (time_column) splits: no leakage, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.data.messy_cohort import messy_cohort

from trustbench.data import build_task, load
from trustbench.errors import ConfigError, DataError

CUTOFF = "2022-01-01"


def _build(frame: pd.DataFrame, **kwargs):
    kwargs.setdefault("name", "messy")
    kwargs.setdefault("target", "outcome")
    kwargs.setdefault("positive_label", "died")
    kwargs.setdefault("sensitive", ["sex"])
    return build_task(frame, **kwargs)


@pytest.fixture(scope="module")
def cohort():
    return messy_cohort()


@pytest.fixture(scope="module")
def temporal(cohort):
    return _build(
        cohort, group_column="patient_id", time_column="admit_date", time_cutoff=CUTOFF, seed=3
    )


def _ids(frame: pd.DataFrame, split, column: str) -> set:
    return set(frame[column].to_numpy()[split.row_id].tolist())


def test_no_patient_is_in_train_and_any_scored_split(temporal, cohort):
    train, test, ood = (_ids(cohort, s, "patient_id") for s in temporal.splits.values())
    assert not train & test and not train & ood
    # a patient admitted on both sides of the cut-off: earlier rows in test, later in ood
    assert test & ood and len(test & ood) == temporal.metadata["groups_in_test_and_ood"]
    rows = np.concatenate([s.row_id for s in temporal.splits.values()])
    assert sorted(rows.tolist()) == list(range(len(cohort)))  # nothing dropped


def test_every_ood_time_is_on_or_after_the_cutoff_and_every_other_before(temporal, cohort):
    times = pd.to_datetime(cohort["admit_date"])
    cut = pd.Timestamp(CUTOFF)
    assert (times.iloc[temporal.ood.row_id] >= cut).all()
    for split in (temporal.train, temporal.test):
        assert (times.iloc[split.row_id] < cut).all()
    assert temporal.metadata["ood"] == "admit_date >= 2022-01-01 (rows on or after the cut-off)"
    assert temporal.metadata["time_ranges"]["after"][0] >= CUTOFF


def test_neither_the_group_nor_the_time_column_is_a_feature(temporal):
    assert "patient_id" not in temporal.feature_names
    assert "admit_date" not in temporal.feature_names
    assert temporal.feature_names == ["age", "sex", "lactate", "heart_rate", "ward"]


def test_the_group_split_keeps_the_proportions_and_the_class_balance(cohort):
    cohort = cohort.drop(columns=["admit_date"])
    task = _build(cohort, group_column="patient_id", seed=0)
    n_train, n_test = len(task.train), len(task.test)
    assert abs(n_test / (n_train + n_test) - 0.3) < 0.01
    assert abs(task.train.y.mean() - task.test.y.mean()) < 0.01
    assert not _ids(cohort, task.train, "patient_id") & _ids(cohort, task.test, "patient_id")
    again = _build(cohort, group_column="patient_id", seed=0)
    other = _build(cohort, group_column="patient_id", seed=1)
    assert np.array_equal(task.test.row_id, again.test.row_id)
    assert not np.array_equal(task.test.row_id, other.test.row_id)
    plain = _build(cohort, drop=["patient_id"], seed=0)
    assert task.fingerprint != plain.fingerprint
    # the row split leaks: most repeat patients are in both train and test
    assert _ids(cohort, plain.train, "patient_id") & _ids(cohort, plain.test, "patient_id")


def test_a_numeric_time_column_takes_a_number(cohort):
    frame = cohort.assign(year=pd.to_datetime(cohort["admit_date"]).dt.year)
    task = _build(
        frame.drop(columns=["admit_date", "patient_id"]), time_column="year", time_cutoff=2022
    )
    assert (frame["year"].to_numpy()[task.ood.row_id] >= 2022).all()
    assert (frame["year"].to_numpy()[task.train.row_id] < 2022).all()
    with pytest.raises(DataError) as info:
        _build(frame.drop(columns=["admit_date"]), time_column="year", time_cutoff="2022-01-01")
    assert str(info.value) == (
        "dataset.time_cutoff: expected a finite number (time column 'year' holds numbers from "
        "2016 to 2024), got '2022-01-01'."
    )


def _one_line(exc) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize(
    ("change", "kwargs", "expected"),
    [
        (
            None,
            {"group_column": "patient"},
            "Group column 'patient' (dataset.group_column) not found in the table. Did you mean "
            "'patient_id'? Available columns: 'patient_id', 'admit_date', 'age', 'sex', "
            "'lactate', 'heart_rate', 'ward', 'outcome'.",
        ),
        (
            None,
            {"time_column": "admit", "time_cutoff": CUTOFF},
            "Time column 'admit' (dataset.time_column) not found in the table. Did you mean "
            "'admit_date'? Available columns: ",
        ),
        (
            lambda f: f.assign(admit_date=f["admit_date"].where(f.index % 9 > 0, "soon")),
            {"time_column": "admit_date", "time_cutoff": CUTOFF},
            "Time column 'admit_date' (dataset.time_column): expected dates (such as 2020-01-31) "
            "or numbers, got 568 value(s) that are neither, such as 'soon'; correct them in the "
            "file.",
        ),
        (
            None,
            {"time_column": "admit_date", "time_cutoff": "2030-01-01"},
            "dataset.time_cutoff=2030-01-01: expected rows on both sides of the cut-off in time "
            "column 'admit_date', got none on or after it (ood would be empty); times run from "
            "2016-01-01 to 2024-11-01: choose a cut-off after 2016-01-01 and no later than "
            "2024-11-01.",
        ),
        (
            None,
            {"time_column": "admit_date", "time_cutoff": "2015-06-30"},
            "dataset.time_cutoff=2015-06-30: expected rows on both sides of the cut-off in time "
            "column 'admit_date', got none before it (train/test would be empty)",
        ),
        (
            None,
            {"time_column": "admit_date"},
            "dataset.time_cutoff: expected a cut-off for time column 'admit_date' (rows on or "
            "after it form the ood split), got none; times run from 2016-01-01 to 2024-11-01: "
            "e.g. 'dataset.time_cutoff=",
        ),
        (
            None,
            {"time_column": "admit_date", "time_cutoff": "last spring"},
            "dataset.time_cutoff: expected a date such as 2020-01-01 (time column 'admit_date' "
            "holds dates from 2016-01-01 to 2024-11-01), got 'last spring'.",
        ),
        (
            None,
            {"time_cutoff": CUTOFF},
            "dataset.time_cutoff: expected it with dataset.time_column (the column of dates it "
            "cuts), got time_cutoff='2022-01-01' and no time column; add "
            "'dataset.time_column=<column>'.",
        ),
        (
            lambda f: f.assign(patient_id=f["patient_id"].where(f.index % 100 > 0)),
            {"group_column": "patient_id"},
            "Group column 'patient_id' (dataset.group_column): expected an id in every row, got "
            "52 missing (row positions 0, 100, 200, 300, 400, ...); fill them in",
        ),
        (
            None,
            {"group_column": "outcome"},
            "dataset.group_column: expected a column other than the target, got the target "
            "'outcome'.",
        ),
    ],
    ids=[
        "no-group-column",
        "no-time-column",
        "unparseable-times",
        "cutoff-after-all",
        "cutoff-before-all",
        "no-cutoff",
        "bad-cutoff",
        "cutoff-without-column",
        "missing-group-ids",
        "group-is-target",
    ],
)
def test_bad_group_and_time_keys_are_one_line_before_any_split(cohort, change, kwargs, expected):
    frame = cohort if change is None else change(cohort)
    kwargs.setdefault("drop", [c for c in ("patient_id", "admit_date") if c not in kwargs.values()])
    kwargs["drop"] = [c for c in kwargs["drop"] if c not in (kwargs.get("group_column"),)]
    with pytest.raises(DataError) as info:
        _build(frame, **kwargs)
    assert _one_line(info).startswith(expected), str(info.value)


def test_a_time_split_takes_no_other_ood_source(cohort):
    frame = cohort.assign(site=np.where(cohort.index % 2, "north", "south"))
    with pytest.raises(DataError, match=r"^ood: expected at most one of ood_sites, ood_shift"):
        _build(
            frame,
            site="site",
            ood_sites=["north"],
            time_column="admit_date",
            time_cutoff=CUTOFF,
            group_column="patient_id",
        )


def test_a_shipped_dataset_refuses_the_csv_split_keys_by_name():
    with pytest.raises(ConfigError) as info:
        load("heart", group_column="id")
    assert str(info.value) == (
        "dataset.group_column: expected it with dataset=csv only, got it for dataset 'heart', "
        "which makes its own splits (its rows and its ood are fixed); remove it, or load your "
        "own table with dataset=csv."
    )
