"""The generalization suite."""

from trustbench.suites.generalization.suite import generalization_suite

__all__ = ["generalization_suite"]
