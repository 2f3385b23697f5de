"""``suite.privacy``: the options of the privacy suite (values in
``configs/suite/privacy/default.yaml``; see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from trustbench.options import at_least, checked, each, within
from trustbench.privacy.cache import check_cache_budget


@dataclass(frozen=True)
class PrivacyConfig:
    """Membership-inference attacks, canaries and DP auditing (see docs/privacy.md)."""

    enabled: bool
    attacks: list[str]  # names of PRIVACY_ATTACKS
    # tpr_at_fpr_<level>, each in [0, 1)
    fpr_levels: list[float] = field(metadata={"check": each(within(0.0, 1.0, "[)"))})
    # members (and as many non-members) in the audit set; the epsilon bound halves it
    max_audit_size: int = checked(at_least(2))
    per_group: bool
    epsilon_confidence: float = checked(within(0.0, 1.0))
    # delta of the empirical epsilon bound for non-DP models
    audit_delta: float = checked(within(0.0, 1.0, "[)"))
    # K reference models (lira, lira_offline, rmia; even, >= 2 when one runs); 0 = none
    reference_models: int = checked(at_least(0))
    lira_variance: str  # per_example | fixed
    rmia_a: float = checked(within(0.0, 1.0, "[]"))
    rmia_gamma: float = checked(within(0.0))
    rmia_population: float = checked(within(0.0, 1.0))
    canaries: int = checked(at_least(0))
    canary_guesses: float = checked(within(0.0, 1.0, "(]"))
    cache_dir: str | None  # reference-model outputs cache; null = beside the tracking store
    # size budget of cache_dir in MiB (least recently used entries removed beyond it); 0 = off
    cache_max_mb: float = field(metadata={"check": check_cache_budget})
    plots: bool
