"""Uncertainty metrics: conformal prediction sets, selective prediction and OOD detection.

Keys (the metric last, docs/uncertainty.md):

* conformal sets, ``{method}`` one of ``lac``, ``aps`` (marginal calibration) or
  ``lac_mondrian``, ``aps_mondrian`` (calibrated within the groups of ``{attribute}``),
  ``{split}`` ``test`` (the rows of test not used for calibration) or ``ood``:
  ``uncertainty/{method}/{split}/{metric}``, per attribute (a sensitive attribute, an
  intersection, or ``site``) ``uncertainty/{method}/{split}/{attribute}/{metric}``, per group
  ``uncertainty/{method}/{split}/{attribute}/{group}/{metric}``;
* selective prediction: ``uncertainty/selective/{split}/{metric}`` and per group
  ``uncertainty/selective/{split}/{attribute}/{group}/{metric}``;
* OOD detection: ``uncertainty/ood_detection/{score}/{metric}``.

Coverage itself has no better direction (a set of every label covers always): it is logged as
``coverage`` (``none``), and ranked through ``coverage_gap = coverage - level`` (``target:0``);
set sizes are ``min``.
"""

from __future__ import annotations

import math

from trustbench.metrics import uncertainty_ood as O
from trustbench.metrics import uncertainty_selective as S
from trustbench.metrics.spec import MetricSpec

_F = "uncertainty"
_TOP = f"{_F}/{{method}}/{{split}}/{{metric}}"
_ATTRIBUTE = f"{_F}/{{method}}/{{split}}/{{attribute}}/{{metric}}"
_GROUP = f"{_F}/{{method}}/{{split}}/{{attribute}}/{{group}}/{{metric}}"
_SELECTIVE = f"{_F}/selective/{{split}}/{{metric}}"
_SELECTIVE_GROUP = f"{_F}/selective/{{split}}/{{attribute}}/{{group}}/{{metric}}"
_OOD = (f"{_F}/ood_detection/{{score}}/{{metric}}",)
_NEEDS = frozenset({"labels", "probabilities"})
_GROUPS = _NEEDS | {"sensitive"}

#: What the interval of a conformal metric covers.
CONFORMAL_CI = (
    "CI: bootstrap of the calibration rows and the evaluated rows together, the threshold "
    "recomputed in every replicate (so it includes the calibration draw)"
)
SELECTIVE_CI = "CI: bootstrap of the split's rows, the threshold re-chosen in every replicate"
OOD_CI = "CI: bootstrap of the test and ood rows, each split resampled on its own"


def _conformal(
    name,
    direction,
    lower,
    upper,
    definition,
    keys,
    *,
    needs=_NEEDS,
    headline=False,
    rank=(),
    interval="percentile",
):
    return MetricSpec(
        name, _F, direction, lower, upper, f"{definition}; {CONFORMAL_CI}", keys,
        needs=needs, headline=headline, rank=rank, interval=interval,
    )  # fmt: skip


def _selective(name, direction, definition, keys, *, fn=None, headline=False, rank=()):
    return MetricSpec(
        name, _F, direction, 0.0, 1.0, f"{definition}; {SELECTIVE_CI}", keys,
        needs=_NEEDS, headline=headline, rank=rank, fn=fn,
    )  # fmt: skip


SPECS = (
    _conformal("coverage", "none", 0.0, 1.0,
               "share of evaluated rows whose conformal prediction set holds the true label, the "
               "sets calibrated on a random part of test (split conformal, MAPIE conventions; the "
               "target is the level, but more is not better: compare set_size)",
               (_TOP, _ATTRIBUTE, _GROUP), headline=True, interval="hull"),
    _conformal("coverage_gap", "target:0", -1.0, 1.0,
               "coverage - level (< 0: the sets cover less than promised)", (_TOP,),
               rank=(f"{_F}/lac/ood/coverage_gap",)),
    _conformal("set_size", "min", 0.0, math.inf,
               "mean number of labels in the conformal prediction set (lower is better at the "
               "same coverage; 1 = a single answer, K = no information)",
               (_TOP, _ATTRIBUTE, _GROUP), rank=(f"{_F}/lac/test/set_size",)),
    _conformal("worst_group_coverage_gap", "target:0", -1.0, 1.0,
               "min over groups of coverage_g - level: the coverage gap of the worst-covered group "
               "(< 0: that group is under-covered), taken inside each replicate; top level: over "
               "the groups of every declared sensitive attribute",
               (_TOP, _ATTRIBUTE), needs=_GROUPS),
    _selective("aurc", "min",
               "area under the risk-coverage curve of the top-label confidence: sum_i (w_i/W) "
               "risk(conf >= conf_i), ties answered together (Geifman et al. 2019)",
               (_SELECTIVE, _SELECTIVE_GROUP), fn=S.aurc, headline=True,
               rank=(f"{_F}/selective/test/aurc",)),
    _selective("excess_aurc", "min",
               "aurc minus the aurc of the oracle ordering (every correct row before any error) "
               "at the same error rate (E-AURC, Geifman et al. 2019)", (_SELECTIVE,),
               fn=S.excess_aurc),
    _selective("accuracy_at_coverage_{level}", "max",
               "accuracy on the most confident share 'level' of the rows (the tie at the "
               "threshold answered in proportion); per group: at the threshold chosen on all rows",
               (_SELECTIVE, _SELECTIVE_GROUP)),
    _selective("sensitivity_at_coverage_{level}", "max",
               "P(yhat=1 | y=1) among the answered rows at coverage 'level' (binary targets)",
               (_SELECTIVE, _SELECTIVE_GROUP)),
    _selective("retained_at_coverage_{level}", "none",
               "share of the group's rows answered at the threshold that answers the share "
               "'level' of all rows (the rest are deferred)", (_SELECTIVE_GROUP,)),
    MetricSpec("auroc", _F, "max", 0.0, 1.0,
               "ROC AUC of the OOD score separating ood rows (positives) from test rows "
               f"(negatives), 0.5 = chance (scikit-learn roc_auc_score); {OOD_CI}", _OOD,
               needs=_NEEDS | {"ood"}, headline=True, fn=O.ood_auroc,
               rank=(f"{_F}/ood_detection/msp/auroc",)),
    MetricSpec("fpr_at_tpr_{level}", _F, "min", 0.0, 1.0,
               "share of test rows flagged as OOD at the first threshold that flags the share "
               f"'level' of the ood rows (OpenOOD convention); {OOD_CI}", _OOD,
               needs=_NEEDS | {"ood"}),
)  # fmt: skip
