"""A missing sensitive value is the group 'missing': kept, binned around, never dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.data.messy_cohort import messy_cohort

from trustbench.data import build_task, load
from trustbench.data.sensitive import MISSING_GROUP
from trustbench.errors import DataError

BINS = {"age": [0, 50, 65, 200]}


def _all_rows(task) -> pd.DataFrame:
    """Every scored row once (a noise ood is a copy of test: left out)."""
    ood = task.ood
    parts = [task.train, task.test] + ([ood] if ood is not None and ood.paired_with is None else [])
    return pd.concat(
        [s.sensitive.assign(row_id=s.row_id, age=s.X["age"].to_numpy()) for s in parts],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def cohort_csv(tmp_path_factory):
    frame = messy_cohort()
    path = tmp_path_factory.mktemp("messy") / "admissions.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_missing_age_and_sex_become_the_missing_group_and_no_row_is_dropped(cohort_csv):
    frame, path = cohort_csv
    task = load(
        "csv",
        path=path,
        target="outcome",
        positive_label="died",
        sensitive=["sex"],
        sensitive_bins=BINS,
        drop=["patient_id", "admit_date"],
        ood_shift={"kind": "none"},
    )
    rows = _all_rows(task)
    assert sorted(rows["row_id"]) == list(range(len(frame)))  # no patient dropped
    assert (rows["sex"] == MISSING_GROUP).sum() == 30
    assert (rows["age_group"] == MISSING_GROUP).sum() == frame["age"].isna().sum() > 0
    assert set(rows["age_group"]) == {"<50", "50-64", "65+", MISSING_GROUP}
    # the group label is 'missing' exactly where the value is; the feature keeps its NaN
    assert (rows["age_group"] == MISSING_GROUP).equals(rows["age"].isna())
    assert task.metadata["sensitive_missing"] == {"sex": 30, "age_group": 153}
    assert task.metadata["missing_by_feature"]["age"] == 153


def test_a_placeholder_in_a_column_to_bin_is_one_line_naming_the_values(tmp_path):
    frame = messy_cohort(n_patients=300)
    frame["age"] = frame["age"].astype(object)
    frame.loc[frame.index[:7], "age"] = "unknown"
    frame.loc[frame.index[7:9], "age"] = "?"
    path = tmp_path / "placeholders.csv"
    frame.to_csv(path, index=False)
    kwargs = {
        "path": path,
        "target": "outcome",
        "positive_label": "died",
        "sensitive_bins": BINS,
        "drop": ["patient_id", "admit_date"],
    }
    with pytest.raises(DataError) as info:
        load("csv", **kwargs)
    assert str(info.value) == (
        "Sensitive column 'age': expected numbers to bin with sensitive_bins (a missing value, "
        "an empty cell or a marker such as NA, becomes the group 'missing'), got 9 cell(s) of "
        "text: 'unknown', '?'; mark them missing with 'dataset.na_values=[unknown,\"?\"]' "
        "(Python: replace them with NaN), or correct them in the file."
    )
    task = load("csv", **kwargs, na_values=["unknown", "?"])  # the printed fix
    assert (_all_rows(task)["age_group"] == MISSING_GROUP).sum() >= 9


def test_standard_na_markers_are_missing_not_text(tmp_path):
    frame = messy_cohort(n_patients=300)
    lines = frame.to_csv(index=False).splitlines()
    header, body = lines[0], lines[1:]
    age_at = header.split(",").index("age")

    def mark(line: str, marker: str) -> str:
        cells = line.split(",")
        cells[age_at] = marker
        return ",".join(cells)

    body = [
        mark(line, "NA") if i < 5 else mark(line, "") if i < 8 else line
        for i, line in enumerate(body)
    ]
    path = tmp_path / "na.csv"
    path.write_text("\n".join([header, *body]) + "\n")
    task = load(
        "csv",
        path=path,
        target="outcome",
        positive_label="died",
        sensitive_bins=BINS,
        drop=["patient_id", "admit_date"],
    )
    assert (_all_rows(task)["age_group"] == MISSING_GROUP).sum() >= 8


def test_a_sensitive_column_with_one_group_besides_missing_is_refused():
    rng = np.random.default_rng(0)
    sex = np.where(rng.random(200) < 0.1, None, "F")
    frame = pd.DataFrame({"x": rng.normal(size=200), "sex": sex, "y": rng.integers(0, 2, 200)})
    with pytest.raises(DataError) as info:
        build_task(frame, name="t", target="y", sensitive=["sex"])
    assert str(info.value) == (
        "Sensitive column 'sex': expected at least 2 groups besides 'missing', got a single "
        "group 'F'."
    )
