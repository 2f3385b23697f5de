"""Data metrics: what the dataset itself is like, before any model is trusted (docs/data.md).

Keys (the metric last):

* leakage and duplicates, ``{split}`` one of ``train``, ``test``, ``ood`` (and ``all`` for
  conflicting labels over every split together): ``data/splits/{split}/{metric}``;
* representation and missingness on train, per sensitive attribute and group
  ``data/groups/{attribute}/{group}/{metric}`` (and the attribute's gaps
  ``data/groups/{attribute}/{metric}``), per site ``data/sites/{site}/{metric}`` (gaps
  ``data/sites/{metric}``);
* single-column shortcuts on train: ``data/shortcuts/{metric}``;
* shift from train to ``{split}`` (``test``, ``ood``): ``data/drift/{split}/{metric}``;
* label issues on train: ``data/labels/{metric}``, per group under ``data/groups/...``.

Shares of rows (duplicates, twins, group sizes, missing cells) are facts about these data and
carry no interval; estimates do: prevalence and label-issue shares (Jeffreys), AUCs (bootstrap
percentile over rows, the cross-fitted scores held fixed), gaps (bias-corrected bootstrap).
"""

from __future__ import annotations

import math

from trustbench.metrics.spec import MetricSpec

_F = "data"
_SPLIT = (f"{_F}/splits/{{split}}/{{metric}}",)
_GROUP = (f"{_F}/groups/{{attribute}}/{{group}}/{{metric}}", f"{_F}/sites/{{site}}/{{metric}}")
_GAP = (f"{_F}/groups/{{attribute}}/{{metric}}", f"{_F}/sites/{{metric}}")
_SHORTCUT = (f"{_F}/shortcuts/{{metric}}",)
_DRIFT = (f"{_F}/drift/{{split}}/{{metric}}",)
_LABELS = (f"{_F}/labels/{{metric}}",)
_X = frozenset({"features"})
_XY = frozenset({"features", "labels"})
_Y = frozenset({"labels", "sensitive"})

#: How an exact twin is defined (what "the same row" means), quoted by the definitions.
EXACT = (
    "rows are equal when every feature is (NaN equals NaN; images: every pixel); the target "
    "and row ids are not compared unless the name says 'with_label'"
)
NEAR = (
    "near twin: Euclidean distance to the nearest train row, on features standardised by "
    "train's median and IQR (one-hot categories at distance 1), at most near_twin_ratio times "
    "the median nearest-neighbour distance between distinct train rows; images: 64-bit "
    "average hashes within image_hash_distance bits and standardised 16x16 thumbnails within "
    "the same distance rule; exact twins included"
)

