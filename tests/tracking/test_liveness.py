"""A run left RUNNING by a process killed with SIGKILL is told stale and marked KILLED."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import pytest
from tests.conftest import compose_config

from trustbench.experiment import run_experiment
from trustbench.tracking import mark_stale_runs, prepare_experiment
from trustbench.tracking.liveness import HOST_TAG, PID_TAG, START_TAG, is_stale, process_tags

#: Opens a tracked run, then dies with SIGKILL inside it: nothing can end the run.
_KILLED_INSIDE_A_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from trustbench.tracking import prepare_experiment, tracked_run

    uri = sys.argv[1]
    with tracked_run(uri, prepare_experiment(uri, sys.argv[2]), tags={"seed": sys.argv[3]}):
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _stale_run(uri: str, experiment: str, label: str = "x") -> str:
    out = subprocess.run(
        [sys.executable, "-c", _KILLED_INSIDE_A_RUN, uri, experiment, label],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == -9, out.stderr[-3000:]
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    (run,) = [r for r in client.search_runs([experiment_id]) if r.data.tags["seed"] == label]
    assert run.info.status == "RUNNING"  # what SIGKILL leaves: RUNNING for ever, before the fix
    return run.info.run_id


def _dead_owner_run(uri: str, experiment: str) -> str:
    """A RUNNING run owned by a process of this host that has exited (cheaper than a SIGKILL)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    tags = {**process_tags(), PID_TAG: str(child.pid), START_TAG: "0"}
    client = mlflow.MlflowClient(tracking_uri=uri)
    return client.create_run(prepare_experiment(uri, experiment), tags=tags).info.run_id


def test_every_run_names_its_process():
    tags = process_tags()
    assert tags[HOST_TAG] == socket.gethostname()
    assert int(tags[PID_TAG]) > 0
    assert not is_stale("RUNNING", tags)  # this process is alive
    assert not is_stale("RUNNING", {**tags, HOST_TAG: "another-host"})  # cannot tell: kept
    assert not is_stale("RUNNING", {})  # no owner recorded (an older run): kept
    assert not is_stale("FINISHED", {**tags, PID_TAG: "999999999"})
    assert is_stale("RUNNING", {**tags, PID_TAG: "999999999"})
    if int(tags[START_TAG]):  # Linux: the same pid, started at another time, is another process
        assert is_stale("RUNNING", {**tags, START_TAG: str(int(tags[START_TAG]) + 1)})


def test_a_run_left_running_by_sigkill_is_marked_killed(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run_id = _stale_run(uri, "stale")
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert is_stale(run.info.status, run.data.tags)
    live = client.create_run(prepare_experiment(uri, "stale"), tags=process_tags()).info.run_id

    experiment_id = prepare_experiment(uri, "stale")
    assert mark_stale_runs(uri, experiment_id) == [run_id]
    run = client.get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["trustbench.error"].startswith(f"stale: process {run.data.tags[PID_TAG]}")
    assert client.get_run(live).info.status == "RUNNING"  # its process (this one) still runs
    assert mark_stale_runs(uri, experiment_id) == []  # marking again changes nothing


@pytest.mark.parametrize("fast", [True, False])
def test_leaderboard_counts_a_stale_run_as_killed(tmp_path: Path, fast: bool):
    from trustbench.leaderboard.fetch import fetch_runs

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run_id = _dead_owner_run(uri, "board")
    (record,) = fetch_runs(uri, ["board"], fast=fast)
    assert (record.run_id, record.status) == (run_id, "KILLED")
    assert mlflow.MlflowClient(tracking_uri=uri).get_run(run_id).info.status == "RUNNING"


def test_resume_marks_a_stale_run_killed_and_runs_its_configuration(tmp_path: Path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    stale = _dead_owner_run(uri, "resume")
    cfg = compose_config(
        [
            "experiment=smoke",
            "tracking.experiment=resume",
            "resume=true",
            "suite.bootstrap.n_resamples=50",
            "suite.explainability.enabled=false",
            "suite.privacy.enabled=false",
        ],
        tracking_dir=tmp_path,
    )
    monkeypatch.chdir(tmp_path)
    result = run_experiment(cfg)
    client = mlflow.MlflowClient(tracking_uri=uri)
    assert client.get_run(stale).info.status == "KILLED"
    assert client.get_run(result.run_id).info.status == "FINISHED"
    (saved,) = tmp_path.glob("outputs/*/*/artifacts/trust_report.json")  # beside the store
    assert result.run_id in saved.read_text()
