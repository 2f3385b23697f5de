"""Reference-model attack scores for the audit set (LiRA online/offline, RMIA)."""

from __future__ import annotations

import numpy as np

from trustbench.errors import ConfigError
from trustbench.privacy.attacks import (
    lira_offline_score,
    lira_online_score,
    rmia_score,
)
from trustbench.privacy.pool import AuditPlan, complementary_halves, stack_rows, take_rows
from trustbench.privacy.reference import (
    ReferenceOutputs,
    clone_problem,
    reference_outputs,
    target_stats,
)
from trustbench.suites.context import NotApplicable, ScoringContext
from trustbench.suites.privacy.config import PrivacyConfig

__all__ = ["reference_attack_scores"]

NO_REFERENCE_TRAINERS = {
    "fair": "a fairlearn-mitigated model has no single recipe to clone",
}


def _train_reference(
    ctx: ScoringContext, cfg: PrivacyConfig, plan: AuditPlan
) -> tuple[ReferenceOutputs, int, int]:
    k_models = cfg.reference_models
    if k_models < 2 or k_models % 2:
        raise ConfigError(
            "suite.privacy.reference_models must be an even number >= 2 for attacks "
            f"{[a for a in cfg.attacks if a in ('lira', 'lira_offline', 'rmia')]}; "
            f"received {k_models}"
        )
    trainer = ctx.training.trainer or "standard"
    if trainer in NO_REFERENCE_TRAINERS:
        raise NotApplicable(
            f"reference-model attacks with trainer={trainer}: {NO_REFERENCE_TRAINERS[trainer]}"
        )
    recipe = ctx.model if ctx.reference_recipe is None else ctx.reference_recipe
    problem = clone_problem(recipe)  # once, before any training
    if problem is not None:
        whose = "the model" if ctx.reference_recipe is None else "the declared reference_recipe"
        raise NotApplicable(
            f"reference models are unfitted copies of a recipe, and {whose} {problem}; pass "
            "reference_recipe= (an unfitted model trained the way the target was) to "
            "trustbench.score to run them"
        )
    train, test = ctx.split("train"), ctx.split("test")
    pool_X = stack_rows([train.X, take_rows(test.X, plan.pool_test)])
    pool_y = np.concatenate([train.y, test.y[plan.pool_test]])
    keys = [f"train:{r}" for r in train.row_id] + [f"test:{r}" for r in test.row_id[plan.pool_test]]
    keys += [f"test:{r}" for r in test.row_id[plan.population]]
    keep = complementary_halves(len(pool_y), k_models, ctx.seed)
    refs = reference_outputs(
        recipe,
        pool_X,
        pool_y,
        take_rows(test.X, plan.population),
        test.y[plan.population],
        keep,
        seed=ctx.seed,
        training=ctx.training,
        fingerprint=ctx.task.fingerprint,
        row_keys=keys,
        cache_dir=cfg.cache_dir,
        cache_max_mb=cfg.cache_max_mb,
        n_jobs=int(ctx.training.threads or 1),
    )
    return refs, len(train), len(pool_y)


def reference_attack_scores(
    ctx: ScoringContext, cfg: PrivacyConfig, plan: AuditPlan, attacks: list[str]
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Scores of the requested reference-model attacks on the audit rows (members first).

    Returns the scores by attack and notes (pool sizes, cache use).

    Raises
    ------
    NotApplicable
        Before any training, when no reference model can follow the recipe (a trainer
        without one, a model that cannot be cloned), saying why.
    """
    refs, n_train, n_pool = _train_reference(ctx, cfg, plan)
    train, test = ctx.split("train"), ctx.split("test")
    # audit rows' positions in the evaluated rows: train first, then the pool's test rows
    test_pos = {int(p): n_train + i for i, p in enumerate(plan.pool_test)}
    cols = np.concatenate([plan.members, [test_pos[int(p)] for p in plan.nonmembers]]).astype(int)
    audit_X = stack_rows([take_rows(train.X, plan.members), take_rows(test.X, plan.nonmembers)])
    audit_y = np.concatenate([train.y[plan.members], test.y[plan.nonmembers]])
    audit_proba = np.concatenate(
        [ctx.proba["train"][plan.members], ctx.proba["test"][plan.nonmembers]]
    )
    logp_t, phi_t = target_stats(ctx.model, audit_X, audit_y, audit_proba)
    keep = refs.keep[:, cols]
    variance = cfg.lira_variance
    scores: dict[str, np.ndarray] = {}
    if "lira" in attacks:
        scores["lira"] = lira_online_score(phi_t, refs.phi[:, cols], keep, variance)
    if "lira_offline" in attacks:
        scores["lira_offline"] = lira_offline_score(phi_t, refs.phi[:, cols], keep, variance)
    if "rmia" in attacks:
        if len(plan.population) == 0:
            raise ConfigError(
                "attack 'rmia' needs population rows: suite.privacy.rmia_population must be > 0"
            )
        z = take_rows(test.X, plan.population)
        logp_tz, _ = target_stats(
            ctx.model, z, test.y[plan.population], ctx.proba["test"][plan.population]
        )
        scores["rmia"] = rmia_score(
            logp_t,
            refs.logp[:, cols],
            keep,
            logp_tz,
            refs.logp[:, n_pool:],
            a=cfg.rmia_a,
            gamma=cfg.rmia_gamma,
        )
    recipe = (
        "the target's own recipe"
        if ctx.reference_recipe is None
        else f"a declared recipe ({type(ctx.reference_recipe).__name__}), not the target's: the "
        "attack measures how far the target's outputs separate members from what models of "
        "that recipe give, a lower bound on the target's leakage"
    )
    notes = [
        f"reference models follow {recipe}",
        f"reference models: {keep.shape[0]} ({'loaded from cache' if refs.cached else 'trained'}), "
        f"each on a random half of a pool of {n_pool} rows (train + test rows outside the RMIA "
        f"population); every audit row is IN for exactly half of them",
    ]
    notes += [f"reference-model cache: {text}" for text in refs.cache_notes]
    if len(plan.population):
        notes.append(
            f"population z (RMIA): {len(plan.population)} test rows, outside the audit set "
            "and every reference model's training data"
        )
    return scores, notes
