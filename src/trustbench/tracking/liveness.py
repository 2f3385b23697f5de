"""Stale runs: a run left RUNNING by a process that no longer exists.

A job stopped by SIGTERM or Ctrl-C ends its run KILLED (:mod:`trustbench.tracking.runs`), but
a job killed with SIGKILL (``kill -9``, the out-of-memory killer, a launcher tearing its
workers down) cannot, and its run would stay RUNNING for ever. So every run records at start
which process owns it, as tags: the host name (``trustbench.host``), the pid
(``trustbench.pid``) and, on Linux, when that process started (``trustbench.pid_start``,
clock ticks since boot, which tells it apart from a later process given the same pid). A
RUNNING run whose owner ran on this host and is gone is *stale*: ``resume=true`` marks it
KILLED in the store (and runs its configuration again) and the leaderboard counts it as
KILLED. A RUNNING run of another host is left as it is: from here nobody can tell whether it
still runs.
"""

from __future__ import annotations

import logging
import os
import socket

from trustbench.tempdirs import process_alive, process_start

log = logging.getLogger(__name__)

HOST_TAG = "trustbench.host"
PID_TAG = "trustbench.pid"
START_TAG = "trustbench.pid_start"
ERROR_TAG = "trustbench.error"


def process_tags() -> dict[str, str]:
    """The tags that name the process owning a run: host, pid and the pid's start time."""
    pid = os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), START_TAG: str(process_start(pid))}


def is_stale(status: str, tags: dict[str, str]) -> bool:
    """True for a RUNNING run whose owning process ran on this host and no longer runs.

    A run without the owner tags (logged by an older trustbench, or by hand) or owned by
    another host is never stale: nothing here can tell.
    """
    if status != "RUNNING" or tags.get(HOST_TAG) != socket.gethostname():
        return False
    try:
        pid = int(tags[PID_TAG])
        start = int(tags.get(START_TAG) or 0)
    except (KeyError, ValueError):
        return False
    return not process_alive(pid, start)


def stale_reason(tags: dict[str, str]) -> str:
    """The ``trustbench.error`` text of a stale run, naming its process."""
    return (
        f"stale: process {tags.get(PID_TAG)} on {tags.get(HOST_TAG)} ended without closing "
        f"the run (killed with SIGKILL, out of memory or torn down by its launcher); "
        f"marked KILLED by process {os.getpid()}"
    )


def mark_stale_runs(tracking_uri: str, experiment_id: str) -> list[str]:
    """Mark every stale run of the experiment KILLED (reason in ``trustbench.error``).

    Returns the ids of the runs marked. Safe to call from several processes at once: marking
    a run twice changes nothing.
    """
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    marked, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string="attributes.status = 'RUNNING'",
            max_results=1000,
            page_token=token,
        )
        for run in page:
            tags = dict(run.data.tags)
            if is_stale(run.info.status, tags):
                client.set_tag(run.info.run_id, ERROR_TAG, stale_reason(tags))
                client.set_terminated(run.info.run_id, "KILLED")
                marked.append(run.info.run_id)
                log.warning(
                    "run %s was RUNNING but its process %s is gone: marked KILLED",
                    run.info.run_id,
                    tags.get(PID_TAG),
                )
        token = page.token
        if not token:
            return marked
