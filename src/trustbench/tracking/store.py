"""The MLflow store and experiment, created once and addressed by id.

MLflow 3 with SQLite has two races under parallel processes (docs/scale-out.md): processes
that find a new store all migrate its schema at once (one dies with ``duplicate column name``
and its run is lost, or the store breaks for good), and processes that call
``set_experiment`` at the same moment can log into "Default". So every entry point (the
``trustbench`` command, the sweep callback of :mod:`trustbench.tracking.callbacks`,
:func:`trustbench.tracking.log`, the challenge scorer) creates the store and the experiment
through :func:`prepare_experiment`, and every run starts with the explicit experiment id.
Readers (the leaderboard) open a store through :func:`open_existing_store`, which never
creates one.

For a local SQLite store both hold an inter-process lock, ``fcntl.flock`` on a sidecar file
beside the database (``mlflow.db.lock`` for ``mlflow.db``): exclusive while the store is
created or migrated and the experiment is got or created, shared while a reader opens it.
The kernel releases a flock when its file is closed, which happens when the process exits for
any reason (an exception, SIGTERM, SIGKILL, a crash), so a killed process never leaves the
store locked. A server (``http://...``) or a database URI takes no file lock: the server or
the database serializes its own writes.

A store that cannot be used is one :class:`~trustbench.errors.ConfigError` line naming the
URI, what is wrong and the fix, raised before a run starts (so before any training), never
a traceback: a path under ``/proc`` or ``/sys`` or below a file, a folder or database that
cannot be written, a file that is not a SQLite database or is shorter than its header says,
and any other database error met while the store is opened
(:mod:`trustbench.tracking.store_checks`); a tracking server or PostgreSQL database that
does not answer, within seconds (:mod:`trustbench.tracking.server_check`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trustbench.errors import ConfigError
from trustbench.tracking.server_check import check_server
from trustbench.tracking.store_checks import (
    check_sqlite_file,
    check_store_location,
    open_client,
    store_errors,
)

log = logging.getLogger(__name__)

SQLITE_PREFIX = "sqlite:///"
LOCK_SUFFIX = ".lock"
LOCK_TIMEOUT_S = 600.0
"""Seconds a process waits for the store lock before it gives up (a creation takes seconds)."""
_POLL_S = 0.05


def resolve_tracking_uri(uri: str | None) -> str:
    """Make a relative SQLite or file URI absolute, so every process of a sweep agrees on it.

    ``sqlite:///mlflow.db`` (relative to the working directory) becomes
    ``sqlite:////abs/path/mlflow.db``; server URIs (``http://...``) pass through unchanged.
    """
    if not uri:
        raise ConfigError(
            "tracking.uri is empty; expected e.g. 'sqlite:///mlflow.db' or 'http://host:5000'"
        )
    if uri.startswith(SQLITE_PREFIX):
        path = uri[len(SQLITE_PREFIX) :]
        if path and not path.startswith("/") and path != ":memory:":
            return SQLITE_PREFIX + str(Path(os.getcwd(), path).resolve())
        return uri
    if "://" not in uri:  # a bare path: MLflow's (deprecated) file store
        return str(Path(uri).resolve())
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file of a local SQLite URI (query string dropped), else None.

    None for servers, other databases and ``sqlite:///:memory:``.
    """
    if not uri.startswith(SQLITE_PREFIX):
        return None
    path = uri[len(SQLITE_PREFIX) :].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def lock_path(database: Path) -> Path:
    """The sidecar lock file of a SQLite database: ``mlflow.db`` -> ``mlflow.db.lock``."""
    return database.with_name(database.name + LOCK_SUFFIX)


