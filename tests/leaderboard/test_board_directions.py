"""Directions: reports first, then the catalogue, then naming rules; unknown is not ranked."""

from __future__ import annotations

import numpy as np
import pytest

from trustbench.leaderboard.directions import oriented, resolve


def test_report_direction_wins():
    meta = resolve("fairness/new_gap", {"fairness/new_gap": ("max", "a definition")})
    assert (meta.direction, meta.source, meta.definition) == ("max", "report", "a definition")


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("fairness/sex/equalized_odds_difference", "target:0"),
        ("privacy/loss/tpr_at_fpr_0.01", "min"),
        ("performance/log_loss", "min"),
        ("performance/accuracy", "max"),
    ],
)
def test_catalogue_fallback(key, direction):
    meta = resolve(key, {})
    assert (meta.direction, meta.source) == (direction, "catalogue")


def test_rules_and_unknown():
    assert resolve("privacy/dp/epsilon", {}).direction == "min"
    assert resolve("explainability/saliency/deletion_auc", {}).direction == "min"
    assert resolve("generalization/accuracy_drop", {}).source == "rule"
    unknown = resolve("custom/thing", {})
    assert unknown.direction is None and unknown.source == "unknown"


def test_oriented():
    assert oriented(0.3, "max") == 0.3
    assert oriented(0.3, "min") == -0.3
    np.testing.assert_allclose(oriented(np.array([-0.2, 0.1]), "target:0"), [-0.2, -0.1])
    with pytest.raises(ValueError, match="direction"):
        oriented(1.0, "up")


def test_intervals_clip_to_the_catalogue_range():
    from trustbench.leaderboard.directions import clip_to_range

    assert clip_to_range(1.07, "performance/accuracy") == 1.0
    assert clip_to_range(-0.2, "fairness/sex/equalized_odds_difference") == 0.0
    assert clip_to_range(7.5, "privacy/dp/epsilon") == 7.5  # [0, inf)
    assert clip_to_range(-0.1, "explainability/ablation/deletion_auc") == 0.0
    assert clip_to_range(-0.1, "custom/score") == -0.1  # no known range
    assert clip_to_range(None, "performance/accuracy") is None
