"""What scoring a challenge submission costs: the sandbox against in-process, and the wall time.

1. **Sandbox overhead**: the kit's ONNX baseline of ``heart_trust`` scored by every suite
   (the challenge's own suite config, on the final phase's data) through the sandboxed worker,
   against the same ONNX file run by onnxruntime in this process (one thread, as in the
   worker); the ratio is what isolation costs on the same work. The two reports are checked to
   agree to 1e-5 (relative-output stability aside: see tests/challenge/test_challenge_flow.py).
2. **One submission, end to end**: ``score_submission`` on that folder (checks, store, sandbox
   start, sample reproduction, every suite, the MLflow run, the trust card) into a new store.

Writes ``results/bench/challenge.json``.

    python scripts/bench_challenge.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_io import write_result

OUT = Path(__file__).resolve().parent.parent / "results" / "bench" / "challenge.json"


class InProcessOnnx:
    """The same ONNX file in this process: the trusted baseline of the comparison only."""

    def __init__(self, path: Path, encode) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.encode = encode

    def predict_proba(self, X):
        x = self.encode(X) if not isinstance(X, np.ndarray) else X.astype(np.float32)
        out = self.session.run(["probabilities"], {"X": x})[0]
        return np.asarray(out, dtype=np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import trustbench
    from trustbench.challenge.config import load_challenge
    from trustbench.challenge.data import prepare
    from trustbench.challenge.kit import build_kit
    from trustbench.challenge.loading import load_submission
    from trustbench.challenge.public import PublicChallenge
    from trustbench.challenge.reference import build_recipe
    from trustbench.challenge.score import score_submission
    from trustbench.challenge.submission import check_submission
    from trustbench.tracking import prepare_experiment

    cfg = load_challenge("heart_trust")
    data = prepare(cfg)
    task = data.phase_task("final")
    tmp = Path(tempfile.mkdtemp(prefix="bench-challenge-"))
    build_kit(cfg, tmp / "kit", tmp / "root")
    folder = tmp / "kit" / "examples" / "onnx_baseline"
    public = PublicChallenge.from_config(cfg, data)
    submission = check_submission(folder, public.expected)

    def score(model):
        recipe = build_recipe(cfg.reference_recipe, task, cfg.seed)
        return trustbench.score(
            model, task, config=cfg.suites, seed=cfg.seed, reference_recipe=recipe
        )

    def run_in_process():
        return score(InProcessOnnx(folder / "model.onnx", data.schema.encode)), ""

    def run_sandboxed():
        with load_submission(public, folder, submission) as loaded:
            return score(loaded.model), loaded.isolation

    runs = {"in_process": run_in_process, "sandboxed": run_sandboxed}
    times: dict[str, list[float]] = {name: [] for name in runs}
    reports = {}
    isolation = ""
    for fn in runs.values():  # warm-up: imports, first-call costs
        fn()
    for i in range(args.repeats):
        order = list(runs) if i % 2 == 0 else list(runs)[::-1]  # alternate the order
        for name in order:
            start = time.perf_counter()
            reports[name], info = runs[name]()
            times[name].append(time.perf_counter() - start)
            isolation = info or isolation
    in_process, sandboxed = times["in_process"], times["sandboxed"]
    a, b = reports["in_process"].values(), reports["sandboxed"].values()
    worst = max(
        abs(a[k] - b[k]) / max(1.0, abs(a[k]))
        for k in a
        if a[k] is not None and not k.endswith("relative_output_stability")
    )

    uri = f"sqlite:///{tmp}/mlflow.db"
    experiment_id = prepare_experiment(uri, cfg.experiment)
    end_to_end = []
    for i in range(args.repeats):
        start = time.perf_counter()
        outcome = score_submission(
            cfg, data, folder, "final", root=tmp / f"root{i}", uri=uri, experiment_id=experiment_id
        )
        end_to_end.append(time.perf_counter() - start)
        assert outcome.status == "FINISHED", outcome.reason

    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "submission": "heart_trust kit ONNX baseline (scikit-learn pipeline via skl2onnx)",
        "isolation": isolation,
        "suites": "the challenge's own config: 1000 bootstrap replicates, ablation + permutation "
        "+ random explainers on 100 rows, threshold attacks and LiRA offline / RMIA with 16 "
        "reference models of the declared recipe",
        "repeats": args.repeats,
        "score_in_process_s": statistics.median(in_process),
        "score_sandboxed_s": statistics.median(sandboxed),
        "sandbox_overhead_ratio": statistics.median(sandboxed) / statistics.median(in_process),
        "reports_agree_to": worst,
        "one_submission_end_to_end_s": statistics.median(end_to_end),
        "one_submission_end_to_end_all_s": end_to_end,
    }
    write_result(OUT, result)


if __name__ == "__main__":
    main()
