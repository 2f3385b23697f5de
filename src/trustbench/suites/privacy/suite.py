"""Privacy suite: membership-inference attacks on a balanced audit set, and DP auditing.

The audit set holds ``m`` training rows (members) and ``m`` test rows (non-members, same
distribution, never trained on); see :mod:`trustbench.privacy.pool`. Attacks
(``suite.privacy.attacks``): the threshold baselines ``loss``, ``confidence``, ``entropy``,
``modified_entropy`` (target outputs only) and, with ``suite.privacy.reference_models = K``,
``lira`` (online), ``lira_offline`` and ``rmia`` (offline). Per attack it reports
``privacy/<attack>/auc``, ``balanced_accuracy``, ``advantage`` (bootstrap CIs),
``tpr_at_fpr_<alpha>`` (Clopper–Pearson CIs), ``epsilon_lower_bound``, and per sensitive group
``privacy/<attack>/<attr>/<group>/auc`` and ``.../tpr_at_fpr_<alpha>``; a DP run adds
``privacy/dp/epsilon``, ``privacy/dp/delta`` and ``privacy/dp/audit_violation``. Artifacts:
``privacy/mia_scores.parquet``, ``privacy/roc.parquet`` and ``plots/attack_roc.png``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from trustbench import metrics as M
from trustbench.errors import ConfigError
from trustbench.metrics.privacy_roc import epsilon_lower_bound_split, roc_counts, tpr_at_fpr_exact
from trustbench.privacy.attacks import BASELINE_ATTACKS, REFERENCE_ATTACKS, THRESHOLD_ATTACKS
from trustbench.privacy.pool import AuditPlan, plan_audit
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import NotApplicable, ScoringContext, registered_result
from trustbench.suites.privacy.audit import dp_guarantee
from trustbench.suites.privacy.config import PrivacyConfig

FAMILY = "privacy"
PRIVACY_ATTACKS = BASELINE_ATTACKS + REFERENCE_ATTACKS
LIRA_VARIANCES = ("per_example", "fixed")


def check_config(cfg: PrivacyConfig | Mapping[str, Any], trainer: str = "standard") -> None:
    """Raise ConfigError for privacy options that cannot work, before any training; a partial
    mapping is completed from the shipped defaults first."""
    from trustbench.suites.config import section_config

    cfg = section_config("privacy", cfg)
    attacks = list(cfg.attacks)
    unknown = [a for a in attacks if a not in PRIVACY_ATTACKS]
    if unknown:
        from trustbench.registry import unknown_name_message

        raise ConfigError(unknown_name_message("attack", unknown[0], list(PRIVACY_ATTACKS)))
    if cfg.lira_variance not in LIRA_VARIANCES:
        raise ConfigError(
            f"suite.privacy.lira_variance must be one of {list(LIRA_VARIANCES)}; "
            f"received {cfg.lira_variance!r}"
        )
    if cfg.canaries and trainer == "fair":
        raise ConfigError(
            "suite.privacy.canaries with trainer=fair: the mitigated model needs sensitive "
            "attributes at prediction time, which canaries do not carry; use trainer=standard or dp"
        )
    needs_refs = [a for a in attacks if a in REFERENCE_ATTACKS]
    if not needs_refs or not cfg.enabled:
        return
    k = cfg.reference_models
    if not isinstance(k, int) or k < 2 or k % 2:
        raise ConfigError(
            f"attacks {needs_refs} need suite.privacy.reference_models, an even number >= 2 "
            f"(16 on CPU, 64+ for a serious audit); received {k!r}"
        )
    if trainer == "fair":
        raise ConfigError(
            f"attacks {needs_refs} with trainer=fair: reference models are trained by the "
            "target's recipe, and a fairlearn-mitigated model has none to clone (trainer=standard "
            f"and trainer=dp do); use the threshold attacks {list(BASELINE_ATTACKS)}"
        )


def _audit_rows(ctx: ScoringContext, plan: AuditPlan):
    train, test = ctx.split("train"), ctx.split("test")
    m = len(plan.members)
    splits = np.array(["train"] * m + ["test"] * m)
    member = np.concatenate([np.ones(m, dtype=int), np.zeros(m, dtype=int)])
    row_ids = np.concatenate([train.row_id[plan.members], test.row_id[plan.nonmembers]])
    y = np.concatenate([train.y[plan.members], test.y[plan.nonmembers]])
    proba = np.concatenate([ctx.proba["train"][plan.members], ctx.proba["test"][plan.nonmembers]])
    sensitive = pd.concat(
        [train.sensitive.iloc[plan.members], test.sensitive.iloc[plan.nonmembers]],
        ignore_index=True,
    )
    return splits, member, row_ids, y, proba, sensitive


def _tpr_metric(
    attack: str, name: str, member, score, alpha: float, level: float, n: int, within: str = ""
):
    res = tpr_at_fpr_exact(member, score, alpha, level)
    note = None
    if not res["resolvable"]:
        note = (
            f"not resolvable: {round(1 / res['min_fpr'])} non-members give a smallest non-zero FPR of "
            f"{res['min_fpr']:.4g} > {alpha:g}; see tpr_at_fpr_0"
        )
    return registered_result(
        FAMILY,
        f"{attack}/{name}",
        res["tpr"],
        res["ci_low"],
        res["ci_high"],
        n=n,
        split="train,test",
        ci_level=level,
        detail=f"FPR <= {alpha:g}; {res['n_members']} members{within}",
        note=note,
    )


def _attack_metrics(ctx, cfg, attack, member, score, counts, sensitive) -> tuple[list, float]:
    n = len(member)
    common = dict(split="train,test", counts=counts)
    out = [
        ctx.estimate(
            FAMILY,
            f"{attack}/auc",
            M.attack_auc,
            member,
            score,
            **common,
        ),
        ctx.estimate(
            FAMILY,
            f"{attack}/balanced_accuracy",
            M.balanced_accuracy_best,
            member,
            score,
            **common,
        ),
        ctx.estimate(
            FAMILY,
            f"{attack}/advantage",
            M.attacker_advantage,
            member,
            score,
            **common,
        ),
    ]
    levels = list(cfg.fpr_levels)
    for alpha in levels:
        out.append(
            _tpr_metric(attack, f"tpr_at_fpr_{alpha:g}", member, score, alpha, ctx.ci_level, n)
        )
    delta = float(ctx.training.dp.delta if ctx.training.dp is not None else cfg.audit_delta)
    conf = cfg.epsilon_confidence
    eps = epsilon_lower_bound_split(member, score, delta=delta, level=conf, seed=ctx.seed)
    out.append(
        registered_result(
            FAMILY,
            f"{attack}/epsilon_lower_bound",
            eps["epsilon"],
            n=n,
            split="train,test",
            ci_level=conf,
            detail=(
                f"delta={delta:.3g}, bounds jointly at {conf:g}; threshold chosen on "
                f"{eps['n_select']} audit rows, bound on the other {eps['n_bound']}"
            ),
        )
    )
    if cfg.per_group:
        alpha = levels[0] if levels else 0.01
        names = ctx.key_names
        for attr in sensitive.columns:
            values = sensitive[attr].astype(str).to_numpy()
            for group in np.unique(values):
                rows = values == group
                if member[rows].min() == member[rows].max():
                    continue  # a group without members or non-members has no ROC
                scope = f"{names.attribute(attr)}/{names.group(attr, group)}"
                prefix = f"{attack}/{scope}"
                out.append(
                    ctx.estimate(
                        FAMILY,
                        f"{prefix}/auc",
                        M.attack_auc,
                        member[rows],
                        score[rows],
                        split="train,test",
                        counts=counts[:, rows],
                        detail=f"within {attr}={group}",
                    )
                )
                out.append(
                    _tpr_metric(
                        attack,
                        f"{scope}/tpr_at_fpr_{alpha:g}",
                        member[rows],
                        score[rows],
                        alpha,
                        ctx.ci_level,
                        int(rows.sum()),
                        within=f" within {attr}={group}",
                    )
                )
    return out, eps["epsilon"]


def _not_applicable(attack: str, reason: str, n: int) -> MetricResult:
    """``privacy/<attack>/auc`` without a value: the attack could not run, and why."""
    return registered_result(
        FAMILY, f"{attack}/auc", None, n=n, split="train,test", note=f"not applicable: {reason}"
    )


def privacy_suite(ctx: ScoringContext, cfg: PrivacyConfig) -> SuiteResult:
    attacks = list(cfg.attacks)
    check_config(cfg, ctx.training.trainer or "standard")
    # With any reference attack the population z is held out (even without rmia), so that
    # the pool, and the cached reference models, are the same whichever of them run.
    ref_attacks = [a for a in attacks if a in REFERENCE_ATTACKS]
    plan = plan_audit(
        len(ctx.split("train")),
        len(ctx.split("test")),
        cfg.max_audit_size,
        ctx.seed,
        cfg.rmia_population if ref_attacks else 0.0,
    )
    splits, member, row_ids, y, proba, sensitive = _audit_rows(ctx, plan)
    notes = [f"audit set: {int(member.sum())} members, {int((1 - member).sum())} non-members"]
    scores = {a: THRESHOLD_ATTACKS[a](proba, y) for a in attacks if a in THRESHOLD_ATTACKS}
    results: list[MetricResult] = []
    if ref_attacks:
        from trustbench.suites.privacy.reference import reference_attack_scores

        try:
            ref_scores, ref_notes = reference_attack_scores(ctx, cfg, plan, ref_attacks)
        except NotApplicable as exc:  # the threshold attacks still run
            ref_scores, ref_notes = {}, [f"attacks {ref_attacks} not applicable: {exc}"]
            results += [_not_applicable(a, str(exc), len(member)) for a in ref_attacks]
        scores.update(ref_scores)
        notes += ref_notes
    scores = {a: scores[a] for a in attacks if a in scores}  # config order
    counts = ctx.counts("privacy_audit", len(member))
    empirical: dict[str, float] = {}
    for attack, score in scores.items():
        metrics, empirical[attack] = _attack_metrics(
            ctx, cfg, attack, member, score, counts, sensitive
        )
        results += metrics
    if ctx.canaries is not None:
        from trustbench.suites.privacy.canaries import canary_metrics

        c_metrics, empirical["canary"], c_note = canary_metrics(ctx, cfg, ctx.canaries)
        results += c_metrics
        notes.append(c_note)
    dp_metrics, dp_notes, warnings = dp_guarantee(
        ctx.training.dp, len(ctx.split("train")), empirical
    )
    results += dp_metrics
    notes += dp_notes
    roc = []
    for attack, score in scores.items():
        r = roc_counts(member, score)
        roc.append(
            pd.DataFrame({"attack": attack, "fpr": r.fpr, "tpr": r.tpr, "threshold": r.threshold})
        )
    if roc:
        ctx.artifacts["privacy/roc.parquet"] = pd.concat(roc, ignore_index=True)
    if cfg.plots and scores:
        from trustbench.plots import attack_roc

        levels = list(cfg.fpr_levels)
        ctx.artifacts["plots/attack_roc.png"] = attack_roc(member, scores, fpr_levels=levels)
    ctx.artifacts["privacy/mia_scores.parquet"] = pd.DataFrame(
        {"row_id": row_ids, "split": splits, "member": member, **scores}
    )
    return SuiteResult(FAMILY, "ok", metrics=results, notes=notes, warnings=warnings)
