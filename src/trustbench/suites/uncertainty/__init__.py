"""The uncertainty suite."""

from trustbench.suites.uncertainty.suite import uncertainty_suite

__all__ = ["uncertainty_suite"]
