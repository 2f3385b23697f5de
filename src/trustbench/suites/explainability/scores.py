"""One explainer's metrics, family by family: each function returns MetricResults.

Every metric is a per-row score averaged over the explained rows with the suite's shared
bootstrap counts (``ctx.estimate``), so each carries a percentile CI over explained rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trustbench.explain import MaskedForward
from trustbench.explain.neighbours import FeatureScales, neighbours
from trustbench.metrics import explain_complexity as cx
from trustbench.metrics import explain_faithfulness as ff
from trustbench.metrics import explain_groundtruth as gt
from trustbench.metrics import explain_localisation as loc
from trustbench.metrics import explain_robustness as rb
from trustbench.metrics import explain_sanity as sn
from trustbench.metrics._rows import row_mean
from trustbench.metrics.explain_fairness import group_gap
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext
from trustbench.suites.explainability.config import ExplainabilityConfig
from trustbench.suites.explainability.inputs import (
    ExplainedRows,
    cascading_randomisations,
    perturb,
)

FAMILY = "explainability"
IMAGE_PGI_NOTE = (
    "pgi/pgu (OpenXAI's noise form) are defined for tabular data and are not computed on "
    "images: independent pixel noise is averaged away by the convolutions, so at any noise "
    "level they do not tell a gradient explainer from the random control; pgi_removal and "
    "pgu_removal are"
)
SIGN_NOTE = (
    "gt_sign_agreement not computed: the ground truth's sign is the direction of effect on the "
    "positive class of a binary task, and this task has more than two classes"
)


@dataclass
class Scorer:
    """Shared state for scoring the explainers of one run."""

    ctx: ScoringContext
    cfg: ExplainabilityConfig
    rows: ExplainedRows
    engine: MaskedForward
    counts: np.ndarray
    stds: Any
    scales: FeatureScales | None
    results: list[MetricResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, name: str, fn: Callable, *args: Any, detail: str | None = None, **kw: Any):
        """Score ``fn`` per explained row with a bootstrap CI; meaning from the registry."""
        self.results.append(
            self.ctx.estimate(
                FAMILY, name, fn, *args, split="test", counts=self.counts, detail=detail, **kw
            )
        )

    # -- faithfulness ---------------------------------------------------------------------
    def faithfulness(self, e: str, a: np.ndarray) -> np.ndarray:
        """Deletion/insertion AUC, PGI/PGU, faithfulness correlation, infidelity; returns the
        per-row deletion AUC (for the group gaps)."""
        d = self.rows.n_features
        steps = self.cfg.n_steps or (20 if self.rows.image else d)
        deletion = self.engine(ff.deletion_masks(a, steps)).T
        insertion = self.engine(ff.insertion_masks(a, steps)).T
        self.add(
            f"{e}/deletion_auc",
            ff.deletion_auc,
            deletion,
            detail=f"{steps} steps",
        )
        self.add(
            f"{e}/insertion_auc",
            ff.insertion_auc,
            insertion,
            detail=f"{steps} steps",
        )
        fraction = self.cfg.top_fraction
        step = max(1, round(fraction * steps))
        k = max(1, round(fraction * d))
        top = ff.top_k_mask(a, k)
        p0 = deletion[:, 0]
        samples = self.cfg.pgi_samples
        noise = self.cfg.pgi_noise
        flip = self.cfg.pgi_flip
        gaps = () if self.rows.image else (
            ("pgi", top, f"its top {fraction:.0%} features"),
            ("pgu", ~top, f"every feature but its top {fraction:.0%}"),
        )  # fmt: skip
        if self.rows.image and IMAGE_PGI_NOTE not in self.notes:
            self.notes.append(IMAGE_PGI_NOTE)
        for name, chosen, text in gaps:
            copies = neighbours(self.rows, chosen, samples, noise, flip, self.scales, self.ctx.seed)
            proba = self.engine.proba(copies).reshape(samples, len(self.rows), -1)
            perturbed = np.take_along_axis(proba, self.rows.target[None, :, None], axis=2)[..., 0]
            self.add(
                f"{e}/{name}",
                ff.prediction_gap,
                p0,
                perturbed,
                detail=f"{samples} copies with {text} perturbed (Gaussian noise, sd {noise:g} of "
                f"each column's train range; categories flipped with probability {flip:g})",
            )
        self.add(
            f"{e}/pgi_removal",
            ff.pgi_removal,
            deletion,
            step=step,
            detail=f"top {fraction:.0%}",
        )
        self.add(
            f"{e}/pgu_removal",
            ff.pgu_removal,
            deletion,
            insertion,
            step=step,
            detail=f"top {fraction:.0%}",
        )
        runs = self.cfg.faithfulness_runs
        size = max(1, math.ceil(self.cfg.faithfulness_subset * d))
        rng = np.random.default_rng([self.ctx.seed, 41])
        subsets = ff.random_subsets(rng, runs, len(self.rows), d, size)
        deltas = p0[:, None] - self.engine(subsets).T
        sums = ff.subset_sums(a, subsets)
        self.add(
            f"{e}/faithfulness_correlation",
            ff.faithfulness_correlation,
            sums,
            deltas,
            detail=f"{runs} random subsets of {size} features",
        )
        self.add(
            f"{e}/infidelity",
            ff.infidelity,
            sums,
            deltas,
            detail=f"normalized, subset-removal perturbations: {runs} subsets of {size} features",
        )
        return ff.curve_auc(deletion)

    # -- ground truth / localisation / complexity -----------------------------------------
    def ground_truth(self, e: str, a: np.ndarray, truth: np.ndarray, k: int) -> None:
        """OpenXAI FA, RA, SA, PRA, RC and the tie-free PRA and global rank correlation; SA
        compares signs on the class each row explains (the predicted one), binary tasks only."""
        for metric, fn in (
            ("gt_feature_agreement", gt.feature_agreement),
            ("gt_rank_agreement", gt.rank_agreement),
        ):
            self.add(f"{e}/{metric}", fn, a, truth, k=k, detail=f"k={k}")
        if self.ctx.task.n_classes == 2:
            self.add(
                f"{e}/gt_sign_agreement",
                gt.sign_agreement,
                a,
                truth,
                k=k,
                explained_class=self.rows.target,
                detail=f"k={k}",
            )
        elif SIGN_NOTE not in self.notes:
            self.notes.append(SIGN_NOTE)
        for metric, fn in (
            ("gt_pairwise_rank_agreement", gt.pairwise_rank_agreement),
            ("gt_pairwise_rank_agreement_untied", gt.pairwise_rank_agreement_untied),
            ("gt_rank_correlation", gt.rank_correlation),
            ("gt_global_rank_correlation", gt.global_rank_correlation),
        ):
            self.add(f"{e}/{metric}", fn, a, truth)

    def localisation(self, e: str, a: np.ndarray) -> None:
        masks = self.rows.masks
        if masks is None or not masks.any():
            return
        positive = np.abs(a)
        self.add(
            f"{e}/pointing_game",
            loc.pointing_game,
            positive,
            masks,
        )
        self.add(
            f"{e}/relevance_mass_accuracy",
            loc.relevance_mass_accuracy,
            positive,
            masks,
        )
        self.add(
            f"{e}/relevance_rank_accuracy",
            loc.relevance_rank_accuracy,
            positive,
            masks,
        )

    def complexity(self, e: str, a: np.ndarray) -> None:
        self.add(
            f"{e}/sparseness",
            cx.sparseness,
            a,
        )
        self.add(
            f"{e}/entropy",
            cx.entropy,
            a,
        )

    # -- robustness ---------------------------------------------------------------------
    def robustness(self, e: str, explainer: Any, a: np.ndarray) -> np.ndarray | None:
        """Max-sensitivity, RIS, ROS on the first ``robustness_rows`` rows; returns the
        per-row max-sensitivity (NaN beyond those rows)."""
        if not self.rows.image and (self.stds is None or len(self.stds) == 0):
            if not any("robustness" in note for note in self.notes):
                self.notes.append("robustness metrics skipped: no continuous feature to perturb")
            return None
        n = len(self.rows)
        m = min(n, self.cfg.robustness_rows)
        samples = self.cfg.robustness_samples
        radius = self.cfg.robustness_radius
        pert = perturb(self.rows, m, samples, radius, self.stds, self.ctx.seed)
        a_pert = np.asarray(explainer.attribute(pert.X, pert.target), dtype=float)
        a_pert = a_pert.reshape(samples, m, *a.shape[1:])
        proba0 = self.engine.proba(self.rows.head(m))
        proba = self.engine.proba(pert.X).reshape(samples, m, -1)
        changed = proba.argmax(axis=2) != self.rows.target[None, :m]

        def pad(values: np.ndarray) -> np.ndarray:
            return np.concatenate([values, np.full(n - m, np.nan)])

        ms = pad(rb.max_sensitivity_per_row(a[:m], a_pert))
        ris = pad(
            rb.relative_stability_per_row(a[:m], a_pert, pert.original, pert.numeric, changed)
        )
        ros = pad(rb.relative_stability_per_row(a[:m], a_pert, proba0, proba, changed))
        where = f"{samples} uniform perturbations of radius {radius} on {m} rows"
        self.add(
            f"{e}/max_sensitivity",
            row_mean,
            ms,
            n=m,
            detail=where,
        )
        self.add(
            f"{e}/relative_input_stability",
            row_mean,
            ris,
            n=m,
            detail=where,
        )
        self.add(
            f"{e}/relative_output_stability",
            row_mean,
            ros,
            n=m,
            detail=f"probabilities, {where}",
        )
        return ms

    # -- sanity ---------------------------------------------------------------------------
    def sanity(self, e: str, make: Callable[[Any], Any], a: np.ndarray) -> None:
        """Cascading model-parameter randomisation on the first ``sanity_rows`` rows."""
        n = len(self.rows)
        m = min(n, self.cfg.sanity_rows)
        X, target = self.rows.head(m), self.rows.target[:m]
        cascade = []
        last = None
        every_step = self.cfg.sanity_cascade
        n_layers = 0
        model = None
        for _, model in cascading_randomisations(self.ctx.model, self.ctx.seed):
            n_layers += 1
            if every_step:  # the model is randomised in place: explain it at this step
                last = np.asarray(make(model).attribute(X, target), dtype=float)
                cascade.append(sn.spearman_rows(np.abs(a[:m]), np.abs(last)))
        if model is None:
            return
        if not every_step:  # the fully randomised model only: one explanation pass
            last = np.asarray(make(model).attribute(X, target), dtype=float)
            cascade.append(sn.spearman_rows(np.abs(a[:m]), np.abs(last)))
        per_row = np.concatenate([cascade[-1], np.full(n - m, np.nan)])
        self.extra[f"{e}/mprt_cascade"] = np.nanmean(np.asarray(cascade), axis=1)
        self.add(
            f"{e}/randomisation_similarity",
            row_mean,
            per_row,
            n=m,
            detail=f"all {n_layers} layers, {m} rows",
        )
        threshold = self.cfg.sanity_threshold
        value = self.results[-1].value
        if np.isfinite(value) and value > threshold:
            self.warnings.append(
                f"warning: explainer {e} fails the randomisation sanity check (similarity "
                f"{value:.2f} > {threshold} after randomising every layer)"
            )

    # -- explanation fairness -------------------------------------------------------------
    def fairness(self, e: str, per_row: Mapping[str, np.ndarray]) -> None:
        for attribute in self.rows.sensitive.columns:
            groups = self.rows.sensitive[attribute].astype(str).to_numpy()
            if len(np.unique(groups)) < 2:
                continue
            for metric, values in per_row.items():
                self.add(
                    f"{e}/{self.ctx.key_names.attribute(attribute)}/{metric}_gap",
                    group_gap,
                    values,
                    groups,
                    detail=f"groups of '{attribute}'",
                )
