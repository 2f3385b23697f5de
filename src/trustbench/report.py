"""TrustReport: the typed, JSON-serialisable result of scoring one model, saved as
``trust_report.json`` with every run (README.md, "What a run produces")."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from trustbench.metrics.spec import FAMILIES

SuiteStatus = Literal["ok", "failed", "not_applicable", "disabled"]
SCHEMA_VERSION = 1


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass
class MetricResult:
    """One number with its uncertainty and meaning.

    Attributes
    ----------
    family : str
        One of :data:`FAMILIES`.
    name : str
        Name inside the family, e.g. ``"roc_auc"``, ``"sex/demographic_parity_difference"``
        or ``"ablation/deletion_auc"``. The MLflow key is ``f"{family}/{name}"``.
    value : float or None
        ``None`` when undefined on these data; ``note`` then says why.
    ci_low, ci_high : float or None
        Bootstrap confidence interval (``ci_level``), where computed.
    direction : str
        ``"max"`` (higher is better), ``"min"`` or ``"target:0"``.
    n : int or None
        Sample size the value is computed on.
    split : str or None
        Split(s) the value is computed on.
    definition : str
        Formula or reference the value follows.
    note : str or None
        Why a value is missing, or a caveat (e.g. a tiny group).
    ci_level : float or None
        The interval's nominal coverage.
    ci_method : str or None
        How the interval was computed (a key of
        :data:`trustbench.metrics.intervals.INTERVAL_METHODS`: ``jeffreys``, ``bc``,
        ``percentile``, ...); None without an interval.
    worst_of : str or None
        For a worst case over attributes, groups or sites (the headline fairness gaps,
        ``worst_site_accuracy``): the one that attains it at the point estimate, e.g. ``sex``.
    """

    family: str
    name: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    direction: str = "max"
    n: int | None = None
    split: str | None = None
    definition: str = ""
    note: str | None = None
    ci_level: float | None = None
    ci_method: str | None = None
    worst_of: str | None = None

    def __post_init__(self) -> None:
        self.value = _finite_or_none(self.value)
        self.ci_low = _finite_or_none(self.ci_low)
        self.ci_high = _finite_or_none(self.ci_high)

    @property
    def key(self) -> str:
        """The MLflow metric key, ``<family>/<name>``."""
        return f"{self.family}/{self.name}"


@dataclass
class SuiteResult:
    """What one family's suite produced, or why it produced nothing.

    ``notes`` record facts about how the numbers were obtained; ``warnings`` are findings a
    reader of the report must not miss (a small group, a guarantee that an audit contradicts,
    an explainer failing its sanity check). Trust cards and leaderboards show the warnings.
    """

    family: str
    status: SuiteStatus
    metrics: list[MetricResult] = field(default_factory=list)
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass
class TrustReport:
    """Every metric of one scored model, grouped by family, plus the run's provenance.

    ``artifacts`` (tables, arrays, figures produced while scoring) travel with the report to
    the tracking layer but are not part of its JSON.
    """

    run: dict[str, Any] = field(default_factory=dict)
    suites: dict[str, SuiteResult] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- access ---------------------------------------------------------------------------
    def metrics(self) -> list[MetricResult]:
        """All metrics of all suites, in family order."""
        return [
            m for family in FAMILIES if family in self.suites for m in self.suites[family].metrics
        ]

    def values(self) -> dict[str, float | None]:
        """``{key: value}`` for every metric."""
        return {m.key: m.value for m in self.metrics()}

    def __getitem__(self, key: str) -> MetricResult:
        for metric in self.metrics():
            if metric.key == key:
                return metric
        raise KeyError(f"no metric '{key}' in this report; it has {len(self.metrics())} metrics")

    # -- JSON -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "run": self.run,
            "suites": {name: asdict(suite) for name, suite in self.suites.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrustReport:
        suites = {}
        for name, suite in data.get("suites", {}).items():
            metrics = [MetricResult(**m) for m in suite.get("metrics", [])]
            suites[name] = SuiteResult(**{**suite, "metrics": metrics})
        return cls(run=dict(data.get("run", {})), suites=suites)

    @classmethod
    def from_json(cls, text: str) -> TrustReport:
        return cls.from_dict(json.loads(text))

    # -- display --------------------------------------------------------------------------
    def summary(self, console=None, max_rows_per_family: int = 8, **where: Any) -> None:
        """Print each family's headline metrics (value, 95% CI, direction), each suite's
        status and warnings; ``where`` (``run_id``, ``trust_card``) closes the output with
        where the rest is (:func:`trustbench.reporting.console.print_summary`)."""
        from trustbench.reporting.console import print_summary

        print_summary(self, console=console, max_rows_per_family=max_rows_per_family, **where)
