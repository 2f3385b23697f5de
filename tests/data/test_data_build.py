"""build_task: validation messages, typing, splits, ood and fingerprints."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from trustbench.data import GroundTruth, build_task
from trustbench.data.build import group_labels
from trustbench.errors import DataError


def make_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(30, 80, n).astype(float),
            "bp": rng.normal(130, 15, n),
            "smoker": rng.choice([True, False], n),
            "sex": rng.choice(["F", "M"], n),
            "hospital": np.array(["H1", "H2", "H3"])[np.arange(n) % 3],
            "label": np.array(["no", "yes"])[(np.arange(n) // 3) % 2],
        }
    )
    frame.loc[frame.index[1:10:4], "bp"] = np.nan
    return frame


def build(frame: pd.DataFrame | None = None, **kwargs):
    kwargs.setdefault("name", "toy")
    kwargs.setdefault("target", "label")
    return build_task(make_frame() if frame is None else frame, **kwargs)


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# ----------------------------------------------------------------------------- validation
def test_missing_target_lists_columns_and_suggests():
    with pytest.raises(DataError) as exc:
        build(target="lable")
    message = one_line(exc)
    assert "'lable'" in message
    assert "Did you mean 'label'?" in message
    assert "'hospital'" in message and "'bp'" in message


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"sensitive": ["gender"]}, "gender"),
        ({"site": "hosp"}, "hosp"),
        ({"drop": ["idx"]}, "idx"),
        ({"sensitive_bins": {"agee": [0, 50, 200]}}, "agee"),
        ({"categorical": ["colour"]}, "colour"),
    ],
)
def test_missing_role_column(kwargs, column):
    with pytest.raises(DataError) as exc:
        build(**kwargs)
    message = one_line(exc)
    assert f"'{column}'" in message
    assert "not found" in message


def test_nan_in_target_counts_rows():
    frame = make_frame()
    frame.loc[[0, 3, 7], "label"] = None
    with pytest.raises(DataError) as exc:
        build(frame)
    message = one_line(exc)
    assert "'label'" in message and "3 missing" in message


def test_single_class_target():
    frame = make_frame()
    frame["label"] = "yes"
    with pytest.raises(DataError) as exc:
        build(frame)
    message = one_line(exc)
    assert "'label'" in message and "single class" in message


def test_positive_label_absent():
    with pytest.raises(DataError) as exc:
        build(positive_label="maybe")
    message = one_line(exc)
    assert "'label'" in message and "'maybe'" in message and "'yes'" in message


def test_sensitive_single_group_after_binning():
    with pytest.raises(DataError) as exc:
        build(sensitive_bins={"age": [0, 100, 200]})
    message = one_line(exc)
    assert "'age_group'" in message and "single group" in message


def test_sensitive_single_group_plain():
    frame = make_frame()
    frame["sex"] = "F"
    with pytest.raises(DataError) as exc:
        build(frame, sensitive=["sex"])
    assert "'sex'" in one_line(exc)


def test_continuous_sensitive_needs_bins():
    with pytest.raises(DataError) as exc:
        build(sensitive=["age"])
    message = one_line(exc)
    assert "'age'" in message
    assert "continuous" in message
    assert "sensitive_bins={'age': [edges]}" in message


def test_nan_in_sensitive_column_is_the_missing_group():
    frame = make_frame()
    frame.loc[[2, 4], "sex"] = np.nan
    task = build(frame, sensitive=["sex"])
    labels = pd.concat([s.sensitive.assign(row=s.row_id) for s in (task.train, task.test)])
    assert sorted(labels.loc[labels["sex"] == "missing", "row"]) == [2, 4]
    assert task.metadata["sensitive_missing"] == {"sex": 2}


def test_inf_in_sensitive_column():
    frame = make_frame()
    frame["flag"] = np.where(np.arange(len(frame)) % 2 == 0, 0.0, 1.0)
    frame.loc[0, "flag"] = np.inf
    with pytest.raises(DataError) as exc:
        build(frame, sensitive=["flag"])
    message = one_line(exc)
    assert "'flag'" in message and "infinite" in message


def test_inf_in_feature_column():
    frame = make_frame()
    frame.loc[4, "bp"] = -np.inf
    with pytest.raises(DataError) as exc:
        build(frame)
    message = one_line(exc)
    assert "'bp'" in message and "infinite" in message


def test_too_many_categories():
    frame = make_frame()
    frame["name"] = [f"patient-{i}" for i in range(len(frame))]
    with pytest.raises(DataError) as exc:
        build(frame)
    message = one_line(exc)
    assert "'name'" in message and "drop=['name']" in message and "120" in message
    # dropping it, or raising max_categories, fixes it
    assert "name" not in build(frame, drop=["name"]).feature_names
    assert "name" in build(frame, max_categories=200).feature_names


def test_datetime_column():
    frame = make_frame()
    frame["admitted"] = pd.date_range("2020-01-01", periods=len(frame))
    with pytest.raises(DataError) as exc:
        build(frame)
    message = one_line(exc)
    assert "'admitted'" in message and "datetime" in message


def test_object_dates_column():
    frame = make_frame()
    frame["seen"] = pd.Series([dt.date(2020, 1, 1)] * len(frame), dtype=object)
    with pytest.raises(DataError) as exc:
        build(frame)
    assert "'seen'" in one_line(exc)


def test_mixed_types_column():
    frame = make_frame()
    frame["code"] = pd.Series([1 if i % 2 else "x" for i in range(len(frame))], dtype=object)
    with pytest.raises(DataError) as exc:
        build(frame)
    message = one_line(exc)
    assert "'code'" in message and "mixed" in message


def test_unknown_ood_sites_lists_sites():
    with pytest.raises(DataError) as exc:
        build(site="hospital", ood_sites=["H9"])
    message = one_line(exc)
    assert "'H9'" in message and "'hospital'" in message
    assert "'H1', 'H2', 'H3'" in message


def test_ood_sites_without_site():
    with pytest.raises(DataError) as exc:
        build(ood_sites=["H1"])
    assert "site" in one_line(exc)


def test_empty_train_split():
    with pytest.raises(DataError) as exc:
        build(site="hospital", ood_sites=["H1", "H2", "H3"])
    message = one_line(exc)
    assert "Train split" in message and "got 0" in message


def test_train_split_empty_when_one_row_left():
    frame = make_frame()
    frame.loc[0, "hospital"] = "H0"
    with pytest.raises(DataError) as exc:
        build(frame, site="hospital", ood_sites=["H1", "H2", "H3"])
    message = one_line(exc)
    assert "Train split" in message and "got 0" in message


def test_test_split_too_small_for_classes():
    frame = make_frame(n=4)
    frame["label"] = ["no", "yes", "no", "yes"]
    with pytest.raises(DataError) as exc:
        build(frame, test_size=0.2)
    message = one_line(exc)
    assert "'label'" in message and "1 test" in message


def test_stratify_needs_two_rows_per_class():
    frame = make_frame()
    frame["label"] = "no"
    frame.loc[0, "label"] = "yes"
    with pytest.raises(DataError) as exc:
        build(frame)
    message = one_line(exc)
    assert "'label'" in message and "'yes'" in message


@pytest.mark.parametrize(
    ("n", "kwargs", "expected"),
    [
        (
            10,
            {},
            "got train 7 rows ('no': 3, 'yes': 4) and test 3 rows ('no': 2, 'yes': 1) from 10 "
            "rows outside ood ('no': 5, 'yes': 5); at test_size=0.3 that needs about 17 rows",
        ),
        (
            60,
            {"test_size": 0.1},
            "got train 54 rows ('no': 27, 'yes': 27) and test 6 rows ('no': 3, 'yes': 3) from 60",
        ),
    ],
    ids=["ten-rows", "thin-test-share"],
)
def test_a_table_too_small_to_split_says_what_it_has_and_needs(n, kwargs, expected):
    frame = make_frame(n=n)
    frame["label"] = np.array(["no", "yes"])[np.arange(n) % 2]
    with pytest.raises(DataError) as exc:
        build(frame, **kwargs)
    message = one_line(exc)
    assert message.startswith(
        "Target column 'label': expected at least 5 rows of every class in train and in test, "
    )
    assert expected in message


def test_the_smallest_table_that_splits_is_accepted():
    frame = make_frame(n=34)
    frame["label"] = np.array(["no", "yes"])[np.arange(34) % 2]
    task = build(frame)
    for split in ("train", "test"):
        assert np.bincount(task.splits[split].y).min() >= 5


def test_an_ood_site_with_too_few_rows_is_refused():
    frame = make_frame()
    frame.loc[:3, "hospital"] = "H4"  # 4 rows
    with pytest.raises(DataError) as exc:
        build(frame, site="hospital", ood_sites=["H4"])
    message = one_line(exc)
    assert "ood split (hospital in ['H4']): expected at least 10 rows, got 4" in message


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (lambda n: np.arange(n), "integers 0..119, one per row, in row order"),
        (lambda n: np.arange(1, n + 1).astype(float), "integers 1..120, one per row, in row order"),
        (
            lambda n: np.random.default_rng(3).permutation(n),
            "a permutation of 0..119, one per row",
        ),
        (
            lambda n: np.cumsum(np.random.default_rng(4).integers(1, 5, n)) + 1000,
            "strictly increasing integers",
        ),
    ],
    ids=["range", "one-based-float", "shuffled", "filtered"],
)
def test_a_row_index_among_the_features_is_refused(values, kind):
    frame = make_frame().sort_values("label", kind="stable").reset_index(drop=True)
    frame.insert(0, "Unnamed: 0", values(len(frame)))
    with pytest.raises(DataError) as exc:
        build(frame, drop=["smoker"])
    message = one_line(exc)
    assert message.startswith("Feature column 'Unnamed: 0': expected measurements, got a row index")
    assert kind in message
    assert "'dataset.drop=[smoker,Unnamed: 0]'" in message
    assert "drop=['smoker', 'Unnamed: 0']" in message
    assert "'dataset.index_like_features=[Unnamed: 0]'" in message
    assert build(frame, drop=["smoker", "Unnamed: 0"]).feature_names == [
        "age",
        "bp",
        "sex",
        "hospital",
    ]
    kept = build(frame, index_like_features=["Unnamed: 0"])
    assert "Unnamed: 0" in kept.feature_names
    assert kept.metadata["index_like_features"] == ["Unnamed: 0"]


@pytest.mark.parametrize(
    "values",
    [
        lambda n: np.arange(n) % 50,  # repeats
        lambda n: np.r_[np.arange(n - 1), np.nan],  # a missing value
        lambda n: np.arange(n) + 0.5,  # not integers
        lambda n: np.random.default_rng(5).choice(10_000, n, replace=False),  # unique, unordered
    ],
    ids=["repeats", "missing", "fractions", "unordered-ids-not-0..n"],
)
def test_columns_that_are_no_row_index_stay_features(values):
    frame = make_frame()
    frame["count"] = values(len(frame))
    assert "count" in build(frame).feature_names


def test_index_like_features_must_name_a_feature():
    with pytest.raises(DataError) as exc:
        build(index_like_features=["label"])
    assert one_line(exc).startswith(
        "index_like_features column 'label': expected a feature column, got a column with "
        "another role"
    )


def test_bad_ood_shift_kind():
    with pytest.raises(DataError) as exc:
        build(ood_shift={"kind": "blur"})
    assert "'blur'" in one_line(exc)


def test_ground_truth_length_checked():
    with pytest.raises(DataError) as exc:
        build(ground_truth=GroundTruth(feature_importance=np.zeros(2)))
    assert "feature_importance" in one_line(exc)


def test_validation_happens_before_anything_else():
    frame = make_frame()
    before = frame.copy()
    frame.loc[0, "bp"] = np.inf
    before.loc[0, "bp"] = np.inf
    with pytest.raises(DataError):
        build(frame)
    pd.testing.assert_frame_equal(frame, before)


# ----------------------------------------------------------------------------- typing
def test_feature_kinds_and_missing_kept():
    frame = make_frame()
    frame.loc[3, "sex"] = None
    task = build(frame, site="hospital", categorical=["age"])
    kinds = {f.name: f.kind for f in task.features}
    assert kinds == {
        "age": "categorical",
        "bp": "continuous",
        "smoker": "categorical",
        "sex": "categorical",
    }
    assert "hospital" not in task.feature_names and "label" not in task.feature_names
    everything = pd.concat([task.train.X, task.test.X])
    assert len(everything) == len(frame)  # no patient dropped
    assert everything["bp"].isna().sum() == 3
    assert everything["sex"].isna().sum() == 1
    assert set(everything["smoker"].dropna()) == {"True", "False"}
    assert all(isinstance(v, str) for v in everything["age"].dropna())
    assert task.metadata["missing_by_feature"] == {"bp": 3, "sex": 1}


def test_target_classes_and_positive_label():
    task = build()
    assert task.classes == ["no", "yes"]
    task = build(positive_label="no")
    assert task.classes == ["yes", "no"]
    frame = make_frame()
    labels = dict(zip(task.train.row_id, task.train.y, strict=True))
    assert all((frame.loc[r, "label"] == "no") == (y == 1) for r, y in labels.items())
    assert task.train.y.dtype.kind == "i"


def test_multiclass_target():
    frame = make_frame()
    frame["label"] = np.arange(len(frame)) % 3
    task = build(frame)
    assert task.classes == ["0", "1", "2"]
    assert set(task.train.y) == {0, 1, 2}


def test_sensitive_bins_and_features():
    task = build(sensitive=["sex"], sensitive_bins={"age": [0, 50, 60, 200]})
    assert task.sensitive_names == ["sex", "age_group"]
    assert "age" in task.feature_names and "sex" in task.feature_names
    groups = set(pd.concat([task.train.sensitive, task.test.sensitive])["age_group"])
    assert groups == {"<50", "50-59", "60+"}
    frame = make_frame()
    for split in (task.train, task.test):
        ages = frame.loc[split.row_id, "age"].to_numpy()
        expected = np.where(ages < 50, "<50", np.where(ages < 60, "50-59", "60+"))
        assert (split.sensitive["age_group"].to_numpy() == expected).all()


def test_sensitive_as_features_false():
    task = build(sensitive=["sex"], sensitive_as_features=False)
    assert "sex" not in task.feature_names
    assert task.sensitive_names == ["sex"]
    assert set(task.train.sensitive["sex"]) == {"F", "M"}


def test_group_labels():
    assert group_labels([0, 50, 60, 200]) == ["<50", "50-59", "60+"]
    assert group_labels([0, 18, 40, 65, np.inf]) == ["<18", "18-39", "40-64", "65+"]
    assert group_labels([0, 0.5, 1.5, 3]) == ["<0.5", "[0.5,1.5)", "1.5+"]


# ----------------------------------------------------------------------------- splits
def test_split_deterministic_and_seed_dependent():
    a, b, c = build(seed=3), build(seed=3), build(seed=4)
    assert np.array_equal(a.train.row_id, b.train.row_id)
    assert np.array_equal(a.test.row_id, b.test.row_id)
    assert not np.array_equal(a.train.row_id, c.train.row_id)
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != c.fingerprint


def test_split_partition_and_stratification():
    task = build(test_size=0.25)
    rows = np.concatenate([task.train.row_id, task.test.row_id])
    assert sorted(rows.tolist()) == list(range(120))
    assert len(task.test) == 30
    assert task.ood is None and "ood" not in task.splits
    assert task.metadata["ood"] == "none"
    assert abs(task.test.y.mean() - task.train.y.mean()) < 0.05
    assert list(task.train.X.index) == list(range(len(task.train)))


def test_ood_sites_split():
    task = build(site="hospital", ood_sites=["H2"])
    assert set(task.ood.site) == {"H2"}
    assert "H2" not in set(task.train.site) | set(task.test.site)
    ids = [set(s.row_id.tolist()) for s in (task.train, task.test, task.ood)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sum(map(len, ids)) == 120
    assert task.metadata["ood"] == "hospital in ['H2']"


def test_noise_ood_split():
    task = build(ood_shift={"kind": "noise", "severity": 0.5}, seed=1)
    ood, test, train = task.ood, task.test, task.train
    assert np.array_equal(ood.row_id, test.row_id)
    assert np.array_equal(ood.y, test.y)
    diff = ood.X["bp"] - test.X["bp"]
    assert diff.isna().sum() == test.X["bp"].isna().sum()
    assert 0.2 < diff.std() / train.X["bp"].std() < 0.8
    assert ood.X["sex"].equals(test.X["sex"])
    assert task.metadata["ood"] == "test + gaussian noise, severity 0.5"
    again = build(ood_shift={"kind": "noise", "severity": 0.5}, seed=1)
    pd.testing.assert_frame_equal(again.ood.X, ood.X)


def test_noise_ood_is_a_paired_copy_with_valid_codes_and_counts():
    frame = make_frame(n=300)
    rng = np.random.default_rng(4)
    frame["female"] = rng.integers(0, 2, 300).astype(float)  # a 0/1 code stored as numbers
    frame["cigs"] = np.where(rng.random(300) < 0.5, 0, rng.integers(1, 30, 300))  # a count
    task = build(frame, ood_shift={"kind": "noise", "severity": 1.0}, seed=2)
    ood, test, train = task.ood, task.test, task.train
    assert ood.paired_with == "test" and task.paired_split("ood") == "test"
    assert ood.X["female"].equals(test.X["female"])
    cigs = ood.X["cigs"]
    assert (cigs >= 0).all() and (cigs == cigs.round()).all() and not cigs.equals(test.X["cigs"])
    assert ood.X["age"].between(min(train.X["age"].min(), test.X["age"].min()), 79).all()
    task.splits["test"] = test.subset(np.arange(10))  # cut: no longer the same rows
    assert task.paired_split("ood") is None
    site = build(frame, site="hospital", ood_sites=["H2"])
    assert site.ood.paired_with is None and site.paired_split("ood") is None


def test_ood_frame_rows_continue_ids():
    frame = make_frame()
    extra = make_frame(n=30, seed=5)
    task = build(frame, ood_frame=extra, ood_description="later patients")
    assert task.ood.row_id.tolist() == list(range(120, 150))
    assert task.metadata["ood"] == "later patients"


def test_fingerprint_sensitive_to_data_and_choices():
    base = build()
    frame = make_frame()
    frame.loc[0, "bp"] = 999.0
    assert build(frame).fingerprint != base.fingerprint
    assert build(sensitive=["sex"]).fingerprint != base.fingerprint
    assert len(base.fingerprint) == 64 and int(base.fingerprint, 16) >= 0
