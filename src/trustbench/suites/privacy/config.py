"""``suite.privacy``: the options of the privacy suite (values in
``configs/suite/privacy/default.yaml``; see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrivacyConfig:
    """Membership-inference attacks, canaries and DP auditing (see docs/privacy.md)."""

    enabled: bool
    attacks: list[str]  # names of PRIVACY_ATTACKS
    fpr_levels: list[float]  # tpr_at_fpr_<level>
    max_audit_size: int  # members (and as many non-members) in the audit set
    per_group: bool
    epsilon_confidence: float
    audit_delta: float  # delta of the empirical epsilon bound for non-DP models
    reference_models: int  # K reference models (lira, lira_offline, rmia); 0 = none
    lira_variance: str  # per_example | fixed
    rmia_a: float
    rmia_gamma: float
    rmia_population: float
    canaries: int
    canary_guesses: float
    cache_dir: str | None  # reference-model outputs cache; null = beside the tracking store
    plots: bool
