"""The lifecycle of one tracked run: RUNNING while it works, then FINISHED, FAILED or KILLED.

A job opens its run before training, so a crashed or killed job is visible in the store with
the right status instead of missing; metrics are written in one batch at the end, so a run
that is not FINISHED never holds a half set of numbers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator, Mapping

from trustbench.tracking.liveness import process_tags

_log = logging.getLogger(__name__)
IDENTITY_TAG = "trustbench.run_identity"
#: Comma-separated families whose suite failed; such a run is not complete (nor counted done).
SUITES_FAILED_TAG = "trustbench.suites_failed"


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (a cluster or a user killing it)."""


REDELIVERY_S = 1.0
"""Seconds after which an unacknowledged SIGTERM is sent again (see :func:`sigterm_raises`)."""


class _Termination:
    """What the SIGTERM handler knows: whether a stop was asked for, and what it may do now."""

    def __init__(self) -> None:
        self.requested = False  # a SIGTERM arrived
        self.acknowledged = False  # a handler caught Terminated and is cleaning up
        self.deferred = 0  # > 0 inside :func:`sigterm_deferred`: note it, raise on leaving
        self.timer: threading.Timer | None = None

    def reset(self) -> None:
        self.cancel_redelivery()
        self.requested = self.acknowledged = False
        self.deferred = 0

    def cancel_redelivery(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def arm_redelivery(self) -> None:
        """Send SIGTERM again in ``REDELIVERY_S`` unless the stop is acknowledged by then."""
        self.cancel_redelivery()
        pid = os.getpid()

        def resend() -> None:
            if self.requested and not self.acknowledged:
                os.kill(pid, signal.SIGTERM)

        self.timer = threading.Timer(REDELIVERY_S, resend)
        self.timer.daemon = True
        self.timer.start()


_STATE = _Termination()


def _raise_terminated(signum, frame) -> None:
    _STATE.requested = True
    if _STATE.acknowledged or _STATE.deferred:
        return  # already unwinding, or inside a write that must not be cut in half
    # Python runs this handler between any two bytecodes of the main thread, including inside
    # a weakref callback or a __del__, where an exception is printed and then dropped. Until
    # someone acknowledges the stop, the signal is sent again so such a drop cannot lose it.
    _STATE.arm_redelivery()
    raise Terminated(f"received signal {signum}")


def acknowledge_termination() -> None:
    """Record that :class:`Terminated` was caught: later SIGTERMs no longer interrupt the cleanup."""
    _STATE.acknowledged = True
    _STATE.cancel_redelivery()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM raises :class:`Terminated` in the main thread (elsewhere a no-op).

    The raise is repeated every ``REDELIVERY_S`` seconds until :func:`acknowledge_termination`
    is called, because Python drops exceptions raised inside weakref callbacks and finalizers.
    A SIGTERM still unanswered when the block ends normally (held back by :func:`sigterm_held`
    until the end) is passed on to the handler that was installed before.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _STATE.reset()
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except BaseException:
        signal.signal(signal.SIGTERM, previous)
        _STATE.reset()
        raise
    signal.signal(signal.SIGTERM, previous)
    unanswered = _STATE.requested and not _STATE.acknowledged
    _STATE.reset()
    if unanswered:  # held back to the end: the handler that was there before gets it now
        os.kill(os.getpid(), signal.SIGTERM)


@contextlib.contextmanager
def sigterm_held() -> Iterator[None]:
    """Hold a SIGTERM back while the block runs (a store write); see :func:`raise_if_terminated`."""
    _STATE.deferred += 1
    try:
        yield
    finally:
        _STATE.deferred -= 1


def raise_if_terminated() -> None:
    """Raise :class:`Terminated` now if a SIGTERM arrived and nobody has acknowledged it."""
    if _STATE.requested and not _STATE.acknowledged and not _STATE.deferred:
        if signal.getsignal(signal.SIGTERM) is _raise_terminated:
            _STATE.arm_redelivery()
            raise Terminated("received signal 15 while a store write held it back")


def _end_failed(run_id: str, exc: Exception) -> None:
    """End the active run FAILED with ``exc`` as its ``trustbench.error`` tag.

    When the store itself cannot be written (the failure may be a full disk), a warning says
    so and ``exc`` stays the error the caller sees; the run, left RUNNING, is then stale
    (:mod:`trustbench.tracking.liveness`) once this process ends.
    """
    import mlflow

    problem = None
    try:
        mlflow.set_tag("trustbench.error", f"{type(exc).__name__}: {exc}"[:4000])
    except Exception as store_exc:
        problem = store_exc
    try:
        mlflow.end_run("FAILED")  # leaves the active run first, whether the store answers or not
    except Exception as store_exc:
        problem = problem or store_exc
    if problem is not None:
        _log.warning(
            "run %s could not be marked FAILED in the store (%s: %s)",
            run_id,
            type(problem).__name__,
            (str(problem).splitlines() or [""])[0][:300],
        )


@contextlib.contextmanager
def tracked_run(
    tracking_uri: str,
    experiment_id: str,
    *,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Open an MLflow run in ``experiment_id`` (explicitly: never the "current" experiment).

    Yields the run id. On normal exit the run ends FINISHED; on an exception it ends FAILED
    with the error in the ``trustbench.error`` tag; on Ctrl-C or SIGTERM it ends KILLED. The
    run is tagged with the process that owns it (:func:`~trustbench.tracking.liveness.process_tags`),
    so a run left RUNNING by a process killed with SIGKILL can be told stale.
    """
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    with sigterm_raises():
        run = None
        # everything from creating the run to ending it sits in this one try, so a signal
        # handled at any bytecode in between still ends the run KILLED, never RUNNING or FAILED
        try:
            with sigterm_held():  # a run half-created by a signal would stay RUNNING forever
                run = mlflow.start_run(
                    experiment_id=experiment_id,
                    run_name=run_name,
                    tags={**process_tags(), **dict(tags or {})},
                )
            raise_if_terminated()  # one that arrived while the run was being created
            yield run.info.run_id
        except (KeyboardInterrupt, Terminated):
            acknowledge_termination()
            if run is not None:
                mlflow.set_tag("trustbench.error", "killed")
                mlflow.end_run("KILLED")
            raise
        except Exception as exc:
            if run is not None:
                with sigterm_held():
                    _end_failed(run.info.run_id, exc)
            raise
        with sigterm_held():  # a stop asked for now is passed on once the run is FINISHED
            mlflow.end_run("FINISHED")


def suites_failed(tags: Mapping[str, str]) -> list[str]:
    """The families whose suite failed, from a run's tags: :data:`SUITES_FAILED_TAG`, or a
    ``trustbench.suite.<family>.status`` of ``failed`` (runs logged before that tag existed)."""
    named = [f for f in tags.get(SUITES_FAILED_TAG, "").split(",") if f]
    by_status = [
        key[len("trustbench.suite.") : -len(".status")]
        for key, value in tags.items()
        if key.startswith("trustbench.suite.") and key.endswith(".status") and value == "failed"
    ]
    return sorted(set(named) | set(by_status))


def find_finished_run(tracking_uri: str, experiment_id: str, identity: str) -> str | None:
    """Id of a complete run with this run identity in the experiment, or None.

    Complete: FINISHED, and no suite failed (:func:`suites_failed`), so that ``resume=true``
    runs again a configuration whose privacy suite failed in a FINISHED run of an older
    store instead of skipping it for ever.
    """
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{IDENTITY_TAG}` = '{identity}' and attributes.status = 'FINISHED'",
        max_results=100,
    )
    complete = [run for run in runs if not suites_failed(run.data.tags)]
    return complete[0].info.run_id if complete else None
