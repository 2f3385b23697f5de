"""Suite options that name parts of the dataset, checked once it is loaded and before training.

:func:`trustbench.experiment.validate_config` checks every option's type and range before any
data are read; the few options that name a split, a feature or a sensitive attribute can only
be checked against the loaded :class:`~trustbench.data.task.TaskData`. Without this check they
would fail their suite after training.
"""

from __future__ import annotations

from trustbench.data.task import TaskData
from trustbench.errors import ConfigError
from trustbench.suites.config import SuiteConfig
from trustbench.suites.fairness.sensitive import intersection_pairs

__all__ = ["check_task_options"]


def check_task_options(suite: SuiteConfig, task: TaskData) -> None:
    """Refuse, in one line, an enabled suite's option that names what ``task`` lacks.

    Checked: ``suite.performance.split`` (a split the dataset has), the ``intersections``
    pairs of ``suite.fairness`` and ``suite.uncertainty`` (the dataset's sensitive
    attributes) and ``suite.generalization.shifts.feature`` (one of its continuous
    features). ``suite.fairness.split`` is not: a missing split makes that suite
    ``not_applicable``, with a note.

    Raises
    ------
    ConfigError
        Naming the key, what the dataset offers and what was received.
    """
    performance = suite.performance
    if performance.enabled and performance.split not in task.splits:
        raise ConfigError(
            f"suite.performance.split: expected a split of dataset '{task.name}' "
            f"({', '.join(task.splits)}), got '{performance.split}'"
        )
    names = list(task.sensitive_names)
    for section in ("fairness", "uncertainty"):
        cfg = getattr(suite, section)
        if not (cfg.enabled and names):
            continue
        try:
            intersection_pairs(names, cfg.intersections)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("suite.fairness.", f"suite.{section}.", 1)) from None
    generalization = suite.generalization
    shifts = generalization.shifts
    if generalization.enabled and shifts.kinds and shifts.severities and shifts.feature:
        continuous = task.features_of_kind("continuous")
        if shifts.feature not in continuous:
            raise ConfigError(
                f"suite.generalization.shifts.feature: expected a continuous feature of "
                f"dataset '{task.name}' ({', '.join(continuous) or 'none'}), got "
                f"'{shifts.feature}'; null picks the first continuous measurement"
            )
