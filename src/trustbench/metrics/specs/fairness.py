"""Fairness metrics: between-group gaps from the gap table, per-group rates, operating point.

Keys: ``fairness/{gap}`` (the worst declared attribute), ``fairness/{attribute}/{gap}``,
``fairness/{attribute}/{group}/{rate}``, and at the clinical operating point
``fairness/at_sensitivity_{target}/[{attribute}/]{gap}`` and ``.../specificity``.
"""

from __future__ import annotations

from trustbench.metrics import calibration as C
from trustbench.metrics import fairness as F
from trustbench.metrics.fairness_rates import GAP_TABLE, Gap
from trustbench.metrics.group_stats import GROUP_INTERVALS
from trustbench.metrics.spec import MetricSpec

_F = "fairness"
_NEEDS = frozenset({"labels", "probabilities", "sensitive"})
_RATE_TEXT = {
    "selection_rate": "P(yhat=1 | g)",
    "tpr": "TPR_g",
    "fpr": "FPR_g",
    "accuracy": "accuracy_g",
    "precision": "PPV_g",
    "fnr": "FNR_g",
}
_REDUCTION_TEXT = {
    "difference": "max_g {r} - min_g {r}",
    "ratio": "min_g {r} / max_g {r}",
    "group_min": "min_g {r}",
}
HEADLINES = (
    "equalized_odds_difference",
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "accuracy_score_group_min",
)
RANKED = ("equalized_odds_difference", "demographic_parity_difference", "accuracy_score_group_min")


def gap_definition(gap: Gap) -> str:
    """The formula of a gap, written from its table row."""
    parts = [_REDUCTION_TEXT[gap.reduction].format(r=_RATE_TEXT[r]) for r in gap.rates]
    text = parts[0] if len(parts) == 1 else (
        f"max({parts[0]}, {parts[1]})" if gap.agg == "worst_case" and gap.reduction == "difference"
        else f"min({parts[0]}, {parts[1]})" if gap.agg == "worst_case"
        else f"mean of {parts[0]} and {parts[1]}"
    )  # fmt: skip
    reference = gap.name.removesuffix("_mean") + (" with agg='mean'" if gap.agg == "mean" else "")
    return f"{text}, over groups with the rate defined (fairlearn {reference})"


def _gap_spec(gap: Gap) -> MetricSpec:
    keys = [f"{_F}/{{metric}}", f"{_F}/{{attribute}}/{{metric}}"]
    if gap.operating_point:
        keys += [
            f"{_F}/at_sensitivity_{{target}}/{{metric}}",
            f"{_F}/at_sensitivity_{{target}}/{{attribute}}/{{metric}}",
        ]
    return MetricSpec(
        gap.name,
        _F,
        "target:0" if gap.reduction == "difference" else "max",
        0.0,
        1.0,
        gap_definition(gap),
        tuple(keys),
        needs=_NEEDS,
        headline=gap.name in HEADLINES,
        rank=(f"{_F}/{gap.name}",) if gap.name in RANKED else (),
        fn=getattr(F, gap.name, None),
        interval="bc",
    )


GAP_SPECS = (
    *(_gap_spec(gap) for gap in GAP_TABLE),
    MetricSpec(
        "ece_difference",
        _F,
        "target:0",
        0.0,
        1.0,
        "max_g ECE_g - min_g ECE_g, top-label ECE within each group (equal-width bins)",
        (f"{_F}/{{metric}}", f"{_F}/{{attribute}}/{{metric}}"),
        needs=_NEEDS,
        fn=C.ece_difference,
        interval="bc",
    ),
)
"""Every between-group gap (also scored on the ood split by the generalization suite)."""

_GROUP = (f"{_F}/{{attribute}}/{{group}}/{{metric}}",)

#: Per-group values logged as metrics (the full per-group table is an artifact).
GROUP_SPECS = (
    MetricSpec(
        "accuracy",
        _F,
        "max",
        0.0,
        1.0,
        "accuracy_g, the accuracy within group g",
        _GROUP,
        needs=_NEEDS,
        interval=GROUP_INTERVALS["accuracy"],
    ),
    MetricSpec(
        "selection_rate",
        _F,
        "none",
        0.0,
        1.0,
        "P(yhat=1 | g): no better direction on its own; compare it across groups",
        _GROUP,
        needs=_NEEDS,
        interval=GROUP_INTERVALS["selection_rate"],
    ),
    MetricSpec(
        "true_positive_rate",
        _F,
        "max",
        0.0,
        1.0,
        "P(yhat=1 | y=1, g); undefined for a group without positives",
        _GROUP,
        needs=_NEEDS,
        interval=GROUP_INTERVALS["true_positive_rate"],
    ),
    MetricSpec(
        "false_positive_rate",
        _F,
        "min",
        0.0,
        1.0,
        "P(yhat=1 | y=0, g); undefined for a group without negatives",
        _GROUP,
        needs=_NEEDS,
        interval=GROUP_INTERVALS["false_positive_rate"],
    ),
)

SPECS = (
    *GAP_SPECS,
    *GROUP_SPECS,
    MetricSpec(
        "specificity",
        _F,
        "max",
        0.0,
        1.0,
        "P(yhat=0 | y=0) at the operating point: the largest threshold on proba_1 whose "
        "sensitivity reaches the target, re-chosen in every bootstrap replicate",
        (f"{_F}/at_sensitivity_{{target}}/{{metric}}",),
        needs=frozenset({"labels", "probabilities"}),
    ),
)

#: Key layouts of earlier versions, rewritten to today's when runs are read:
#: ``fairness/<attribute>/<rate>/<group>`` (group last) became
#: ``fairness/<attribute>/<group>/<rate>`` (metric last, like every other key).
LEGACY_KEYS = (
    (
        r"^fairness/(?P<attribute>[^/]+)/(?P<metric>accuracy|selection_rate|true_positive_rate|"
        r"false_positive_rate)/(?P<group>[^/]+)$",
        "fairness/{attribute}/{group}/{metric}",
    ),
)