SPECS = (
    # -- duplicates and leakage ------------------------------------------------------------
    MetricSpec("duplicate_share", _F, "min", 0.0, 1.0,
               f"share of the split's rows that repeat an earlier row of the same split "
               f"((n - distinct) / n); {EXACT}", _SPLIT, needs=_X),
    MetricSpec("duplicate_share_with_label", _F, "min", 0.0, 1.0,
               "share of the split's rows that repeat an earlier row of the same split in every "
               "feature and the label", _SPLIT, needs=_XY),
    MetricSpec("twin_share", _F, "min", 0.0, 1.0,
               f"share of the split's rows with an exact twin in train (the same patient seen "
               f"in training, if rows are patients); {EXACT}", _SPLIT, needs=_X, headline=True),
    MetricSpec("twin_share_with_label", _F, "min", 0.0, 1.0,
               "share of the split's rows whose features and label both equal a train row's",
               _SPLIT, needs=_XY),
    MetricSpec("near_twin_share", _F, "min", 0.0, 1.0,
               f"share of the split's rows with a near twin in train; {NEAR}", _SPLIT, needs=_X,
               headline=True),
    MetricSpec("conflicting_label_share", _F, "min", 0.0, 1.0,
               "share of the split's rows whose features occur in the split (split 'all': in any "
               "split) with a different label as well (identical inputs, different labels)",
               _SPLIT, needs=_XY),
    MetricSpec("roc_auc_twin_free", _F, "max", 0.0, 1.0,
               "the model's ROC AUC (macro one-vs-rest for multiclass) on the split's rows with "
               "no exact or near twin in train: the score a reader should expect on new patients",
               _SPLIT, needs=_XY | {"probabilities"}, headline=True),
    MetricSpec("twin_auc_inflation", _F, "target:0", -1.0, 1.0,
               "ROC AUC on all of the split's rows minus roc_auc_twin_free: how much rows seen "
               "in training inflate the reported AUC (> 0: inflated); paired bootstrap, the "
               "twin-free rows resampled with the rest", _SPLIT,
               needs=_XY | {"probabilities"}, headline=True, interval="bc"),
    # -- representation and missingness (train) --------------------------------------------
    MetricSpec("share", _F, "none", 0.0, 1.0,
               "share of train rows in the group (the group's size is n)", _GROUP,
               needs=frozenset({"sensitive"})),
    MetricSpec("prevalence", _F, "none", 0.0, 1.0,
               "share of the group's train rows in the positive class (binary tasks); Jeffreys "
               "interval", _GROUP, needs=_Y, interval="jeffreys"),
    MetricSpec("missing_rate", _F, "min", 0.0, 1.0,
               "share of the group's train feature cells that are missing (NaN), over every "
               "tabular feature", _GROUP, needs=_X | {"sensitive"}),
    MetricSpec("prevalence_gap", _F, "none", 0.0, 1.0,
               "largest minus smallest group prevalence on train (a difference in base rates, "
               "not in itself a flaw; fairness gaps should be read against it); bias-corrected "
               "bootstrap", _GAP, needs=_Y, interval="bc"),
    MetricSpec("missing_rate_gap", _F, "min", 0.0, 1.0,
               "largest over features of (highest minus lowest group missing share of that "
               "feature) on train: a feature measured less often in one group; the detail names "
               "the feature", _GAP, needs=_X | {"sensitive"}, headline=True),
    MetricSpec("label_issue_share", _F, "min", 0.0, 1.0,
               "share of the group's train rows that confident learning flags as likely label "
               "errors (cleanlab find_label_issues, prune_by_noise_rate, on cross-fitted "
               "probabilities); Jeffreys interval", _GROUP, needs=_XY | {"sensitive"},
               interval="jeffreys"),
    # -- shortcuts (train, cross-fitted) ---------------------------------------------------
    MetricSpec("max_feature_auc", _F, "none", 0.0, 1.0,
               "the best cross-fitted ROC AUC of one column alone (a binned target encoding, "
               "5 folds on train; images: brightness, contrast, blur, border); near 1 means one "
               "column gives the label away; the detail names the column",
               _SHORTCUT, needs=_XY, headline=True),
    MetricSpec("site_auc", _F, "none", 0.0, 1.0,
               "cross-fitted ROC AUC of the site alone predicting the label on train (sites "
               "with different base rates let a model learn the hospital instead of the disease)",
               _SHORTCUT, needs=_XY | {"sites"}),
    # -- shift between splits --------------------------------------------------------------
    MetricSpec("max_ks", _F, "min", 0.0, 1.0,
               "largest two-sample Kolmogorov-Smirnov statistic, train vs the split, over "
               "continuous features (scipy ks_2samp's statistic); the detail names the feature",
               _DRIFT, needs=_X),
    MetricSpec("max_js", _F, "min", 0.0, 1.0,
               "largest Jensen-Shannon divergence (base 2) between train's and the split's "
               "category frequencies over categorical features (missing as a category)",
               _DRIFT, needs=_X),
    MetricSpec("max_psi", _F, "min", 0.0, math.inf,
               "largest population stability index sum (a - e) ln(a / e) over features, 10 bins "
               "at train's quantiles (categories for categorical features, missing as a bin); "
               "> 0.1 moderate, > 0.25 major shift by the usual rule", _DRIFT, needs=_X),
    MetricSpec("domain_auc", _F, "target:0.5", 0.0, 1.0,
               "cross-fitted ROC AUC of a classifier telling the split's rows from train's "
               "(gradient-boosted trees on every feature, 5 folds): 0.5 = indistinguishable",
               _DRIFT, needs=_X, headline=True),
    # -- label issues (train) --------------------------------------------------------------
    MetricSpec("label_issue_share", _F, "min", 0.0, 1.0,
               "share of train rows that confident learning flags as likely label errors "
               "(cleanlab find_label_issues, prune_by_noise_rate, on 5-fold cross-fitted "
               "gradient-boosting probabilities; copies of a row cross-fitted as one); Jeffreys "
               "interval", _LABELS, needs=_XY,
               headline=True, interval="jeffreys"),
)  # fmt: skip
