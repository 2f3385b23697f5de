"""Canary audit metrics: exposure of inserted canaries and the one-run epsilon lower bound."""

from __future__ import annotations

import numpy as np

from trustbench import metrics as M
from trustbench.models.facade import model_input
from trustbench.privacy.attacks import loss_score
from trustbench.privacy.canaries import CanarySet, guess_epsilon_lower_bound
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, registered_result
from trustbench.suites.privacy.config import PrivacyConfig

FAMILY = "privacy"


def canary_metrics(
    ctx: ScoringContext, cfg: PrivacyConfig, canaries: CanarySet
) -> tuple[list[MetricResult], float, str]:
    """``privacy/canary/{auc,guess_accuracy,epsilon_lower_bound}`` and a note.

    The score of a canary is the loss attack's ``log p(y_canary | x)`` under the target (a
    trained-on mislabelled duplicate gets its wrong label predicted more often).
    """
    proba = np.asarray(ctx.model.predict_proba(model_input(canaries.X)), dtype=float)
    score = loss_score(proba, canaries.y)
    included = canaries.included.astype(int)
    m = len(score)
    k = max(1, round(cfg.canary_guesses * m / 2))
    level = cfg.epsilon_confidence
    bound = guess_epsilon_lower_bound(score, canaries.included, k, level)
    out = []
    if 0 < included.sum() < m:
        out.append(
            ctx.estimate(
                FAMILY,
                "canary/auc",
                M.attack_auc,
                included,
                score,
                split="canaries",
                counts=ctx.counts("privacy_canaries", m),
            )
        )
    out.append(
        registered_result(
            FAMILY,
            "canary/guess_accuracy",
            bound["accuracy"],
            n=bound["guesses"],
            split="canaries",
            detail=f"top and bottom {k} canaries",
        )
    )
    out.append(
        registered_result(
            FAMILY,
            "canary/epsilon_lower_bound",
            bound["epsilon"],
            n=bound["guesses"],
            split="canaries",
            ci_level=level,
            detail=f"lower bound at {level:g}",
        )
    )
    note = (
        f"canary audit: {int(included.sum())} of {m} mislabelled duplicates inserted into "
        f"train; {bound['correct']} of {bound['guesses']} guesses correct"
    )
    return out, bound["epsilon"], note
