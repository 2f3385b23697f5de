"""Explanation-quality metrics, one value per explainer: ``explainability/{explainer}/{metric}``.

The explanation gaps between sensitive groups are ``explainability/{explainer}/{attribute}/
{metric}_gap``. Formulas, references and caveats are in docs/explainability.md.
"""

from __future__ import annotations

import math

from trustbench.metrics.spec import MetricSpec

_F = "explainability"
_KEYS = (f"{_F}/{{explainer}}/{{metric}}",)
_GAP_KEYS = (f"{_F}/{{explainer}}/{{attribute}}/{{metric}}",)
_Q = frozenset({"model_queries"})
inf = math.inf

#: ``(name, direction, lower, upper, definition, needs)``; needs beyond model queries.
_TABLE = (
    (
        "deletion_auc",
        "min",
        0.0,
        1.0,
        "mean trapezoid area of P(target) as the most relevant features are removed (Petsiuk et al. 2018)",
        (),
    ),
    (
        "insertion_auc",
        "max",
        0.0,
        1.0,
        "mean trapezoid area of P(target) as the most relevant features are restored (Petsiuk et al. 2018)",
        (),
    ),
    (
        "pgi",
        "max",
        0.0,
        1.0,
        "OpenXAI PGI: mean |f(x) - f(x')| over noisy copies x' with the top-k features perturbed",
        (),
    ),
    (
        "pgu",
        "min",
        0.0,
        1.0,
        "OpenXAI PGU: mean |f(x) - f(x')| over noisy copies x' with all but the top-k features perturbed",
        (),
    ),
    (
        "pgi_removal",
        "max",
        0.0,
        1.0,
        "mean |f(x) - f(x without its top-k)| (top-k replaced by the baseline)",
        (),
    ),
    (
        "pgu_removal",
        "min",
        0.0,
        1.0,
        "mean |f(x) - f(x with only its top-k)| (the rest replaced by the baseline)",
        (),
    ),
    (
        "faithfulness_correlation",
        "max",
        -1.0,
        1.0,
        "mean Pearson r of subset attribution sums and output drops over random subsets (Bhatt et al. 2020; Quantus)",
        (),
    ),
    (
        "infidelity",
        "min",
        0.0,
        inf,
        "mean (beta I.a - (f(x) - f(x - I)))^2 over subset perturbations (Yeh et al. 2019; Captum)",
        (),
    ),
    (
        "gt_feature_agreement",
        "max",
        0.0,
        1.0,
        "|topk(|a_i|) ∩ topk(|g|)| / k against the ground-truth importances g; k moved off ties of |g| (OpenXAI FA)",
        ("ground_truth",),
    ),
    (
        "gt_rank_agreement",
        "max",
        0.0,
        1.0,
        "top-k positions holding the same feature with the same dense rank of |a_i| as of |g|, / k (OpenXAI RA)",
        ("ground_truth",),
    ),
    (
        "gt_sign_agreement",
        "max",
        0.0,
        1.0,
        "shared top-k features with the sign of g, negated on rows explaining class 0, / k (OpenXAI SA)",
        ("ground_truth",),
    ),
    (
        "gt_pairwise_rank_agreement",
        "max",
        0.0,
        1.0,
        "mean over all pairs j < l of 1[(|a_ij| > |a_il|) = (|g_j| > |g_l|)], ties count as not greater (OpenXAI PRA)",
        ("ground_truth",),
    ),
    (
        "gt_pairwise_rank_agreement_untied",
        "max",
        0.0,
        1.0,
        "fraction of the pairs with |g_j| != |g_l| that |a_i| orders strictly as |g|",
        ("ground_truth",),
    ),
    (
        "gt_rank_correlation",
        "max",
        -1.0,
        1.0,
        "mean over rows of Pearson(dense ranks of |a_i|, dense ranks of |g|), all features (OpenXAI RC)",
        ("ground_truth",),
    ),
    (
        "gt_global_rank_correlation",
        "max",
        -1.0,
        1.0,
        "Spearman(mean_i |a_i|, |g|), average ranks for ties",
        ("ground_truth",),
    ),
    (
        "pointing_game",
        "max",
        0.0,
        1.0,
        "1[argmax pixel of |a| in the mask] (Zhang et al. 2018; Quantus)",
        ("masks",),
    ),
    (
        "relevance_mass_accuracy",
        "max",
        0.0,
        1.0,
        "sum of |a| inside the mask / sum of |a| (Arras et al. 2022; Quantus)",
        ("masks",),
    ),
    (
        "relevance_rank_accuracy",
        "max",
        0.0,
        1.0,
        "|top-|M| pixels of |a| ∩ M| / |M| (Arras et al. 2022; Quantus)",
        ("masks",),
    ),
    (
        "max_sensitivity",
        "min",
        0.0,
        inf,
        "max over perturbations of ||a(x) - a(x')|| / ||a(x)|| (Yeh et al. 2019; Quantus)",
        (),
    ),
    (
        "relative_input_stability",
        "min",
        0.0,
        inf,
        "max ||(a - a')/a|| / max(||(x - x')/x||, eps) over class-preserving perturbations (Agarwal et al. 2022; Quantus)",
        (),
    ),
    (
        "relative_output_stability",
        "min",
        0.0,
        inf,
        "max ||(a - a')/a|| / max(||(h - h')/h||, eps), h = class probabilities (Agarwal et al. 2022; Quantus)",
        (),
    ),
    ("sparseness", "max", 0.0, 1.0, "Gini index of |a| (Chalasani et al. 2020; Quantus)", ()),
    (
        "entropy",
        "min",
        0.0,
        inf,
        "Shannon entropy of |a| / sum |a| in nats (Quantus Complexity)",
        (),
    ),
    (
        "randomisation_similarity",
        "min",
        -1.0,
        1.0,
        "MPRT: Spearman(|a|, |a after top-down cascading randomisation of every layer|) (Adebayo et al. 2018)",
        ("parameters",),
    ),
)
_GAPS = (
    (
        "deletion_auc_gap",
        0.0,
        1.0,
        "max - min over sensitive groups of the mean per-row deletion AUC",
    ),
    (
        "max_sensitivity_gap",
        0.0,
        inf,
        "max - min over sensitive groups of the mean per-row max-sensitivity",
    ),
)
#: Definitions changed since version 1: the OpenXAI ground-truth metrics now follow OpenXAI
#: (SA flips g by the explained class, RA compares dense ranks, PRA counts tied pairs, RC is
#: per row) and the suite's k never splits a tie of |g| (FA, RA, SA).
VERSIONS = {
    "gt_feature_agreement": 2,
    "gt_rank_agreement": 2,
    "gt_sign_agreement": 2,
    "gt_pairwise_rank_agreement": 2,
    "gt_rank_correlation": 2,
}
HEADLINES = (
    "deletion_auc",
    "insertion_auc",
    "gt_feature_agreement",
    "pointing_game",
    "randomisation_similarity",
)

SPECS = (
    *(
        MetricSpec(
            name, _F, direction, lower, upper, definition, _KEYS,
            needs=_Q | set(needs),
            headline=name in HEADLINES,
            rank=(f"{_F}/*/{name}",) if name == "deletion_auc" else (),
            version=VERSIONS.get(name, 1),
        )
        for name, direction, lower, upper, definition, needs in _TABLE
    ),
    *(
        MetricSpec(name, _F, "target:0", lower, upper, definition, _GAP_KEYS, needs=_Q | {"sensitive"})
        for name, lower, upper, definition in _GAPS
    ),
)  # fmt: skip
