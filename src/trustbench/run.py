"""The ``trustbench`` command: one experiment, or a sweep with ``-m``.

Thin by design: argument checks, then :func:`trustbench.experiment.run_experiment`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import hydra
from hydra.errors import CompactHydraException, OverrideParseException
from omegaconf import DictConfig

from trustbench.errors import TrustbenchError
from trustbench.registry import unknown_name_message

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
#: One config group per suite section: ``configs/suite/<section>/``.
SUITE_GROUPS = tuple(
    f"suite/{p.name}" for p in sorted((CONFIG_DIR / "suite").iterdir()) if p.is_dir()
)
GROUPS = ("dataset", "model", "trainer", "explainer", *SUITE_GROUPS, "tracking", "experiment")
#: Where ``suite.explainability.options.<explainer>.<option>=...`` overrides live (checked
#: against the explainer, then added: the node holds no keys until one is given).
EXPLAINER_OPTIONS = ("suite", "explainability", "options")
#: Flags that choose another primary config; the key check then leaves it to Hydra.
PRIMARY_CONFIG_FLAGS = ("--config-name", "-cn", "--config-path", "-cp", "--config-dir", "-cd")
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
    except OverrideParseException:  # Hydra reports its own syntax errors with context
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


def check_key_overrides(args: list[str]) -> list[str]:
    """Fail fast, in one line, on ``a.b.c=value`` overrides naming a key the config lacks.

    The config is composed with the command's group choices (the first value of a swept group),
    and each dotted override's key is looked up in it: an unknown key is a
    :class:`~trustbench.errors.ConfigError` with the closest valid key, instead of Hydra's
    multi-line "Key ... is not in struct". ``suite.explainability.options.<explainer>.<option>``
    is checked against the explainer's options and, when valid, passed on as an addition
    (``++``). Returns the arguments to hand to Hydra.
    """
    from hydra import compose, initialize_config_module
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import DictConfig, OmegaConf

    from trustbench.options import check_keys

    if any(a.split("=")[0] in PRIMARY_CONFIG_FLAGS for a in args):
        return args
    candidates = [a for a in args if not a.startswith("-") and "=" in a]
    try:
        overrides = OverridesParser.create().parse_overrides(candidates)
    except OverrideParseException:  # Hydra reports its own syntax errors with context
        return args
    choices, keyed = [], []
    for line, override in zip(candidates, overrides, strict=True):
        key = override.key_or_group
        if override.package is not None or override.is_delete() or key.startswith("hydra"):
            continue
        if "." not in key and group_options(key):
            if override.is_sweep_override():
                choices.append(f"{key}={next(iter(override.sweep_string_iterator()))}")
            else:
                choices.append(f"{key}={override.get_value_element_as_str()}")
        elif "." in key and not override.is_add() and not override.is_force_add():
            keyed.append((line, key))
    if not keyed:
        return args
    try:
        with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
            cfg = compose(config_name="config", overrides=choices)
    except Exception:  # a bad group choice or preset: Hydra says what is wrong
        return args
    rewritten = {}
    for line, key in keyed:
        parts = key.split(".")
        if tuple(parts[:3]) == EXPLAINER_OPTIONS and len(parts) == 5:
            # imported here: the explainers bring pandas and scikit-learn in
            from trustbench.explain.options import check_explainer_options, options_of

            where = ".".join(parts[:4])
            check_explainer_options(parts[3], {}, where)  # a known explainer
            check_keys(where, {parts[4]: None}, list(options_of(parts[3])))
            rewritten[line] = f"++{line}"
            continue
        for depth, part in enumerate(parts):
            parent = ".".join(parts[:depth])
            node = OmegaConf.select(cfg, parent) if parent else cfg
            if not isinstance(node, DictConfig):
                break  # a value or null: Hydra decides what an override below it means
            check_keys(parent, {part: None}, [str(k) for k in node])
    return [rewritten.get(a, a) for a in args]


#: Launchers of Hydra plugins that an extra installs: name -> (plugin module, pip extra).
LAUNCHER_PLUGINS = {
    "ray": ("hydra_plugins.hydra_ray_launcher", "ray"),
    "ray_aws": ("hydra_plugins.hydra_ray_launcher", "ray"),
    "ray_cluster": ("hydra_plugins.hydra_ray_launcher", "ray"),
    "submitit_slurm": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "submitit_local": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "slurm": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
}


def _override_values(args: list[str]) -> list[tuple[str, list[Any]]]:
    """``(key, values)`` of each ``key=value`` override (every value of a sweep); [] when
    Hydra cannot parse them (Hydra then reports its own syntax error)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    candidates = [a for a in args if not a.startswith("-") and "=" in a]
    try:
        overrides = OverridesParser.create().parse_overrides(candidates)
    except OverrideParseException:
        return []
    out = []
    for override in overrides:
        if override.is_delete():
            continue
        if override.is_sweep_override():
            values = list(override.sweep_iterator())
        else:
            values = [override.value()]
        out.append((override.key_or_group, values))
    return out


