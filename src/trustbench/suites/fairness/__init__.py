"""The fairness suite."""

from trustbench.suites.fairness.suite import fairness_suite

__all__ = ["fairness_suite"]
