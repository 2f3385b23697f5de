"""Exceptions raised by trustbench.

Every error says which key or column is wrong, what was expected and what was received.
"""

from __future__ import annotations


class TrustbenchError(ValueError):
    """Base class of every error trustbench raises on bad input."""


class ConfigError(TrustbenchError):
    """A configuration key holds a value that trustbench cannot use."""


class DataError(TrustbenchError):
    """A dataset, column or split does not satisfy the data contract."""


class ModelOutputError(TrustbenchError):
    """A model returned outputs that violate the facade (shape, range, NaN)."""
