"""What the ``trustbench`` command prints when a run ends.

A single run prints its headline table (:func:`trustbench.reporting.console.print_summary`)
closed by the trust card's path and the MLflow run id. A sweep job prints one line instead:
the sweep ends with one table comparing its jobs
(:class:`trustbench.tracking.callbacks.PrepareTrackingStore` at ``on_multirun_end``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from trustbench.experiment_result import ExperimentResult

log = logging.getLogger("trustbench")


def in_sweep() -> bool:
    """True inside a Hydra multirun job."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def show_result(result: ExperimentResult) -> None:
    """Print the run's summary (a single run) or its one line (a sweep job)."""
    if result.report is None:
        return
    if in_sweep():
        log.info(
            "done in %.1f s; MLflow run %s; trust card %s",
            result.seconds,
            result.run_id,
            result.trust_card,
        )
        return
    card = result.trust_card
    if card is not None and card.is_relative_to(Path.cwd()):  # short, and still a valid path
        card = card.relative_to(Path.cwd())
    result.report.summary(run_id=result.run_id, trust_card=card)
    log.info("done in %.1f s", result.seconds)
