"""Privacy suite (first cut): a loss-threshold membership-inference attack, and DP's guarantee.

The audit set is balanced: ``m`` training rows (members) and ``m`` test rows (non-members,
same distribution, never trained on), ``m = min(n_train, n_test, suite.privacy.max_audit_size)``.
The attack scores each row by ``-loss = log p(y_true | x)`` (Yeom et al. 2018): members tend to
have lower loss. Reported: ``privacy/loss_threshold/auc``, ``.../tpr_at_fpr_0.01`` and
``.../advantage``, with bootstrap CIs over the audit rows. A DP-trained model also reports
``privacy/dp/epsilon`` and ``privacy/dp/delta`` from Opacus's accountant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from trustbench import metrics as M
from trustbench.plots import attack_roc
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import ScoringContext

FAMILY = "privacy"
ATTACK = "loss_threshold"
PRIVACY_ATTACKS = (ATTACK,)


def loss_scores(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Membership score ``log p(y | x)`` (the negated cross-entropy loss), clipped at float eps."""
    p_true = np.clip(proba[np.arange(len(y)), y], np.finfo(np.float64).eps, 1.0)
    return np.log(p_true)


def audit_set(
    ctx: ScoringContext, max_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Balanced members/non-members: returns (split labels, positions, member flags, row ids)."""
    train, test = ctx.split("train"), ctx.split("test")
    m = int(min(len(train), len(test), max_size))
    rng = np.random.default_rng([ctx.seed, 7])
    members = np.sort(rng.choice(len(train), size=m, replace=False))
    nonmembers = np.sort(rng.choice(len(test), size=m, replace=False))
    splits = np.array(["train"] * m + ["test"] * m)
    positions = np.concatenate([members, nonmembers])
    member = np.concatenate([np.ones(m, dtype=int), np.zeros(m, dtype=int)])
    row_ids = np.concatenate([train.row_id[members], test.row_id[nonmembers]])
    return splits, positions, member, row_ids


def privacy_suite(ctx: ScoringContext, cfg: Mapping[str, Any]) -> SuiteResult:
    splits, positions, member, row_ids = audit_set(ctx, int(cfg.get("max_audit_size", 5000)))
    scores = np.empty(len(member))
    for name in ("train", "test"):
        rows = splits == name
        scores[rows] = loss_scores(
            ctx.split(name).y[positions[rows]], ctx.proba[name][positions[rows]]
        )
    counts = ctx.counts("privacy_audit", len(member))
    results: list[MetricResult] = []
    for fpr in [None, *cfg.get("fpr_levels", [0.01])]:
        if fpr is None:
            metric_name, fn, kw = "auc", M.attack_auc, {}
            definition = M.METRICS["attack_auc"].definition
        else:
            metric_name, fn, kw = f"tpr_at_fpr_{fpr:g}", M.tpr_at_fpr, {"fpr": float(fpr)}
            definition = M.METRICS["tpr_at_fpr"].definition + f" (FPR <= {fpr:g})"
        results.append(
            ctx.estimate(
                FAMILY,
                f"{ATTACK}/{metric_name}",
                fn,
                member,
                scores,
                split="train,test",
                counts=counts,
                direction="min",
                definition=definition,
                **kw,
            )
        )
    results.append(
        ctx.estimate(
            FAMILY,
            f"{ATTACK}/advantage",
            M.attacker_advantage,
            member,
            scores,
            split="train,test",
            counts=counts,
            direction="min",
            definition=M.METRICS["attacker_advantage"].definition,
        )
    )
    notes = [f"audit set: {int(member.sum())} members, {int((1 - member).sum())} non-members"]
    if "epsilon" in ctx.training:
        for key, definition in (
            (
                "epsilon",
                f"DP-SGD epsilon from Opacus's {ctx.training.get('accountant')} accountant",
            ),
            ("delta", "DP-SGD delta the epsilon is stated for"),
        ):
            results.append(
                MetricResult(
                    FAMILY,
                    f"dp/{key}",
                    ctx.training[key],
                    direction="min",
                    n=len(ctx.split("train")),
                    split="train",
                    definition=definition,
                )
            )
    else:
        notes.append("model not trained with differential privacy: no (epsilon, delta) guarantee")
    if cfg.get("plots", True):
        ctx.artifacts["plots/attack_roc.png"] = attack_roc(member, {ATTACK: scores})
    ctx.artifacts["privacy/mia_scores.parquet"] = pd.DataFrame(
        {"row_id": row_ids, "split": splits, "member": member, ATTACK: scores}
    )
    return SuiteResult(FAMILY, "ok", metrics=results, notes=notes)
