"""``trustbench-leaderboard``: build the static leaderboard from MLflow runs (Hydra config
``configs/leaderboard.yaml``)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from trustbench.errors import ConfigError, TrustbenchError
from trustbench.leaderboard.build import BoardOptions, build_board
from trustbench.leaderboard.render_html import to_html
from trustbench.leaderboard.render_tables import to_csv, to_json, to_markdown

log = logging.getLogger("trustbench.leaderboard")


def check_config(cfg: Mapping[str, Any]) -> None:
    """Fail before reading any run on values the board cannot use (ConfigError naming the key)."""
    from trustbench.leaderboard.rank import PRIMARY

    ranking = cfg.get("ranking", {}) or {}
    primary = ranking.get("primary", "win_rate")
    if primary not in PRIMARY:
        raise ConfigError(f"ranking.primary must be one of {PRIMARY}; received {primary!r}")
    level = cfg.get("ci_level", 0.95)
    if not 0 < float(level) < 1:
        raise ConfigError(f"ci_level must be in (0, 1); received {level!r}")
    coverage = ranking.get("min_coverage", 0.75)
    if not 0 <= float(coverage) <= 1:
        raise ConfigError(f"ranking.min_coverage must be in [0, 1]; received {coverage!r}")
    if int(ranking.get("n_bootstrap", 1000)) < 1:
        raise ConfigError(
            f"ranking.n_bootstrap must be at least 1; received {ranking.get('n_bootstrap')!r}"
        )
    if not cfg.get("experiments"):
        raise ConfigError("experiments must name at least one MLflow experiment; received none")
    for i, spec in enumerate(cfg.get("tradeoffs", []) or []):
        missing = [k for k in ("name", "title", "x", "y") if k not in spec]
        if missing:
            raise ConfigError(f"tradeoffs[{i}] needs keys name, title, x, y; missing {missing}")


def options_from_config(cfg: Mapping[str, Any]) -> BoardOptions:
    """The computation options of a resolved ``leaderboard.yaml`` (checked by :func:`check_config`)."""
    check_config(cfg)
    ranking = cfg.get("ranking", {}) or {}
    group_by = cfg.get("group_by")
    return BoardOptions(
        group_by=None if group_by is None else [str(k) for k in group_by],
        columns=list(cfg.get("columns", ["*"])),
        exclude_columns=list(cfg.get("exclude_columns", [])),
        ranking_metrics=None if ranking.get("metrics") is None else list(ranking["metrics"]),
        ranking_exclude=list(ranking.get("exclude", [])),
        min_coverage=float(ranking.get("min_coverage", 0.75)),
        primary=str(ranking.get("primary", "win_rate")),
        ci_level=float(cfg.get("ci_level", 0.95)),
        n_bootstrap=int(ranking.get("n_bootstrap", 1000)),
        seed=int(ranking.get("seed", 0)),
        tradeoffs=list(cfg.get("tradeoffs", [])),
        selection={
            "experiments": ", ".join(str(x) for x in cfg.get("experiments", [])),
            "filter": str(cfg.get("filter", "")),
        },
    )


def write_site(board: dict[str, Any], output_dir: Path, title: str) -> list[Path]:
    """Write ``index.html``, ``leaderboard.csv``, ``leaderboard.json``, ``leaderboard.md``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "index.html": to_html(board, title),
        "leaderboard.csv": to_csv(board),
        "leaderboard.json": to_json(board),
        "leaderboard.md": to_markdown(board),
    }
    written = []
    for name, text in files.items():
        path = output_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def build_from_store(cfg: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """Fetch the runs the config selects and build the board; returns it and the timings."""
    from trustbench.leaderboard.fetch import fetch_directions, fetch_runs
    from trustbench.tracking.store import resolve_tracking_uri

    options = options_from_config(cfg)
    uri = resolve_tracking_uri(str(cfg["tracking_uri"]))
    clock = time.perf_counter()
    records = fetch_runs(
        uri,
        [str(x) for x in cfg["experiments"]],
        str(cfg.get("filter", "")),
        int(cfg.get("page_size", 1000)),
        bool(cfg.get("fast_sql", True)),
    )
    timings = {"fetch": time.perf_counter() - clock}
    clock = time.perf_counter()
    directions = fetch_directions(uri, records) if cfg.get("read_reports", True) else {}
    timings["reports"] = time.perf_counter() - clock
    clock = time.perf_counter()
    board = build_board(records, directions, options)
    timings["build"] = time.perf_counter() - clock
    return board, timings


@hydra.main(version_base="1.3", config_path="../configs", config_name="leaderboard")
def app(cfg: DictConfig) -> None:
    """Hydra entry: build and write the site."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    start = time.perf_counter()
    try:
        board, timings = build_from_store(resolved)
    except TrustbenchError as exc:
        print(f"trustbench-leaderboard: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    clock = time.perf_counter()
    written = write_site(board, Path(resolved["output_dir"]), str(resolved.get("title", "")))
    timings["render"] = time.perf_counter() - clock
    c = board["counts"]
    log.info(
        "%d runs -> %d configurations (%d ranked, %d not ranked; excluded %d failed/killed, "
        "%d unfinished, %d duplicates)",
        c["runs"],
        c["configurations"],
        c["ranked"],
        c["partial"],
        c["excluded_failed"],
        c["excluded_unfinished"],
        c["excluded_duplicates"],
    )
    log.info(
        "built in %.2f s (fetch %.2f s, reports %.2f s, build %.2f s, render %.2f s): %s",
        time.perf_counter() - start,
        timings["fetch"],
        timings["reports"],
        timings["build"],
        timings["render"],
        ", ".join(str(p) for p in written),
    )


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
