"""Suites: turn a model and a TaskData into metric results, one family each."""

from __future__ import annotations

from trustbench.suites.config import SuiteConfig, default_config, load_suite_config
from trustbench.suites.context import NotApplicable, ScoringContext
from trustbench.suites.data.suite import DataAudit, audit_data, data_suite
from trustbench.suites.explainability.suite import explainability_suite
from trustbench.suites.fairness.suite import fairness_suite
from trustbench.suites.generalization.suite import generalization_suite
from trustbench.suites.performance import PERFORMANCE_METRICS, performance_suite
from trustbench.suites.privacy.suite import PRIVACY_ATTACKS, privacy_suite
from trustbench.suites.runner import run_suites
from trustbench.suites.uncertainty.suite import uncertainty_suite

SUITES = {
    "data": data_suite,
    "performance": performance_suite,
    "fairness": fairness_suite,
    "generalization": generalization_suite,
    "uncertainty": uncertainty_suite,
    "explainability": explainability_suite,
    "privacy": privacy_suite,
}
__all__ = [
    "PERFORMANCE_METRICS",
    "PRIVACY_ATTACKS",
    "SUITES",
    "DataAudit",
    "NotApplicable",
    "ScoringContext",
    "SuiteConfig",
    "audit_data",
    "default_config",
    "load_suite_config",
    "run_suites",
]
