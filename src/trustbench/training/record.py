"""The record of how a model was trained: typed, JSON round-trip, flat for the run's params.

A trainer returns a :class:`TrainingRecord` beside the fitted model; the suites read it (the
privacy suite states the DP guarantee from ``record.dp`` and trains its reference models by
the same recipe), the report keeps its flat form (``TrustReport.run["training"]``,
:meth:`TrainingRecord.to_dict`) and the tracking layer logs that form as ``training.<key>``
params. :meth:`TrainingRecord.from_dict` reads it back.

The flat form holds the fields that were recorded, in this order: ``trainer``, ``seconds``,
the DP fields (:class:`DPRecord`) or the fairness-mitigation fields (:class:`FairRecord`),
``canaries_inserted``, ``threads``. A field that was not recorded (``None``) is left out, with
one exception: a DP record that has a ``noise_multiplier`` always states its
``target_epsilon``, ``None`` when the noise multiplier was fixed rather than calibrated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from trustbench.errors import ConfigError
from trustbench.registry import unknown_name_message

__all__ = ["DPRecord", "FairRecord", "TrainingRecord"]


@dataclass(frozen=True)
class DPRecord:
    """What DP-SGD training (``trainer=dp``) guarantees and how it ran.

    Attributes
    ----------
    epsilon, delta : the accountant's guarantee after training.
    accountant : ``"prv"``, ``"rdp"`` or ``"gdp"`` (Opacus's accountants).
    target_epsilon : the epsilon the noise was calibrated for, or None (fixed noise multiplier).
    noise_multiplier : sigma of the Gaussian noise, in units of ``max_grad_norm``.
    sample_rate : Poisson sampling rate ``q`` (1 / batches per epoch).
    steps, accounted_steps : optimiser steps taken, and steps the accountant counted.
    epochs, max_grad_norm, grad_sample_mode, poisson_sampling : the DP-SGD settings.
    """

    epsilon: float
    delta: float
    accountant: str | None = None
    target_epsilon: float | None = None
    noise_multiplier: float | None = None
    sample_rate: float | None = None
    steps: int | None = None
    accounted_steps: int | None = None
    epochs: int | None = None
    max_grad_norm: float | None = None
    grad_sample_mode: str | None = None
    poisson_sampling: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for name in _DP_ORDER:
            value = getattr(self, name)
            always = name == "target_epsilon" and self.noise_multiplier is not None
            if value is not None or always:
                out[name] = value
        return out


#: The order of the DP fields in the flat form (the accountant first, as runs have logged it).
_DP_ORDER = ("accountant", *(f.name for f in fields(DPRecord) if f.name != "accountant"))


@dataclass(frozen=True)
class FairRecord:
    """How a fairness-mitigated model (``trainer=fair``, fairlearn) was trained.

    Attributes
    ----------
    method : ``exponentiated_gradient``, ``grid_search`` or ``threshold_optimizer``.
    constraint : the fairness constraint (``equalized_odds``, ...).
    tolerance : the violation effectively allowed.
    sensitive : the attribute(s) the constraint is over, comma-separated.
    randomized, random_state : whether predictions are randomized, and their seed.
    predict_proba : what the model's ``predict_proba`` returns.
    max_iter, n_predictors : exponentiated gradient's iterations and predictors kept.
    grid_size : grid search's grid points.
    objective : threshold optimizer's objective.
    postprocess_fraction, postprocess_rows : the threshold optimizer's held-out share of
        ``train`` (the model trains on the rest) and its row count.
    changed_fraction : share of the rows the mitigator was fitted on whose ``P(yhat = 1)``
        differs from the unmitigated model's prediction.
    warning : set when the mitigation changed nothing (no row, or no group rate it constrains).
    """

    method: str
    constraint: str
    tolerance: float | None = None
    sensitive: str | None = None
    randomized: bool | None = None
    random_state: int | None = None
    predict_proba: str | None = None
    max_iter: int | None = None
    n_predictors: int | None = None
    grid_size: int | None = None
    objective: str | None = None
    postprocess_fraction: float | None = None
    postprocess_rows: int | None = None
    changed_fraction: float | None = None
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


_DP_KEYS = _DP_ORDER
_FAIR_KEYS = tuple(f.name for f in fields(FairRecord))
_OWN_KEYS = ("trainer", "seconds", "canaries_inserted", "threads")


@dataclass(frozen=True)
class TrainingRecord:
    """The facts of one model's training.

    Attributes
    ----------
    trainer : str or None
        The trainer's name (``standard``, ``dp``, ``fair``); None for a model trained
        elsewhere (handed to :func:`trustbench.score` without a record).
    seconds : float or None
        Wall-clock fit time.
    dp : DPRecord or None
        The DP guarantee (DP-SGD runs only).
    fair : FairRecord or None
        The mitigation settings (``trainer=fair`` only).
    canaries_inserted : int or None
        Canaries of the privacy suite's canary audit that were trained on.
    threads : int or None
        The run's thread budget.
    """

    trainer: str | None = None
    seconds: float | None = None
    dp: DPRecord | None = None
    fair: FairRecord | None = None
    canaries_inserted: int | None = None
    threads: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The flat form: what the report holds and the run logs as ``training.<key>``."""
        out: dict[str, Any] = {}
        for name in ("trainer", "seconds"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.dp is not None:
            out.update(self.dp.to_dict())
        if self.fair is not None:
            out.update(self.fair.to_dict())
        for name in ("canaries_inserted", "threads"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainingRecord:
        """Read the flat form back (a DP record when it has ``epsilon``, a fairness record when
        it has ``method``).

        Raises
        ------
        ConfigError
            For a key that no record field holds, naming the closest one.
        """
        known = set(_OWN_KEYS) | set(_DP_KEYS) | set(_FAIR_KEYS)
        for key in values:
            if key not in known:
                raise ConfigError(unknown_name_message("training record key", key, sorted(known)))
        dp = fair = None
        dp_keys = [k for k in _DP_KEYS if k in values]
        if dp_keys:
            if "epsilon" not in values or "delta" not in values:
                raise ConfigError(
                    f"a training record with DP fields {dp_keys} needs both 'epsilon' and "
                    f"'delta'; received {sorted(values)}"
                )
            dp = DPRecord(**{k: values[k] for k in dp_keys})
        if "method" in values:
            fair = FairRecord(**{k: values[k] for k in _FAIR_KEYS if k in values})
        return cls(dp=dp, fair=fair, **{k: values[k] for k in _OWN_KEYS if k in values})

    @classmethod
    def coerce(cls, value: TrainingRecord | Mapping[str, Any] | None) -> TrainingRecord:
        """A record from a record, its flat form, or None (an empty record)."""
        if value is None:
            return cls()
        if isinstance(value, TrainingRecord):
            return value
        return cls.from_dict(value)
