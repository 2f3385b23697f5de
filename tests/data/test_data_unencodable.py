"""Every column that cannot be a feature is named in one line, with one dataset.drop to type."""

from __future__ import annotations

import numpy as np
import pytest
from tests.data.messy_cohort import messy_cohort

from trustbench.data import build_task
from trustbench.errors import DataError


def _build(frame, **kwargs):
    return build_task(frame, name="messy", target="outcome", positive_label="died", **kwargs)


def test_an_id_and_a_date_column_are_reported_together():
    frame = messy_cohort(n_patients=400)
    with pytest.raises(DataError) as info:
        _build(frame)
    assert str(info.value) == (
        "Feature columns 'patient_id', 'admit_date': expected values a model can encode "
        "(numbers, booleans or at most 50 categories), got 'patient_id': 400 distinct values "
        "(an identifier or free text?), so encode it (e.g. as numbers) first, or, for a patient "
        "id, name it in dataset.group_column; 'admit_date': dates written as text, so convert "
        "it to a number (e.g. days since an origin) or split on it with dataset.time_column; "
        "drop them with 'dataset.drop=[patient_id,admit_date]' (Python: drop=['patient_id', "
        "'admit_date'])."
    )
    assert _build(frame, drop=["patient_id", "admit_date"]).feature_names[0] == "age"


def test_a_row_index_is_named_with_them_and_the_drop_keeps_what_was_dropped():
    frame = messy_cohort(n_patients=300).drop(columns=["ward"])
    frame.insert(0, "row", np.arange(len(frame)))
    frame["note"] = [f"seen by dr {i}" for i in range(len(frame))]
    with pytest.raises(DataError) as info:
        _build(frame, drop=["admit_date"])
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("Feature columns 'patient_id', 'note', 'row': expected values")
    assert "'row': a row index (integers 0..7" in text
    assert text.endswith(
        "drop them with 'dataset.drop=[admit_date,patient_id,note,row]' (Python: "
        "drop=['admit_date', 'patient_id', 'note', 'row'])."
    )


def test_one_column_keeps_its_own_message_with_the_cli_fix():
    frame = messy_cohort(n_patients=300).drop(columns=["patient_id"])
    with pytest.raises(DataError) as info:
        _build(frame)
    assert str(info.value) == (
        "Feature column 'admit_date': expected numeric, boolean or string values, got dates "
        "written as text; convert it to a number (e.g. days since an origin) or split on it "
        "with dataset.time_column, or drop it with 'dataset.drop=[admit_date]' (Python: "
        "drop=['admit_date'])."
    )


def test_a_short_text_column_that_is_not_a_date_stays_a_category():
    frame = messy_cohort(n_patients=300).drop(columns=["patient_id", "admit_date"])
    frame["band"] = np.where(frame["age"].fillna(0) < 60, "10-12", "1/2")
    assert "band" in _build(frame).feature_names
