"""Creating the tracking store from many processes at once loses nothing (docs/scale-out.md).

Before the store lock, N processes that found a new SQLite store all migrated its schema; all
but one died (``duplicate column name: step``) and their runs were never recorded.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from tests.tracking.store_race_worker import context, create_store_and_log, hold_lock

from trustbench.errors import ConfigError
from trustbench.leaderboard.fetch import fetch_runs
from trustbench.tracking import prepare_experiment
from trustbench.tracking.store import lock_path, open_existing_store, sqlite_path, store_lock

N_PROCESSES = 4


def test_processes_racing_on_a_new_sqlite_store_all_record_their_run(tmp_path: Path):
    # separate processes (own MLflow store cache, SQLite connections and lock descriptor),
    # released together by a barrier once they are all started
    ctx = context()
    barrier = ctx.Barrier(N_PROCESSES)
    workers = [
        ctx.Process(target=create_store_and_log, args=(str(tmp_path), i, barrier))
        for i in range(N_PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * N_PROCESSES  # a traceback is on stderr
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    experiments = {e.name: e.experiment_id for e in client.search_experiments()}
    runs = client.search_runs([experiments["race"]])
    assert sorted(r.data.metrics["index"] for r in runs) == [float(i) for i in range(N_PROCESSES)]
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert not client.search_runs([experiments["Default"]]), "runs landed in Default"


def test_lock_is_exclusive_across_processes_and_freed_when_the_holder_is_killed(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    ctx = context()
    held = ctx.Event()
    holder = ctx.Process(target=hold_lock, args=(uri, held))
    holder.start()
    try:
        assert held.wait(timeout=60), "the holder never took the lock"
        with pytest.raises(TimeoutError, match=r"mlflow\.db\.lock"):
            with store_lock(uri, timeout_s=0.2):
                pass
        with pytest.raises(TimeoutError):  # a reader waits for a creation in progress too
            with store_lock(uri, shared=True, timeout_s=0.2):
                pass
        holder.kill()  # SIGKILL: no cleanup runs in the holder, the kernel drops its flock
        holder.join(timeout=10)
        with store_lock(uri, timeout_s=5):
            pass
    finally:
        if holder.is_alive():
            holder.kill()
            holder.join()


def test_lock_is_released_when_the_block_raises(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with pytest.raises(RuntimeError, match="inside"):
        with store_lock(uri):
            raise RuntimeError("inside")
    with store_lock(uri, timeout_s=0):  # would time out at once if the lock were still held
        pass
    assert lock_path(Path(tmp_path, "mlflow.db")).is_file()


def test_experiment_created_by_another_process_in_between_is_read_back(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    other = prepare_experiment(uri, "shared")
    real = mlflow.MlflowClient.get_experiment_by_name
    calls = []

    def stale_first_read(self, name):  # as if the other process created it after our read
        calls.append(name)
        return None if len(calls) == 1 else real(self, name)

    monkeypatch.setattr(mlflow.MlflowClient, "get_experiment_by_name", stale_first_read)
    assert prepare_experiment(uri, "shared") == other
    assert calls == ["shared", "shared"]


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("sqlite:////data/mlflow.db", "/data/mlflow.db"),
        ("sqlite:////data/mlflow.db?timeout=30", "/data/mlflow.db"),
        ("sqlite:///:memory:", None),
        ("http://127.0.0.1:5000", None),
        ("postgresql://u@host/mlflow", None),
    ],
)
def test_only_local_sqlite_stores_take_a_file_lock(uri, path):
    assert sqlite_path(uri) == (Path(path) if path else None)


def test_server_uri_takes_no_file_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with store_lock("http://127.0.0.1:1"):
        pass
    assert not list(tmp_path.iterdir())


def test_reader_never_creates_a_store(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with pytest.raises(ConfigError, match=r"no MLflow store at .*mlflow\.db"):
        open_existing_store(uri)
    with pytest.raises(ConfigError, match="no MLflow store"):
        fetch_runs(uri, ["trustbench"])
    assert not list(tmp_path.iterdir()), "a reader created files"
    (tmp_path / "mlflow.db").touch()
    with pytest.raises(ConfigError, match="empty file"):
        open_existing_store(uri)
    assert (tmp_path / "mlflow.db").stat().st_size == 0, "a reader wrote a schema"


def test_reader_opens_an_existing_store(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment_id = prepare_experiment(uri, "read")
    client = open_existing_store(uri)
    assert client.get_experiment_by_name("read").experiment_id == experiment_id
