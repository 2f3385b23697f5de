"""Privacy metrics: membership-inference attacks, the DP guarantee and the canary audit.

Keys: ``privacy/{attack}/{metric}`` and per group ``privacy/{attack}/{attribute}/{group}/
{metric}``; ``privacy/dp/{epsilon,delta,audit_violation}``; ``privacy/canary/{metric}``.
"""

from __future__ import annotations

import math

from trustbench.metrics import privacy as P
from trustbench.metrics import privacy_roc as R
from trustbench.metrics.spec import MetricSpec

_F = "privacy"
_ATTACK = (f"{_F}/{{attack}}/{{metric}}",)
_GROUP = (f"{_F}/{{attack}}/{{attribute}}/{{group}}/{{metric}}",)
_NEEDS = frozenset({"members", "probabilities", "labels"})
_RANKED_ATTACKS = ("loss", "lira", "rmia")  # one leak counted once: not every threshold attack
_DP = frozenset({"dp_accountant"})
_CANARY = (f"{_F}/canary/{{metric}}",)


def _attack(name, lower, upper, definition, fn=None, groups=False, headline=False, rank=False):
    return MetricSpec(
        name, _F, "min", lower, upper, definition, _ATTACK + (_GROUP if groups else ()),
        needs=_NEEDS, headline=headline, fn=fn,
        rank=tuple(f"{_F}/{a}/{name.replace('{level}', '0.01')}" for a in _RANKED_ATTACKS) if rank else (),
    )  # fmt: skip


SPECS = (
    MetricSpec("epsilon", _F, "min", 0.0, math.inf, "DP-SGD epsilon from Opacus's accountant at the stated delta",
               (f"{_F}/dp/{{metric}}",), needs=_DP, headline=True),
    MetricSpec("delta", _F, "min", 0.0, 1.0, "DP-SGD delta the epsilon is stated for",
               (f"{_F}/dp/{{metric}}",), needs=_DP, headline=True),
    _attack("auc", 0.0, 1.0, "AUC of the membership score for members vs non-members (0.5 = chance)",
            P.attack_auc, groups=True, headline=True, rank=True),
    _attack("balanced_accuracy", 0.5, 1.0,
            "max over thresholds of (TPR + 1 - FPR) / 2 = (1 + advantage) / 2", R.balanced_accuracy_best),
    _attack("advantage", 0.0, 1.0, "max over thresholds of TPR - FPR (attacker advantage)", P.attacker_advantage),
    _attack("tpr_at_fpr_{level}", 0.0, 1.0,
            "max TPR over ROC thresholds with FPR <= level, no interpolation; CI: Clopper-Pearson on "
            "the members' true positives", groups=True, headline=True, rank=True),
    _attack("epsilon_lower_bound", 0.0, math.inf,
            "max(log((TPR_lo - delta)/FPR_hi), log((1 - FPR_hi - delta)/(1 - TPR_lo))), one-sided "
            "Clopper-Pearson bounds, threshold chosen on half the audit rows and bounded on the "
            "other half (Jagielski et al. 2020, Nasr et al. 2021)", headline=True),
    MetricSpec("audit_violation", _F, "target:0", 0.0, 1.0,
               "1 if any attack's empirical epsilon lower bound exceeds dp/epsilon, else 0",
               (f"{_F}/dp/{{metric}}",), needs=_DP | _NEEDS),
    MetricSpec("auc", _F, "min", 0.0, 1.0,
               "AUC of log p(y_canary|x) separating inserted from held-back canaries", _CANARY,
               needs=frozenset({"retraining", "probabilities"}), fn=P.attack_auc),
    MetricSpec("guess_accuracy", _F, "min", 0.0, 1.0,
               "correct IN/OUT guesses on the top and bottom canaries by loss", _CANARY,
               needs=frozenset({"retraining", "probabilities"})),
    MetricSpec("epsilon_lower_bound", _F, "min", 0.0, math.inf,
               "Steinke, Nasr & Jagielski 2023 one-run bound (delta = 0): logit of the one-sided "
               "Clopper-Pearson lower bound on the canary guessing accuracy", _CANARY,
               needs=frozenset({"retraining", "probabilities"})),
)  # fmt: skip
