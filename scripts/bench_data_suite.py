"""Data suite at scale: ``audit_data``'s cost, part by part, from 10,000 to 1,000,000 rows.

    python scripts/bench_data_suite.py            # n = 10k, 30k, 100k, 300k, 1M (of record)
    python scripts/bench_data_suite.py --quick    # n = 2k, 5k, 10k (a smoke run)
    python scripts/bench_data_suite.py --sizes 10000 100000 --out /tmp/x.json

Each size runs in a fresh subprocess (so its peak memory, ``ru_maxrss``, is its own): it
generates a synthetic clinical-style table of ``n`` rows (10 continuous columns, two with
missing values; 3 categorical ones; two sensitive attributes, ``sex`` and ``group``, kept beside
the features; six hospitals, the sixth the ood split; 1% of rows exact copies of other rows and
0.5% copies with a little noise, so the twin checks find something), builds it with
:func:`trustbench.data.build_task` (timed separately), then times one
``audit_data(task, config, seed)`` with the default suite config, and each of its parts
(inputs and encoding, leakage with its near-twin search, groups, shortcuts, drift, domain,
labels with cleanlab's ``label_issue_mask``, plots), by wrapping the functions ``audit_data``
calls. Peak memory per part is the largest resident set size a 10 ms sampler saw while the part
ran; the whole process's peak is ``ru_maxrss``.

The slope of log(total seconds) against log(n) is fitted over the upper sizes (n >= 100k);
the goal is no worse than n log n (slope <= 1.15) up to 1M rows on the 2-core, 24 GiB
development machine.

References, in the same process on the same inputs, as ratios (ours / reference):
``ks_statistic`` vs ``scipy.stats.ks_2samp`` (statistic and asymptotic p-value), ``row_hashes``
+ ``duplicate_mask`` vs ``pandas.DataFrame.duplicated``, ``psi`` vs a plain numpy quantile-bin
PSI; values are compared too. Writes results/bench/data_suite.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "results" / "bench" / "data_suite.json"
SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
QUICK_SIZES = (2_000, 5_000, 10_000)
SLOPE_FROM = 100_000  # the slope is fitted over sizes >= this (and at least the top 3)
SLOPE_GOAL = 1.15
PARTS = ("inputs", "leakage", "groups", "shortcuts", "drift", "domain", "labels", "plots")
SUBPARTS = ("near_twins", "cross_fitted_proba", "label_issue_mask")


# ------------------------------------------------------------------------------- the data


def synthetic_frame(n: int, seed: int = 0):
    """A clinical-style table of ``n`` rows (vectorised; no loop per row)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    site = rng.choice(6, size=n, p=[0.25, 0.2, 0.2, 0.15, 0.1, 0.1])
    sex = rng.choice(np.array(["F", "M"]), size=n)
    group = rng.choice(np.array(["A", "B", "C", "D"]), size=n, p=[0.55, 0.25, 0.15, 0.05])
    x = rng.normal(size=(n, 10)) + 0.15 * site[:, None]
    x[:, 9] = np.exp(x[:, 9] / 2)  # a skewed measurement
    x[:, 4] = np.round(x[:, 4] * 10) / 10  # a coarsely recorded one (ties)
    logit = x[:, :4] @ np.array([1.0, -0.8, 0.5, 0.3]) + 0.3 * (sex == "M") - 0.5
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    frame = pd.DataFrame({f"x{j}": x[:, j] for j in range(10)})
    frame.loc[rng.random(n) < 0.02, "x3"] = np.nan
    frame.loc[(group == "D") & (rng.random(n) < 0.2), "x7"] = np.nan  # missing more in D
    frame["c0"] = rng.choice(np.array(["low", "mid", "high"]), size=n)
    frame["c1"] = rng.choice(np.array([f"k{i}" for i in range(5)]), size=n)
    frame["c2"] = rng.choice(np.array([f"t{i}" for i in range(8)]), size=n)
    frame["sex"] = sex
    frame["group"] = group
    frame["site"] = np.array([f"H{i}" for i in range(6)])[site]
    frame["y"] = np.where(y, "yes", "no")
    # 1% exact copies and 0.5% noised copies of other rows (twins within and across splits)
    copies = rng.choice(n, size=n // 100, replace=False)
    frame.iloc[copies] = frame.iloc[rng.choice(n, size=copies.size)].to_numpy()
    near = rng.choice(n, size=n // 200, replace=False)
    source = frame.iloc[rng.choice(n, size=near.size)].copy()
    noise = rng.normal(scale=1e-3, size=(near.size, 10))
    source[[f"x{j}" for j in range(10)]] = source[[f"x{j}" for j in range(10)]].to_numpy() + noise
    frame.iloc[near] = source.to_numpy()
    for j in range(10):
        frame[f"x{j}"] = frame[f"x{j}"].astype(float)
    return frame


def build(frame, seed: int = 0):
    from trustbench.data import build_task

    return build_task(
        frame, name="bench_synthetic", target="y", positive_label="yes",
        sensitive=["sex", "group"], sensitive_as_features=False, site="site",
        ood_sites=["H5"], seed=seed,
    )  # fmt: skip


# ------------------------------------------------------------------------------- timing


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Recorder:
    """Seconds and peak resident memory of named parts, with a 10 ms sampler thread."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak: dict[str, float] = {}
        self.start_rss: dict[str, float] = {}
        self.width = 0  # columns of the encoded matrix
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            now = rss_mb()
            with self._lock:
                for name in self._active:
                    self.peak[name] = max(self.peak.get(name, 0.0), now)

    @contextmanager
    def part(self, name: str):
        now = rss_mb()
        with self._lock:
            self._active.add(name)
            self.start_rss.setdefault(name, now)
            self.peak[name] = max(self.peak.get(name, 0.0), now)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            now = rss_mb()
            with self._lock:
                self._active.discard(name)
                self.peak[name] = max(self.peak.get(name, 0.0), now)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _timed(recorder: Recorder, name: str, fn):
    def wrapper(*args, **kwargs):
        with recorder.part(name):
            return fn(*args, **kwargs)

    return wrapper


def instrument(recorder: Recorder) -> None:
    """Wrap what ``audit_data`` calls, so one call of it is timed part by part."""
    import trustbench.suites.data.leakage as leakage
    import trustbench.suites.data.models as models
    import trustbench.suites.data.plots as plots
    import trustbench.suites.data.suite as suite

    original_inputs = suite.data_inputs

    def inputs(task):
        with recorder.part("inputs"):
            out = original_inputs(task)
            # the encoding is lazy; count it here, not in leakage
            recorder.width = int(out.matrix("train").shape[1])
            return out

    suite.data_inputs = inputs
    for part, name in (
        ("leakage", "leakage_results"),
        ("groups", "group_results"),
        ("shortcuts", "shortcut_results"),
        ("drift", "drift_results"),
        ("domain", "domain_results"),
        ("labels", "label_results"),
    ):
        setattr(suite, name, _timed(recorder, part, getattr(suite, name)))
    leakage.near_twin_mask = _timed(recorder, "near_twins", leakage.near_twin_mask)
    models.cross_fitted_proba = _timed(recorder, "cross_fitted_proba", models.cross_fitted_proba)
    models.label_issue_mask = _timed(recorder, "label_issue_mask", models.label_issue_mask)
    plots.drift_plot = _timed(recorder, "plots", plots.drift_plot)


# ------------------------------------------------------------------------------- references


def best_of(fn, repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def plain_psi(reference: np.ndarray, other: np.ndarray, n_bins: int = 10, eps: float = 1e-4):
    """PSI the usual way: the reference's quantile edges (unique), values binned by the
    interior edges, NaN one more bin, shares floored at ``eps`` and renormalised."""
    ref = reference[~np.isnan(reference)]
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, n_bins + 1)))[1:-1]

    def shares(values):
        codes = np.where(
            np.isnan(values), len(edges) + 1, np.searchsorted(edges, values, side="right")
        )
        return np.bincount(codes, minlength=len(edges) + 2) / values.size

    e, a = shares(reference), shares(other)
    used = (e > 0) | (a > 0)
    e, a = np.maximum(e[used], eps), np.maximum(a[used], eps)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def references(task, repeat: int) -> dict[str, Any]:
    """Ours vs the reference on the same inputs: seconds, ratio, agreement."""
    from scipy.stats import ks_2samp

    from trustbench.metrics.data_drift import ks_pvalue, ks_statistic, psi
    from trustbench.metrics.data_leakage import duplicate_mask, row_hashes

    train, test = task.splits["train"].X, task.splits["test"].X
    continuous = task.features_of_kind("continuous")
    pairs = [(train[c].to_numpy(float), test[c].to_numpy(float)) for c in continuous]
    clean = [(a[~np.isnan(a)], b[~np.isnan(b)]) for a, b in pairs]

    def ours_ks():
        out = []
        for a, b in pairs:
            d = ks_statistic(a, b)
            out.append((d, ks_pvalue(d, int((~np.isnan(a)).sum()), int((~np.isnan(b)).sum()))))
        return out

    t_ks, ks = best_of(ours_ks, repeat)
    t_ks_ref, ks_ref = best_of(lambda: [ks_2samp(a, b, method="asymp") for a, b in clean], repeat)
    t_ks_auto, _ = best_of(lambda: [ks_2samp(a, b) for a, b in clean], 1)
    features = task.feature_names
    t_dup, mask = best_of(lambda: duplicate_mask(row_hashes(train[features])), repeat)
    t_dup_ref, mask_ref = best_of(lambda: train[features].duplicated().to_numpy(), repeat)
    t_psi, ours_psi = best_of(lambda: [psi(a, b) for a, b in pairs], repeat)
    t_psi_ref, ref_psi = best_of(lambda: [plain_psi(a, b) for a, b in pairs], repeat)
    return {
        "ks_statistic_vs_scipy_ks_2samp": {
            "columns": len(pairs),
            "ours_seconds": round(t_ks, 4),
            "scipy_asymp_seconds": round(t_ks_ref, 4),
            "scipy_auto_seconds": round(t_ks_auto, 4),
            "ratio_ours_over_scipy_asymp": round(t_ks / t_ks_ref, 3),
            "ratio_ours_over_scipy_auto": round(t_ks / t_ks_auto, 3),
            "max_statistic_diff": float(
                max(abs(o[0] - r.statistic) for o, r in zip(ks, ks_ref, strict=True))
            ),
            "max_pvalue_diff": float(
                max(abs(o[1] - r.pvalue) for o, r in zip(ks, ks_ref, strict=True))
            ),
        },
        "row_hashes_duplicate_mask_vs_pandas_duplicated": {
            "rows": len(train),
            "ours_seconds": round(t_dup, 4),
            "pandas_seconds": round(t_dup_ref, 4),
            "ratio_ours_over_pandas": round(t_dup / t_dup_ref, 3),
            "masks_equal": bool(np.array_equal(mask, mask_ref)),
            "duplicates": int(mask.sum()),
        },
        "psi_vs_plain_numpy": {
            "columns": len(pairs),
            "ours_seconds": round(t_psi, 4),
            "numpy_seconds": round(t_psi_ref, 4),
            "ratio_ours_over_numpy": round(t_psi / t_psi_ref, 3),
            "max_value_diff": float(np.max(np.abs(np.subtract(ours_psi, ref_psi)))),
        },
    }


def near_twin_check(task, seed: int) -> dict[str, Any]:
    """The suite's near-twin masks against brute force (scipy cdist, chunked) on its inputs."""
    from scipy.spatial.distance import cdist

    from trustbench.metrics.data_neighbours import near_twin_mask
    from trustbench.suites import default_config, load_suite_config
    from trustbench.suites.data.inputs import data_inputs

    cfg = load_suite_config(default_config()).data
    inputs = data_inputs(task)
    ref = inputs.matrix("train")
    out = {}
    for split in inputs.columns:
        if split == "train":
            continue
        query = inputs.matrix(split)
        mask, typical = near_twin_mask(
            ref, query, ratio=cfg.near_twin_ratio, max_reference=cfg.max_rows, seed=seed
        )
        nearest = np.concatenate(
            [cdist(query[i : i + 2048], ref).min(axis=1) for i in range(0, len(query), 2048)]
        )
        brute = (nearest <= cfg.near_twin_ratio * typical) | (nearest == 0.0)
        border = np.abs(nearest - cfg.near_twin_ratio * typical) < 1e-9 * max(typical, 1.0)
        out[split] = {
            "rows": len(query),
            "near_twins": int(mask.sum()),
            "disagree": int((mask != brute).sum()),
            "disagree_off_border": int(((mask != brute) & ~border).sum()),
        }
    return out


# ------------------------------------------------------------------------------- one size


def measure(n: int, seed: int, repeat: int, check_twins: bool) -> dict[str, Any]:
    """Everything for one size, in this process."""
    from trustbench.suites import default_config, load_suite_config
    from trustbench.suites.data.suite import audit_data

    start = time.perf_counter()
    frame = synthetic_frame(n, seed)
    generate = time.perf_counter() - start
    start = time.perf_counter()
    task = build(frame, seed)
    build_seconds = time.perf_counter() - start
    del frame
    config = load_suite_config(default_config())
    recorder = Recorder()
    instrument(recorder)
    rss_before = rss_mb()
    start = time.perf_counter()
    audit = audit_data(task, config, seed)
    total = time.perf_counter() - start
    peak_audit_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    recorder.close()
    result: dict[str, Any] = {
        "n": n,
        "splits": {name: len(split) for name, split in task.splits.items()},
        "encoded_columns": recorder.width,
        "generate_seconds": round(generate, 3),
        "build_task_seconds": round(build_seconds, 3),
        "audit_seconds": round(total, 3),
        "audit_seconds_reported": round(audit.seconds, 3),
        "parts_seconds": {p: round(recorder.seconds.get(p, 0.0), 3) for p in PARTS},
        "subparts_seconds": {p: round(recorder.seconds.get(p, 0.0), 3) for p in SUBPARTS},
        "parts_peak_rss_mb": {p: round(recorder.peak.get(p, 0.0)) for p in PARTS + SUBPARTS},
        "parts_rss_growth_mb": {
            p: round(recorder.peak.get(p, 0.0) - recorder.start_rss.get(p, 0.0))
            for p in PARTS + SUBPARTS
        },
        "rss_before_audit_mb": round(rss_before),
        "peak_rss_mb": round(peak_audit_mb),
        "metrics": len(audit.metrics),
        "warnings": len(audit.warnings),
        "near_twin_details": [
            m.definition.split("; ", 1)[-1] for m in audit.metrics if "near_twin_share" in m.key
        ],
        "near_twin_share": {
            m.key: round(m.value, 5) for m in audit.metrics if "near_twin_share" in m.key
        },
        "prevalence_gap": {
            m.key: [round(m.value, 5), round(m.ci_low, 5), round(m.ci_high, 5)]
            for m in audit.metrics
            if m.key.endswith("prevalence_gap")
        },
    }
    labels = recorder.seconds.get("label_issue_mask", 0.0)
    result["label_issue_mask_share"] = {
        "of_labels_part": round(labels / max(recorder.seconds.get("labels", 0.0), 1e-12), 4),
        "of_audit": round(labels / total, 4),
    }
    result["references"] = references(task, repeat)
    if check_twins:
        result["near_twin_vs_brute_force"] = near_twin_check(task, seed)
    return result


def run_size(n: int, args) -> dict[str, Any]:
    """One size in a fresh subprocess (its own peak memory), within the time and memory caps."""
    command = [
        sys.executable, __file__, "--worker", str(n), "--seed", str(args.seed),
        "--repeat", str(args.repeat), "--mem-limit-gb", str(args.mem_limit_gb),
    ]  # fmt: skip
    if n <= args.check_twins_up_to:
        command.append("--check-twins")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"n": n, "failed": f"timed out after {args.timeout} s"}
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"n": n, "failed": f"exit {done.returncode}: " + " | ".join(tail)}
    result = json.loads(lines[-1])
    result["subprocess_wall_seconds"] = round(wall, 2)
    return result


