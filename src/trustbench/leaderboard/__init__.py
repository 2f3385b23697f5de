"""Leaderboards and trust cards: MLflow runs -> aggregated, ranked, rendered comparisons.

This package reads run records (MLflow or hand-built) and knows nothing about training.
"""

from trustbench.leaderboard.records import RunRecord
from trustbench.reporting.card import render_card

__all__ = ["RunRecord", "render_card"]