def check_seed_overrides(args: list[str]) -> None:
    """Fail fast, in one line, before Hydra composes or launches anything, on a ``seed=...``
    override (or sweep value) that is not an integer in ``[0, 2**32 - 1]``:
    ``seed: expected an integer, got 'abc'.`` (:func:`trustbench.options.check_value`, as
    :func:`trustbench.experiment.check_run_options` does again on the composed config).

    Raises
    ------
    ConfigError
        Naming ``seed``, what was expected and the value received.
    """
    from trustbench.errors import ConfigError
    from trustbench.options import check_value

    for key, values in _override_values(args):
        if key != "seed":
            continue
        for value in values:
            if isinstance(value, str) and "${" in value:
                continue  # an interpolation: checked on the composed config
            seed = check_value(value, int, "seed")
            if not 0 <= seed < 2**32:
                raise ConfigError(
                    f"seed: expected an integer in [0, 2**32 - 1] (numpy and scikit-learn "
                    f"seeds), got {seed!r}."
                )


def check_launcher_overrides(args: list[str]) -> None:
    """Fail fast, in one line, on ``hydra/launcher=<name>`` naming a launcher whose Hydra
    plugin is not installed, with the pip extra that installs it, instead of Hydra's
    "Could not find 'hydra/launcher/ray'" and its search path.

    Raises
    ------
    TrustbenchError
        Naming the launcher, the missing plugin and the ``pip install`` command.
    """
    import importlib.util

    for key, values in _override_values(args):
        if key != "hydra/launcher":
            continue
        for value in values:
            if str(value) not in LAUNCHER_PLUGINS:
                continue
            module, extra = LAUNCHER_PLUGINS[str(value)]
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                package = module.rsplit(".", 1)[1].replace("_", "-")
                raise TrustbenchError(
                    f"hydra/launcher={value}: the launcher's Hydra plugin ({package}) is not "
                    f'installed; install the [{extra}] extra: pip install -e ".[{extra}]" '
                    f'(from a checkout; else pip install "trustbench[{extra}]")'
                )


def check_tracking_server(cfg: DictConfig) -> None:
    """Fail fast, in one line, when the run's tracking server does not answer: before the
    data are loaded (the store itself is opened later, by
    :func:`~trustbench.tracking.prepare_experiment`, which checks again).

    Raises
    ------
    ConfigError
        From :func:`trustbench.tracking.server_check.check_server`, naming the URI, what is
        wrong and the fix.
    """
    from omegaconf import OmegaConf

    from trustbench.tracking.server_check import check_server

    uri = OmegaConf.select(cfg, "tracking.uri", default=None, throw_on_resolution_failure=False)
    if isinstance(uri, str) and "://" in uri:
        check_server(uri)


#: The line a job stopped by SIGTERM ends with (exit status 143 = 128 + SIGTERM).
STOPPED_LINE = (
    "trustbench: stopped by SIGTERM; its MLflow run, if one was open, ends KILLED; run the "
    "same command with resume=true to run what did not finish"
)
#: The process that parsed the command line; a sweep job in another process is a worker's.
_LAUNCHER_PID: int | None = None


class JobStopped(CompactHydraException):
    """A sweep job that stopped (SIGTERM to its worker, a logging failure): Hydra records the
    job as failed and prints this one line, the sweep's other jobs still run, and the sweep
    exits 1. Raised instead of ``SystemExit``, which would end the joblib worker and with it
    the whole sweep."""


def _stop_job(line: str, code: int, *, sweep_goes_on: bool) -> NoReturn:
    """End the job with one error ``line``: ``SystemExit(code)`` for a single run (or when
    the whole sweep is to stop), :class:`JobStopped` for a sweep job whose sweep goes on."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if sweep_goes_on and HydraConfig.get().mode == RunMode.MULTIRUN:
        log.error("%s", line)
        raise JobStopped(line) from None
    print(line, file=sys.stderr)
    raise SystemExit(code) from None


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def app(cfg: DictConfig) -> float | None:
    """Hydra entry: run one experiment and print its summary table; a failed suite ends the
    command with one error line and exit status 1 (in a sweep: the job fails, the others run)."""
    from trustbench.experiment import run_experiment
    from trustbench.tracking import LoggingFailed
    from trustbench.tracking.runs import Terminated, sigterm_raises

    try:
        with sigterm_raises():  # from the first step: a stopped job ends, its run KILLED
            check_tracking_server(cfg)
            result = run_experiment(cfg)
    except TrustbenchError as exc:
        print(f"trustbench: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except LoggingFailed as exc:  # its artifacts are saved locally; the line says where
        _stop_job(f"trustbench: error: {exc}", 1, sweep_goes_on=True)
    except Terminated:
        _stop_job(STOPPED_LINE, 143, sweep_goes_on=os.getpid() != _LAUNCHER_PID)
    if result.skipped:
        log.info("skipped (resume=true): FINISHED run %s has the same identity", result.run_id)
        return None
    from trustbench.run_summary import show_result

    show_result(result)
    failure = result.failure_line()
    if failure is not None:  # a failed suite is a failed run: never exit 0
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        from trustbench.experiment import SuitesFailed

        if HydraConfig.get().mode == RunMode.MULTIRUN:  # the sweep's other jobs still run
            log.error("trustbench: error: %s", failure)
            raise SuitesFailed(failure) from None
        print(f"trustbench: error: {failure}", file=sys.stderr)
        raise SystemExit(1)
    return None


def main() -> None:
    """Console-script entry point."""
    global _LAUNCHER_PID
    _LAUNCHER_PID = os.getpid()
    try:
        check_group_overrides(sys.argv[1:])
        check_launcher_overrides(sys.argv[1:])
        check_seed_overrides(sys.argv[1:])
        sys.argv[1:] = check_key_overrides(sys.argv[1:])
    except TrustbenchError as exc:
        print(f"trustbench: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app()


if __name__ == "__main__":
    main()