def slope(rows: list[dict[str, Any]], value) -> dict[str, Any] | None:
    """Least-squares slope of log(value) on log(n) over the upper sizes."""
    ok = [r for r in rows if "failed" not in r]
    upper = [r for r in ok if r["n"] >= SLOPE_FROM]
    if len(upper) < 2:
        upper = ok[-3:]
    if len(upper) < 2:
        return None
    n = np.array([r["n"] for r in upper], dtype=float)
    y = np.array([max(value(r), 1e-6) for r in upper], dtype=float)
    fitted = float(np.polyfit(np.log(n), np.log(y), 1)[0])
    last = float(np.log(y[-1] / y[-2]) / np.log(n[-1] / n[-2]))
    return {"sizes": [int(v) for v in n], "slope": round(fitted, 3), "last_step": round(last, 3)}


def summary(previous: dict[str, Any]) -> dict[str, Any]:
    """The figures of a previous run: per size the seconds per part and the peak memory."""
    keys = ("n", "failed", "build_task_seconds", "audit_seconds", "parts_seconds",
            "subparts_seconds", "peak_rss_mb", "near_twin_share", "prevalence_gap")  # fmt: skip
    return {
        "label": previous.get("label", ""),
        "rows": [{k: row[k] for k in keys if k in row} for row in previous["rows"]],
        "slope_total_seconds": previous.get("slope_total_seconds"),
        "slope_per_part": previous.get("slope_per_part"),
        "versions": previous.get("versions"),
    }


