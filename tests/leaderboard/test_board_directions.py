"""Directions: the registry by key template first, then reports; unknown is not ranked."""

from __future__ import annotations

import numpy as np
import pytest

from trustbench.leaderboard.directions import oriented, resolve


def test_report_direction_is_used_for_a_key_the_registry_lacks():
    meta = resolve("fairness/new_gap", {"fairness/new_gap": ("max", "a definition")})
    assert (meta.direction, meta.source, meta.definition) == ("max", "report", "a definition")


def test_the_registry_wins_over_a_report():
    meta = resolve("performance/accuracy", {"performance/accuracy": ("min", "stale")})
    assert (meta.direction, meta.source) == ("max", "registry")


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("fairness/sex/equalized_odds_difference", "target:0"),
        ("privacy/loss/tpr_at_fpr_0.01", "min"),
        ("performance/log_loss", "min"),
        ("performance/accuracy", "max"),
        ("privacy/dp/epsilon", "min"),
        ("explainability/saliency/deletion_auc", "min"),
        ("generalization/accuracy_drop", "target:0"),
        # the privacy suite's balanced accuracy (lower is better), not the performance one
        ("privacy/loss/balanced_accuracy", "min"),
        # per-group keys put the metric last, like every other key
        ("fairness/sex/Female/accuracy", "max"),
        ("fairness/sex/Female/selection_rate", "none"),
        ("generalization/site/VA Long Beach/accuracy", "max"),
        ("generalization/train_test_gap/accuracy", "target:0"),
        # labels written as key components (suites/naming.py): hashed, spaced, shortened
        ("fairness/sex/_-4e79758a/accuracy", "max"),
        ("fairness/grp/x_y-bd3c9047/false_positive_rate", "min"),
        ("fairness/grp/a b/selection_rate", "none"),
        ("generalization/site/__-68c77e15/accuracy", "max"),
        ("privacy/loss/sex/_-4e79758a/auc", "min"),
        ("uncertainty/selective/test/grp/x_y-bd3c9047/aurc", "min"),
        (f"fairness/{'c' * 55}-e00d028a/{'v' * 55}-f394ee6c/accuracy", "max"),
    ],
)
def test_registry_resolves_by_key_template(key, direction):
    meta = resolve(key, {})
    assert (meta.direction, meta.source) == (direction, "registry")


def test_unknown_keys_and_descriptive_metrics_are_not_ranked():
    unknown = resolve("custom/thing", {})
    assert unknown.direction is None and unknown.source == "unknown" and not unknown.ranks
    assert not resolve("fairness/sex/Female/selection_rate", {}).ranks


def test_oriented():
    assert oriented(0.3, "max") == 0.3
    assert oriented(0.3, "min") == -0.3
    np.testing.assert_allclose(oriented(np.array([-0.2, 0.1]), "target:0"), [-0.2, -0.1])
    np.testing.assert_allclose(oriented(np.array([0.4, 0.6]), "target:0.5"), [-0.1, -0.1])
    with pytest.raises(ValueError, match="direction"):
        oriented(1.0, "up")
    with pytest.raises(ValueError, match="no ordering"):
        oriented(1.0, "none")


def test_intervals_clip_to_the_registered_range():
    from trustbench.leaderboard.directions import clip_to_range

    assert clip_to_range(1.07, "performance/accuracy") == 1.0
    assert clip_to_range(-0.2, "fairness/sex/equalized_odds_difference") == 0.0
    assert clip_to_range(7.5, "privacy/dp/epsilon") == 7.5  # [0, inf)
    assert clip_to_range(-0.1, "explainability/ablation/deletion_auc") == 0.0
    assert clip_to_range(-0.1, "custom/score") == -0.1  # no known range
    assert clip_to_range(None, "performance/accuracy") is None
    # keys the last-component lookup used to miss
    assert clip_to_range(1.11, "generalization/ood_accuracy") == 1.0
    assert clip_to_range(-0.02, "privacy/loss/auc") == 0.0
    assert clip_to_range(-0.12, "generalization/ood_ece") == 0.0
