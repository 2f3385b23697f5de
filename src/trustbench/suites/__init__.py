"""Suites: turn a model and a TaskData into metric results, one family each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from trustbench.suites.context import NotApplicable, ScoringContext
from trustbench.suites.explainability.suite import explainability_suite
from trustbench.suites.fairness.suite import fairness_suite
from trustbench.suites.generalization.suite import generalization_suite
from trustbench.suites.performance import PERFORMANCE_METRICS, performance_suite
from trustbench.suites.privacy.suite import PRIVACY_ATTACKS, privacy_suite
from trustbench.suites.runner import run_suites

SUITES = {
    "performance": performance_suite,
    "fairness": fairness_suite,
    "generalization": generalization_suite,
    "explainability": explainability_suite,
    "privacy": privacy_suite,
}
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "configs" / "suite" / "default.yaml"

__all__ = [
    "PERFORMANCE_METRICS",
    "PRIVACY_ATTACKS",
    "SUITES",
    "NotApplicable",
    "ScoringContext",
    "default_config",
    "run_suites",
]


def default_config() -> dict[str, Any]:
    """The shipped ``suite`` config (``configs/suite/default.yaml``) as a plain dict."""
    return OmegaConf.to_container(OmegaConf.load(DEFAULT_CONFIG_PATH), resolve=True)
