"""The lifecycle of one tracked run: RUNNING while it works, then FINISHED, FAILED or KILLED.

A job opens its run before training, so a crashed or killed job is visible in the store with
the right status instead of missing; metrics are written in one batch at the end, so a run
that is not FINISHED never holds a half set of numbers.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Mapping

IDENTITY_TAG = "trustbench.run_identity"


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (a cluster or a user killing it)."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated(f"received signal {signum}")


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM raises :class:`Terminated` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    with the error in the ``trustbench.error`` tag; on Ctrl-C or SIGTERM it ends KILLED.
    """
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    with (
        sigterm_raises(),
        mlflow.start_run(
            experiment_id=experiment_id, run_name=run_name, tags=dict(tags or {})
        ) as run,
    ):
        try:
            yield run.info.run_id
        except (KeyboardInterrupt, Terminated):
            mlflow.set_tag("trustbench.error", "killed")
            mlflow.end_run("KILLED")
            raise
        except Exception as exc:
            mlflow.set_tag("trustbench.error", f"{type(exc).__name__}: {exc}"[:4000])
            raise


def find_finished_run(tracking_uri: str, experiment_id: str, identity: str) -> str | None:
    """Id of a FINISHED run with this run identity in the experiment, or None."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{IDENTITY_TAG}` = '{identity}' and attributes.status = 'FINISHED'",
        max_results=1,
    )
    return runs[0].info.run_id if runs else None
