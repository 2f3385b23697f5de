"""What a trainer returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainingResult:
    """A fitted model and the facts of its training.

    Attributes
    ----------
    model : object
        The fitted model (scikit-learn facade).
    info : dict
        Logged as ``training.*`` params: trainer name, seconds, and for DP the accountant,
        noise multiplier, sample rate, steps, epsilon and delta.
    """

    model: Any
    info: dict[str, Any] = field(default_factory=dict)
