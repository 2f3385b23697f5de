"""Warnings a trust card shows: the suites' own, plus findings derived from the metrics.

Derived rules (thresholds documented in ``docs/leaderboard.md``):

* a suite that failed (its reason);
* calibration drift under shift: ``generalization/ece_drop`` (ECE on ``ood`` minus ECE on
  ``test``) above :data:`ECE_DROP_THRESHOLD`;
* an empirical privacy bound above the guarantee: any ``privacy/<attack>/epsilon_lower_bound``
  above ``privacy/dp/epsilon``;
* an explainer no more faithful than random attributions: its ``deletion_auc`` (lower is
  better) at or above the ``random`` baseline's;
* a fairness mitigation that changed nothing: the training record's ``warning``
  (``report.run["training"]["warning"]``, set by ``trainer=fair``).
"""

from __future__ import annotations

from dataclasses import dataclass

from trustbench.report import FAMILIES, MetricResult, TrustReport

#: ECE increase from ``test`` to ``ood`` above which calibration is said to drift.
ECE_DROP_THRESHOLD = 0.05


@dataclass(frozen=True)
class CardWarning:
    """One warning: its family, severity (``"warning"`` or ``"failure"``) and text."""

    family: str
    severity: str
    text: str


def _ci(metric: MetricResult) -> str:
    if metric.ci_low is None or metric.ci_high is None:
        return ""
    return f" (95% CI [{metric.ci_low:.3f}, {metric.ci_high:.3f}])"


def _by_key(report: TrustReport) -> dict[str, MetricResult]:
    return {m.key: m for m in report.metrics() if m.value is not None}


def derived_warnings(report: TrustReport) -> list[CardWarning]:
    """Warnings computed from the report's metrics and suite statuses (module docstring)."""
    found: list[CardWarning] = []
    metrics = _by_key(report)
    for family in FAMILIES:
        suite = report.suites.get(family)
        if suite is not None and suite.status == "failed":
            found.append(CardWarning(family, "failure", f"suite failed: {suite.reason}"))
    drift = metrics.get("generalization/ece_drop")
    if drift is not None and drift.value > ECE_DROP_THRESHOLD:
        found.append(
            CardWarning(
                "generalization",
                "warning",
                f"calibration drifts under shift: ECE is {drift.value:.3f} higher on the ood "
                f"split than on test{_ci(drift)}, above the {ECE_DROP_THRESHOLD} threshold",
            )
        )
    epsilon = metrics.get("privacy/dp/epsilon")
    if epsilon is not None:
        for key, metric in sorted(metrics.items()):
            if key.startswith("privacy/") and key.endswith("/epsilon_lower_bound"):
                if metric.value > epsilon.value:
                    found.append(
                        CardWarning(
                            "privacy",
                            "failure",
                            f"empirical epsilon lower bound {metric.value:.3f} ({key}) exceeds "
                            f"the DP guarantee epsilon = {epsilon.value:.3f}: the guarantee or "
                            "its accounting does not hold",
                        )
                    )
    random = metrics.get("explainability/random/deletion_auc")
    if random is not None:
        for key, metric in sorted(metrics.items()):
            parts = key.split("/")
            if (
                len(parts) == 3
                and parts[0] == "explainability"
                and parts[2] == "deletion_auc"
                and parts[1] != "random"
                and metric.value >= random.value
            ):
                found.append(
                    CardWarning(
                        "explainability",
                        "warning",
                        f"explainer '{parts[1]}' is no more faithful than random attributions: "
                        f"deletion AUC {metric.value:.3f} vs {random.value:.3f} for random "
                        "(lower is better)",
                    )
                )
    mitigation = (report.run.get("training") or {}).get("warning")
    if mitigation:
        found.append(CardWarning("fairness", "warning", str(mitigation)))
    return found


def card_warnings(report: TrustReport) -> list[CardWarning]:
    """Every suite's own ``warnings`` followed by :func:`derived_warnings`."""
    own = [
        CardWarning(family, "warning", text)
        for family in FAMILIES
        if family in report.suites
        for text in report.suites[family].warnings
    ]
    return own + derived_warnings(report)
