"""The on-disk cache of reference-model outputs (``suite.privacy.cache_dir``).

An entry is two files: ``reference_<key>.npz`` holds the arrays (``logp``, ``phi``, never a
pickled object) and ``reference_<key>.json`` beside it their SHA-256, shapes and the software
that computed them. Three rules keep a cached result from ever being silently wrong or the
folder from filling a disk:

* **Versioned key.** The key hashes the caller's parts (data fingerprint, recipe, K, seed,
  rows) with :data:`CACHE_FORMAT`, the trustbench version, a digest of the source of the
  code that trains and evaluates reference models (``trustbench/privacy`` and
  ``trustbench/models``) and the versions of the libraries that compute them
  (:data:`LIBRARIES`): an upgrade or a code change is a new key, never an old entry.
* **Checked on load.** The arrays' SHA-256 (dtype, shape and bytes) must equal the one
  stored beside them, and their shapes the expected ones. Anything else (a tampered or
  truncated file, a missing checksum) is a warning; the outputs are recomputed and the entry
  is written again.
* **Bounded.** After each write, the least recently used entries (by modification time; a
  load touches its entry) are removed until the folder's ``reference_*`` files fit in
  ``suite.privacy.cache_max_mb`` (default :data:`DEFAULT_MAX_MB`). ``0`` turns the cache off.

A folder that cannot be written (read-only, on a read-only file system, a path under a file)
never fails the privacy suite: its entries are still loaded, and what is computed is used
uncached, with a warning.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import math
import os
import zipfile
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from trustbench.errors import ConfigError

log = logging.getLogger(__name__)

__all__ = [
    "CACHE_FORMAT",
    "DEFAULT_MAX_MB",
    "check_cache_budget",
    "default_cache_dir",
    "entry_key",
    "load_entry",
    "prune",
    "software",
    "store_entry",
]

CACHE_FORMAT = 2
"""Layout of an entry; 1 was a bare ``.npz`` with an unversioned key and no checksum."""
DEFAULT_MAX_MB = 1024.0
"""Default size budget of a cache folder in MiB (``suite.privacy.cache_max_mb``)."""
LIBRARIES = ("numpy", "scipy", "scikit-learn", "torch")
"""Libraries whose version enters the key: they train the reference models and compute
``log p_y`` and ``phi``."""
PREFIX = "reference_"
_MB = 1024 * 1024
_CODE = ("privacy", "models")  # trustbench sub-packages whose source enters the key


def default_cache_dir(tracking_uri: str) -> Path | None:
    """``<folder of the store>/privacy_cache`` for ``sqlite:///`` and ``file:`` URIs, else None.

    A remote tracking server has no local folder; runs against one cache nothing unless
    ``suite.privacy.cache_dir`` is set.
    """
    if tracking_uri.startswith("sqlite:///"):
        return Path(tracking_uri[len("sqlite:///") :]).resolve().parent / "privacy_cache"
    if tracking_uri.startswith("file:"):
        from urllib.parse import urlparse

        return Path(urlparse(tracking_uri).path) / "privacy_cache"
    if "://" not in tracking_uri:
        return Path(tracking_uri).resolve() / "privacy_cache"
    return None


def check_cache_budget(value: Any, key: str) -> float:
    """The check of ``suite.privacy.cache_max_mb``: a finite number of MiB, ``>= 0``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number of MiB >= 0, got {value!r}.")
    if value < 0:
        raise ConfigError(f"{key}: expected a number of MiB >= 0 (0 = no cache), got {value!r}.")
    return float(value)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


