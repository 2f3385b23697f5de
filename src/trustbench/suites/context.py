"""What every suite receives: the model, the task, cached predictions and bootstrap replicates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trustbench.data.task import Split, TaskData
from trustbench.metrics import REGISTRY, bootstrap_counts
from trustbench.metrics.intervals import interval_of
from trustbench.metrics.weights import stacked
from trustbench.report import MetricResult
from trustbench.training.record import TrainingRecord

if TYPE_CHECKING:  # the suites' typed config imports the suites
    from trustbench.privacy.canaries import CanarySet
    from trustbench.suites.config import SuiteConfig
    from trustbench.suites.data.suite import DataAudit
    from trustbench.suites.keys import KeyNames


def registered_result(
    family: str,
    name: str,
    value: float | None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    detail: str | None = None,
    **fields: Any,
) -> MetricResult:
    """A MetricResult whose direction and definition come from the metric registry.

    ``f"{family}/{name}"`` must resolve to a registered metric (an unregistered key is a
    ConfigError naming the closest template), so a suite cannot log a number whose meaning
    is declared nowhere. ``detail`` is appended to the registered definition (the split,
    the group, the number of steps: what this value is, beyond what the metric is).
    """
    spec = REGISTRY.require(f"{family}/{name}").spec
    definition = spec.definition if not detail else f"{spec.definition}; {detail}"
    if ci_low is not None and ci_high is not None:  # an interval never leaves the range
        ci_low, ci_high = spec.clip(ci_low), spec.clip(ci_high)
    return MetricResult(
        family,
        name,
        value,
        ci_low,
        ci_high,
        direction=spec.direction,
        definition=definition,
        **fields,
    )


class NotApplicable(Exception):
    """Raised by a suite that cannot apply to this model or dataset; the message says why."""


@dataclass
class ScoringContext:
    """Shared state of one scoring pass.

    Attributes
    ----------
    model : facade model
    task : TaskData
    proba : dict of split name to (n, n_classes) array
        Predicted probabilities, computed once per split.
    config : SuiteConfig
        The whole typed suite config (``suite.*``, :mod:`trustbench.suites.config`).
    seed : int
    training : TrainingRecord
        The trainer's record (the DP guarantee is ``training.dp``).
    canaries : CanarySet or None
        The candidate canaries of the privacy suite's canary audit (those inserted into the
        training data and those held back); None when the run inserted none. They travel
        here, never on the model, so that a logged model carries no audit data.
    reference_recipe : unfitted model or None
        Whose recipe the privacy audit's reference models follow; None: the target's own (a
        model the harness trained). A model the harness did not train (a challenge
        submission) carries no recipe, so its scorer declares one.
    data_audit : DataAudit or None
        The data suite's model-free audit when it ran before training (the ``trustbench``
        command); None: the data suite runs it itself.
    artifacts : dict
        Files the suites produce, by artifact path.
    """

    model: Any
    task: TaskData
    proba: dict[str, np.ndarray]
    config: SuiteConfig
    seed: int = 0
    training: TrainingRecord = field(default_factory=TrainingRecord)
    canaries: CanarySet | None = None
    reference_recipe: Any = None
    data_audit: DataAudit | None = None
    artifacts: dict[str, Any] = field(default_factory=dict)
    _counts: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False)
    _key_names: KeyNames | None = field(default=None, repr=False)

    @property
    def key_names(self) -> KeyNames:
        """Key components of the task's attribute names, group labels and sites, over every
        split (:func:`trustbench.suites.keys.key_names`): distinct labels, distinct keys."""
        if self._key_names is None:
            from trustbench.suites.keys import key_names

            self._key_names = key_names(self.task)
        return self._key_names

    @property
    def n_resamples(self) -> int:
        return self.config.bootstrap.n_resamples

    @property
    def ci_level(self) -> float:
        return self.config.bootstrap.level

    def split(self, name: str) -> Split:
        return self.task.splits[name]

    def y_pred(self, split: str) -> np.ndarray:
        """Predicted class index (argmax of the probabilities)."""
        return np.argmax(self.proba[split], axis=1)

    def counts(self, split: str, n: int | None = None) -> np.ndarray:
        """Bootstrap resample counts ``(n_resamples, n)`` for a split, the same for every metric.

        Sharing one set of replicates across a split's metrics keeps their intervals
        jointly consistent (a difference of two metrics uses the same resamples).
        """
        n = len(self.proba[split]) if n is None else n
        key = (split, n)
        if key not in self._counts:
            offset = sum(map(ord, split))
            rng = np.random.default_rng([self.seed, offset, n])
            self._counts[key] = bootstrap_counts(n, self.n_resamples, rng)
        return self._counts[key]

    def estimate(
        self,
        family: str,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        split: str,
        counts: np.ndarray | None = None,
        detail: str | None = None,
        n: int | None = None,
        note: str | None = None,
        denominator: float | None = None,
        **kwargs: Any,
    ) -> MetricResult:
        """Point value and confidence interval of ``fn(*args, weights=...)``.

        One call on the stacked weights ``[ones; counts]`` gives the point value (row 0) and
        every replicate (rows 1..). Direction, definition and interval method come from the
        metric registry; a rate ``k / n`` passes its ``denominator`` (see :meth:`from_row`).
        """
        if counts is None:
            counts = self.counts(split)
        row = np.asarray(fn(*args, weights=stacked(counts), **kwargs), dtype=float)
        return self.from_row(
            family,
            name,
            row,
            detail=detail,
            n=int(counts.shape[1]) if n is None else n,
            split=split,
            note=note,
            denominator=denominator,
        )

    def from_row(
        self,
        family: str,
        name: str,
        row: np.ndarray,
        *,
        n: int,
        split: str,
        detail: str | None = None,
        note: str | None = None,
        denominator: float | None = None,
        interval: tuple[float, float, str] | None = None,
        worst_of: str | None = None,
    ) -> MetricResult:
        """A MetricResult from a ``(1 + B,)`` row: the point value, then ``B`` bootstrap
        replicates; direction, definition and interval method from the registry
        (:func:`registered_result`).

        A rate ``k / n`` passes its ``denominator`` (the group's positives for a TPR): its
        interval is then the registered one (``jeffreys``) and ``n`` reports the denominator,
        not the group size. ``interval`` ``(low, high, method)`` overrides a computed one (a
        gap's ``box`` interval). ``worst_of`` names the attribute, group or site a worst case
        comes from (:attr:`MetricResult.worst_of`).
        """
        spec = REGISTRY.require(f"{family}/{name}").spec
        if interval is None:
            low, high, method = self.interval_by(spec.interval, row, denominator)
        else:
            low, high, method = interval
        return registered_result(
            family,
            name,
            float(row[0]),
            low,
            high,
            detail=detail,
            n=n if denominator is None else round(float(denominator)),
            split=split,
            ci_level=self.ci_level,
            ci_method=method if np.isfinite(low) else None,
            note=note,
            worst_of=worst_of,
        )

    def interval_by(
        self, method: str, row: np.ndarray, denominator: float | None = None
    ) -> tuple[float, float, str]:
        """``(low, high, method used)`` of a ``(1 + B,)`` row by a registered interval method
        (:func:`trustbench.metrics.intervals.interval_of`: ``jeffreys`` without a denominator
        falls back to the percentile bootstrap, and says so)."""
        row = np.asarray(row, dtype=float)
        return interval_of(method, float(row[0]), row[1:], self.ci_level, denominator)

    def interval(self, replicates: np.ndarray) -> tuple[float, float]:
        """Percentile interval of precomputed replicates at the configured level."""
        return interval_of("percentile", float("nan"), replicates, self.ci_level)[:2]
