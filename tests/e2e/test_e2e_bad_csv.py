"""CSV files that used to give a wrong result with no error: each one now stops before any
training with one line naming the column (or the counts) and the fix in the command line's
own syntax, and the fix it prints works when typed back."""

from __future__ import annotations

import re
import shlex

import numpy as np
import pandas as pd
import pytest
from tests.conftest import compose_config, trustbench_error_lines

from trustbench import experiment
from trustbench.errors import DataError

ONLY_PERFORMANCE = [
    f"suite.{family}.enabled=false"
    for family in ("fairness", "generalization", "uncertainty", "explainability", "privacy")
]


@pytest.fixture
def no_training(monkeypatch):
    """Make any training attempt fail loudly: errors must come before it."""

    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the input was validated")

    monkeypatch.setattr(experiment, "train", forbidden)


def sorted_cohort(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """One weak predictor (accuracy about 0.6), rows sorted by outcome."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (0.5 * x + rng.normal(size=n) > 0).astype(int)
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=n), "outcome": y})
    return frame.sort_values("outcome", kind="stable").reset_index(drop=True)


def csv_args(path) -> list[str]:
    return ["dataset=csv", f"dataset.path={path}", "dataset.target=outcome"]


def suggested_override(line: str, key: str) -> list[str]:
    """The ``'key=[...]'`` fix a message prints, split as a shell would."""
    match = re.search(rf"'{re.escape(key)}=\[[^\]]*\]'", line)
    assert match, line
    return shlex.split(match.group(0))


def test_a_csv_written_with_its_index_stops_the_command_with_the_fix(tmp_path):
    path = tmp_path / "sorted.csv"
    sorted_cohort().to_csv(path)  # index=True
    lines = trustbench_error_lines(csv_args(path), tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith(f"trustbench: error: CSV header of '{path}': expected a name")
    assert lines[0].endswith("or drop it with 'dataset.drop=[Unnamed: 0]'.")


def test_the_printed_fix_runs_and_the_row_order_no_longer_leaks(tmp_path):
    path = tmp_path / "sorted.csv"
    sorted_cohort().to_csv(path)
    with pytest.raises(DataError) as info:
        experiment.run_experiment(compose_config(csv_args(path)), track=False)
    fix = suggested_override(str(info.value), "dataset.drop")
    assert fix == ["dataset.drop=[Unnamed: 0]"]

    def accuracy(overrides):
        cfg = compose_config([*csv_args(path), *ONLY_PERFORMANCE, *overrides])
        report = experiment.run_experiment(cfg, track=False).report
        return report["performance/accuracy"].value

    assert accuracy(fix) < 0.75  # the weak predictor alone
    # kept on purpose, the index hands the model the sorted outcome (the silent 0.97 of before)
    assert accuracy(["dataset.index_like_features=[Unnamed: 0]"]) > 0.9


def test_an_index_column_under_a_name_stops_the_command_and_its_fixes_parse(tmp_path):
    path = tmp_path / "ids.csv"
    sorted_cohort().rename_axis("id").to_csv(path)
    lines = trustbench_error_lines(csv_args(path), tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith(
        "trustbench: error: Feature column 'id': expected measurements, got a row index: "
        "'id' holds integers 0..399, one per row, in row order"
    )
    for key in ("dataset.drop", "dataset.index_like_features"):
        fix = suggested_override(lines[0], key)
        cfg = compose_config([*csv_args(path), *fix])
        assert list(cfg.dataset[key.split(".")[1]]) == ["id"]


def test_duplicate_column_names_stop_the_command_naming_them(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "dup.csv"
    rows = [f"{rng.normal():.3f},{rng.normal():.3f},{rng.normal():.3f},{i % 2}" for i in range(80)]
    path.write_text("bp,x,bp,outcome\n" + "\n".join(rows) + "\n")
    lines = trustbench_error_lines(csv_args(path), tmp_path)
    assert lines == [
        f"trustbench: error: CSV header of '{path}': expected unique column names, got 'bp' 2 "
        "times (read as 'bp', 'bp.1'), a suffix pandas adds without a word; rename them in the "
        "file, or drop the extra copies with 'dataset.drop=[bp.1]'."
    ]


def test_a_ten_row_file_stops_before_training_with_its_counts(tmp_path, no_training):
    path = tmp_path / "ten.csv"
    frame = sorted_cohort(n=10).sample(frac=1, random_state=0)
    frame.assign(outcome=[0, 1] * 5).to_csv(path, index=False)
    cfg = compose_config(csv_args(path))
    with pytest.raises(DataError) as info:
        experiment.run_experiment(cfg, track=False)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(
        "Target column 'outcome': expected at least 5 rows of every class in train and in "
        "test, got train 7 rows ('0': 3, '1': 4) and test 3 rows ('0': 2, '1': 1) from 10 rows "
        "outside ood ('0': 5, '1': 5)"
    )
