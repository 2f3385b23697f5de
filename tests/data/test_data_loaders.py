"""The shipped loaders (heart, synthetic, breast_cancer, csv) and trustbench.data.load."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest

from trustbench.data import DATASETS, TaskData, load
from trustbench.data.heart import load_heart, read_heart_table
from trustbench.data.synthetic import load_synthetic, synthetic_weights
from trustbench.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def heart() -> TaskData:
    return load_heart(seed=0)


def all_rows(task: TaskData) -> pd.DataFrame:
    splits = [task.train, task.test, task.ood]
    X = pd.concat([s.X for s in splits], ignore_index=True)
    X["_row"] = np.concatenate([s.row_id for s in splits])
    X["_y"] = np.concatenate([s.y for s in splits])
    return X


# ----------------------------------------------------------------------------- heart
def test_heart_files_ship_with_package():
    files = resources.files("trustbench.data").joinpath("files")
    assert files.joinpath("heart_disease_uci.csv").is_file()
    licence = files.joinpath("HEART_LICENSE.md").read_text()
    assert "10.24432/C52P4X" in licence and "CC BY 4.0" in licence


def test_heart_shape_and_target(heart):
    raw = pd.read_csv(resources.files("trustbench.data").joinpath("files", "heart_disease_uci.csv"))
    assert len(raw) == 920
    rows = all_rows(heart)
    assert len(rows) == 920 and sorted(rows["_row"]) == list(range(920))
    assert heart.classes == ["absent", "present"]
    assert heart.target == "disease"
    expected = (raw["num"] > 0).to_numpy().astype(int)[rows["_row"].to_numpy()]
    assert np.array_equal(rows["_y"].to_numpy(), expected)
    assert rows["_y"].mean() == pytest.approx((raw["num"] > 0).mean())
    assert "num" not in heart.feature_names and "id" not in heart.feature_names
    assert "dataset" not in heart.feature_names


def test_heart_splits_disjoint_and_ood_is_held_out_hospital(heart):
    ids = [set(s.row_id.tolist()) for s in (heart.train, heart.test, heart.ood)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert set(heart.ood.site) == {"VA Long Beach"} and len(heart.ood) == 200
    assert "VA Long Beach" not in set(heart.train.site) | set(heart.test.site)
    assert set(heart.train.site) == {"Cleveland", "Hungary", "Switzerland"}
    assert heart.metadata["ood"] == "dataset in ['VA Long Beach']"


def test_heart_missing_values_survive(heart):
    rows = all_rows(heart)
    raw, recoded = read_heart_table()
    assert recoded == {"chol": 172, "trestbps": 1}
    assert rows["chol"].isna().sum() > 0
    assert (rows["chol"] == 0).sum() == 0 and (rows["trestbps"] == 0).sum() == 0
    assert rows["chol"].isna().sum() == raw["chol"].isna().sum()
    kinds = {f.name: f.kind for f in heart.features}
    assert kinds["fbs"] == "categorical" and kinds["exang"] == "categorical"
    assert kinds["chol"] == "continuous" and kinds["sex"] == "categorical"
    assert rows["fbs"].isna().sum() == 90
    assert set(rows["fbs"].dropna()) == {"True", "False"}
    assert "chol" in heart.metadata["missing_value_codes"]


def test_heart_sensitive_groups(heart):
    assert heart.sensitive_names == ["sex", "age_group"]
    sens = pd.concat([heart.train.sensitive, heart.test.sensitive, heart.ood.sensitive])
    assert set(sens["sex"]) == {"Female", "Male"}
    assert set(sens["age_group"]) == {"<50", "50-59", "60+"}
    assert "age" in heart.feature_names


def test_heart_options():
    task = load_heart(seed=1, ood_sites=["Switzerland"], sensitive_as_features=False)
    assert set(task.ood.site) == {"Switzerland"} and len(task.ood) == 123
    assert "sex" not in task.feature_names and "age" in task.feature_names
    with pytest.raises(DataError, match="'Zurich'"):
        load_heart(ood_sites=["Zurich"])


def test_heart_deterministic(heart):
    again = load_heart(seed=0)
    other = load_heart(seed=1)
    assert again.fingerprint == heart.fingerprint
    assert np.array_equal(again.train.row_id, heart.train.row_id)
    assert other.fingerprint != heart.fingerprint
    assert not np.array_equal(other.train.row_id, heart.train.row_id)


# ----------------------------------------------------------------------------- synthetic
def test_synthetic_ground_truth():
    task = load_synthetic(
        seed=0, n_samples=500, n_continuous=6, n_informative=4, n_categorical=2, bias=1.0
    )
    gt = task.ground_truth.feature_importance
    assert task.feature_names == ["x0", "x1", "x2", "x3", "x4", "x5", "c0", "c1", "group"]
    assert len(gt) == len(task.features)
    assert gt[:4].tolist() == [2.0, -1.5, 1.0, -0.5]
    assert np.all(gt[4:6] == 0)
    assert gt[6] > 0 and gt[7] > 0 and gt[6] != gt[7]
    assert gt[8] == 1.0
    assert task.sensitive_names == ["group"]
    assert task.classes == ["0", "1"]
    w = synthetic_weights(8, 5)
    assert np.count_nonzero(w) == 5 and len(set(np.abs(w[:5]))) == 5


def test_synthetic_without_sensitive_feature():
    task = load_synthetic(n_samples=300, sensitive_as_features=False)
    assert "group" not in task.feature_names
    assert len(task.ground_truth.feature_importance) == len(task.features)


def _positive_rate_by_group(task: TaskData) -> dict[str, float]:
    y = np.concatenate([task.train.y, task.test.y])
    g = pd.concat([task.train.sensitive, task.test.sensitive])["group"].to_numpy()
    return {k: float(y[g == k].mean()) for k in ("A", "B")}


def test_synthetic_bias_changes_group_rates():
    fair = _positive_rate_by_group(load_synthetic(seed=0, bias=0.0))
    biased = _positive_rate_by_group(load_synthetic(seed=0, bias=2.0))
    assert abs(fair["B"] - fair["A"]) < 0.08
    assert biased["B"] - biased["A"] > 0.25


def test_synthetic_ood_is_covariate_shift():
    task = load_synthetic(seed=0, shift=1.5)
    assert len(task.ood) == 600
    assert task.ood.row_id.min() == 2000
    assert not set(task.ood.row_id) & set(task.test.row_id)
    for col in ("x0", "x1", "x2", "x3"):
        delta = task.ood.X[col].mean() - task.train.X[col].mean()
        assert delta == pytest.approx(1.5, abs=0.2)
    assert abs(task.ood.X["x5"].mean() - task.train.X["x5"].mean()) < 0.2
    assert "covariate shift" in task.metadata["ood"]


def test_synthetic_deterministic():
    a, b, c = (
        load_synthetic(seed=2, n_samples=300),
        load_synthetic(seed=2, n_samples=300),
        load_synthetic(seed=3, n_samples=300),
    )
    pd.testing.assert_frame_equal(a.train.X, b.train.X)
    pd.testing.assert_frame_equal(a.ood.X, b.ood.X)
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_synthetic_bad_arguments():
    with pytest.raises(ConfigError, match="n_informative"):
        load_synthetic(n_continuous=2, n_informative=4)


# ----------------------------------------------------------------------------- breast cancer
def test_breast_cancer():
    task = load("breast_cancer", seed=0)
    assert task.sensitive_names == []
    assert task.train.sensitive.shape == (len(task.train), 0)
    assert task.classes == ["benign", "malignant"]
    n = len(task.train) + len(task.test)
    assert n == 569
    y = np.concatenate([task.train.y, task.test.y])
    assert y.sum() == 212  # malignant cases
    assert all(f.kind == "continuous" for f in task.features) and len(task.features) == 30
    assert np.array_equal(task.ood.row_id, task.test.row_id)
    assert task.metadata["ood"] == "test + gaussian noise, severity 0.5"
    assert load("breast_cancer", ood_severity=None).ood is None


# ----------------------------------------------------------------------------- csv
def test_csv_round_trip_with_site(tmp_path):
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame(
        {
            "pid": np.arange(n),
            "age": rng.integers(20, 90, n),
            "lab": rng.normal(size=n),
            "sex": rng.choice(["F", "M"], n),
            "clinic": np.array(["north", "south", "east"])[np.arange(n) % 3],
            "outcome": np.array(["bad", "good"])[(np.arange(n) // 3) % 2],
        }
    )
    path = tmp_path / "patients.csv"
    frame.to_csv(path, index=False)
    task = load(
        "csv",
        path=str(path),
        target="outcome",
        sensitive=["sex"],
        sensitive_bins={"age": [0, 40, 65, 200]},
        site="clinic",
        ood_sites=["east"],
        positive_label="bad",
        drop=["pid"],
        seed=1,
    )
    assert task.classes == ["good", "bad"]
    assert task.feature_names == ["age", "lab", "sex"]
    assert task.sensitive_names == ["sex", "age_group"]
    assert set(task.ood.site) == {"east"} and len(task.ood) == 30
    rows = np.concatenate([task.train.row_id, task.test.row_id, task.ood.row_id])
    assert sorted(rows.tolist()) == list(range(n))
    back = frame.set_index("pid").loc[task.train.row_id]
    np.testing.assert_allclose(task.train.X["lab"].to_numpy(), back["lab"].to_numpy())
    assert task.name == "csv" and task.metadata["source"].endswith("patients.csv")

    default = load("csv", path=path, target="outcome", positive_label="bad", drop=["pid"])
    assert default.metadata["ood"] == "test + gaussian noise, severity 0.5"
    none = load(
        "csv",
        path=path,
        target="outcome",
        positive_label="bad",
        drop=["pid"],
        ood_shift={"kind": "none"},
    )
    assert none.ood is None


def test_csv_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(DataError) as exc:
        load("csv", path=str(missing), target="y")
    assert str(missing) in str(exc.value) and "\n" not in str(exc.value)


def test_csv_bad_target_names_column(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": [1, 2, 3, 4], "label": [0, 1, 0, 1]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"'labl'.*Did you mean 'label'"):
        load("csv", path=path, target="labl")


def _cohort(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """A weak signal, sorted by outcome (as a file exported from a sorted query is)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (0.5 * x + rng.normal(size=n) > 0).astype(int)
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=n), "outcome": y})
    return frame.sort_values("outcome", kind="stable").reset_index(drop=True)


