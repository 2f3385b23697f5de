"""Reading runs from a real (SQLite) MLflow store: paging, statuses, report directions."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from mlflow.entities import Metric, Param

from trustbench.errors import ConfigError
from trustbench.leaderboard.cli import build_from_store, write_site
from trustbench.leaderboard.fetch import fetch_directions, fetch_runs

REPORT = {
    "schema_version": 1,
    "suites": {
        "fairness": {
            "metrics": [
                {"family": "fairness", "name": "new_score", "direction": "max", "definition": "d"}
            ]
        }
    },
}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{root}/mlflow.db"
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("board", artifact_location=str(root / "artifacts"))
    for i, (model, status) in enumerate(
        [
            ("a", "FINISHED"),
            ("a", "FINISHED"),
            ("b", "FINISHED"),
            ("b", "FINISHED"),
            ("b", "FAILED"),
        ]
    ):
        run = client.create_run(exp)
        rid = run.info.run_id
        client.log_batch(
            rid,
            metrics=[
                Metric("performance/accuracy", 0.8 + 0.01 * i, 0, 0),
                Metric("performance/accuracy/ci_low", 0.7, 0, 0),
                Metric("performance/accuracy/ci_high", 0.9, 0, 0),
                Metric("fairness/new_score", 0.1 * i, 0, 0),
            ],
            params=[Param("model.name", model), Param("seed", str(i % 2))],
        )
        client.log_text(rid, json.dumps(REPORT), "trust_report.json")
        client.set_terminated(rid, status)
    return uri


def test_fetch_pages_through_every_run(store):
    records = fetch_runs(store, ["board"], page_size=2)
    assert len(records) == 5
    assert sorted(r.status for r in records).count("FAILED") == 1
    assert {r.params["model.name"] for r in records} == {"a", "b"}
    only_b = fetch_runs(store, ["board"], "params.`model.name` = 'b'")
    assert len(only_b) == 3


def test_sql_fast_path_returns_what_search_runs_returns(store):
    fast = {r.run_id: r for r in fetch_runs(store, ["board"], fast=True)}
    slow = {r.run_id: r for r in fetch_runs(store, ["board"], fast=False, page_size=2)}
    assert fast.keys() == slow.keys()
    for run_id, record in slow.items():
        assert fast[run_id] == record


def test_directions_come_from_one_report_per_metric_set(store):
    records = fetch_runs(store, ["board"])
    assert fetch_directions(store, records) == {"fairness/new_score": ("max", "d")}


def test_unknown_experiment_is_a_config_error(store):
    with pytest.raises(ConfigError, match="no experiment named \\['nope'\\]"):
        fetch_runs(store, ["nope"])


def test_build_from_store_writes_the_site(store, tmp_path: Path):
    cfg = {"tracking_uri": store, "experiments": ["board"], "ranking": {"n_bootstrap": 50}}
    board, timings = build_from_store(cfg)
    assert board["counts"] == {
        "runs": 5,
        "configurations": 2,
        "ranked": 2,
        "partial": 0,
        "too_few_seeds": 2,  # two seeds each, fewer than ranking.min_seeds
        "excluded_failed": 1,
        "excluded_unfinished": 0,
        "excluded_duplicates": 0,
    }
    assert board["metrics"]["fairness/new_score"]["direction_source"] == "report"
    written = write_site(board, tmp_path / "site", "t")
    assert sorted(p.name for p in written) == [
        "index.html",
        "leaderboard.csv",
        "leaderboard.json",
        "leaderboard.md",
    ]
    assert set(timings) == {"fetch", "reports", "build"}


def test_bad_options_fail_before_reading_runs():
    from trustbench.leaderboard.cli import options_from_config

    base = {"tracking_uri": "sqlite:///never-opened.db", "experiments": ["x"]}
    with pytest.raises(ConfigError, match=r"ranking\.primary must be one of"):
        build_from_store({**base, "ranking": {"primary": "elo"}})
    with pytest.raises(ConfigError, match="ci_level must be in"):
        options_from_config({**base, "ci_level": 95})
    with pytest.raises(ConfigError, match=r"tradeoffs\[0\] needs keys"):
        options_from_config({**base, "tradeoffs": [{"name": "a"}]})


def test_board_config_typos_and_types_are_one_line_errors():
    import pytest as _pytest

    from trustbench.errors import ConfigError
    from trustbench.leaderboard.config import load_board_config

    assert load_board_config({}).ranking.primary == "win_rate"  # defaults from the YAML
    with _pytest.raises(ConfigError, match="Did you mean 'min_coverage'"):
        load_board_config({"ranking": {"min_covrage": 0.5}})
    with _pytest.raises(ConfigError, match="page_size"):
        load_board_config({"page_size": "many"})


def test_board_command_line_typo_is_one_line():
    import pytest as _pytest

    from trustbench.errors import ConfigError
    from trustbench.leaderboard.config import check_override_keys

    check_override_keys(["ranking.primary=average_rank", "experiments=[a,b]", "+x=1"])
    with _pytest.raises(
        ConfigError, match=r"Unknown key 'ranking\.primar'\. Did you mean 'primary'"
    ):
        check_override_keys(["ranking.primar=x"])
