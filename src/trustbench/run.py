"""The ``trustbench`` command: one experiment, or a sweep with ``-m``.

Thin by design: argument checks, then :func:`trustbench.experiment.run_experiment`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from trustbench.errors import TrustbenchError
from trustbench.registry import unknown_name_message

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
GROUPS = ("dataset", "model", "trainer", "explainer", "suite", "tracking", "experiment")
log = logging.getLogger("trustbench")


def group_options(group: str) -> list[str]:
    """The config names available in a group folder of ``configs/``."""
    folder = CONFIG_DIR / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def check_group_overrides(args: list[str]) -> None:
    """Fail fast, in one line, on ``group=value`` overrides naming a config that does not exist.

    Handles sweeps (``model=logreg,gbdt``). Raises :class:`TrustbenchError` with the valid
    choices and the closest match.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    candidates = [a for a in args if not a.startswith("-") and "=" in a]
    try:
        overrides = OverridesParser.create().parse_overrides(candidates)
    except Exception:  # Hydra reports its own syntax errors with context; let it.
        return
    for override in overrides:
        group = override.key_or_group
        if group not in GROUPS or override.package is not None or override.is_delete():
            continue
        options = group_options(group)
        values = (
            list(override.sweep_string_iterator())
            if override.is_sweep_override()
            else [override.value()]
        )
        for value in values:
            if isinstance(value, str) and value not in options:
                raise TrustbenchError(unknown_name_message(group, value, options))


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def app(cfg: DictConfig) -> float | None:
    """Hydra entry: run one experiment and print its summary table."""
    from trustbench.experiment import run_experiment

    try:
        result = run_experiment(cfg)
    except TrustbenchError as exc:
        print(f"trustbench: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if result.skipped:
        log.info("skipped (resume=true): FINISHED run %s has the same identity", result.run_id)
        return None
    result.report.summary()
    log.info("done in %.1f s; MLflow run %s", result.seconds, result.run_id)
    return None


def main() -> None:
    """Console-script entry point."""
    try:
        check_group_overrides(sys.argv[1:])
    except TrustbenchError as exc:
        print(f"trustbench: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app()


if __name__ == "__main__":
    main()
