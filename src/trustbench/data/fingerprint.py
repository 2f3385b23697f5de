"""The sha256 fingerprint of a task: the table, the build choices and the split rows."""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas.util import hash_pandas_object

__all__ = ["canonical", "fingerprint", "frame_hash"]


def canonical(value: Any) -> Any:
    """A JSON-friendly canonical form of the build choices.

    Parameters
    ----------
    value : Any
        Nested mappings, sequences, numbers, strings and ``None``.

    Returns
    -------
    Any
        Mappings with sorted string keys, lists, ``bool``/``int``/``float`` (non-finite
        floats as strings), strings and ``None``; anything else as ``str``.
    """
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [canonical(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(float(value)) else str(float(value))
    if value is None or isinstance(value, str):
        return value
    return str(value)


def frame_hash(frame: pd.DataFrame) -> bytes:
    """Hash the cells of a table, row by row, ignoring the index.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.

    Returns
    -------
    bytes
        The little-endian ``uint64`` row hashes of :func:`pandas.util.hash_pandas_object`
        (of the cells as strings when some cells are unhashable).
    """
    try:
        hashed = hash_pandas_object(frame, index=False)
    except TypeError:  # unhashable cells (lists, dicts) in a dropped column
        hashed = hash_pandas_object(frame.astype(str), index=False)
    return hashed.to_numpy().astype("<u8").tobytes()


def fingerprint(
    frame: pd.DataFrame, choices: Mapping[str, Any], split_rows: Mapping[str, np.ndarray]
) -> str:
    """The sha256 fingerprint of one built task.

    Parameters
    ----------
    frame : pandas.DataFrame
        The working table (column names, dtypes and cells are hashed).
    choices : mapping
        The build choices, hashed in :func:`canonical` form.
    split_rows : mapping of str to numpy.ndarray
        Row positions of each split, hashed in order.

    Returns
    -------
    str
        The hex digest.
    """
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    h.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    h.update(frame_hash(frame))
    h.update(json.dumps(canonical(choices), sort_keys=True).encode())
    for name, rows in split_rows.items():
        h.update(name.encode())
        h.update(np.asarray(rows, dtype="<i8").tobytes())
    return h.hexdigest()
