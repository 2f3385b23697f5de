"""Catalogue entries of the explanation-quality metrics (see docs/explainability.md)."""

from __future__ import annotations

import math

from trustbench.metrics.catalogue import MetricInfo

_E = "explainability"

EXPLAINABILITY_METRICS = (
    MetricInfo(
        "deletion_auc",
        _E,
        "min",
        0.0,
        1.0,
        "mean trapezoid area of P(target) as the most relevant features are removed",
    ),
    MetricInfo(
        "insertion_auc",
        _E,
        "max",
        0.0,
        1.0,
        "mean trapezoid area of P(target) as the most relevant features are restored",
    ),
    MetricInfo("pgi", _E, "max", 0.0, 1.0, "OpenXAI: mean |f(x) - f(x')|, top-k perturbed"),
    MetricInfo("pgu", _E, "min", 0.0, 1.0, "OpenXAI: mean |f(x) - f(x')|, all but top-k perturbed"),
    MetricInfo("pgi_removal", _E, "max", 0.0, 1.0, "mean |f(x) - f(x without its top-k)|"),
    MetricInfo("pgu_removal", _E, "min", 0.0, 1.0, "mean |f(x) - f(x with only its top-k)|"),
    MetricInfo(
        "faithfulness_correlation",
        _E,
        "max",
        -1.0,
        1.0,
        "mean Pearson r of subset attribution sums and output drops (random subsets)",
    ),
    MetricInfo(
        "infidelity",
        _E,
        "min",
        0.0,
        math.inf,
        "mean (beta I.a - (f(x) - f(x - I)))^2 over subset perturbations (Captum)",
    ),
    MetricInfo("gt_feature_agreement", _E, "max", 0.0, 1.0, "|topk(|a|) ∩ topk(|g|)| / k"),
    MetricInfo("gt_rank_agreement", _E, "max", 0.0, 1.0, "top-k features at the same rank / k"),
    MetricInfo(
        "gt_sign_agreement", _E, "max", 0.0, 1.0, "shared top-k features with the sign of g / k"
    ),
    MetricInfo(
        "gt_pairwise_rank_agreement",
        _E,
        "max",
        0.0,
        1.0,
        "fraction of feature pairs ordered by |a| as by |g|",
    ),
    MetricInfo("gt_rank_correlation", _E, "max", -1.0, 1.0, "Spearman(mean_i |a_i|, |g|)"),
    MetricInfo("pointing_game", _E, "max", 0.0, 1.0, "1[argmax pixel of |a| in the mask]"),
    MetricInfo(
        "relevance_mass_accuracy", _E, "max", 0.0, 1.0, "sum of |a| inside the mask / sum of |a|"
    ),
    MetricInfo("relevance_rank_accuracy", _E, "max", 0.0, 1.0, "|top-|M| pixels of |a| ∩ M| / |M|"),
    MetricInfo(
        "max_sensitivity",
        _E,
        "min",
        0.0,
        math.inf,
        "max over perturbations of ||a(x) - a(x')|| / ||a(x)||",
    ),
    MetricInfo(
        "relative_input_stability",
        _E,
        "min",
        0.0,
        math.inf,
        "max ||(a - a')/a|| / max(||(x - x')/x||, eps) over class-preserving perturbations",
    ),
    MetricInfo(
        "relative_output_stability",
        _E,
        "min",
        0.0,
        math.inf,
        "max ||(a - a')/a|| / max(||(h - h')/h||, eps), h = class probabilities",
    ),
    MetricInfo("sparseness", _E, "max", 0.0, 1.0, "Gini index of |a|"),
    MetricInfo("entropy", _E, "min", 0.0, math.inf, "Shannon entropy of |a| / sum |a| (nats)"),
    MetricInfo(
        "randomisation_similarity",
        _E,
        "min",
        -1.0,
        1.0,
        "Spearman(|a|, |a after cascading randomisation of every layer|)",
    ),
    MetricInfo(
        "deletion_auc_gap",
        _E,
        "target:0",
        0.0,
        1.0,
        "max - min over sensitive groups of the mean per-row deletion AUC",
    ),
    MetricInfo(
        "max_sensitivity_gap",
        _E,
        "target:0",
        0.0,
        math.inf,
        "max - min over sensitive groups of the mean per-row max-sensitivity",
    ),
)
"""Every explainability metric, keyed in :data:`~trustbench.metrics.catalogue.METRICS`."""
