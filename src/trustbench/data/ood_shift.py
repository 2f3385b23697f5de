"""The ``ood_shift`` argument: a noisy copy of ``test`` as the ``ood`` split, or none."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from trustbench.data.labels import quote_names
from trustbench.errors import DataError

__all__ = ["parse_ood_shift"]

_OOD_SHIFT_KINDS = ("noise", "none")


def parse_ood_shift(ood_shift: Any) -> dict[str, Any] | None:
    """Validate the ``ood_shift`` argument.

    Parameters
    ----------
    ood_shift : Any
        ``None``, ``{"kind": "none"}`` or ``{"kind": "noise", "severity": s}`` (``s``
        defaults to 0.5).

    Returns
    -------
    dict or None
        ``{"kind": "noise", "severity": float(s)}``, or ``None`` for no shift.

    Raises
    ------
    DataError
        If it is not a mapping, has an unknown kind or key, or a severity that is not a
        finite number >= 0.
    """
    if ood_shift is None:
        return None
    if not isinstance(ood_shift, Mapping):
        raise DataError(
            f"ood_shift: expected a dict like {{'kind': 'noise', 'severity': 0.5}} or "
            f"{{'kind': 'none'}}, got {type(ood_shift).__name__} {ood_shift!r}."
        )
    kind = ood_shift.get("kind")
    if kind not in _OOD_SHIFT_KINDS:
        raise DataError(
            f"ood_shift['kind']: expected one of {quote_names(_OOD_SHIFT_KINDS)}, got {kind!r}."
        )
    allowed = {"kind"} if kind == "none" else {"kind", "severity"}
    extra = sorted(set(ood_shift) - allowed)
    if extra:
        raise DataError(
            f"ood_shift: unknown key(s) {quote_names(extra)} for kind '{kind}'; "
            f"valid keys: {quote_names(sorted(allowed))}."
        )
    if kind == "none":
        return None
    severity = ood_shift.get("severity", 0.5)
    if (
        isinstance(severity, bool)
        or not isinstance(severity, numbers.Real)
        or not math.isfinite(float(severity))
        or float(severity) < 0
    ):
        raise DataError(f"ood_shift['severity']: expected a finite number >= 0, got {severity!r}.")
    return {"kind": "noise", "severity": float(severity)}
