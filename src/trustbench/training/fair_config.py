"""Configuration checks for ``trainer=fair``, run before any data is loaded.

Kept apart from :mod:`trustbench.training.fair` (which trains) so that ``validate_config`` can
check a fairness-mitigation config without importing fairlearn.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import hydra.utils

from trustbench.errors import ConfigError
from trustbench.registry import unknown_name_message

__all__ = [
    "CONSTRAINTS",
    "DEFAULT_POSTPROCESS_FRACTION",
    "METHODS",
    "OBJECTIVES",
    "REDUCTIONS",
    "check_fair_config",
]

METHODS = ("exponentiated_gradient", "grid_search", "threshold_optimizer")
REDUCTIONS = ("exponentiated_gradient", "grid_search")
CONSTRAINTS = ("demographic_parity", "equalized_odds", "true_positive_rate_parity")
OBJECTIVES = (
    "accuracy_score",
    "balanced_accuracy_score",
    "selection_rate",
    "true_positive_rate",
    "true_negative_rate",
)
EQUALIZED_ODDS_OBJECTIVES = ("accuracy_score", "balanced_accuracy_score")
DEFAULT_EPS = 0.01  # fairlearn's ExponentiatedGradient default
#: Share of train the threshold optimizer is fitted on (the model trains on the rest).
DEFAULT_POSTPROCESS_FRACTION = 0.3


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_fair_config(trainer_cfg: Mapping[str, Any], model_cfg: Mapping[str, Any]) -> None:
    """Check ``trainer=fair`` against the model before any data is loaded.

    Raises
    ------
    ConfigError
        For an unknown method, constraint or objective, a bad tolerance, grid size,
        iteration count or ``postprocess_fraction``, or a reductions method with a model it cannot train (reductions
        refit the estimator with sample weights: a scikit-learn estimator whose ``fit``
        accepts ``sample_weight``; the threshold optimizer post-processes any model).
    """
    method = str(trainer_cfg.get("method"))
    constraint = str(trainer_cfg.get("constraint"))
    objective = str(trainer_cfg["objective"])
    for key, value, allowed in (
        ("method", method, METHODS),
        ("constraint", constraint, CONSTRAINTS),
        ("objective", objective, OBJECTIVES),
    ):
        if value not in allowed:
            raise ConfigError(f"trainer.{key}: " + unknown_name_message(key, value, allowed))
    tolerance = trainer_cfg.get("tolerance")
    if tolerance is not None and (not _number(tolerance) or not 0 < float(tolerance) < 1):
        raise ConfigError(
            f"trainer.tolerance: expected null or a number in (0, 1), got {tolerance!r}"
        )
    fraction = trainer_cfg.get("postprocess_fraction", DEFAULT_POSTPROCESS_FRACTION)
    if not _number(fraction) or not 0 < float(fraction) < 1:
        raise ConfigError(
            "trainer.postprocess_fraction: expected a number in (0, 1), the share of train "
            f"the threshold optimizer is fitted on; received {fraction!r}"
        )
    for key in ("grid_size", "max_iter"):
        value = trainer_cfg.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise ConfigError(f"trainer.{key}: expected a positive integer, got {value!r}")
    sensitive = trainer_cfg.get("sensitive")
    if sensitive is not None and not (
        isinstance(sensitive, str)
        or (isinstance(sensitive, Sequence) and all(isinstance(s, str) for s in sensitive))
    ):
        raise ConfigError(
            f"trainer.sensitive: expected null, an attribute name or a list of names, got {sensitive!r}"
        )
    name, library = model_cfg.get("name", "?"), model_cfg.get("library")
    if method == "threshold_optimizer":
        if constraint == "equalized_odds" and tolerance is not None:
            raise ConfigError(
                "trainer.tolerance: fairlearn's ThresholdOptimizer enforces equalized_odds "
                f"exactly and cannot relax it; set trainer.tolerance=null (got {tolerance!r})"
            )
        if constraint == "equalized_odds" and objective not in EQUALIZED_ODDS_OBJECTIVES:
            raise ConfigError(
                f"trainer.objective: with constraint equalized_odds the threshold optimizer "
                f"supports {list(EQUALIZED_ODDS_OBJECTIVES)}; received '{objective}'"
            )
        return
    if library != "sklearn":
        raise ConfigError(
            f"trainer 'fair' method '{method}' (fairlearn reductions) needs a scikit-learn "
            f"estimator that accepts sample_weight; received model '{name}' ({library}); use "
            f"trainer.method=threshold_optimizer, which post-processes any model"
        )
    from sklearn.utils.validation import has_fit_parameter

    estimator = hydra.utils.instantiate(model_cfg["estimator"])
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ConfigError(
            f"trainer 'fair' method '{method}' (fairlearn reductions) needs an estimator whose "
            f"fit accepts sample_weight; {type(estimator).__name__} (model '{name}') does not; "
            f"use trainer.method=threshold_optimizer"
        )
