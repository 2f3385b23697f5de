"""The submission folder as the file system shows it, read without following anything.

:func:`scan` calls ``lstat`` on every entry and refuses symbolic and hard links, hidden and special
files, odd names and folders more than one level deep; it stops counting as soon as the folder
is over its size limit or holds too many entries, before anything is read. :func:`read_all`
opens each file with ``O_NOFOLLOW`` and refuses one that changed since the scan.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from itertools import islice
from pathlib import Path

from trustbench.challenge import formats

MAX_FILES = 32
MAX_ENTRIES = 256

_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")


def scan(
    root: Path, limit: int, problems: list[str]
) -> tuple[dict[str, os.stat_result] | None, set[str]]:
    """``lstat`` every entry (never following links); return the regular files and all names.

    Returns ``None`` for the files when the folder is missing, a link, too large or holds too
    many entries: counting stops there and nothing is read.
    """
    names: set[str] = set()
    try:
        mode = os.lstat(root).st_mode
    except OSError as err:
        problems.append(f"{root}: cannot be read ({err.strerror}); pass the submission folder.")
        return None, names
    if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
        what = "a symbolic link" if stat.S_ISLNK(mode) else "not a folder"
        problems.append(f"{root}: is {what}; pass the submission folder itself.")
        return None, names
    found: dict[str, os.stat_result] = {}
    total, pending = 0, [("", 0)]
    while pending:
        prefix, depth = pending.pop()
        try:
            with os.scandir(root / prefix if prefix else root) as it:
                entries = list(islice(it, MAX_ENTRIES + 1))
        except OSError as err:
            problems.append(
                f"{prefix or '.'}: cannot be listed ({err.strerror}); make it readable."
            )
            continue
        if len(entries) > MAX_ENTRIES:
            problems.append(
                f"{prefix or '.'}: holds more than {MAX_ENTRIES} entries; a "
                f"submission holds at most {MAX_FILES} files."
            )
            return None, names
        for entry in sorted(entries, key=lambda e: e.name):
            rel = prefix + entry.name
            names.add(rel)
            st = entry.stat(follow_symlinks=False)
            line = _entry_problem(root, rel, entry.name, st, depth)
            if line:
                problems.append(line)
            elif stat.S_ISDIR(st.st_mode):
                pending.append((rel + "/", depth + 1))
            else:
                total += st.st_size
                found[rel] = st
                if total > limit:
                    problems.append(
                        f"submission folder: over the size limit: at least {total / 1e6:.2f} MB "
                        f"counted on reaching {formats.name_of(rel)} (limit {limit / 1e6:g} MB); "
                        f"submit only the manifest, the model and the sample predictions, or "
                        f"shrink the model."
                    )
                    return None, names
                if len(found) > MAX_FILES:
                    problems.append(
                        f"{rel}: the folder holds more than {MAX_FILES} files; "
                        f"submit only the manifest, the model and the predictions."
                    )
                    return None, names
    return found, names


def _entry_problem(root: Path, rel: str, name: str, st: os.stat_result, depth: int) -> str | None:
    mode = st.st_mode
    shown = formats.name_of(rel)
    if stat.S_ISLNK(mode):
        try:
            target = formats.show(os.readlink(root / rel), 80)
        except OSError:
            target = "unknown"
        return (
            f"{shown}: is a symbolic link (to {target}); links are never followed; put "
            f"the file itself in the folder."
        )
    if name.startswith("."):
        return f"{shown}: is hidden (its name starts with '.'); delete it."
    if not _NAME.fullmatch(name):
        return (
            f"{shown}: has a name with characters other than letters, digits, '.', '_' and "
            f"'-' (or over 128 characters); rename it."
        )
    if stat.S_ISDIR(mode):
        if depth >= 1:
            return (
                f"{shown}: is a folder inside a sub-folder; files may sit at most one "
                f"sub-folder deep; move its files up."
            )
        return None
    if not stat.S_ISREG(mode):
        return (
            f"{shown}: is a special file (fifo, socket or device), not a regular file; delete it."
        )
    if st.st_nlink > 1:
        return (
            f"{shown}: is a hard link ({st.st_nlink} names for one file); put a copy of the "
            f"file in the folder instead."
        )
    return None


def read_all(
    root: Path, found: Mapping[str, os.stat_result], problems: list[str]
) -> dict[str, bytes]:
    """Read each scanned file, refusing one that changed (or became a link) since the scan."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    files = {}
    for rel, st in found.items():
        try:
            fd = os.open(root / rel, flags)
        except OSError as err:
            problems.append(f"{rel}: cannot be opened ({err.strerror}); make it a readable file.")
            continue
        with os.fdopen(fd, "rb") as f:
            now = os.fstat(f.fileno())
            data = f.read(st.st_size + 1)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or len(data) != st.st_size:
            problems.append(f"{rel}: changed while the folder was checked; check it again.")
            continue
        files[rel] = data
    return files
