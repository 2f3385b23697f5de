"""Turn cell values into label strings, and lists of names into message text.

Every table value that becomes a class, group, site or category label goes through
:func:`to_label`, so that ``1``, ``1.0`` and ``np.int64(1)`` all become ``"1"``. The
:func:`quote_names` helper formats column or label lists for :class:`DataError` messages, and
:func:`override_list` writes the command-line fix a message suggests.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["fmt_number", "hydra_value", "override_list", "quote_names", "to_label", "to_labels"]

#: Names that Hydra's override grammar reads as they are inside ``[...]``.
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ .:/-]*[A-Za-z0-9_.]|[A-Za-z_]")
#: Plain words Hydra reads as something other than a string.
_KEYWORDS = {"true", "false", "null", "nan", "inf"}


def quote_names(values: Iterable[Any], limit: int = 25) -> str:
    """Format values for a message as ``'a', 'b', 'c'``.

    Parameters
    ----------
    values : iterable
        The values to show; each is written with ``repr``.
    limit : int, default 25
        At most this many values are shown, followed by a count of the rest.

    Returns
    -------
    str
        The comma-separated values, or ``"(none)"`` when there are none.

    Examples
    --------
    >>> quote_names(["a", "b", "c"], limit=2)
    "'a', 'b', ... (1 more)"
    """
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values) - limit} more)"
    return shown or "(none)"


def override_list(key: str, names: Iterable[Any]) -> str:
    """A command-line override setting ``key`` to a list of names, quoted for the shell.

    Parameters
    ----------
    key : str
        The config key, e.g. ``"dataset.drop"``.
    names : iterable
        The list's values; a name with characters Hydra's grammar does not read plainly
        (commas, brackets, quotes, ...) is written in double quotes.

    Returns
    -------
    str
        ``'dataset.drop=[id,Unnamed: 0]'``, in single quotes so that a shell passes it whole.

    Examples
    --------
    >>> print(override_list("dataset.drop", ["id", "Unnamed: 0", "a,b"]))
    'dataset.drop=[id,Unnamed: 0,"a,b"]'
    """
    text = f"{key}=[{','.join(_hydra_text(n) for n in names)}]"
    return _shell(text)


def _shell(text: str) -> str:
    """``text`` in single quotes, so that a shell passes it whole."""
    return "'" + text.replace("'", "'\\''") + "'"


def _hydra_text(name: Any) -> str:
    """One value as Hydra's override grammar reads it back as the same string."""
    text = str(name)
    if _PLAIN_NAME.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    # Hydra reads a backslash literally except before a quote or at the end of the string
    quoted = re.sub(r'(\\*)"', lambda m: m.group(1) * 2 + '\\"', text)
    quoted = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, quoted)
    return f'"{quoted}"'


def hydra_value(key: str, value: Any) -> str:
    """A command-line override setting ``key`` to one string value, quoted for the shell.

    Parameters
    ----------
    key : str
        The config key, e.g. ``"dataset.positive_label"``.
    value : Any
        The value; written in double quotes when Hydra would not read it plainly as this
        string (spaces at the ends, commas, ``true``, ``null``, ...).

    Returns
    -------
    str
        ``'dataset.positive_label=died'``, in single quotes so that a shell passes it whole.

    Examples
    --------
    >>> print(hydra_value("dataset.positive_label", "died"))
    'dataset.positive_label=died'
    """
    return _shell(f"{key}={_hydra_text(value)}")


def fmt_number(x: float) -> str:
    """Format a number without a needless decimal part.

    Parameters
    ----------
    x : float
        The number.

    Returns
    -------
    str
        ``"50"`` for 50.0, ``"2.5"`` for 2.5 (``%g`` formatting otherwise).
    """
    x = float(x)
    if math.isfinite(x) and x == int(x):
        return str(int(x))
    return f"{x:g}"


def to_label(value: Any) -> str:
    """Turn one non-missing value into a group/class/category label string.

    Parameters
    ----------
    value : Any
        A cell value; strings are kept, booleans become ``"True"``/``"False"``,
        integers their decimal form and other reals :func:`fmt_number`.

    Returns
    -------
    str
        The label.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return fmt_number(float(value))
    return str(value)


def to_labels(series: pd.Series) -> np.ndarray:
    """Turn a column into label strings with :func:`to_label`.

    Parameters
    ----------
    series : pandas.Series
        The column.

    Returns
    -------
    numpy.ndarray
        An object array of label strings; missing values stay ``nan``.
    """
    values = series.to_numpy(dtype=object)
    missing = pd.isna(series).to_numpy()
    return np.array(
        [np.nan if m else to_label(v) for v, m in zip(values, missing, strict=True)], dtype=object
    )
