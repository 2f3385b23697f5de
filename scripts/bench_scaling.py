"""A run at scale: each stage's CPU seconds and peak memory from 10,000 to 1,000,000 rows.

    python scripts/bench_scaling.py              # of record (results/bench/scaling.json)
    python scripts/bench_scaling.py --quick      # a smoke run: 2k and 5k rows, small tables
    python scripts/bench_scaling.py --parts pipeline --sizes 10000 --models logreg --out /tmp/x.json

Parts (``--parts``, default all):

``pipeline``
    For each size and model, a fresh subprocess runs the ``trustbench`` command's own path
    (:func:`trustbench.experiment.run_experiment` on ``dataset=synthetic
    dataset.n_samples=N``, every suite on, 1000 bootstrap replicates, tracked into a new SQLite
    store) and records, per stage (imports, load, data audit, training, each suite's scoring,
    logging, and inside logging the model and the metrics), CPU seconds, wall seconds and the
    peak resident set size a 5 ms sampler saw while the stage ran (``ru_maxrss`` for the
    whole process), each stage's share of the run's CPU, the time spent in the model's
    ``predict_proba`` while scoring, and whether torch was imported. The scoring **bound** is
    the model's passes (its training and every ``predict_proba`` while scoring) plus one pass
    over the test split per reported metric (the unweighted point value of ``roc_auc``, the
    costliest of the single-pass metrics, times the number of metrics); ``ratio_to_bound`` is
    scoring CPU over it. The slope of log(CPU) against log(n) over the sizes is reported too.
``ratios``
    1,000 bootstrap replicates of the rate metrics (per-group accuracy, selection rate, TPR,
    FPR and the equalized-odds difference over two groups) and of ROC AUC at 1k / 10k / 100k
    rows, three ways in one process: trustbench (``bootstrap_counts`` + ``group_rates`` /
    ``roc_auc`` on the stacked counts), a plain numpy loop over replicates (indices drawn,
    ``bincount`` over the confusion cells; scikit-learn's ``roc_auc_score`` on the drawn rows)
    and fairlearn's ``MetricFrame(n_boot=1000)``; plus the multinomial draw over the (group,
    label, prediction) cells, whose cost does not depend on n. Ratios are against trustbench.
``threads``
    A HistGradientBoosting fit and an MLP epoch with 1 thread and with every core, on an idle
    machine and with one busy process per core beside it: the data behind ``threads=auto``.
``logging``
    The default run (heart, logreg) tracked into a new store: seconds of logging the metrics
    and the model (the goal: under 0.5 s on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "bench" / "scaling.json"
SIZES = {"logreg": (10_000, 100_000, 1_000_000), "mlp": (10_000, 100_000)}
QUICK_SIZES = {"logreg": (2_000, 5_000), "mlp": (2_000,)}
RATIO_SIZES = (1_000, 10_000, 100_000)
QUICK_RATIO_SIZES = (1_000,)
N_BOOT = 1000
PARTS = ("pipeline", "ratios", "threads", "logging")


# ------------------------------------------------------------------------ stage recording


class Stages:
    """CPU and wall seconds and the peak RSS of named stages (nested stages allowed)."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, float]] = {}
        self._open: list[dict[str, float]] = []
        self._stop = False
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    @staticmethod
    def rss() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9

    def _sample(self) -> None:
        while not self._stop:
            now = self.rss()
            for record in list(self._open):
                record["peak_rss_gb"] = max(record["peak_rss_gb"], now)
            time.sleep(0.005)

    @contextmanager
    def stage(self, name: str):
        record = {"cpu_s": 0.0, "wall_s": 0.0, "peak_rss_gb": self.rss(), "calls": 0}
        record = self.records.setdefault(name, record)
        self._open.append(record)
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            record["cpu_s"] += time.process_time() - cpu
            record["wall_s"] += time.perf_counter() - wall
            record["calls"] += 1
            self._open.remove(record)

    def wrap(self, name: str, fn: Callable) -> Callable:
        def wrapped(*args, **kwargs):
            with self.stage(name):
                return fn(*args, **kwargs)

        return wrapped

    def close(self) -> dict[str, dict[str, float]]:
        self._stop = True
        return {
            k: {m: round(v, 4) if isinstance(v, float) else v for m, v in r.items()}
            for k, r in self.records.items()
        }


