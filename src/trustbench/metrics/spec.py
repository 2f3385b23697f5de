"""What one metric is: :class:`MetricSpec`, the entry every metric has once in the registry.

A spec says what a number means (direction, range, definition), where it is logged (key
templates) and what computing it needs. Suites, the console summary, the trust card, the
leaderboard and the docs tables all read specs from :data:`trustbench.metrics.REGISTRY`;
nothing else restates them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DIRECTIONS",
    "FAMILIES",
    "INTERVALS",
    "NEEDS",
    "MetricSpec",
    "arrow",
    "check_direction",
    "direction_text",
    "oriented",
    "target_of",
]

FAMILIES = (
    "data",
    "performance",
    "fairness",
    "generalization",
    "uncertainty",
    "explainability",
    "privacy",
)

#: What computing a metric can need; a black-box model offers only ``model_queries``.
NEEDS = {
    "features": "the feature values of the rows (table columns or image pixels)",
    "labels": "the true labels of the scored rows",
    "probabilities": "the model's predicted class probabilities",
    "sensitive": "a sensitive attribute per row",
    "sites": "a site (hospital, scanner) per row",
    "ood": "an out-of-distribution split",
    "model_queries": "new predictions on perturbed or shifted inputs",
    "gradients": "gradients of the model (a torch model)",
    "parameters": "access to the model's parameters (randomisation test)",
    "retraining": "training reference models with the target's recipe",
    "dp_accountant": "a DP-SGD training record (epsilon, delta, accountant)",
    "ground_truth": "ground-truth feature importances",
    "masks": "ground-truth pixel masks",
    "members": "the training rows (members) and held-out rows",
}

#: The interval methods a metric can name (:mod:`trustbench.metrics.intervals` defines them).
#: (``box``, a gap's fallback computed from per-group intervals, is never a registered method.)
INTERVALS = ("percentile", "bc", "recentred", "jeffreys", "hull")

#: ``none``: a descriptive value with no better direction (a group's selection rate); it is
#: shown but never ranked. ``target:<x>`` directions come in addition.
DIRECTIONS = ("max", "min", "none")
_TARGET = re.compile(r"^target:(-?\d+(\.\d+)?)$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def check_direction(direction: str) -> str:
    """``direction`` unchanged if it is ``max``, ``min`` or ``target:<number>``; else ValueError."""
    if direction in DIRECTIONS or _TARGET.match(str(direction)):
        return direction
    raise ValueError(
        f"direction must be 'max', 'min', 'none' or 'target:<number>' (e.g. 'target:0'); "
        f"received {direction!r}"
    )


def target_of(direction: str) -> float | None:
    """The ideal value of a ``target:<x>`` direction, else None."""
    found = _TARGET.match(str(direction))
    return float(found.group(1)) if found else None


#: Marker and words of each plain direction (``target:x`` is ``→x``, "x is ideal").
_WORDS = {
    "max": ("↑", "higher is better"),
    "min": ("↓", "lower is better"),
    "none": ("·", "no better direction"),
}


def _marker(direction: str | None) -> tuple[str, str]:
    if direction in _WORDS:
        return _WORDS[direction]
    target = target_of(direction or "")
    return (
        ("?", "direction unknown") if target is None else (f"→{target:g}", f"{target:g} is ideal")
    )


def arrow(direction: str | None) -> str:
    """Short marker: ``↑`` (higher is better), ``↓`` (lower), ``→x`` (x is ideal), ``·``
    (descriptive), ``?`` (unknown)."""
    return _marker(direction)[0]


def direction_text(direction: str | None) -> str:
    """Marker and words, as the trust card shows them (``↑ higher is better``)."""
    mark, words = _marker(direction)
    return f"{mark[0]} {words}"  # the target's value is in the words


def oriented(value: Any, direction: str) -> Any:
    """``value`` turned so that higher is better: ``max`` keeps it, ``min`` negates it,
    ``target:x`` gives ``-|value - x|``. Works on floats and numpy arrays."""
    import numpy as np

    if direction == "max":
        return value
    if direction == "min":
        return -value
    target = target_of(direction)
    if target is None:
        raise ValueError(
            f"direction {direction!r} has no ordering: only 'max', 'min' and 'target:<x>' rank"
        )
    return -np.abs(value - target)


@dataclass(frozen=True)
class MetricSpec:
    """One metric, declared once.

    Attributes
    ----------
    name : str
        The last component of every key the metric is logged under; may hold one
        ``{parameter}`` (``tpr_at_fpr_{level}``).
    family : str
        One of :data:`FAMILIES`.
    direction : str
        ``max`` (higher is better), ``min`` (lower is better), ``target:<x>`` (x is ideal) or
        ``none`` (descriptive; no better direction, never ranked).
    lower, upper : float
        The range of the metric (either may be infinite). Intervals shown anywhere are
        clipped to it.
    definition : str
        The formula (and the reference it agrees with).
    keys : tuple of str
        Key templates, ``<family>/<scope...>/{metric}``: ``{metric}`` is :attr:`name`, every
        other ``{placeholder}`` is one path component (an explainer, attack, attribute, group,
        site, severity, ...). The first template is the primary one.
    needs : frozenset of str
        What computing the metric needs (see :data:`NEEDS`).
    headline : bool
        Whether the metric is a headline of its family (console, trust card).
    rank : tuple of str
        Key patterns (``fnmatch``; ``*`` matches ``/`` too) that the leaderboard ranks on by
        default; empty for metrics the default ranking leaves out.
    fn : callable or None
        ``fn(..., weights=None)`` computing the metric, where one function does.
    version : int
        Bumped when the definition changes, so values of different versions are not compared.
    interval : str
        How its confidence interval is computed (one of :data:`INTERVALS`, defined in
        :mod:`trustbench.metrics.intervals`): ``jeffreys`` for a rate ``k / n`` whose call site
        passes the denominator (a bootstrap percentile interval otherwise), ``bc`` for
        statistics the plug-in estimate biases (gaps between groups), ``recentred`` for the
        binned calibration errors, ``percentile`` for the rest.
    """

    name: str
    family: str
    direction: str
    lower: float
    upper: float
    definition: str
    keys: tuple[str, ...]
    needs: frozenset[str] = frozenset({"labels", "probabilities"})
    headline: bool = False
    rank: tuple[str, ...] = ()
    fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    version: int = 1
    interval: str = "percentile"

    def __post_init__(self) -> None:
        where = f"metric {self.family}/{self.name}"
        if self.family not in FAMILIES:
            raise ValueError(f"{where}: family must be one of {FAMILIES}; got {self.family!r}")
        try:
            check_direction(self.direction)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if not self.lower <= self.upper:
            raise ValueError(f"{where}: lower {self.lower} exceeds upper {self.upper}")
        if not self.keys:
            raise ValueError(f"{where}: needs at least one key template")
        for template in self.keys:
            parts = template.split("/")
            if parts[0] != self.family or parts[-1] != "{metric}":
                raise ValueError(
                    f"{where}: key template {template!r} must read '{self.family}/.../{{metric}}'"
                )
        if self.interval not in INTERVALS:
            raise ValueError(f"{where}: interval must be one of {INTERVALS}; got {self.interval!r}")
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"{where}: unknown needs {sorted(unknown)}; known: {sorted(NEEDS)}")

    @property
    def parameters(self) -> tuple[str, ...]:
        """Placeholders of :attr:`name` (``("level",)`` for ``tpr_at_fpr_{level}``)."""
        return tuple(_PLACEHOLDER.findall(self.name))

    @property
    def ranks(self) -> bool:
        """Whether the direction orders values (``none`` does not)."""
        return self.direction != "none"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the metric's range (NaN counts as inside: undefined)."""
        return math.isnan(value) or self.lower <= value <= self.upper

    def clip(self, value: float | None) -> float | None:
        """``value`` clipped to the range (None stays None)."""
        if value is None:
            return None
        return min(max(float(value), self.lower), self.upper)
