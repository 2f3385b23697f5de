"""Generalization metrics, derived from the performance and calibration specs they apply.

``generalization/ece`` (test) and ``generalization/ood_<m>`` (the ood split), ``<m>_drop``
(how much worse on ood than on test), ``train_test_gap/<m>``, per-site values
``site/<site>/<m>`` and synthetic-shift values ``shift/<kind>/<severity>/<m>``, and the
fairness gaps on the ood split ``ood_fairness/[<attribute>/]<gap>[_change]``.
"""

from __future__ import annotations

import math

from trustbench.metrics.spec import MetricSpec
from trustbench.metrics.specs.fairness import GAP_SPECS
from trustbench.metrics.specs.performance import CALIBRATION
from trustbench.metrics.specs.performance import SPECS as PERFORMANCE

_F = "generalization"
_LABELS = frozenset({"labels", "probabilities"})
_OOD = _LABELS | {"ood"}
#: How the interval of a test-vs-ood difference resamples the patients.
_PAIRING = (
    "CI: a paired bootstrap (the same resample of patients in both splits) when ood is a "
    "row-aligned copy of test (test + noise), else independent resamples of test and ood"
)


def _span(lower: float, upper: float) -> float:
    return upper - lower if math.isfinite(upper - lower) else math.inf


def _base() -> list[MetricSpec]:
    """Every metric a split can be scored on: the performance specs and the calibration errors."""
    out = list(PERFORMANCE)
    for name, (definition, fn) in CALIBRATION.items():
        out.append(
            MetricSpec(
                name,
                "performance",
                "min",
                0.0,
                1.0,
                definition,
                ("performance/{metric}",),
                fn=fn,
                interval="recentred",
            )
        )
    return out


#: The metrics a split is scored on, by name (performance metrics and calibration errors).
SPLIT_METRICS: dict[str, MetricSpec] = {s.name: s for s in _base()}
#: Metrics logged per site and per synthetic shift (``suite.generalization.shifts.metrics``).
SITE_METRICS = ("accuracy", "roc_auc", "ece")


def split_metric(name: str, n_bins: int = 15):
    """``f(y, proba, weights=None)`` of a metric a split is scored on (calibration errors with
    ``n_bins`` equal-width or equal-mass bins)."""
    fn = SPLIT_METRICS[name].fn
    if name in CALIBRATION:
        return lambda y, proba, weights=None: fn(y, proba, weights, n_bins=n_bins)
    return fn


HEADLINES = ("ood_accuracy", "accuracy_drop", "ece", "ood_ece", "ece_drop", "worst_site_accuracy")
RANKED = ("ood_accuracy", "accuracy_drop", "ood_ece")


def _spec(
    name, base: MetricSpec, direction, lower, upper, definition, keys, needs, interval=None
) -> MetricSpec:
    """A generalization spec computed by ``base``'s function; its interval method is
    ``base``'s (the same statistic on another split) unless ``interval`` names another (a
    drop, a change: a difference of two estimates)."""
    return MetricSpec(
        name,
        _F,
        direction,
        lower,
        upper,
        definition,
        keys,
        needs=needs,
        headline=name in HEADLINES,
        rank=(f"{_F}/{name}",) if name in RANKED else (),
        fn=base.fn,
        interval=base.interval if interval is None else interval,
    )


def _derived() -> list[MetricSpec]:
    out = []
    top = (f"{_F}/{{metric}}",)
    for base in SPLIT_METRICS.values():
        m, span = base.name, _span(base.lower, base.upper)
        if m in CALIBRATION:  # calibration of the in-distribution test split lives here
            keys = (
                *top,
                f"{_F}/site/{{site}}/{{metric}}",
                f"{_F}/shift/{{kind}}/{{severity}}/{{metric}}",
            )
            out.append(
                _spec(
                    m, base, base.direction, base.lower, base.upper, base.definition, keys, _LABELS
                )
            )
        else:
            keys = (
                f"{_F}/site/{{site}}/{{metric}}",
                f"{_F}/shift/{{kind}}/{{severity}}/{{metric}}",
            )
            out.append(
                _spec(
                    m,
                    base,
                    base.direction,
                    base.lower,
                    base.upper,
                    base.definition,
                    keys,
                    _LABELS | {"model_queries"},
                )
            )
        out.append(
            _spec(
                f"ood_{m}",
                base,
                base.direction,
                base.lower,
                base.upper,
                f"{m} on the ood split: {base.definition}",
                top,
                _OOD,
            )
        )
        out.append(
            _spec(
                f"{m}_drop",
                base,
                "target:0",
                -span,
                span,
                f"how much worse {m} is on ood than on test (> 0: worse on ood): "
                f"{m}(test) - {m}(ood) if higher is better, else {m}(ood) - {m}(test); "
                f"{_PAIRING}",
                top,
                _OOD,
                interval="percentile",
            )
        )
        out.append(
            _spec(
                m,
                base,
                "target:0",
                -span,
                span,
                f"overfitting gap of {m}, > 0 means worse on test than on train",
                (f"{_F}/train_test_gap/{{metric}}",),
                _LABELS,
                interval="percentile",
            )
        )
    out.append(
        _spec(
            "worst_site_accuracy",
            SPLIT_METRICS["accuracy"],
            "max",
            0.0,
            1.0,
            "min over sites of the site's accuracy on test + ood (WILDS worst-domain accuracy), "
            "taken inside each bootstrap replicate",
            top,
            _LABELS | {"sites"},
        )
    )
    fair = (f"{_F}/ood_fairness/{{metric}}", f"{_F}/ood_fairness/{{attribute}}/{{metric}}")
    for gap in GAP_SPECS:
        out.append(
            _spec(
                gap.name,
                gap,
                gap.direction,
                gap.lower,
                gap.upper,
                f"{gap.definition}, on the ood split",
                fair,
                _OOD | {"sensitive"},
            )
        )
        span = _span(gap.lower, gap.upper)
        out.append(
            _spec(
                f"{gap.name}_change",
                gap,
                "target:0",
                -span,
                span,
                f"{gap.name}(ood) - {gap.name}(test); {_PAIRING}",
                fair,
                _OOD | {"sensitive"},
                interval="percentile",
            )
        )
    return out


SPECS = tuple(_derived())