def versions() -> dict[str, str]:
    import cleanlab
    import pandas
    import scipy
    import sklearn

    import trustbench

    return {
        "trustbench": getattr(trustbench, "__version__", "?"),
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "cleanlab": cleanlab.__version__,
    }


def machine() -> dict[str, Any]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 2k, 5k, 10k (smoke run)")
    parser.add_argument("--sizes", type=int, nargs="+", help="row counts (overrides --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many (references)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per size")
    parser.add_argument(
        "--mem-limit-gb", type=float, default=18.0,
        help="address-space cap of each size's process (a MemoryError instead of the OOM killer)",
    )  # fmt: skip
    parser.add_argument(
        "--check-twins-up-to", type=int, default=100_000,
        help="compare the near-twin masks with brute force up to this size",
    )  # fmt: skip
    parser.add_argument("--label", default="", help="free text stored in the JSON")
    parser.add_argument(
        "--before", default=None,
        help="a previous run's JSON (e.g. before a fix): its figures are kept under 'before'",
    )  # fmt: skip
    parser.add_argument("--out", default=None)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--check-twins", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        if args.mem_limit_gb > 0:
            cap = int(args.mem_limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        print(json.dumps(measure(args.worker, args.seed, args.repeat, args.check_twins)))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_io import write_result

    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    rows = []
    for n in sizes:
        row = run_size(int(n), args)
        rows.append(row)
        if "failed" in row:
            print(f"n={n:>9,d}  FAILED: {row['failed']}", flush=True)
        else:
            parts = "  ".join(f"{p} {row['parts_seconds'][p]:.2f}" for p in PARTS)
            print(
                f"n={n:>9,d}  build {row['build_task_seconds']:.2f} s  audit "
                f"{row['audit_seconds']:.2f} s  ({parts})  peak {row['peak_rss_mb']} MB",
                flush=True,
            )
    total = slope(rows, lambda r: r["audit_seconds"])
    per_part = {p: slope(rows, lambda r, p=p: r["parts_seconds"][p]) for p in PARTS}
    memory = slope(rows, lambda r: r["peak_rss_mb"] - r["rss_before_audit_mb"])
    failed = [r["n"] for r in rows if "failed" in r]
    meets = (
        total is not None and max(total["slope"], total["last_step"]) <= SLOPE_GOAL and not failed
    )
    result = {
        "benchmark": "data_suite",
        "label": args.label,
        "quick": bool(args.quick),
        "seed": args.seed,
        "sizes": [int(n) for n in sizes],
        "data": "synthetic: 10 continuous (2 with NaN), 3 categorical, sensitive sex and group "
        "(beside the features), 6 sites (H5 = ood), 1% exact and 0.5% noised copies; "
        "build_task, test_size 0.3",
        "config": "default suite config (suite.data.max_rows 50000, suite.bootstrap.n_resamples "
        "1000, folds 5, label_issues and plots on)",
        "rows": rows,
        "slope_total_seconds": total,
        "slope_per_part": per_part,
        "slope_peak_rss_growth": memory,
        "slope_goal": SLOPE_GOAL,
        "slope_note": "slope: least squares over the sizes listed; last_step: between the two "
        "largest; the goal holds when both are <= slope_goal",
        "failed_sizes": failed,
        "meets_goal": bool(meets),
        "machine": machine(),
        "versions": versions(),
    }
    if args.before:
        result["before"] = summary(json.loads(Path(args.before).read_text()))
    if args.out is not None:
        out = Path(args.out)
    else:
        out = OUT.with_name("data_suite_quick.json") if args.quick and not args.sizes else OUT
    write_result(out, result)


if __name__ == "__main__":
    main()
