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

from trustbench.errors import TrustbenchError
from trustbench.leaderboard.build import BoardOptions, build_board
from trustbench.leaderboard.config import LeaderboardConfig, load_board_config
from trustbench.leaderboard.links import add_card_links
from trustbench.leaderboard.render_html import to_html
from trustbench.leaderboard.render_tables import to_csv, to_json, to_markdown

log = logging.getLogger("trustbench.leaderboard")


def check_config(cfg: Mapping[str, Any]) -> LeaderboardConfig:
    """Fail before reading any run on values the board cannot use (ConfigError naming the key)."""
    return load_board_config(cfg)


def options_from_config(cfg: Mapping[str, Any] | LeaderboardConfig) -> BoardOptions:
    """The computation options of a resolved ``leaderboard.yaml`` (checked on load)."""
    board = load_board_config(cfg)
    ranking = board.ranking
    return BoardOptions(
        group_by=None if board.group_by is None else [str(k) for k in board.group_by],
        columns=list(board.columns),
        exclude_columns=list(board.exclude_columns),
        ranking_metrics=None if ranking.metrics is None else list(ranking.metrics),
        ranking_exclude=list(ranking.exclude),
        min_coverage=ranking.min_coverage,
        min_seeds=ranking.min_seeds,
        primary=ranking.primary,
        ci_level=board.ci_level,
        n_bootstrap=ranking.n_bootstrap,
        seed=ranking.seed,
        tradeoffs=list(board.tradeoffs),
        selection={
            "experiments": ", ".join(str(x) for x in board.experiments),
            "filter": board.filter,
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
    from trustbench.tracking.store_checks import store_errors

    board_cfg = load_board_config(cfg)
    options = options_from_config(board_cfg)
    uri = resolve_tracking_uri(board_cfg.tracking_uri)
    clock = time.perf_counter()
    with store_errors(uri):  # a damaged database is one line naming it, not a traceback
        records = fetch_runs(
            uri,
            [str(x) for x in board_cfg.experiments],
            board_cfg.filter,
            board_cfg.page_size,
            board_cfg.fast_sql,
        )
    timings = {"fetch": time.perf_counter() - clock}
    clock = time.perf_counter()
    directions = fetch_directions(uri, records) if board_cfg.read_reports else {}
    timings["reports"] = time.perf_counter() - clock
    clock = time.perf_counter()
    board = build_board(records, directions, options)
    add_card_links(board, records, uri, Path(board_cfg.output_dir))  # each run's trust card
    timings["build"] = time.perf_counter() - clock
    return board, timings


def log_summary(
    board: dict[str, Any], timings: dict[str, float], written: list[Path], seconds: float
) -> None:
    """Log what the board counted and how long it took; its warnings (a configuration with
    fewer seeds than ``ranking.min_seeds``) come last, as the line left on the screen."""
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
        seconds,
        timings["fetch"],
        timings["reports"],
        timings["build"],
        timings["render"],
        ", ".join(str(p) for p in written),
    )
    for text in board["warnings"]:
        log.warning("%s", text)


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
    board_cfg = load_board_config(resolved)
    written = write_site(board, Path(board_cfg.output_dir), board_cfg.title)
    timings["render"] = time.perf_counter() - clock
    log_summary(board, timings, written, time.perf_counter() - start)


def main() -> None:
    """Console-script entry point."""
    from trustbench.leaderboard.config import check_override_keys

    try:
        check_override_keys(sys.argv[1:])
    except TrustbenchError as exc:
        print(f"trustbench-leaderboard: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app()


if __name__ == "__main__":
    main()
