"""The explainability suite."""

from trustbench.suites.explainability.suite import explainability_suite

__all__ = ["explainability_suite"]