@functools.cache
def software() -> dict[str, str]:
    """What enters every key: trustbench's version and source digest, the libraries' versions."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for sub in _CODE:
        for path in sorted((package / sub).glob("*.py")):
            digest.update(f"{sub}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    found = {"format": str(CACHE_FORMAT), "trustbench": _version("trustbench")}
    found["trustbench_source"] = digest.hexdigest()[:16]
    found.update({name: _version(name) for name in LIBRARIES})
    return found


def entry_key(parts: Sequence[Any]) -> str:
    """The key of an entry: SHA-256 of ``parts`` and :func:`software`, 24 hex digits."""
    blob = json.dumps([software(), *parts], sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def array_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the arrays' names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _paths(folder: Path, key: str) -> tuple[Path, Path]:
    return folder / f"{PREFIX}{key}.npz", folder / f"{PREFIX}{key}.json"


def _warn(text: str) -> str:
    log.warning("privacy: %s", text)
    return text


def load_entry(
    folder: str | Path | None, key: str, shapes: Mapping[str, tuple[int, ...]]
) -> tuple[dict[str, np.ndarray] | None, list[str]]:
    """The entry ``key`` of ``folder`` if present and intact, and warnings.

    Returns ``(None, [])`` when there is no entry (or no folder), ``(None, [warning])`` when
    the entry cannot be trusted (unreadable, no checksum, checksum or shape mismatch): the
    caller recomputes, and :func:`store_entry` replaces it.
    """
    if folder is None:
        return None, []
    data_path, meta_path = _paths(Path(folder), key)
    if not data_path.is_file():
        return None, []
    try:
        meta = json.loads(meta_path.read_text())
        with np.load(data_path, allow_pickle=False) as stored:
            arrays = {name: np.array(stored[name]) for name in shapes}
    except FileNotFoundError as exc:
        if exc.filename is not None and Path(exc.filename) == data_path:
            return None, []  # removed by another process's pruning in between
        return None, [_warn(f"cache entry {data_path} has no checksum file; recomputing")]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return None, [_warn(f"cache entry {data_path} cannot be read ({reason}); recomputing")]
    wrong = {n: a.shape for n, a in arrays.items() if a.shape != tuple(shapes[n])}
    if wrong:
        expected = {n: tuple(s) for n, s in shapes.items()}
        return None, [
            _warn(f"cache entry {data_path}: shapes {wrong}, expected {expected}; recomputing")
        ]
    if not isinstance(meta, dict) or meta.get("sha256") != array_digest(arrays):
        return None, [
            _warn(
                f"cache entry {data_path}: the arrays' SHA-256 differs from the one stored in "
                f"{meta_path.name} (the file was changed after it was written); recomputing"
            )
        ]
    with contextlib.suppress(OSError):  # least recently used = oldest mtime; read-only is fine
        os.utime(data_path)
        os.utime(meta_path)
    return arrays, []


def store_entry(
    folder: str | Path | None,
    key: str,
    arrays: Mapping[str, np.ndarray],
    max_mb: float = DEFAULT_MAX_MB,
    budget_key: str = "suite.privacy.cache_max_mb",
) -> list[str]:
    """Write the entry ``key`` (arrays, then its checksum file) and prune ``folder``.

    Both files are written under temporary names and renamed into place, the checksum first,
    so a reader that finds the arrays finds their checksum. Never raises on a folder that
    cannot be written: the warning says so and the caller goes on uncached. Returns warnings.
    """
    if folder is None or max_mb <= 0:
        return []
    folder = Path(folder)
    data_path, meta_path = _paths(folder, key)
    size = sum(np.asarray(a).nbytes for a in arrays.values())
    if size > max_mb * _MB:
        return [
            _warn(
                f"reference outputs of {size / _MB:.1f} MiB exceed {budget_key}={max_mb:g}; "
                f"not cached (raise {budget_key} to cache them)"
            )
        ]
    meta = {
        "sha256": array_digest(arrays),
        "shapes": {n: list(np.shape(a)) for n, a in arrays.items()},
        "software": software(),
    }
    tag = f".{os.getpid()}.tmp"
    tmp_data, tmp_meta = data_path.with_name(data_path.name + tag + ".npz"), None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp_meta = meta_path.with_name(meta_path.name + tag)
        tmp_meta.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        np.savez(tmp_data, **arrays)
        tmp_meta.replace(meta_path)
        tmp_data.replace(data_path)
    except OSError as exc:
        for tmp in (tmp_data, tmp_meta):
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        reason = exc.strerror or type(exc).__name__
        return [
            _warn(
                f"cache folder {folder} cannot be written ({reason}: {exc.filename or folder}); "
                "reference outputs computed and used uncached. Make it writable or set "
                "suite.privacy.cache_dir to a writable folder"
            )
        ]
    removed = prune(folder, max_mb * _MB, keep=key)
    if removed:
        log.info("privacy: cache %s over %g MiB: removed %d old entries", folder, max_mb, removed)
    return []


def _entry_of(path: Path) -> str:
    return path.name[len(PREFIX) :].split(".", 1)[0]


def prune(folder: str | Path, max_bytes: float, keep: str | None = None) -> int:
    """Remove least recently used entries until ``folder``'s ``reference_*`` files fit in
    ``max_bytes``; entry ``keep`` (just written) stays. Returns how many entries went.

    An entry's files (arrays, checksum, a temporary file left by a killed writer) go
    together; its age is that of its newest file. Files another process removes first are
    skipped.
    """
    entries: dict[str, list[tuple[Path, os.stat_result]]] = {}
    for path in Path(folder).glob(f"{PREFIX}*"):
        with contextlib.suppress(OSError):
            entries.setdefault(_entry_of(path), []).append((path, path.stat()))
    total = sum(st.st_size for files in entries.values() for _, st in files)
    by_age = sorted(entries, key=lambda k: (max(st.st_mtime for _, st in entries[k]), k))
    removed = 0
    for name in by_age:
        if total <= max_bytes:
            break
        if name == keep:
            continue
        for path, st in entries[name]:
            with contextlib.suppress(OSError):
                path.unlink()
            total -= st.st_size
        removed += 1
    return removed
