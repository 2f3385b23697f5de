"""SIGTERM handling of a tracked run: a stop is never lost, and never leaves a run RUNNING."""

import os
import signal
import sys
import time
import weakref

import mlflow
import pytest

from trustbench.tracking import runs
from trustbench.tracking.runs import Terminated, sigterm_held, sigterm_raises, tracked_run


class _Finalised:
    pass


def _wait_for_terminated(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.01)


def test_sigterm_raises_terminated_in_the_main_thread():
    with sigterm_raises():
        with pytest.raises(Terminated):
            os.kill(os.getpid(), signal.SIGTERM)
            _wait_for_terminated(5)
        runs.acknowledge_termination()  # whoever catches Terminated says so
    assert signal.getsignal(signal.SIGTERM) is not runs._raise_terminated  # restored


def test_a_raise_dropped_inside_a_weakref_callback_is_delivered_again(monkeypatch):
    """Python drops exceptions raised in weakref callbacks; the stop must survive that."""
    dropped = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: dropped.append(info.exc_type))
    with sigterm_raises():
        with pytest.raises(Terminated):
            obj = _Finalised()
            ref = weakref.ref(obj, lambda _: runs._raise_terminated(signal.SIGTERM, None))
            del obj  # the callback runs here; its Terminated is dropped by the interpreter
            assert ref() is None
            _wait_for_terminated(runs.REDELIVERY_S + 5)
        runs.acknowledge_termination()
    assert dropped == [Terminated]  # it really was dropped the first time


def test_a_held_sigterm_waits_for_the_write_then_raises():
    with sigterm_raises():
        with sigterm_held():
            os.kill(os.getpid(), signal.SIGTERM)
            _wait_for_terminated(0.2)  # nothing raised inside the held block
        with pytest.raises(Terminated):
            runs.raise_if_terminated()
        runs.acknowledge_termination()


def test_a_sigterm_held_to_the_end_goes_to_the_previous_handler():
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        with sigterm_raises(), sigterm_held():
            os.kill(os.getpid(), signal.SIGTERM)
            _wait_for_terminated(0.2)
        _wait_for_terminated(0.2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert received == [signal.SIGTERM]


def test_acknowledged_stop_is_not_redelivered():
    with sigterm_raises():
        with pytest.raises(Terminated):
            os.kill(os.getpid(), signal.SIGTERM)
            _wait_for_terminated(5)
        runs.acknowledge_termination()
        _wait_for_terminated(runs.REDELIVERY_S + 0.5)  # no second Terminated arrives
        os.kill(os.getpid(), signal.SIGTERM)  # nor from a later signal during cleanup
        _wait_for_terminated(0.2)


@pytest.mark.parametrize("where", ["start", "body"])
def test_terminated_run_ends_killed(tmp_path, where):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment_id = mlflow.MlflowClient(tracking_uri=uri).create_experiment("e")
    original_start = mlflow.start_run

    def start_then_signal(*args, **kwargs):
        run = original_start(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the run is being created
        return run

    with pytest.raises(Terminated):
        if where == "start":
            mlflow.start_run = start_then_signal
        try:
            with tracked_run(uri, experiment_id):
                if where == "body":
                    os.kill(os.getpid(), signal.SIGTERM)
                _wait_for_terminated(5)
        finally:
            mlflow.start_run = original_start
    (run,) = mlflow.MlflowClient(tracking_uri=uri).search_runs([experiment_id])
    assert run.info.status == "KILLED"
    assert run.data.tags["trustbench.error"] == "killed"