# ------------------------------------------------------------------------------ pipeline


def pipeline_job(n: int, model: str) -> dict[str, Any]:
    """One tracked run of ``n`` synthetic rows in this process, every stage recorded."""
    stages = Stages()
    with stages.stage("imports"):
        from hydra import compose, initialize_config_module

        import trustbench.api as api
        import trustbench.experiment as experiment
        import trustbench.suites as suites
        import trustbench.suites.generalization.shifts as shifts
        import trustbench.tracking.mlflow_logger as logger
        from trustbench.metrics import performance

    experiment.data_module.load = stages.wrap("load", experiment.data_module.load)
    experiment._audit = stages.wrap("data_audit", experiment._audit)
    experiment.train = stages.wrap("train", experiment.train)
    experiment.score = stages.wrap("score", experiment.score)
    experiment.log_with_local_copy = stages.wrap("log", experiment.log_with_local_copy)
    logger._log_model = stages.wrap("log/model", logger._log_model)
    for family in list(suites.SUITES):
        suites.SUITES[family] = stages.wrap(f"score/{family}", suites.SUITES[family])
    api.predict_proba = stages.wrap("score/model_predict", api.predict_proba)
    shifts.predict_proba = stages.wrap("score/model_predict", shifts.predict_proba)

    import mlflow

    batch = mlflow.MlflowClient.log_batch

    def log_batch(self, run_id, metrics=(), *args, **kwargs):
        name = "log/metrics" if metrics else "log/params_and_tags"
        with stages.stage(name):
            return batch(self, run_id, metrics, *args, **kwargs)

    mlflow.MlflowClient.log_batch = log_batch
    with tempfile.TemporaryDirectory(prefix="bench_scaling_") as tmp:
        overrides = [
            "dataset=synthetic",
            f"dataset.n_samples={n}",
            f"model={model}",
            f"tracking.uri=sqlite:///{tmp}/mlflow.db",
        ]
        with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
        with stages.stage("run"):
            result = experiment.run_experiment(cfg, track=True, output_dir=Path(tmp) / "run")
    records = stages.close()
    report = result.report
    n_metrics = sum(len(s.metrics) for s in report.suites.values())
    # one pass over the test split per metric: the unweighted point roc_auc (n log n)
    from trustbench.data import load

    task = load("synthetic", seed=0, n_samples=n)
    proba = np.asarray(result.model.predict_proba(task.splits["test"].X))
    y = task.splits["test"].y
    start = time.process_time()
    for _ in range(5):
        performance.roc_auc(y, proba)
    one_pass = (time.process_time() - start) / 5
    model_s = records["train"]["cpu_s"] + records.get("score/model_predict", {}).get("cpu_s", 0)
    bound = model_s + n_metrics * one_pass
    total = records["run"]["cpu_s"] + records["imports"]["cpu_s"]
    return {
        "n": n,
        "model": model,
        "splits": report.run["n"],
        "n_metrics": n_metrics,
        "stages": records,
        "share_of_cpu": {
            k: round(v["cpu_s"] / total, 4)
            for k, v in records.items()
            if k in ("imports", "load", "data_audit", "train", "score", "log")
        },
        "one_metric_pass_s": round(one_pass, 5),
        "bound_s": round(bound, 3),
        "ratio_to_bound": round(records["score"]["cpu_s"] / bound, 2),
        "suite_status": {k: s.status for k, s in report.suites.items()},
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3),
        "torch_imported": "torch" in sys.modules,
        "log_metrics_and_model_s": round(
            records.get("log/metrics", {}).get("wall_s", 0)
            + records.get("log/model", {}).get("wall_s", 0),
            3,
        ),
    }


