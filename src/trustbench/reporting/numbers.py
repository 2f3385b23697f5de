"""How numbers are written for a reader: the console table, the trust card and sweep tables.

One rule everywhere, so a value reads the same in each place and columns stay narrow:
three decimals below 100 (``0.943``, ``-0.027``, ``1.195``), one decimal below 1,000
(``215.2``), and three significant digits in powers of ten from 1,000 up or below 0.001 but
not 0 (``4.42e3``, ``2.15e5``, ``5.00e-4``). Unbounded ratios such as the relative stability
metrics (thousands to hundreds of thousands) stay comparable by their exponent instead of
widening every column with six-digit numbers.
"""

from __future__ import annotations

import math

__all__ = ["compact", "compact_interval"]

MISSING = "—"


def compact(value: float | None) -> str:
    """``value`` written in at most 8 characters (see the module docstring); ``—`` when None
    or not finite."""
    if value is None or not math.isfinite(value):
        return MISSING
    size = abs(value)
    if size >= 1000 or 0 < size < 0.001:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if size >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"


def compact_interval(low: float | None, high: float | None) -> str:
    """``[low, high]`` with :func:`compact` ends; empty when either end is missing."""
    if low is None or high is None:
        return ""
    return f"[{compact(low)}, {compact(high)}]"
