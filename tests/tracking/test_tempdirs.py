"""Temporary folders of a process killed with SIGKILL are removed by the next process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from trustbench import tempdirs

#: A process that logs a report and is stopped for good while its artifacts are uploaded.
_STUCK_LOGGER = textwrap.dedent(
    """
    import sys, time
    import mlflow
    from trustbench.report import TrustReport
    from trustbench.tracking import prepare_experiment
    from trustbench.tracking.mlflow_logger import log_report

    uri = sys.argv[1]
    experiment_id = prepare_experiment(uri, "leak")
    run_id = mlflow.MlflowClient(tracking_uri=uri).create_run(experiment_id).info.run_id
    mlflow.MlflowClient.log_artifacts = lambda *args, **kwargs: time.sleep(600)
    log_report(run_id, TrustReport(), tracking_uri=uri)
    """
)


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmp)}


def _leaked(tmp: Path) -> list[Path]:
    return sorted(p for p in tmp.glob("trustbench-*") if p.is_dir())


def test_folder_of_a_killed_logger_is_removed_by_the_next_process(tmp_path: Path):
    temp = tmp_path / "temp"
    temp.mkdir()
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    stuck = subprocess.Popen(
        [sys.executable, "-c", _STUCK_LOGGER, uri],
        env=_env(temp),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (_leaked(temp) and list(_leaked(temp)[0].rglob("trust_report.json"))):
            assert stuck.poll() is None, stuck.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the logger never wrote its temporary folder"
            time.sleep(0.1)
        stuck.send_signal(signal.SIGKILL)  # no cleanup can run
        stuck.wait(timeout=30)
    finally:
        if stuck.poll() is None:
            stuck.kill()
            stuck.wait()
    (leaked,) = _leaked(temp)  # what kill -9 leaves behind
    assert f"-{stuck.pid}-" in leaked.name  # named after its owner
    (leaked / "code").mkdir()
    (leaked / "code" / "worker.py").write_text("")
    (leaked / "code").chmod(0o555)  # read-only inside, like a sandbox's staging folder

    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "from trustbench.tempdirs import make_temp_dir as m; print(m('log'))",
        ],
        env=_env(temp),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    assert not leaked.exists(), "the next process left the dead process's folder"
    new = Path(made.stdout.strip())
    assert new.parent == temp and new.is_dir()  # its owner has exited too, so it is stale now
    assert tempdirs.remove_stale_temp_dirs(temp) == [new]


def test_folders_of_live_processes_other_hosts_and_unnamed_owners_are_kept(tmp_path: Path):
    with tempdirs.temp_dir("log") as mine:  # this (live) process
        host, pid = tempdirs.host_token(), os.getpid()
        start = tempdirs.process_start(pid)
        other_host = tmp_path / f"trustbench-log-{'0' * 8 if host != '0' * 8 else '1' * 8}-1-1-x"
        unnamed = tmp_path / "trustbench-abc123"  # an older version's folder: owner unknown
        reused = tmp_path / f"trustbench-log-{host}-{pid}-{start + 1}-x"  # same pid, other start
        live = tmp_path / f"trustbench-log-{host}-{pid}-{start}-x"
        for path in (other_host, unnamed, reused, live):
            path.mkdir()
        removed = tempdirs.remove_stale_temp_dirs(tmp_path)
        assert mine.is_dir()
    assert not mine.exists()  # the block removed its own folder
    if start:  # Linux: a pid given to a later process is told apart by its start time
        assert removed == [reused]
    assert other_host.is_dir() and unnamed.is_dir() and live.is_dir()


def test_process_alive():
    pid = os.getpid()
    start = tempdirs.process_start(pid)
    assert tempdirs.process_alive(pid, start)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not tempdirs.process_alive(child.pid)
    if start:
        assert not tempdirs.process_alive(pid, start + 1)