def run_pipeline(sizes: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    jobs = []
    for model, ns in sizes.items():
        for n in ns:
            print(f"pipeline: {model} n={n} ...", flush=True)
            proc = subprocess.run(
                [sys.executable, __file__, "--job", str(n), model],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                jobs.append({"n": n, "model": model, "error": proc.stderr[-2000:]})
                print(proc.stderr[-2000:], flush=True)
                continue
            job = json.loads(proc.stdout.strip().splitlines()[-1])
            jobs.append(job)
            print(
                f"  score {job['stages']['score']['cpu_s']:.1f} CPU-s, ratio to bound "
                f"{job['ratio_to_bound']}, peak {job['peak_rss_gb']:.2f} GB",
                flush=True,
            )
    slopes = {}
    for model in sizes:
        done = [j for j in jobs if j["model"] == model and "error" not in j]
        if len(done) >= 2:
            x = np.log([j["n"] for j in done])
            slopes[model] = {
                part: round(
                    float(np.polyfit(x, np.log([j["stages"][part]["cpu_s"] for j in done]), 1)[0]),
                    3,
                )
                for part in ("score", "run")
            }
    return {"jobs": jobs, "slope_log_cpu_vs_log_n": slopes}


# -------------------------------------------------------------------------------- ratios


def _cells(y: np.ndarray, pred: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g * 4 + y * 2 + pred  # (group, label, prediction): 8 cells for 2 groups


def _rates_from_cells(c: np.ndarray) -> dict[str, np.ndarray]:
    """Rates per group from cell counts ``(B, 8)``."""
    c = c.reshape(c.shape[0], 2, 2, 2).astype(float)  # group, label, prediction
    with np.errstate(invalid="ignore", divide="ignore"):
        size = c.sum(axis=(2, 3))
        acc = (c[:, :, 0, 0] + c[:, :, 1, 1]) / size
        sel = c[:, :, :, 1].sum(axis=2) / size
        tpr = c[:, :, 1, 1] / c[:, :, 1].sum(axis=2)
        fpr = c[:, :, 0, 1] / c[:, :, 0].sum(axis=2)
    eo = np.maximum(np.abs(tpr[:, 0] - tpr[:, 1]), np.abs(fpr[:, 0] - fpr[:, 1]))
    return {"accuracy": acc, "selection_rate": sel, "tpr": tpr, "fpr": fpr, "eo": eo}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def ratio_rows(n: int) -> list[dict[str, Any]]:
    from fairlearn.metrics import (
        MetricFrame,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, roc_auc_score

    from trustbench.metrics import fairness as F
    from trustbench.metrics import performance as P
    from trustbench.metrics.weights import bootstrap_counts, stacked

    rng = np.random.default_rng(0)
    g = rng.integers(0, 2, n)
    y = (rng.uniform(size=n) < 0.3 + 0.2 * g).astype(int)
    score = np.clip(0.5 * y + rng.normal(0.25, 0.2, n), 0, 1)
    pred = (score >= 0.5).astype(int)
    proba = np.column_stack([1 - score, score])
    rows = []

    def ours_rates():
        w = stacked(bootstrap_counts(n, N_BOOT, np.random.default_rng(1)))
        rates = F.group_rates(y, pred, g, w)
        return rates, F.equalized_odds_difference(y, pred, g, w)

    def loop_rates():
        r = np.random.default_rng(1)
        cells = _cells(y, pred, g)
        out = np.empty((N_BOOT, 8))
        for b in range(N_BOOT):
            out[b] = np.bincount(cells[r.integers(0, n, n)], minlength=8)
        return _rates_from_cells(out)

    def multinomial_rates():
        cells = np.bincount(_cells(y, pred, g), minlength=8)
        draws = np.random.default_rng(1).multinomial(n, cells / n, size=N_BOOT)
        return _rates_from_cells(draws)

    def frame(metrics, y_pred):
        return MetricFrame(
            metrics=metrics,
            y_true=y,
            y_pred=y_pred,
            sensitive_features=g,
            n_boot=N_BOOT,
            ci_quantiles=[0.025, 0.975],
            random_state=1,
        )

    def fairlearn_rates():
        rates = {
            "accuracy": accuracy_score,
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
        }
        found = frame(rates, pred).by_group_ci
        return found, equalized_odds_difference(y, pred, sensitive_features=g)

    timings = {
        "trustbench": _timed(ours_rates)[0],
        "numpy_loop": _timed(loop_rates)[0],
        "multinomial_cells": _timed(multinomial_rates)[0],
    }
    if n <= 10_000:  # fairlearn's bootstrap refits the frame per replicate: minutes at 100k
        timings["fairlearn_metricframe"] = _timed(fairlearn_rates)[0]
    rows.append(_ratio_row("rate metrics", n, timings))

    def ours_auc():
        w = stacked(bootstrap_counts(n, N_BOOT, np.random.default_rng(1)))
        return P.roc_auc(y, proba, w)

    def loop_auc():
        r = np.random.default_rng(1)
        out = np.empty(N_BOOT)
        for b in range(N_BOOT):
            idx = r.integers(0, n, n)
            out[b] = roc_auc_score(y[idx], score[idx])
        return out

    def fairlearn_auc():
        return frame(roc_auc_score, score).overall_ci

    timings = {"trustbench": _timed(ours_auc)[0], "sklearn_loop": _timed(loop_auc)[0]}
    if n <= 10_000:
        timings["fairlearn_metricframe"] = _timed(fairlearn_auc)[0]
    rows.append(_ratio_row("roc_auc", n, timings))
    return rows


def _ratio_row(metric: str, n: int, timings: dict[str, float]) -> dict[str, Any]:
    ours = timings["trustbench"]
    return {
        "metrics": metric,
        "n": n,
        "n_boot": N_BOOT,
        "cpu_s": {k: round(v, 4) for k, v in timings.items()},
        "ratio_to_trustbench": {k: round(v / ours, 2) for k, v in timings.items()},
    }


# ------------------------------------------------------------------------------- threads


def _spin(stop_at: float) -> None:
    x = 0
    while time.time() < stop_at:
        x += 1


def _thread_task(kind: str, threads: int) -> float:
    """Wall seconds of one task with ``threads`` threads, in a fresh subprocess."""
    code = f"""
import time, numpy as np
from threadpoolctl import threadpool_limits
rng = np.random.default_rng(0)
X = rng.normal(size=(50000, 20)); y = (X[:, 0] + rng.normal(size=50000) > 0).astype(int)
if {kind!r} == "hgb":
    from sklearn.ensemble import HistGradientBoostingClassifier
    with threadpool_limits({threads}):
        start = time.perf_counter()
        HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(X, y)
else:
    import torch
    torch.set_num_threads({threads})
    net = torch.nn.Sequential(torch.nn.Linear(20, 256), torch.nn.ReLU(), torch.nn.Linear(256, 2))
    opt = torch.optim.Adam(net.parameters())
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    start = time.perf_counter()
    for i in range(0, 50000, 128):
        opt.zero_grad(); torch.nn.functional.cross_entropy(net(Xt[i:i+128]), yt[i:i+128]).backward(); opt.step()
print(time.perf_counter() - start)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run_threads(repeats: int) -> dict[str, Any]:
    cores = len(os.sched_getaffinity(0))
    out: dict[str, Any] = {"cores": cores, "tasks": {}}
    for kind in ("hgb", "mlp_epoch"):
        for load in ("idle", "loaded"):
            for threads in sorted({1, cores}):
                spinners = []
                if load == "loaded":
                    stop_at = time.time() + 600
                    spinners = [
                        multiprocessing.Process(target=_spin, args=(stop_at,), daemon=True)
                        for _ in range(cores)
                    ]
                    for p in spinners:
                        p.start()
                try:
                    secs = [_thread_task(kind, threads) for _ in range(repeats)]
                finally:
                    for p in spinners:
                        p.terminate()
                        p.join()
                out["tasks"][f"{kind}/{load}/{threads}_threads"] = round(float(np.median(secs)), 3)
                print(
                    f"threads: {kind} {load} {threads} -> {out['tasks'][f'{kind}/{load}/{threads}_threads']} s",
                    flush=True,
                )
    return out


# ------------------------------------------------------------------------------- logging


def pipeline_default() -> dict[str, Any]:
    """The default run (heart, logreg), tracked; seconds of logging the metrics and the model."""
    stages = Stages()
    from hydra import compose, initialize_config_module

    import trustbench.experiment as experiment
    import trustbench.tracking.mlflow_logger as logger

    logger._log_model = stages.wrap("log/model", logger._log_model)
    experiment.log_with_local_copy = stages.wrap("log", experiment.log_with_local_copy)
    import mlflow

    batch = mlflow.MlflowClient.log_batch

    def log_batch(self, run_id, metrics=(), *args, **kwargs):
        with stages.stage("log/metrics" if metrics else "log/params_and_tags"):
            return batch(self, run_id, metrics, *args, **kwargs)

    mlflow.MlflowClient.log_batch = log_batch
    with tempfile.TemporaryDirectory(prefix="bench_logging_") as tmp:
        with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
            cfg = compose(config_name="config", overrides=[f"tracking.uri=sqlite:///{tmp}/m.db"])
        experiment.run_experiment(cfg, track=True, output_dir=Path(tmp) / "run")
    records = stages.close()
    return {
        "stages": records,
        "log_metrics_and_model_s": round(
            records["log/metrics"]["wall_s"] + records["log/model"]["wall_s"], 3
        ),
        "torch_imported": "torch" in sys.modules,
    }


def run_logging(repeats: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, __file__, "--logging-job"], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    values = [r["log_metrics_and_model_s"] for r in runs]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, trustbench.run; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "log_metrics_and_model_s": values,
        "median_s": round(float(np.median(values)), 3),
        "goal_s": 0.5,
        "default_run_imports_torch": any(r["torch_imported"] for r in runs),
        "import_trustbench_run_s": round(time.perf_counter() - start, 3),
        "import_trustbench_run_imports_torch": proc.stdout.strip() == "True",
        "runs": runs,
    }


# ---------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--sizes", nargs="+", type=int)
    parser.add_argument("--models", nargs="+", default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--job", nargs=2, metavar=("N", "MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--logging-job", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(pipeline_job(int(args.job[0]), args.job[1])))
        return
    if args.logging_job:
        print(json.dumps(pipeline_default()))
        return
    sizes = dict(QUICK_SIZES if args.quick else SIZES)
    if args.models:
        sizes = {m: sizes.get(m, SIZES["logreg"]) for m in args.models}
    if args.sizes:
        sizes = {m: tuple(args.sizes) for m in sizes}
    out: dict[str, Any] = {}
    if args.out.exists():  # parts not rerun keep their last figures
        out = json.loads(args.out.read_text())
    out["machine"] = {
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }
    out["quick"] = args.quick
    if "pipeline" in args.parts:
        out["pipeline"] = run_pipeline(sizes)
    if "ratios" in args.parts:
        out["ratios"] = [
            r for n in (QUICK_RATIO_SIZES if args.quick else RATIO_SIZES) for r in ratio_rows(n)
        ]
        for row in out["ratios"]:
            print(
                f"ratios: {row['metrics']} n={row['n']}: {row['ratio_to_trustbench']}", flush=True
            )
    if "threads" in args.parts:
        out["threads"] = run_threads(1 if args.quick else 3)
    if "logging" in args.parts:
        out["logging"] = run_logging(1 if args.quick else 5)
        print(f"logging: metrics + model {out['logging']['median_s']} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
