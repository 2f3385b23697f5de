"""The metric registry: one entry per metric, keys resolved by template, the drifted cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fairlearn.metrics import MetricFrame, false_negative_rate

from trustbench.errors import ConfigError
from trustbench.metrics import REGISTRY, MetricRegistry, MetricSpec
from trustbench.metrics.fairness_rates import GAP_TABLE, Gap, rate_gaps
from trustbench.metrics.spec import FAMILIES, arrow, check_direction, direction_text
from trustbench.metrics.specs import fairness as fairness_specs


def test_every_spec_is_complete():
    assert len(REGISTRY) > 100
    for spec in REGISTRY:
        assert spec.family in FAMILIES
        check_direction(spec.direction)
        assert spec.lower <= spec.upper and spec.definition and spec.keys
        assert spec.needs, spec.name


def test_every_family_has_headlines():
    for family in FAMILIES:
        assert REGISTRY.headlines(family), family


def test_privacy_balanced_accuracy_is_the_privacy_metric():
    found = REGISTRY.require("privacy/loss/balanced_accuracy")
    assert found.spec.family == "privacy" and found.spec.direction == "min"
    assert (found.spec.lower, found.spec.upper) == (0.5, 1.0)
    assert REGISTRY.require("performance/balanced_accuracy").spec.direction == "max"


def test_per_group_keys_put_the_metric_last_and_old_keys_are_read():
    found = REGISTRY.require("fairness/sex/Female/accuracy")
    assert found.scope == {"attribute": "sex", "group": "Female"}
    assert REGISTRY.resolve("fairness/sex/accuracy/Female") is None
    assert REGISTRY.canonical("fairness/sex/accuracy/Female") == "fairness/sex/Female/accuracy"
    assert REGISTRY.canonical("fairness/age_group/true_positive_rate/60plus") == (
        "fairness/age_group/60plus/true_positive_rate"
    )
    assert REGISTRY.canonical("performance/accuracy") == "performance/accuracy"


def test_selection_rate_has_no_better_direction():
    spec = REGISTRY.require("fairness/sex/Female/selection_rate").spec
    assert spec.direction == "none" and not spec.ranks
    assert "higher" not in direction_text(spec.direction) and arrow(spec.direction) == "·"


def test_one_name_two_metrics_is_resolved_by_template():
    site = REGISTRY.require("generalization/site/VA Long Beach/accuracy")
    gap = REGISTRY.require("generalization/train_test_gap/accuracy")
    assert site.spec.direction == "max" and gap.spec.direction == "target:0"
    assert site.scope == {"site": "VA Long Beach"}
    canary = REGISTRY.require("privacy/canary/auc")
    attack = REGISTRY.require("privacy/lira/auc")
    assert canary.spec is not attack.spec and attack.scope == {"attack": "lira"}


def test_parametrised_names_resolve():
    found = REGISTRY.require("privacy/loss/sex/Male/tpr_at_fpr_0.001")
    assert found.spec.name == "tpr_at_fpr_{level}"
    assert found.scope == {"attack": "loss", "attribute": "sex", "group": "Male", "level": "0.001"}
    assert REGISTRY.require("fairness/at_sensitivity_0.9/sex/equalized_odds_difference").scope == {
        "target": "0.9",
        "attribute": "sex",
    }


def test_unknown_names_get_did_you_mean():
    with pytest.raises(ConfigError, match="Did you mean 'demographic_parity_difference'"):
        REGISTRY.get("fairness", "demographic_parity_diference")
    with pytest.raises(ConfigError, match=r"Unknown metric family 'fairnes'.*'fairness'"):
        REGISTRY.get("fairnes", "x")
    with pytest.raises(ConfigError, match="matches no registered metric template"):
        REGISTRY.require("performance/acuracy")


def test_unregistered_keys_are_refused_when_a_suite_logs_them():
    from trustbench.suites.context import registered_result

    with pytest.raises(ConfigError, match="performance/made_up"):
        registered_result("performance", "made_up", 0.5)
    result = registered_result("fairness", "sex/demographic_parity_difference", 0.1, detail="x")
    assert result.direction == "target:0" and result.definition.endswith("; x")


def test_ranges_clip():
    spec = REGISTRY.require("generalization/ood_accuracy").spec
    assert spec.clip(1.11) == 1.0 and spec.clip(None) is None
    assert spec.contains(0.5) and not spec.contains(1.2) and spec.contains(math.nan)


def test_a_template_declared_twice_is_refused():
    spec = MetricSpec("x", "performance", "max", 0, 1, "d", ("performance/{metric}",))
    with pytest.raises(ValueError, match="declared twice"):
        MetricRegistry([spec, MetricSpec("x", "performance", "min", 0, 1, "e", spec.keys)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "up"}, "direction"),
        ({"family": "speed"}, "family"),
        ({"keys": ("fairness/{metric}",)}, "must read"),
        ({"lower": 2.0}, "exceeds"),
        ({"needs": frozenset({"telepathy"})}, "unknown needs"),
    ],
)
def test_bad_specs_are_refused(kwargs, message):
    base = dict(
        name="x", family="performance", direction="max", lower=0.0, upper=1.0,
        definition="d", keys=("performance/{metric}",),
    )  # fmt: skip
    with pytest.raises(ValueError, match=message):
        MetricSpec(**{**base, **kwargs})


def test_every_gap_of_the_table_is_registered_with_its_reduction_direction():
    for gap in GAP_TABLE:
        spec = REGISTRY.get("fairness", gap.name)
        assert spec.direction == ("target:0" if gap.reduction == "difference" else "max")
        assert REGISTRY.resolve(f"fairness/sex/{gap.name}").spec is spec
        at_point = REGISTRY.resolve(f"fairness/at_sensitivity_0.9/{gap.name}")
        assert at_point.template.startswith("fairness/at_sensitivity_") == gap.operating_point


def test_a_new_gap_is_one_table_line():
    """A gap nobody wrote a function for, from one Gap row, equals fairlearn's composition."""
    rng = np.random.default_rng(0)
    y, pred = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    groups = rng.choice(["a", "b", "c"], 300)
    from trustbench.metrics import group_rates

    fnr_gap = Gap("false_negative_rate_difference", ("fnr",), "difference")
    frame = MetricFrame(
        metrics=false_negative_rate, y_true=y, y_pred=pred, sensitive_features=groups
    )
    value = fnr_gap(group_rates(y, pred, groups, np.ones((1, 300))))[0]
    assert value == pytest.approx(frame.difference(), abs=1e-12)
    spec = fairness_specs._gap_spec(fnr_gap)
    assert spec.direction == "target:0" and "FNR_g" in spec.definition


def test_rate_gaps_come_from_the_table():
    rng = np.random.default_rng(1)
    y, pred, groups = rng.integers(0, 2, 200), rng.integers(0, 2, 200), rng.integers(0, 3, 200)
    from trustbench import metrics as M

    gaps = rate_gaps(M.group_rates(y, pred, groups, np.ones((1, 200))))
    assert list(gaps) == [g.name for g in GAP_TABLE]
    assert gaps["equalized_odds_difference"][0] == pytest.approx(
        M.equalized_odds_difference(y, pred, groups)
    )


def test_ranking_defaults_come_from_the_registry():
    patterns = REGISTRY.ranking_patterns()
    assert "performance/accuracy" in patterns and "privacy/lira/tpr_at_fpr_0.01" in patterns
    assert "privacy/confidence/auc" not in patterns  # one leak is counted once
    for pattern in patterns:
        assert "*" in pattern or REGISTRY.resolve(pattern) is not None, pattern
