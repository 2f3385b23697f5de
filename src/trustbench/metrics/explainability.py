"""Explanation-quality metrics, by family (one module each); re-exported here.

- :mod:`~trustbench.metrics.explain_faithfulness`: deletion/insertion AUC, PGI/PGU,
  faithfulness correlation, infidelity;
- :mod:`~trustbench.metrics.explain_groundtruth`: FA, RA, SA, PRA, RC (OpenXAI) and the
  tie-free PRA and global rank correlation variants;
- :mod:`~trustbench.metrics.explain_localisation`: pointing game, relevance mass/rank accuracy;
- :mod:`~trustbench.metrics.explain_robustness`: max-sensitivity, RIS, ROS;
- :mod:`~trustbench.metrics.explain_complexity`: sparseness, entropy;
- :mod:`~trustbench.metrics.explain_sanity`: model-parameter randomisation similarity;
- :mod:`~trustbench.metrics.explain_fairness`: gaps of per-row scores between groups.
"""

from trustbench.metrics.explain_complexity import entropy, sparseness
from trustbench.metrics.explain_fairness import group_gap
from trustbench.metrics.explain_faithfulness import (
    curve_auc,
    deletion_auc,
    deletion_masks,
    deletion_order,
    faithfulness_correlation,
    infidelity,
    insertion_auc,
    insertion_masks,
    pgi_removal,
    pgu_removal,
    prediction_gap,
    random_subsets,
    removal_masks,
    subset_sums,
    top_k_mask,
)
from trustbench.metrics.explain_groundtruth import (
    feature_agreement,
    global_rank_correlation,
    pairwise_rank_agreement,
    pairwise_rank_agreement_untied,
    rank_agreement,
    rank_correlation,
    sign_agreement,
    untied_k,
)
from trustbench.metrics.explain_localisation import (
    pointing_game,
    relevance_mass_accuracy,
    relevance_rank_accuracy,
)
from trustbench.metrics.explain_robustness import (
    max_sensitivity,
    relative_input_stability,
    relative_output_stability,
)
from trustbench.metrics.explain_sanity import randomisation_similarity

__all__ = [
    "curve_auc",
    "deletion_auc",
    "deletion_masks",
    "deletion_order",
    "entropy",
    "faithfulness_correlation",
    "feature_agreement",
    "global_rank_correlation",
    "group_gap",
    "infidelity",
    "insertion_auc",
    "insertion_masks",
    "max_sensitivity",
    "pairwise_rank_agreement",
    "pairwise_rank_agreement_untied",
    "pgi_removal",
    "pgu_removal",
    "pointing_game",
    "prediction_gap",
    "random_subsets",
    "randomisation_similarity",
    "rank_agreement",
    "rank_correlation",
    "relative_input_stability",
    "relative_output_stability",
    "relevance_mass_accuracy",
    "relevance_rank_accuracy",
    "removal_masks",
    "sign_agreement",
    "sparseness",
    "subset_sums",
    "top_k_mask",
    "untied_k",
]
