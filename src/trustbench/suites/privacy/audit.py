"""DP guarantee beside the empirical audit: epsilon, delta, accountant, and the violation flag."""

from __future__ import annotations

from collections.abc import Mapping

from trustbench.report import MetricResult
from trustbench.suites.context import registered_result
from trustbench.training.record import DPRecord

FAMILY = "privacy"


def dp_guarantee(
    dp: DPRecord | None, n_train: int, empirical: Mapping[str, float]
) -> tuple[list[MetricResult], list[str], list[str]]:
    """Metrics, notes and warnings comparing the DP guarantee with empirical lower bounds.

    Parameters
    ----------
    dp : DPRecord or None
        The DP part of the trainer's record (``epsilon``, ``delta``, ``accountant``); None
        for a model not trained with differential privacy.
    n_train : int
    empirical : mapping of attack name to its empirical epsilon lower bound

    Returns
    -------
    (metrics, notes, warnings)
        ``privacy/dp/epsilon``, ``privacy/dp/delta`` and ``privacy/dp/audit_violation`` (1 if
        any attack's lower bound exceeds the guarantee, else 0) for DP runs; a warning names
        each violating attack.
    """
    if dp is None:
        return (
            [],
            ["model not trained with differential privacy: no (epsilon, delta) guarantee"],
            [],
        )
    accountant = dp.accountant
    eps, delta = float(dp.epsilon), float(dp.delta)
    metrics = [
        registered_result(
            FAMILY,
            "dp/epsilon",
            eps,
            n=n_train,
            split="train",
            detail=f"{accountant} accountant, delta={delta:.3g}",
        ),
        registered_result(FAMILY, "dp/delta", delta, n=n_train, split="train"),
    ]
    warnings = [
        f"warning: empirical epsilon lower bound {bound:.3f} of attack {attack} exceeds the DP "
        f"guarantee epsilon {eps:.3f}: a bug or a broken guarantee"
        for attack, bound in empirical.items()
        if bound == bound and bound > eps
    ]
    metrics.append(
        registered_result(
            FAMILY,
            "dp/audit_violation",
            1.0 if warnings else 0.0,
            n=n_train,
            split="train,test",
        )
    )
    notes = [
        f"DP guarantee: epsilon {eps:.3f} at delta {delta:.3g} ({accountant} accountant); "
        "empirical lower bounds: " + ", ".join(f"{a} {b:.3f}" for a, b in empirical.items())
    ]
    return metrics, notes, warnings