def test_csv_written_with_its_index_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "sorted.csv"
    _cohort().to_csv(path)  # index=True: a first column without a name
    with pytest.raises(DataError) as exc:
        load("csv", path=path, target="outcome")
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"CSV header of '{path}': expected a name for every column, got ")
    assert "none for column 1 (read as 'Unnamed: 0')" in message
    assert "DataFrame.to_csv writes without index=False" in message
    assert message.endswith(
        "write the file with index=False, or drop it with 'dataset.drop=[Unnamed: 0]'."
    )
    task = load("csv", path=path, target="outcome", drop=["Unnamed: 0"])
    assert task.feature_names == ["x", "z"]


def test_csv_index_written_under_a_name_is_refused_by_its_values(tmp_path):
    path = tmp_path / "named.csv"
    _cohort().rename_axis("patient").to_csv(path)
    with pytest.raises(
        DataError, match=r"^Feature column 'patient': .*integers 0\.\.199, one per row"
    ):
        load("csv", path=path, target="outcome")
    assert load("csv", path=path, target="outcome", drop=["patient"]).feature_names == ["x", "z"]


def test_csv_a_nameless_column_inside_the_table_is_refused(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("x,,outcome\n" + "".join(f"{i % 7},{i},{i % 2}\n" for i in range(60)))
    with pytest.raises(DataError) as exc:
        load("csv", path=path, target="outcome")
    assert "none for column 2 (read as 'Unnamed: 1'); name it in the file's header" in str(
        exc.value
    )


def test_csv_duplicate_column_names_are_refused_naming_them(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "dup.csv"
    rows = "".join(
        f"{rng.normal():.3f},{rng.normal():.3f},{rng.normal():.3f},{i % 2}\n" for i in range(60)
    )
    path.write_text("bp,x,bp,outcome\n" + rows)
    assert list(pd.read_csv(path).columns) == ["bp", "x", "bp.1", "outcome"]  # pandas renames
    with pytest.raises(DataError) as exc:
        load("csv", path=path, target="outcome")
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"CSV header of '{path}': expected unique column names, got 'bp' 2 ")
    assert "'bp' 2 times (read as 'bp', 'bp.1')" in message
    assert message.endswith("drop the extra copies with 'dataset.drop=[bp.1]'.")
    assert load("csv", path=path, target="outcome", drop=["bp.1"]).feature_names == ["bp", "x"]


# ----------------------------------------------------------------------------- load()
def test_registry_names():
    assert DATASETS.names() == [
        "breast_cancer",
        "csv",
        "digits",
        "heart",
        "heart_duplicated",
        "lesions",
        "synthetic",
    ]


def test_load_unknown_name_did_you_mean():
    with pytest.raises(ConfigError) as exc:
        load("haert")
    assert "Unknown dataset 'haert'. Did you mean 'heart'?" in str(exc.value)


def test_load_unknown_keyword():
    with pytest.raises(ConfigError) as exc:
        load("synthetic", n_sample=10)
    message = str(exc.value)
    assert "'n_sample'" in message and "n_samples" in message and "seed" in message


def test_load_missing_required_keyword():
    with pytest.raises(ConfigError, match="'path'"):
        load("csv", target="y")


def test_load_passes_kwargs():
    task = load("synthetic", seed=5, n_samples=200)
    assert isinstance(task, TaskData) and len(task.train) + len(task.test) == 200