def _open_lock_file(path: Path, shared: bool) -> int | None:
    """A descriptor on the lock file; None when a reader cannot open it (read-only folder)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        if not shared or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
    try:  # a read-only location: lock an existing sidecar read-only, or nobody can write here
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


@contextlib.contextmanager
def store_lock(
    uri: str, *, shared: bool = False, timeout_s: float = LOCK_TIMEOUT_S
) -> Iterator[None]:
    """Hold the inter-process lock of a local SQLite store while the block runs.

    Exclusive by default (creating or migrating the store, creating an experiment);
    ``shared=True`` for readers, which then only wait for a creation in progress. A no-op for
    other URIs. The lock is released when the block ends, normally or by an exception, and
    by the kernel if the process dies inside it (``flock`` locks belong to the open file).

    Raises
    ------
    TimeoutError
        When the lock is still held by another process after ``timeout_s`` seconds.
    """
    database = sqlite_path(uri)
    if database is None:
        yield
        return
    path = lock_path(database)
    fd = _open_lock_file(path, shared)
    if fd is None:
        log.debug("tracking store lock %s cannot be opened (read-only); reading unlocked", path)
        yield
        return
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"tracking store {database}: lock {path} still held by another process "
                        f"after {timeout_s:.0f} s; expected a store creation to take seconds. "
                        f"Find the process that holds it with `fuser {path}`"
                    ) from None
                time.sleep(_POLL_S)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the flock


def _import_sql_store() -> None:
    """Import MLflow's SQL store code before taking the lock (about 2 s of imports).

    Opening an existing store is then about 30 ms, so processes that start together wait on
    each other for that, not for each other's imports. A missing module only costs time.
    """
    with contextlib.suppress(ImportError):
        import mlflow.store.tracking.sqlalchemy_store  # noqa: F401


def _experiment_id(client: Any, experiment: str, uri: str) -> str | None:
    """Id of the live experiment named ``experiment``, None if there is none."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return None
    if found.lifecycle_stage == "deleted":
        raise ConfigError(
            f"tracking.experiment '{experiment}' is deleted in {uri}; restore it "
            f"(mlflow experiments restore) or choose another name"
        )
    return found.experiment_id


#: The experiment tag by which the MLflow UI (3.x) chooses its view of an experiment.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
TRAINING = "custom_model_development"


def prepare_experiment(uri: str, experiment: str) -> str:
    """Create the store (the schema migration runs here, once) and the experiment; return its id.

    The one way every entry point creates a store: safe to call at the same moment from any
    number of processes. For a local SQLite store the creation, migration and get-or-create of
    the experiment run under :func:`store_lock`; for any store, an experiment that another
    process creates in between (MLflow's ``RESOURCE_ALREADY_EXISTS``) is read back by name.

    Parameters
    ----------
    uri : str
        Tracking URI; a relative SQLite path is resolved against the working directory.
    experiment : str
        Experiment name.

    Returns
    -------
    str
        The experiment id, to start every run with explicitly.
    """
    from mlflow.exceptions import MlflowException

    if not experiment:
        raise ConfigError(
            "tracking.experiment is empty; expected an experiment name such as 'trustbench'"
        )
    uri = resolve_tracking_uri(uri)
    check_server(uri)  # a server that does not answer: one line in seconds, not MLflow's retries
    database = sqlite_path(uri)
    if database is not None:
        check_store_location(uri, database)
        _import_sql_store()
    with store_lock(uri), store_errors(uri):
        if database is not None:
            check_sqlite_file(uri, database)
        client = open_client(uri)  # opens the store: creates, migrates
        found = _experiment_id(client, experiment, uri)
        if found is not None:
            return found
        try:
            # the MLflow UI opens a model-training experiment on its run table
            return client.create_experiment(experiment, tags={EXPERIMENT_KIND_TAG: TRAINING})
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        found = _experiment_id(client, experiment, uri)  # created by another process just now
        if found is None:
            raise ConfigError(
                f"tracking.experiment '{experiment}': {uri} says it already exists but no "
                f"experiment of that name can be read back"
            )
        return found


def open_existing_store(uri: str) -> Any:
    """An ``MlflowClient`` on a store that already exists; a reader never creates one.

    A local SQLite database that is missing or empty raises :class:`ConfigError` instead of
    getting a new schema; one that a writer is creating right now is waited for (shared lock).
    """

    uri = resolve_tracking_uri(uri)
    database = sqlite_path(uri)
    if database is not None and not database.is_file():
        raise ConfigError(
            f"tracking uri {uri}: no MLflow store at {database}; expected the database that "
            f"trustbench runs log to (run `trustbench` first, or point tracking_uri at it)"
        )
    if database is None and "://" not in uri and not Path(uri).is_dir():
        raise ConfigError(
            f"tracking uri {uri}: no MLflow store at {uri} (no such folder); expected the "
            f"store that trustbench runs log to, e.g. sqlite:///mlflow.db"
        )
    check_server(uri)
    if database is not None:
        _import_sql_store()
    with store_lock(uri, shared=True), store_errors(uri):
        if database is not None and database.stat().st_size == 0:
            raise ConfigError(
                f"tracking uri {uri}: {database} is an empty file, not an MLflow store; "
                f"expected the database that trustbench runs log to"
            )
        if database is not None:
            check_sqlite_file(uri, database)
        client = open_client(uri)
        client.search_experiments(max_results=1)  # reads the schema: a damaged file fails here
        return client
