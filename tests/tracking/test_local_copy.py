"""A failure at logging loses nothing: the report is saved locally first and can be re-logged."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from tests.conftest import compose_config

from trustbench.errors import ConfigError
from trustbench.experiment import run_experiment
from trustbench.report import TrustReport
from trustbench.tracking import LoggingFailed, metric_entries, relog

FAST = [
    "experiment=smoke",
    "tracking.experiment=faults",
    "suite.bootstrap.n_resamples=50",
    "suite.explainability.n_rows=20",
    "suite.privacy.max_audit_size=200",
]


def _disk_full_at_metrics(monkeypatch) -> None:
    """The store's disk fills up when the metrics are written (the params at start still fit)."""
    original = mlflow.MlflowClient.log_batch

    def log_batch(self, run_id, metrics=(), params=(), tags=(), **kwargs):
        if metrics:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, run_id, metrics=metrics, params=params, tags=tags, **kwargs)

    monkeypatch.setattr(mlflow.MlflowClient, "log_batch", log_batch)


def test_a_full_disk_at_logging_loses_nothing_and_the_run_can_be_relogged(
    tmp_path: Path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    _disk_full_at_metrics(monkeypatch)
    out = tmp_path / "run-out"
    with pytest.raises(LoggingFailed) as failed:
        run_experiment(compose_config(FAST, tracking_dir=tmp_path), output_dir=out)
    folder = out / "artifacts"
    message = str(failed.value)
    assert "\n" not in message  # one line
    assert "OSError: [Errno 28] No space left on device" in message
    assert str(folder) in message and f"python -m trustbench.relog {folder}" in message
    assert failed.value.folder == folder

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = mlflow.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("faults").experiment_id])
    assert run.info.status == "FAILED" and not run.data.metrics  # nothing reached the store
    assert run.data.tags["trustbench.error"].startswith("LoggingFailed: ")

    report = TrustReport.from_json((folder / "trust_report.json").read_text())
    assert set(report.suites) >= {"performance", "fairness", "uncertainty", "privacy"}
    assert {s.status for s in report.suites.values()} <= {"ok", "not_applicable", "disabled"}
    entries = metric_entries(report)
    assert len(entries) > 100 and "performance/accuracy" in entries
    assert report.run["mlflow_run_id"] == run.info.run_id
    for artifact in ("config.yaml", "predictions.parquet", "trust_card.html"):
        assert (folder / artifact).is_file(), artifact
    assert list((folder / "plots").glob("*.png"))

    monkeypatch.undo()  # the disk has room again
    monkeypatch.chdir(tmp_path)
    new_id = relog(folder)  # into the run's own store and experiment
    new = client.get_run(new_id)
    assert new.info.status == "FINISHED"
    assert new.info.experiment_id == run.info.experiment_id
    assert new.data.metrics == pytest.approx(entries)  # every metric and interval bound
    assert new.data.tags["trustbench.relogged_from"] == run.info.run_id
    assert new.data.tags["trustbench.run_identity"] == report.run["identity"]
    assert new.data.params["seed"] == "0" and "training.seconds" in new.data.params
    logged = {a.path for a in client.list_artifacts(new_id)}
    assert {"trust_report.json", "predictions.parquet", "plots", "config.yaml"} <= logged
    with pytest.raises(ConfigError, match=f"already logged again as run {new_id}"):
        relog(folder)

    other = f"sqlite:///{tmp_path}/elsewhere.db"  # or into another store, from the command line
    cli = subprocess.run(
        [sys.executable, "-m", "trustbench.relog", str(out), "--tracking-uri", other],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    elsewhere = mlflow.MlflowClient(tracking_uri=other)
    (copy,) = elsewhere.search_runs([elsewhere.get_experiment_by_name("faults").experiment_id])
    assert copy.info.status == "FINISHED" and copy.data.metrics == pytest.approx(entries)


def test_relog_refuses_a_folder_without_a_report(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"no trust_report\.json in .*expected the artifacts"):
        relog(tmp_path)
    (tmp_path / "trust_report.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ConfigError, match="is not a trust report"):
        relog(tmp_path)
    cli = subprocess.run(
        [sys.executable, "-m", "trustbench.relog", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 2
    assert cli.stderr.strip().splitlines() == [
        f"trustbench relog: error: no trust_report.json in {tmp_path / 'missing'}; expected the "
        f"artifacts folder that a run whose logging failed names (<run dir>/artifacts)"
    ]
