"""Checks of a loader's numeric parameters (``dataset.<name>`` in the config)."""

from __future__ import annotations

import math
import numbers

from trustbench.errors import ConfigError


def check_number(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    integer: bool = False,
) -> float:
    """``value`` as a float if it is a finite number (an integer when ``integer``) in
    ``[low, high]``; otherwise a :class:`ConfigError` naming ``dataset.<name>``, what was
    expected and what was received. Booleans are refused (``True`` is no count)."""
    kind = numbers.Integral if integer else numbers.Real
    valid = (
        not isinstance(value, bool)
        and isinstance(value, kind)
        and math.isfinite(float(value))
        and low <= float(value) <= high
    )
    if not valid:
        what = "an integer" if integer else "a number"
        bounds = f">= {low}" if high == math.inf else f"in [{low}, {high}]"
        raise ConfigError(f"dataset.{name}: expected {what} {bounds}, got {value!r}.")
    return float(value)
