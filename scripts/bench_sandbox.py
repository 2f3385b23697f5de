"""The cost of the challenge sandbox: start-up, and per-request overhead on heart-sized input.

- start-up: from ``Sandbox.start()`` to the worker's ready frame (bwrap, imports, model load),
  for an ONNX logistic regression (skl2onnx) and a safetensors ``tabular_mlp_v1``;
- per request: ``predict_proba`` on ``--rows`` rows of the heart challenge's encoded width,
  through the sandbox vs the same onnxruntime session (one thread) / torch module in this
  process; the difference is the sandbox's overhead (framing, pipes, checks). For the
  safetensors model also ``forward`` and ``vjp``.

Writes ``results/bench/sandbox.json``.

    python scripts/bench_sandbox.py [--rows 1000] [--repeats 50]
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

OUT = Path(__file__).resolve().parent.parent / "results" / "bench" / "sandbox.json"


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heart_width() -> int:
    from trustbench.challenge.encoding import InputSchema
    from trustbench.data import load

    return int(InputSchema.from_task(load("heart", seed=0)).shape[0])


def onnx_logreg(folder: Path, d: int, rng: np.random.Generator) -> Path:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    X = rng.normal(size=(500, d)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    onx = to_onnx(
        clf,
        initial_types=[("X", FloatTensorType([None, d]))],
        options={id(clf): {"zipmap": False}},
        target_opset=17,
    )
    path = folder / "logreg.onnx"
    path.write_bytes(onx.SerializeToString())
    return path


def mlp_weights(folder: Path, d: int):
    import torch
    from safetensors.torch import save_file

    from trustbench.challenge.architectures import build

    torch.manual_seed(0)
    module = build("tabular_mlp_v1", in_features=d, n_classes=2)
    path = folder / "mlp.safetensors"
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, path)
    return path, module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()

    import onnxruntime as ort
    import torch

    from trustbench.challenge.isolation import launch_mode, probe
    from trustbench.challenge.sandbox import Sandbox

    start = time.perf_counter()
    probe()
    probe_s = time.perf_counter() - start
    mode, description = launch_mode()
    rng = np.random.default_rng(0)
    d = heart_width()
    X = rng.normal(size=(args.rows, d)).astype(np.float32)
    G = rng.normal(size=(args.rows, 2)).astype(np.float32)
    result: dict = {
        "benchmark": "sandbox",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "isolation": description,
        "mode": mode,
        "isolation_probe_seconds": probe_s,
        "rows": args.rows,
        "width": d,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        onnx_path = onnx_logreg(folder, d, rng)
        st_path, module = mlp_weights(folder, d)
        dims = {"in_features": d, "n_classes": 2}

        def startup(*spec) -> float:
            times = []
            for _ in range(args.starts):
                with Sandbox(*spec) as sandbox:
                    times.append(sandbox.startup_seconds)
            return statistics.median(times)

        result["startup_seconds"] = {
            "onnx": startup(onnx_path, "onnx"),
            "safetensors": startup(st_path, "safetensors", "tabular_mlp_v1", dims),
        }

        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        local_onnx = median_seconds(lambda: session.run(["probabilities"], {"X": X}), args.repeats)
        with Sandbox(onnx_path, "onnx") as sandbox:
            remote_onnx = median_seconds(lambda: sandbox.predict_proba(X), args.repeats)

        torch.set_num_threads(1)
        x = torch.from_numpy(X)

        def local_vjp():
            xg = x.clone().requires_grad_(True)
            torch.autograd.grad(module(xg), xg, torch.from_numpy(G))

        with torch.no_grad():
            local = {
                "predict_proba": median_seconds(lambda: torch.softmax(module(x), 1), args.repeats),
                "forward": median_seconds(lambda: module(x), args.repeats),
            }
        local["vjp"] = median_seconds(local_vjp, args.repeats)
        with Sandbox(st_path, "safetensors", "tabular_mlp_v1", dims) as sandbox:
            remote = {
                "predict_proba": median_seconds(lambda: sandbox.predict_proba(X), args.repeats),
                "forward": median_seconds(lambda: sandbox.forward(X), args.repeats),
                "vjp": median_seconds(lambda: sandbox.vjp(X, G), args.repeats),
            }
    result["per_request_seconds"] = {
        "onnx_predict_proba": {
            "sandbox": remote_onnx,
            "in_process": local_onnx,
            "overhead": remote_onnx - local_onnx,
        },
        **{
            f"safetensors_{op}": {
                "sandbox": remote[op],
                "in_process": local[op],
                "overhead": remote[op] - local[op],
            }
            for op in remote
        },
    }
    write_result(OUT, result)


if __name__ == "__main__":
    main()
