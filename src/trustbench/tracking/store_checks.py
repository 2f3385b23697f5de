"""Checks that turn an unusable tracking store into one line before a run starts.

Each raises :class:`~trustbench.errors.ConfigError` naming the URI, what is wrong and the
fix, where MLflow, SQLAlchemy or the OS would print a traceback: a SQLite path under
``/proc`` or ``/sys`` or below a file, a folder or database that cannot be written
(:func:`check_store_location`, for writers), a file that is not a SQLite database or is
shorter than its header says (:func:`check_sqlite_file`), and a database error met while a
store is opened or read (:func:`store_errors`). :mod:`trustbench.tracking.store` runs them
when it opens a store; the leaderboard wraps its reads in :func:`store_errors`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trustbench.errors import ConfigError

__all__ = ["check_sqlite_file", "check_store_location", "open_client", "store_errors"]

SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite 3 database file."""
#: Kernel file systems where no database file can be created.
PSEUDO_FILESYSTEMS = {"/proc": "the kernel's process file system", "/sys": "the kernel's sysfs"}
_FIX_PATH = "point tracking.uri at a file in a writable folder, e.g. sqlite:///mlflow.db"
_FIX_DAMAGED = (
    "restore it from a backup, or point the tracking URI at another file "
    "(a new file becomes a new, empty store)"
)
_POLL_S = 0.05


def check_store_location(uri: str, database: Path) -> None:
    """Refuse, in one line, a SQLite path a writer cannot create or write.

    Checked: a path under a kernel file system (``/proc``, ``/sys``), a folder on the path
    that is a file, a folder that cannot be created, a database path that is a folder, and
    a folder or database file that cannot be written (SQLite writes its journal beside the
    database, so the folder must be writable too). Creates the missing folders.

    Raises
    ------
    ConfigError
        Naming the URI, what is wrong and the fix.
    """
    database = Path(os.path.abspath(database))
    for root, what in PSEUDO_FILESYSTEMS.items():
        if database.is_relative_to(root):
            raise ConfigError(
                f"tracking uri {uri}: {database} is under {root}, {what}, where no database "
                f"file can be created; {_FIX_PATH}"
            )
    folder = database.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"tracking uri {uri}: {existing} is a file, not a folder, so {database} cannot be "
            f"created; {_FIX_PATH}"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"tracking uri {uri}: the folder {folder} cannot be created "
            f"({exc.strerror or type(exc).__name__}); {_FIX_PATH}"
        ) from None
    if database.is_dir():
        raise ConfigError(
            f"tracking uri {uri}: {database} is a folder, not a database file; {_FIX_PATH}"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"tracking uri {uri}: the store's folder {folder} is read-only (SQLite writes its "
            f"journal beside the database, and a run writes the store); make it writable "
            f"(chmod u+w {folder}) or point tracking.uri at a store in a writable folder"
        )
    if database.exists() and not os.access(database, os.W_OK):
        raise ConfigError(
            f"tracking uri {uri}: the store {database} is read-only (a run writes to it); make "
            f"it writable (chmod u+w {database}) or point tracking.uri at another store"
        )


def _sqlite_header(database: Path) -> tuple[int, bytes]:
    with open(database, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return size, handle.read(100)


def _in_transaction(database: Path) -> bool:
    """Whether a rollback journal or a write-ahead log sits beside the database: pages may then
    be in flight, and the file may be shorter than its header says for a moment."""
    return any(database.with_name(database.name + s).exists() for s in ("-journal", "-wal"))


def check_sqlite_file(uri: str, database: Path) -> None:
    """Refuse, in one line, an existing non-empty file that is not a whole SQLite database.

    The header must start with :data:`SQLITE_MAGIC`, and the file must be as long as the
    header's page count times its page size say (when that count is valid: its
    version-valid-for number equals the change counter, as SQLite >= 3.7 always writes).
    A missing or empty file passes: a writer makes it a new store, a reader refuses it.

    Raises
    ------
    ConfigError
        Naming the URI, what is wrong with the file and the fix.
    """
    try:
        size, header = _sqlite_header(database)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(
            f"tracking uri {uri}: {database} cannot be read "
            f"({exc.strerror or type(exc).__name__}); make it readable or {_FIX_PATH}"
        ) from None
    if size == 0:
        return
    if not header.startswith(SQLITE_MAGIC):
        raise ConfigError(
            f"tracking uri {uri}: {database} is not an SQLite database (it starts with "
            f"{header[:16]!r}, expected {SQLITE_MAGIC!r}), so not an MLflow store; it is "
            f"damaged or another kind of file: {_FIX_DAMAGED}"
        )
    for attempt in range(2):
        page = int.from_bytes(header[16:18], "big") if len(header) >= 18 else 0
        page = 65536 if page == 1 else page
        pages = int.from_bytes(header[28:32], "big") if len(header) >= 100 else 0
        valid = len(header) >= 100 and header[92:96] == header[24:28]
        expected = page * pages if valid else 100
        if size >= expected or _in_transaction(database):
            return
        if attempt == 0:  # a commit may have ended between the two reads: read again
            time.sleep(_POLL_S)
            size, header = _sqlite_header(database)
    raise ConfigError(
        f"tracking uri {uri}: {database} is truncated: {size} bytes, but its SQLite header says "
        f"{pages} pages of {page} bytes ({expected} bytes); {_FIX_DAMAGED}"
    )


def _database_error(exc: BaseException) -> BaseException | None:
    """The SQLite or SQLAlchemy database error behind ``exc`` (itself or a cause), or None."""
    import sqlite3

    from sqlalchemy.exc import DatabaseError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.DatabaseError | DatabaseError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _fix_for(reason: str) -> str:
    """What to do about a database error, from SQLite's message."""
    if "readonly" in reason or "read-only" in reason:
        return "make the store and its folder writable, or point the tracking URI at another store"
    if "locked" in reason:
        return "another process holds the database: retry, or find it with `fuser` on the file"
    return f"if it is damaged, {_FIX_DAMAGED}"


@contextlib.contextmanager
def store_errors(uri: str) -> Iterator[None]:
    """Turn a database error met while the block opens or reads the store ``uri`` into one
    :class:`ConfigError` line naming the URI, the database's own message and the fix.

    Used around opening a store (:func:`~trustbench.tracking.store.prepare_experiment`,
    :func:`~trustbench.tracking.store.open_existing_store`) and around the leaderboard's
    reads. Other exceptions pass through unchanged.
    """
    try:
        yield
    except ConfigError:
        raise
    except Exception as exc:
        found = _database_error(exc)
        if found is None:
            raise
        orig = getattr(found, "orig", None) or found
        reason = (str(orig).splitlines() or [type(orig).__name__])[0][:300]
        raise ConfigError(
            f"tracking uri {uri}: the store's database cannot be used ({reason}); "
            f"{_fix_for(reason)}"
        ) from None


def open_client(uri: str) -> Any:
    """An ``MlflowClient`` on ``uri`` (constructing it opens the store: creates, migrates).

    An :class:`~mlflow.exceptions.MlflowException` raised while MLflow opens the store (a
    folder it will not use as a file store, say) is one :class:`ConfigError` line with
    MLflow's reason; a database error is left to :func:`store_errors`.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.MlflowClient(tracking_uri=uri)
    except MlflowException as exc:
        if _database_error(exc) is not None:
            raise
        reason = (str(exc.message).splitlines() or [str(exc.error_code)])[0][:1200]
        raise ConfigError(f"tracking uri {uri}: MLflow cannot open this store: {reason}") from None
