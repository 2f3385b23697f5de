"""Leaderboard scale: fetch + build from 10,000 runs in a local SQLite MLflow store.

    python scripts/bench_leaderboard.py            # 10,000 runs (the figure of record)
    python scripts/bench_leaderboard.py --quick    # 1,000 runs (a smoke run)

Setup (not timed): a new SQLite store with ``--runs`` synthetic runs of ``--configs``
configurations over seeds, each with ``--metrics`` metrics and their ``/ci_low``/``/ci_high``
bounds, ~40 config params and the trustbench tags, written into MLflow's tables in bulk (see
:func:`make_store`); about 2% of runs FAILED and 1% re-run duplicates; one
``trust_report.json`` per configuration.

Timed: (1) MLflow's own ``search_runs`` on one page of 1,000 runs, scaled to all runs (the
reference: what reading the records through the search API costs); (2) ``trustbench-leaderboard``'s fetch + directions + build;
(3) build alone from already-fetched records; (4) rendering the four output files.
Targets: fetch + build < 60 s, build < 10 s. Writes results/bench/leaderboard.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_io import write_result

OUT = Path(__file__).resolve().parent.parent / "results" / "bench" / "leaderboard.json"
FAMILIES = ("performance", "fairness", "generalization", "explainability", "privacy")


def metric_names(n: int) -> list[str]:
    """``n`` realistic metric keys: headline names first, then per-group/per-site ones."""
    base = [
        "performance/accuracy",
        "performance/roc_auc",
        "performance/log_loss",
        "performance/brier",
        "fairness/equalized_odds_difference",
        "fairness/demographic_parity_difference",
        "generalization/ood_accuracy",
        "generalization/accuracy_drop",
        "generalization/ood_ece",
        "explainability/ablation/deletion_auc",
        "explainability/random/deletion_auc",
        "privacy/loss/auc",
        "privacy/loss/tpr_at_fpr_0.01",
    ]
    i = 0
    while len(base) < n:
        family = FAMILIES[i % len(FAMILIES)]
        base.append(f"{family}/group_{i}/accuracy_score_difference")
        i += 1
    return base[:n]


def make_store(root: Path, n_runs: int, n_configs: int, n_metrics: int, seed: int = 0) -> str:
    """Create the synthetic store; returns its tracking URI.

    MLflow creates the schema and the experiment; the run rows are then inserted with
    ``executemany`` into MLflow's own tables (``runs``, ``metrics``, ``latest_metrics``,
    ``params``, ``tags``), as ``log_batch`` would write them: logging 10,000 runs x 450 values
    through ``log_batch`` took over an hour on the development machine. One run per
    configuration gets a ``trust_report.json`` through ``MlflowClient.log_text``.
    """
    import sqlite3
    import uuid

    import mlflow

    uri = f"sqlite:///{root}/mlflow.db"
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = int(client.create_experiment("bench", artifact_location=str(root / "artifacts")))
    rng = np.random.default_rng(seed)
    names = metric_names(n_metrics)
    quality = rng.uniform(0.6, 0.9, size=(n_configs, n_metrics))
    n_duplicates = n_runs // 100
    runs, metrics, params, tags, first_of_config = [], [], [], [], {}
    for i in range(n_runs):
        run_id = uuid.UUID(int=int(rng.integers(0, 2**63)) * 2**64 + i).hex
        duplicate = i >= n_runs - n_duplicates
        config = i % n_configs
        seed_i = (i - (n_runs - n_duplicates)) if duplicate else i // n_configs
        status = "FAILED" if rng.random() < 0.02 else "FINISHED"
        end = 1_700_000_000_000 + i * 1000
        runs.append(
            (
                run_id,
                f"run-{i}",
                "LOCAL",
                "bench",
                "",
                "bench",
                status,
                end - 500,
                end,
                "",
                "active",
                str(root / "artifacts" / run_id / "artifacts"),
                experiment,
            )
        )
        values = quality[config] + rng.normal(0, 0.01, n_metrics)
        half = rng.uniform(0.01, 0.05, n_metrics)
        if status == "FINISHED":
            for key, v, h in zip(names, values, half, strict=True):
                for k, x in ((key, v), (f"{key}/ci_low", v - h), (f"{key}/ci_high", v + h)):
                    metrics.append((k, float(x), end, run_id, 0, 0))
        params += [
            (k, v, run_id)
            for k, v in (
                ("model.name", f"model_{config % 10}"),
                ("trainer.name", f"t{config // 10}"),
                ("seed", str(seed_i % max(1, n_runs // n_configs))),
                ("tracking.uri", uri),
                ("training.seconds", f"{rng.uniform(1, 9):.3f}"),
                *((f"suite.option_{k}", str(k)) for k in range(36)),
            )
        ]
        tags += [
            (k, v, run_id)
            for k, v in (
                ("trustbench.run_identity", f"id{config}-{seed_i}"),
                ("trustbench.version", "0.1.0"),
                ("trustbench.dataset", "heart"),
                ("mlflow.runName", f"run-{i}"),
            )
        ]
        if status == "FINISHED":
            first_of_config.setdefault(config, run_id)
    db = sqlite3.connect(root / "mlflow.db")
    with db:
        db.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,"
            " status, start_time, end_time, source_version, lifecycle_stage, artifact_uri,"
            " experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            runs,
        )
        db.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            metrics,
        )
        db.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            metrics,
        )
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
    db.close()
    for _, run_id in sorted(first_of_config.items()):
        report = {
            "suites": {
                f: {
                    "metrics": [
                        {
                            "family": f,
                            "name": k.split("/", 1)[1],
                            "direction": "max",
                            "definition": "synthetic",
                        }
                        for k in names
                        if k.startswith(f + "/")
                    ]
                }
                for f in FAMILIES
            }
        }
        client.log_text(run_id, json.dumps(report), "trust_report.json")
    return uri


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 runs instead of 10,000")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--configs", type=int, default=30)
    parser.add_argument("--metrics", type=int, default=150)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    n_runs = args.runs or (1000 if args.quick else 10_000)

    from omegaconf import OmegaConf

    from trustbench.leaderboard.build import build_board
    from trustbench.leaderboard.cli import build_from_store, options_from_config
    from trustbench.leaderboard.fetch import fetch_directions, fetch_runs
    from trustbench.leaderboard.render_html import to_html
    from trustbench.leaderboard.render_tables import to_csv, to_json, to_markdown

    config_file = Path(__file__).resolve().parent.parent / "src/trustbench/configs/leaderboard.yaml"
    with tempfile.TemporaryDirectory(prefix="bench-leaderboard-") as tmp:
        clock = time.perf_counter()
        uri = make_store(Path(tmp), n_runs, args.configs, args.metrics)
        setup = time.perf_counter() - clock
        print(f"setup: {n_runs} runs in {setup:.1f} s", flush=True)

        import mlflow

        client = mlflow.MlflowClient(tracking_uri=uri)
        experiment_id = client.get_experiment_by_name("bench").experiment_id
        # Reference: MLflow's own search_runs, timed on its first page of up to 1,000 runs
        # (the whole store would take minutes) and scaled to all runs.
        clock = time.perf_counter()
        page = client.search_runs([experiment_id], max_results=1000)
        seen = len(page)
        raw = (time.perf_counter() - clock) * n_runs / max(seen, 1)

        cfg = OmegaConf.to_container(OmegaConf.load(config_file), resolve=True)
        cfg.pop("hydra", None)
        cfg.update(tracking_uri=uri, experiments=["bench"])
        clock = time.perf_counter()
        board, phases = build_from_store(cfg)
        fetch_build = time.perf_counter() - clock

        records = fetch_runs(uri, ["bench"])
        directions = fetch_directions(uri, records)
        clock = time.perf_counter()
        build_board(records, directions, options_from_config(cfg))
        build = time.perf_counter() - clock
        clock = time.perf_counter()
        for render in (to_html, to_csv, to_json, to_markdown):
            render(board)
        render_s = time.perf_counter() - clock

    result = {
        "benchmark": "leaderboard",
        "quick": args.quick,
        "runs": n_runs,
        "reference_page_runs": seen,
        "configurations": args.configs,
        "metrics_per_run": args.metrics,
        "setup_seconds_untimed": round(setup, 2),
        "reference_mlflow_search_runs_seconds_scaled": round(raw, 3),
        "fetch_plus_build_seconds": round(fetch_build, 3),
        "phases_seconds": {k: round(v, 3) for k, v in phases.items()},
        "build_from_records_seconds": round(build, 3),
        "render_seconds": round(render_s, 3),
        "ratio_fetch_plus_build_to_mlflow_search": round(fetch_build / raw, 3),
        "targets_seconds": {"fetch_plus_build": 60, "build_from_records": 10},
        "meets_targets": fetch_build < 60 and build < 10,
        "ranked_configurations": board["counts"]["ranked"],
        "excluded_failed": board["counts"]["excluded_failed"],
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    write_result(args.out, result)


if __name__ == "__main__":
    main()
