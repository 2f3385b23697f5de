"""Any CSV file as a :class:`TaskData` (``dataset=csv``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from trustbench.data.build import build_task
from trustbench.data.registration import dataset
from trustbench.data.task import TaskData
from trustbench.errors import DataError

__all__ = ["DEFAULT_OOD_SHIFT", "load_csv"]

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
    ood_shift: Mapping[str, Any] | None = None,
    test_size: float = 0.3,
    seed: int = 0,
    sensitive_as_features: bool = True,
) -> TaskData:
    """Read a CSV file (``pandas.read_csv`` defaults) and build a task from it.

    The arguments are those of :func:`trustbench.data.build_task`. When neither
    ``ood_sites`` nor ``ood_shift`` is given, ``ood`` is the test split plus Gaussian noise
    of severity 0.5 (``DEFAULT_OOD_SHIFT``; the same patients: robustness to measurement
    noise, not a population shift); pass ``ood_shift={"kind": "none"}`` for no ``ood``
    split.

    Raises
    ------
    DataError
        If the file does not exist or cannot be parsed (naming the path), or the table
        breaks the data contract.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(
            f"CSV path '{path}': expected an existing file, got "
            f"{'a directory' if file.is_dir() else 'no such file'} "
            f"(resolved to '{file.resolve()}')."
        )
    try:
        frame = pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"CSV path '{path}': expected a readable CSV table, got a parse error: {message}"
        ) from None
    if not ood_sites and ood_shift is None:
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
        sensitive_as_features=sensitive_as_features,
        test_size=test_size,
        seed=seed,
        metadata=metadata,
    )
