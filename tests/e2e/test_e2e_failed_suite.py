"""A run in which a suite failed is a failed run: logged in full, ended FAILED in MLflow, exit
status 1 with one line naming the suite, and run again by ``resume=true``, never counted done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mlflow
from tests.conftest import compose_config

from trustbench import suites
from trustbench.experiment import run_experiment
from trustbench.tracking.runs import IDENTITY_TAG, find_finished_run

FAST = [
    "suite.bootstrap.n_resamples=50",
    "suite.explainability.enabled=false",
    "tracking.log_model=false",
]
#: The trustbench command with a privacy suite that raises (as a bug or a bad cache would).
BROKEN_PRIVACY = """
import sys
from trustbench import suites
def broken(ctx, cfg):
    raise RuntimeError("audit blew up")
suites.SUITES["privacy"] = broken
from trustbench.run import main
sys.argv = ["trustbench", *sys.argv[1:]]
main()
"""


def broken(ctx, cfg):
    raise RuntimeError("audit blew up\nat line two")


def _client(tmp_path: Path) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")


def test_a_failed_suite_ends_the_run_failed_with_everything_else_logged(tmp_path, monkeypatch):
    monkeypatch.setitem(suites.SUITES, "privacy", broken)
    monkeypatch.chdir(tmp_path)
    result = run_experiment(compose_config(FAST, tracking_dir=tmp_path))
    assert result.failed_suites == {"privacy": "RuntimeError: audit blew up\nat line two"}
    line = result.failure_line()
    assert line.startswith("suite(s) privacy failed (privacy: RuntimeError: audit blew up); ")
    assert f"MLflow run {result.run_id} ended FAILED" in line and "\n" not in line
    client = _client(tmp_path)
    run = client.get_run(result.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["trustbench.suites_failed"] == "privacy"
    assert run.data.tags["trustbench.error"].startswith("SuitesFailed: suite(s) privacy failed")
    assert "performance/accuracy" in run.data.metrics  # the other suites' numbers are kept
    assert "trust_report.json" in {a.path for a in client.list_artifacts(result.run_id)}


def test_resume_runs_a_configuration_whose_suite_failed_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with monkeypatch.context() as patched:
        patched.setitem(suites.SUITES, "privacy", broken)
        failed = run_experiment(compose_config(FAST, tracking_dir=tmp_path))
    again = run_experiment(compose_config([*FAST, "resume=true"], tracking_dir=tmp_path))
    assert not again.skipped and again.run_id != failed.run_id and not again.failed_suites
    assert _client(tmp_path).get_run(again.run_id).info.status == "FINISHED"
    third = run_experiment(compose_config([*FAST, "resume=true"], tracking_dir=tmp_path))
    assert third.skipped and third.run_id == again.run_id


def test_resume_does_not_count_an_older_finished_run_with_a_failed_suite(tmp_path):
    """Stores written before a failed suite failed its run hold FINISHED runs like this."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = _client(tmp_path)
    experiment_id = client.create_experiment("trustbench")
    for status in ("failed", "ok"):
        tags = {IDENTITY_TAG: "abc", "trustbench.suite.privacy.status": status}
        run_id = client.create_run(experiment_id, tags=tags).info.run_id
        client.set_terminated(run_id, "FINISHED")
        found = find_finished_run(uri, experiment_id, "abc")
        assert found == (None if status == "failed" else run_id)


def _broken_trustbench(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BROKEN_PRIVACY, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_the_command_exits_1_naming_the_failed_suite_in_its_last_line(tmp_path):
    out = _broken_trustbench(FAST, tmp_path)
    assert out.returncode == 1, out.stderr[-3000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "trustbench: error: suite(s) privacy failed (privacy: RuntimeError: audit blew up); "
        "MLflow run "
    )
    assert last.endswith(
        "ended FAILED (tag trustbench.suites_failed), so resume=true runs it again"
    )
    (run,) = _client(tmp_path).search_runs(
        [_client(tmp_path).get_experiment_by_name("trustbench").experiment_id]
    )
    assert run.info.status == "FAILED"


def test_a_sweep_runs_every_job_and_exits_nonzero_when_a_suite_failed(tmp_path):
    out = _broken_trustbench(["-m", "seed=0,1", *FAST], tmp_path)
    assert out.returncode == 1, out.stderr[-3000:]
    assert "suite(s) privacy failed" in out.stderr
    client = _client(tmp_path)
    runs = client.search_runs([client.get_experiment_by_name("trustbench").experiment_id])
    assert sorted(r.data.params["seed"] for r in runs) == ["0", "1"]  # the second job still ran
    assert {r.info.status for r in runs} == {"FAILED"}
