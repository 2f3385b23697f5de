"""Hydra callback: create the tracking store and experiment once, before a sweep fans out,
and print one table comparing the sweep's jobs when it ends."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trustbench.errors import TrustbenchError
from trustbench.tracking.store import prepare_experiment, resolve_tracking_uri

log = logging.getLogger(__name__)


class PrepareTrackingStore(Callback):
    """On multirun start, migrate the store and create the experiment in the launching process.

    Jobs then find both ready and start their runs with the experiment's id, which removes
    the schema-migration race and the ``set_experiment`` race of parallel MLflow jobs. It is
    the same :func:`~trustbench.tracking.store.prepare_experiment` (under the store's file
    lock) that single runs, :func:`trustbench.tracking.log` and the challenge scorer call.
    """

    sweep_dir: Path | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            uri = resolve_tracking_uri(config.tracking.uri)
            experiment_id = prepare_experiment(uri, config.tracking.experiment)
        except TrustbenchError as exc:  # an unusable store: one line, as a single run says it
            print(f"trustbench: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        log.info(
            "tracking store ready: %s (experiment %s, id %s)",
            uri,
            config.tracking.experiment,
            experiment_id,
        )

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Print the sweep's comparison table (:mod:`trustbench.reporting.sweep_table`)."""
        from trustbench.reporting.sweep_table import print_comparison

        if self.sweep_dir is not None:
            print_comparison(self.sweep_dir)
