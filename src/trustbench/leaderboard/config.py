"""The typed ``trustbench-leaderboard`` config: ``configs/leaderboard.yaml`` checked on load.

Source of truth: the YAML. Every option's default is written once there; the dataclasses
declare names and types. :func:`load_board_config` completes a (partial) mapping from the
YAML, refuses an unknown key (with the closest valid one), a wrong type or a value the board
cannot use, in one line naming the key, before any run is read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from trustbench.errors import ConfigError
from trustbench.options import load, merge

__all__ = ["LeaderboardConfig", "RankingOptions", "check_override_keys", "load_board_config"]

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "leaderboard.yaml"


@dataclass(frozen=True)
class RankingOptions:
    """``ranking``: which metrics rank the rows, and how."""

    metrics: list[str] | None  # null: the metric registry's ranking defaults
    exclude: list[str]
    min_coverage: float
    min_seeds: int  # fewer seeds: the row is flagged and the board warns
    primary: str
    n_bootstrap: int
    seed: int


@dataclass(frozen=True)
class LeaderboardConfig:
    """The whole ``leaderboard.yaml`` (Hydra's own keys aside)."""

    tracking_uri: str
    experiments: list[str | int]
    filter: str
    page_size: int
    fast_sql: bool
    read_reports: bool
    output_dir: str
    title: str
    group_by: list[str] | None
    columns: list[str]
    exclude_columns: list[str]
    ranking: RankingOptions
    ci_level: float
    tradeoffs: list[dict[str, Any]]


@functools.lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    loaded = OmegaConf.to_container(OmegaConf.load(CONFIG), resolve=True)
    return {k: v for k, v in loaded.items() if k not in ("defaults", "hydra")}


def _check(cfg: LeaderboardConfig) -> LeaderboardConfig:
    from trustbench.leaderboard.rank import PRIMARY

    if cfg.ranking.primary not in PRIMARY:
        raise ConfigError(
            f"ranking.primary must be one of {PRIMARY}; received {cfg.ranking.primary!r}"
        )
    if not 0 < cfg.ci_level < 1:
        raise ConfigError(f"ci_level must be in (0, 1); received {cfg.ci_level!r}")
    if not 0 <= cfg.ranking.min_coverage <= 1:
        raise ConfigError(
            f"ranking.min_coverage must be in [0, 1]; received {cfg.ranking.min_coverage!r}"
        )
    if cfg.ranking.min_seeds < 1:
        raise ConfigError(
            "ranking.min_seeds must be a positive integer (a number of seeds, at least 1); "
            f"received {cfg.ranking.min_seeds!r}"
        )
    if cfg.ranking.n_bootstrap < 1:
        raise ConfigError(
            f"ranking.n_bootstrap must be at least 1; received {cfg.ranking.n_bootstrap!r}"
        )
    if not cfg.experiments:
        raise ConfigError("experiments must name at least one MLflow experiment; received none")
    for i, spec in enumerate(cfg.tradeoffs):
        missing = [k for k in ("name", "title", "x", "y") if k not in spec]
        if missing:
            raise ConfigError(f"tradeoffs[{i}] needs keys name, title, x, y; missing {missing}")
    return cfg


def load_board_config(cfg: Mapping[str, Any] | LeaderboardConfig) -> LeaderboardConfig:
    """The typed config of a resolved mapping (completed from ``leaderboard.yaml``)."""
    if isinstance(cfg, LeaderboardConfig):
        return cfg
    given = {k: v for k, v in dict(cfg).items() if k != "hydra"}
    return _check(load(LeaderboardConfig, merge(_defaults(), given), ""))


def check_override_keys(args: list[str]) -> None:
    """Refuse, in one line with the closest valid key, a ``key=value`` command-line override
    whose key the config lacks (instead of Hydra's multi-line "not in struct")."""
    import dataclasses
    import typing

    from trustbench.options import check_keys

    for arg in args:
        if arg.startswith(("-", "+", "~", "hydra")) or "=" not in arg:
            continue
        parts = arg.split("=", 1)[0].split(".")
        cls: Any = LeaderboardConfig
        for depth, part in enumerate(parts):
            if not dataclasses.is_dataclass(cls):
                break
            check_keys(
                ".".join(parts[:depth]), {part: None}, [f.name for f in dataclasses.fields(cls)]
            )
            cls = typing.get_type_hints(cls)[part]
