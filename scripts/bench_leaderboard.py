"""Leaderboard scale: fetch + build from 10,000 runs in a local SQLite MLflow store.

    python scripts/bench_leaderboard.py            # 10,000 runs (the figure of record)
    python scripts/bench_leaderboard.py --quick    # 1,000 runs (a smoke run)

Setup (not timed): a new SQLite store with ``--runs`` synthetic runs of ``--configs``
configurations over seeds, each with ``--metrics`` metrics and their ``/ci_low``/``/ci_high``
bounds, ~40 config params and the trustbench tags, logged with ``MlflowClient.log_batch``;
about 2% of runs FAILED and 1% re-run duplicates; one ``trust_report.json`` per configuration.

Timed: (1) MLflow's own paged ``search_runs`` over the experiment (the reference: the cost of
reading the records at all); (2) ``trustbench-leaderboard``'s fetch + directions + build;
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
    """Create the synthetic store; returns its tracking URI."""
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    uri = f"sqlite:///{root}/mlflow.db"
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("bench", artifact_location=str(root / "artifacts"))
    rng = np.random.default_rng(seed)
    names = metric_names(n_metrics)
    quality = rng.uniform(0.6, 0.9, size=(n_configs, n_metrics))
    seeds_per_config = -(-n_runs // n_configs)
    reported: set[int] = set()
    for i in range(n_runs):
        config, seed_i = i % n_configs, i // n_configs
        run = client.create_run(experiment)
        values = quality[config] + rng.normal(0, 0.01, n_metrics)
        half = rng.uniform(0.01, 0.05, n_metrics)
        metrics = []
        for key, v, h in zip(names, values, half, strict=True):
            metrics += [
                Metric(key, v, 0, 0),
                Metric(f"{key}/ci_low", v - h, 0, 0),
                Metric(f"{key}/ci_high", v + h, 0, 0),
            ]
        params = [
            Param("model.name", f"model_{config % 10}"),
            Param("trainer.name", f"t{config // 10}"),
            Param("seed", str(seed_i % seeds_per_config)),
        ]
        params += [Param(f"suite.option_{k}", str(k)) for k in range(36)]
        params += [
            Param("tracking.uri", uri),
            Param("training.seconds", f"{rng.uniform(1, 9):.3f}"),
        ]
        tags = [
            RunTag("trustbench.run_identity", f"id{config}-{seed_i}"),
            RunTag("trustbench.version", "0.1.0"),
            RunTag("trustbench.dataset", "heart"),
        ]
        for start in range(0, len(metrics), 1000):
            client.log_batch(
                run.info.run_id,
                metrics=metrics[start : start + 1000],
                params=params if start == 0 else [],
                tags=tags if start == 0 else [],
            )
        if config not in reported:
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
            client.log_text(run.info.run_id, json.dumps(report), "trust_report.json")
            reported.add(config)
        status = "FAILED" if rng.random() < 0.02 else "FINISHED"
        client.set_terminated(run.info.run_id, status)
        if (i + 1) % 1000 == 0:
            print(f"  created {i + 1} runs", flush=True)
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
        clock = time.perf_counter()
        token, seen = None, 0
        while True:
            page = client.search_runs([experiment_id], max_results=1000, page_token=token)
            seen += len(page)
            token = page.token
            if not token:
                break
        raw = time.perf_counter() - clock

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
        "runs_seen_by_raw_search": seen,
        "configurations": args.configs,
        "metrics_per_run": args.metrics,
        "setup_seconds_untimed": round(setup, 2),
        "reference_mlflow_search_runs_seconds": round(raw, 3),
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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
