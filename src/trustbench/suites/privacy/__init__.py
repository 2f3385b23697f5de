"""The privacy suite."""

from trustbench.suites.privacy.suite import privacy_suite

__all__ = ["privacy_suite"]
