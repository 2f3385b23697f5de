"""Aggregation over seeds: hand-computed means and intervals, grouping, failures, duplicates."""

from __future__ import annotations

import math

import pytest
from tests.leaderboard.helpers import record

from trustbench.leaderboard.aggregate import aggregate, combine, config_id, labels

Z95 = 1.959963984540054
T95_DF1 = 12.706204736174698  # Student t, 97.5% quantile, 1 degree of freedom
T95_DF2 = 4.302652729749464


def test_single_seed_interval_is_the_within_run_interval():
    # w = ((0.72 - 0.68) / (2 z))^2, interval 0.70 -/+ z sqrt(w) = the run's own interval.
    w = (0.04 / (2 * Z95)) ** 2
    cell = combine([0.70], [w])
    assert cell.mean == pytest.approx(0.70)
    assert cell.ci_low == pytest.approx(0.68)
    assert cell.ci_high == pytest.approx(0.72)
    assert cell.n == 1


def test_single_seed_without_interval_has_none():
    cell = combine([0.5], [0.0])
    assert cell.ci_low is None and cell.ci_high is None


def test_two_seeds_combine_between_and_within_variance():
    # mean 0.85; s^2 = 0.005; mean w = 1e-4; Var = 0.005/2 + 1e-4/2 = 0.00255; q = t(1).
    cell = combine([0.8, 0.9], [1e-4, 1e-4])
    half = T95_DF1 * math.sqrt(0.00255)
    assert cell.mean == pytest.approx(0.85)
    assert cell.ci_low == pytest.approx(0.85 - half)
    assert cell.ci_high == pytest.approx(0.85 + half)


def test_aggregate_groups_by_config_minus_seed_and_recording_keys():
    half = 0.02 * Z95  # CI half-width giving within-run sd 0.02
    runs = [
        record(f"a{s}", "logreg", s, {"performance/accuracy": (v, v - half, v + half)})
        for s, v in enumerate([0.80, 0.82, 0.84])
    ] + [record("b0", "mlp", 0, {"performance/accuracy": 0.9})]
    result = aggregate(runs)
    assert [r.label for r in result.rows] == ["model=logreg", "model=mlp"]
    logreg = result.rows[0]
    assert logreg.seeds == ["0", "1", "2"]
    cell = logreg.cells["performance/accuracy"]
    # s^2 = 0.0004, mean w = 0.0004: Var = 0.0004/3 + 0.0004/3
    half_expected = T95_DF2 * math.sqrt(0.0008 / 3)
    assert cell.mean == pytest.approx(0.82)
    assert cell.ci_high - cell.mean == pytest.approx(half_expected)
    assert logreg.params == {"model.name": "logreg"}  # seed, tracking.*, training.* dropped


def test_failed_and_unfinished_runs_are_counted_not_averaged():
    runs = [
        record("a0", "logreg", 0, {"performance/accuracy": 0.8}),
        record("a1", "logreg", 1, {"performance/accuracy": 0.1}, status="FAILED"),
        record("a2", "logreg", 2, {}, status="KILLED"),
        record("a3", "logreg", 3, {}, status="RUNNING"),
    ]
    result = aggregate(runs)
    (row,) = result.rows
    assert row.seeds == ["0"]
    assert row.cells["performance/accuracy"].mean == pytest.approx(0.8)
    assert (row.n_failed, row.n_unfinished) == (2, 1)
    assert result.excluded == {"failed": 2, "unfinished": 1, "duplicates": 0}


def test_duplicate_seed_keeps_latest_finished():
    runs = [
        record("old", "logreg", 0, {"performance/accuracy": 0.5}, end_time=100),
        record("new", "logreg", 0, {"performance/accuracy": 0.7}, end_time=200),
        record("newest-failed", "logreg", 0, {}, status="FAILED", end_time=300),
    ]
    (row,) = aggregate(runs).rows
    assert row.run_ids == ["new"]
    assert row.cells["performance/accuracy"].mean == pytest.approx(0.7)
    assert row.n_duplicates == 1


def test_missing_metric_stays_missing():
    runs = [
        record("a", "logreg", 0, {"performance/accuracy": 0.8}),
        record("b", "mlp", 0, {"performance/accuracy": 0.8, "privacy/dp/epsilon": 3.0}),
    ]
    rows = aggregate(runs).rows
    assert "privacy/dp/epsilon" not in rows[0].cells
    assert rows[1].cells["privacy/dp/epsilon"].mean == 3.0


def test_explicit_group_by_and_labels():
    runs = [
        record("a", "mlp", 0, {"m/x": 1.0}, **{"trainer.name": "dp"}),
        record("b", "mlp", 0, {"m/x": 2.0}, **{"trainer.name": "standard"}),
    ]
    (row,) = aggregate(runs, group_by=["model.name"]).rows
    assert row.seeds == ["0"] and row.n_duplicates == 1
    names = labels(
        {"x": {"model.name": "mlp", "model.lr": "1"}, "y": {"model.name": "mlp", "model.lr": "2"}}
    )
    assert names == {"x": "model.lr=1", "y": "model.lr=2"}  # only what differs
    assert config_id({"a": "1"}) == config_id({"a": "1"}) != config_id({"a": "2"})
