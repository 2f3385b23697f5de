"""Any CSV file as a :class:`TaskData` (``dataset=csv``).

Before the table is built, its header row is read as written (pandas renames what it reads):
two columns of one name (pandas would call them ``bp`` and ``bp.1``) and a column without a
name (``Unnamed: 0``, the index ``DataFrame.to_csv`` writes without ``index=False``) are
errors naming them, unless ``drop`` removes the extra copies or the nameless column.

Cells pandas reads as missing (empty, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ...) are
missing; ``na_values`` adds the placeholders a file uses besides them (``unknown``, ``?``), in
every column. Every key is in ``configs/dataset/csv.yaml`` and ``docs/datasets.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from trustbench.data.build import build_task
from trustbench.data.labels import override_list, quote_names
from trustbench.data.registration import dataset
from trustbench.data.task import TaskData
from trustbench.data.validate import as_tuple
from trustbench.errors import DataError

__all__ = ["DEFAULT_OOD_SHIFT", "check_header", "load_csv"]

#: The ``ood`` split when neither ``ood_sites`` nor ``ood_shift`` is given.
DEFAULT_OOD_SHIFT = {"kind": "noise", "severity": 0.5}


@dataset("csv")
def load_csv(
    *,
    path: str | os.PathLike,
    target: str,
    sensitive: Sequence[str] | str = (),
    sensitive_bins: Mapping[str, Sequence[float]] | None = None,
    site: str | None = None,
    ood_sites: Sequence[Any] | None = None,
    positive_label: Any = None,
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] | str = (),
    index_like_features: Sequence[str] | str = (),
    ood_shift: Mapping[str, Any] | None = None,
    test_size: float = 0.3,
    seed: int = 0,
    sensitive_as_features: bool = True,
    group_column: str | None = None,
    time_column: str | None = None,
    time_cutoff: Any = None,
    na_values: Sequence[str] | str = (),
) -> TaskData:
    """Read a CSV file (``pandas.read_csv`` defaults) and build a task from it.

    The arguments are those of :func:`trustbench.data.build_task`, and ``na_values``: more
    cell values to read as missing, in every column (passed to ``pandas.read_csv``, which
    keeps its own markers too). When none of ``ood_sites``, ``ood_shift`` and
    ``time_column`` is given, ``ood`` is the test split plus Gaussian noise of severity 0.5
    (``DEFAULT_OOD_SHIFT``; the same patients: robustness to measurement noise, not a
    population shift); pass ``ood_shift={"kind": "none"}`` for no ``ood`` split.

    Raises
    ------
    DataError
        If the file does not exist or cannot be parsed (naming the path), its header repeats
        a name or leaves one empty (:func:`check_header`), or the table breaks the data
        contract.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(
            f"CSV path '{path}': expected an existing file, got "
            f"{'a directory' if file.is_dir() else 'no such file'} "
            f"(resolved to '{file.resolve()}')."
        )
    extra_na = [str(v) for v in as_tuple(na_values, "dataset.na_values")]
    try:
        frame = pd.read_csv(file, na_values=extra_na or None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"CSV path '{path}': expected a readable CSV table, got a parse error: {message}"
        ) from None
    check_header(
        file,
        list(frame.columns),
        roles=[
            target,
            sensitive,
            list(sensitive_bins or {}),
            site,
            categorical,
            index_like_features,
            group_column,
            time_column,
        ],
        drop=drop,
    )
    if not ood_sites and ood_shift is None and time_column is None:
        ood_shift = dict(DEFAULT_OOD_SHIFT)
    metadata = {"source": str(file.resolve()), "license": "unknown (user-provided file)"}
    return build_task(
        frame,
        name="csv",
        target=target,
        positive_label=positive_label,
        sensitive=sensitive,
        sensitive_bins=sensitive_bins,
        site=site,
        ood_sites=ood_sites or None,
        ood_shift=ood_shift,
        categorical=categorical,
        drop=drop,
        index_like_features=index_like_features,
        sensitive_as_features=sensitive_as_features,
        group_column=group_column,
        time_column=time_column,
        time_cutoff=time_cutoff,
        test_size=test_size,
        seed=seed,
        metadata=metadata,
    )


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        return [str(value)]


def check_header(
    file: Path, columns: list[str], *, roles: Sequence[Any], drop: Sequence[str] | str
) -> None:
    """Refuse a header row that repeats a name or leaves one empty.

    Parameters
    ----------
    file : pathlib.Path
        The CSV file; its first row is read again, as written (no renaming).
    columns : list of str
        The column names pandas gave the table (``bp.1`` for a second ``bp``, ``Unnamed: 0``
        for an empty name), in the same order.
    roles : sequence
        The column names given to any role (target, sensitive, site, ...): an empty name the
        user refers to by pandas' name is accepted.
    drop : column name or list of column names
        ``dataset.drop``: a repeated name passes when every copy but one is dropped, an
        empty one when it is dropped.

    Raises
    ------
    DataError
        One line naming the repeated names (with the names pandas gave the copies) or the
        empty ones (with their position), and the fix.
    """
    raw = pd.read_csv(file, header=None, nrows=1, dtype=str, keep_default_na=False)
    header = [str(v) for v in raw.iloc[0].tolist()] if len(raw) else []
    if len(header) != len(columns):  # pandas read another header row: nothing to compare
        return
    dropped = set(_names(drop))
    named = {n for role in roles for n in _names(role)}
    copies: dict[str, list[str]] = {}
    for written, read in zip(header, columns, strict=True):
        if written.strip():
            copies.setdefault(written, []).append(str(read))
    repeated = {
        name: read
        for name, read in copies.items()
        if len([c for c in read if c not in dropped]) > 1
    }
    if repeated:
        what = "; ".join(
            f"'{name}' {len(read)} times (read as {quote_names(read)})"
            for name, read in repeated.items()
        )
        extra = [c for read in repeated.values() for c in read[1:] if c not in dropped]
        raise DataError(
            f"CSV header of '{file}': expected unique column names, got {what}, a suffix "
            f"pandas adds without a word; rename them in the file, or drop the extra copies "
            f"with {override_list('dataset.drop', [*_names(drop), *extra])}."
        )
    empty = [
        (i, str(read))
        for i, (written, read) in enumerate(zip(header, columns, strict=True))
        if not written.strip() and str(read) not in dropped and str(read) not in named
    ]
    if empty:
        where = ", ".join(f"column {i + 1} (read as '{read}')" for i, read in empty)
        index = empty[0][0] == 0
        why = (
            " (a nameless first column is the index DataFrame.to_csv writes without "
            "index=False, from which a model would learn the file's row order)"
            if index
            else ""
        )
        fix = "write the file with index=False" if index else "name it in the file's header"
        raise DataError(
            f"CSV header of '{file}': expected a name for every column, got none for {where}"
            f"{why}; {fix}, or drop it with "
            f"{override_list('dataset.drop', [*_names(drop), *(r for _, r in empty)])}."
        )
