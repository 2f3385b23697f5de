"""Performance suite: discrimination, probabilistic accuracy and clinical performance on the
in-distribution test split (:mod:`trustbench.suites.performance.suite`)."""

from __future__ import annotations

from trustbench.suites.performance.suite import (
    CLINICAL_METRICS,
    PERFORMANCE_METRICS,
    check_config,
    performance_suite,
)

__all__ = ["CLINICAL_METRICS", "PERFORMANCE_METRICS", "check_config", "performance_suite"]
