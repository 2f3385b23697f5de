"""What a trainer returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trustbench.training.record import TrainingRecord


@dataclass
class TrainingResult:
    """A fitted model and the facts of its training.

    Attributes
    ----------
    model : object
        The fitted model (scikit-learn facade).
    record : TrainingRecord
        Trainer name, seconds, and for DP the accountant, noise multiplier, sample rate, steps,
        epsilon and delta (``record.dp``), for fairness mitigation its settings
        (``record.fair``); logged as ``training.*`` params.
    """

    model: Any
    record: TrainingRecord = field(default_factory=TrainingRecord)
