"""Benchmark: our explanation metrics vs Quantus 0.6 vs the bound, tabular MLP and small CNN.

For each case (same model, inputs, saliency attributions and perturbations on both sides):

- ``deletion_auc``: ours = engine over every deletion mask; Quantus = ``PixelFlipping``;
  bound = one forward pass over the pre-built tensor of all perturbed inputs.
- ``faithfulness_correlation``: ours = engine over random subsets; Quantus =
  ``FaithfulnessCorrelation``; bound = forward over the pre-built perturbed inputs.
- ``max_sensitivity`` / ``relative_input_stability``: ours = one batched re-explanation
  (saliency) of all noisy copies (+ one forward for the class check, RIS); Quantus =
  ``MaxSensitivity`` / ``RelativeInputStability``; bound = forward+backward (+ forward) over
  the pre-built noisy tensor.

Quantus gets all rows as one batch (``batch_size=n``): its fastest setting, and the one that
lets its random draws be replayed on our side. Values are checked where definitions agree (same subsets / noise replayed into Quantus).
Writes ``results/bench/explainability.json``. ``--quick`` shrinks everything for a smoke run.

    python scripts/bench_explainability.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from trustbench.explain import MaskedForward, SaliencyExplainer
from trustbench.metrics import explain_faithfulness as ff
from trustbench.metrics import explain_robustness as rb


class Facade:
    """Minimal torch facade: numeric arrays in, tensors on ``device`` (features = columns)."""

    def __init__(self, module: nn.Module, device: torch.device, d: int | None = None) -> None:
        self.module_ = module.to(device).eval()
        self.device_ = device
        self.feature_groups_ = None if d is None else np.arange(d)

    def transform(self, X):
        return torch.as_tensor(np.asarray(X, dtype=np.float32), device=self.device_)

    @torch.no_grad()
    def predict_proba(self, X):
        return torch.softmax(self.module_(self.transform(X)), 1).double().cpu().numpy()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, reps):
    """Best of ``reps`` wall-clock runs after one warm-up run."""
    out = fn()
    best = float("inf")
    for _ in range(reps):
        sync(device)
        t = time.perf_counter()
        out = fn()
        sync(device)
        best = min(best, time.perf_counter() - t)
    return best, out


def make_case(kind: str, quick: bool, device: torch.device, seed: int = 0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if kind == "tabular_mlp":
        n, d = (64, 20) if quick else (256, 40)
        net = nn.Sequential(
            nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)
        )
        X = rng.uniform(0.05, 1.0, size=(n, d)).astype(np.float32)
        model = Facade(net, device, d)
        q_module = nn.Sequential(nn.Flatten(), net).to(device).eval()  # Quantus needs (n, C, H, W)
        q_shape = (n, 1, 1, d)
        steps = d // 2
    else:
        n, side = (16, 16) if quick else (64, 32)
        net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.GroupNorm(4, 16),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(256, 2),
        )
        X = rng.uniform(0.05, 1.0, size=(n, 1, side, side)).astype(np.float32)
        model = Facade(net, device)
        q_module = net
        q_shape = X.shape
        steps = 16
    y = model.predict_proba(X).argmax(1)
    a = SaliencyExplainer(model).attribute(X, y).astype(np.float32)
    return model, q_module, X, y, a, q_shape, steps


def saliency_np(module, device):
    def explain(model=None, inputs=None, targets=None, **_):
        x = torch.as_tensor(np.asarray(inputs, np.float32), device=device).requires_grad_(True)
        out = module(x)
        grad = torch.autograd.grad(
            out[torch.arange(len(x)), torch.as_tensor(targets, device=device)].sum(), x
        )[0]
        return grad.abs().detach().cpu().numpy()

    return explain


class Replay:
    """Quantus perturb_func replaying pre-drawn noise, one sample per call."""

    def __init__(self, noise):
        self.noise, self.calls = noise, 0

    def __call__(self, arr, indices, **_):
        out = arr + self.noise[self.calls % len(self.noise)].reshape(arr.shape)
        self.calls += 1
        return out


def bench_case(kind, quick, device, reps):
    import quantus

    model, q_module, X, y, a, q_shape, steps = make_case(kind, quick, device)
    n = len(X)
    d = a.reshape(n, -1).shape[1]
    qx, qa = X.reshape(q_shape), a.reshape(q_shape)
    dev = str(device)
    out = {"n_rows": n, "n_features": d}
    fwd = model.module_

    @torch.no_grad()
    def forward_all(tensor, chunk=65536):
        return [torch.softmax(fwd(tensor[i : i + chunk]), 1) for i in range(0, len(tensor), chunk)]

    x_t = model.transform(X)
    flat = x_t.reshape(n, -1)

    # -- deletion AUC ---------------------------------------------------------------------
    def ours_deletion():
        engine = MaskedForward(model, X, np.zeros((1, *X.shape[1:]), np.float32), y, 2)
        curves = engine(ff.deletion_masks(a, steps)).T
        return ff.deletion_auc(curves), curves

    masks = torch.as_tensor(ff.deletion_masks(a, steps), device=device)
    prebuilt = torch.where(masks, 0.0, flat[None]).reshape(-1, *X.shape[1:])
    bound = timed(lambda: forward_all(prebuilt), device, reps)[0]
    t_ours, (v_ours, curves) = timed(ours_deletion, device, reps)
    pf = quantus.PixelFlipping(
        features_in_step=d // steps,
        perturb_baseline=0.0,
        normalise=False,
        abs=False,
        disable_warnings=True,
    )
    t_q, q_curves = timed(
        lambda: pf(
            model=q_module,
            x_batch=qx,
            y_batch=y,
            a_batch=qa,
            device=dev,
            channel_first=True,
            softmax=True,
            batch_size=n,
        ),
        device,
        reps,
    )
    diff = float(np.abs(np.asarray(q_curves) - curves[:, 1:]).max())
    out["deletion_auc"] = record(
        t_ours,
        t_q,
        bound,
        v_ours,
        float(np.mean(ff.curve_auc(curves))),
        diff,
        "max |curve difference| (Quantus PixelFlipping curves)",
    )

    # -- faithfulness correlation -----------------------------------------------------------
    runs, size = (8, max(1, d // 4)) if quick else (100, max(1, d // 4))

    def ours_fc(subsets=None):
        engine = MaskedForward(model, X, np.zeros((1, *X.shape[1:]), np.float32), y, 2)
        if subsets is None:
            subsets = ff.random_subsets(np.random.default_rng(0), runs, n, d, size)
        p0 = engine(np.zeros((1, d), bool))[0]
        deltas = p0[:, None] - engine(subsets).T
        return ff.faithfulness_correlation(ff.subset_sums(a, subsets), deltas)

    sub = torch.as_tensor(
        ff.random_subsets(np.random.default_rng(0), runs, n, d, size), device=device
    )
    prebuilt = torch.where(sub, 0.0, flat[None]).reshape(-1, *X.shape[1:])
    bound = timed(lambda: forward_all(prebuilt), device, reps)[0]
    t_ours, v_ours = timed(ours_fc, device, reps)
    fc = quantus.FaithfulnessCorrelation(
        nr_runs=runs,
        subset_size=size,
        normalise=False,
        abs=False,
        perturb_baseline=0.0,
        disable_warnings=True,
    )

    def quantus_fc():
        np.random.seed(1)  # noqa: NPY002 -- Quantus draws from the global RNG
        return fc(
            model=q_module,
            x_batch=qx,
            y_batch=y,
            a_batch=qa,
            device=dev,
            softmax=True,
            channel_first=True,
            batch_size=n,
        )

    t_q, v_q = timed(quantus_fc, device, reps)
    np.random.seed(1)  # noqa: NPY002 -- replay Quantus' subsets for the value check
    replay = np.zeros((runs, n, d), bool)
    for r in range(runs):
        idx = np.stack([np.random.choice(d, size, replace=False) for _ in range(n)])  # noqa: NPY002
        replay[r, np.arange(n)[:, None], idx] = True
    v_same = ours_fc(replay)
    out["faithfulness_correlation"] = record(
        t_ours,
        t_q,
        bound,
        v_same,
        float(np.nanmean(v_q)),
        abs(v_same - float(np.nanmean(v_q))),
        "same subsets",
    )

    # -- max-sensitivity and RIS ---------------------------------------------------------------
    samples = 4 if quick else 50
    noise = (
        np.random.default_rng(2).uniform(-0.02, 0.02, size=(samples, *X.shape)).astype(np.float32)
    )
    explainer = SaliencyExplainer(model)
    noisy = (X[None] + noise).reshape(samples * n, *X.shape[1:])

    def ours_robust(ris: bool):
        a_s = explainer.attribute(noisy, np.tile(y, samples)).reshape(samples, *a.shape)
        if not ris:
            return rb.max_sensitivity(a, a_s)
        changed = model.predict_proba(noisy).argmax(1).reshape(samples, n) != y[None]
        return rb.relative_input_stability(
            a, a_s, X.reshape(n, -1), noisy.reshape(samples, n, -1), changed
        )

    noisy_t = model.transform(noisy)

    def bound_robust(ris: bool):
        x = noisy_t.clone().requires_grad_(True)
        logits = fwd(x)
        torch.autograd.grad(logits[:, 0].sum(), x)
        if ris:
            forward_all(noisy_t)

    explain = saliency_np(q_module, device)
    for name, ris, cls in (
        ("max_sensitivity", False, quantus.MaxSensitivity),
        ("relative_input_stability", True, quantus.RelativeInputStability),
    ):
        bound = timed(lambda ris=ris: bound_robust(ris), device, reps)[0]
        t_ours, v_ours = timed(lambda ris=ris: ours_robust(ris), device, reps)
        metric = cls(
            nr_samples=samples,
            perturb_func=Replay(noise.reshape(samples, *q_shape)),
            disable_warnings=True,
        )
        t_q, v_q = timed(
            lambda metric=metric: metric(
                model=q_module,
                x_batch=qx,
                y_batch=y,
                a_batch=qa,
                explain_func=explain,
                device=dev,
                channel_first=True,
                batch_size=n,
            ),
            device,
            reps,
        )
        v_q = np.asarray(v_q, dtype=float)
        how = "same noise replayed"
        if (
            ris
        ):  # Quantus sets a row to NaN when any perturbation changes its class; compare the rest
            a_s = explainer.attribute(noisy, np.tile(y, samples)).reshape(samples, *a.shape)
            changed = model.predict_proba(noisy).argmax(1).reshape(samples, n) != y[None]
            rows = rb.relative_stability_per_row(
                a, a_s, X.reshape(n, -1), noisy.reshape(samples, n, -1), changed
            )
            keep = np.isfinite(v_q)
            v_ours = float(np.mean(rows[keep]))
            how += f"; {int(keep.sum())} of {n} rows whose class never changes"
        v_q = float(np.nanmean(v_q))
        out[name] = record(t_ours, t_q, bound, v_ours, v_q, abs(v_ours - v_q), how)
    return out


def record(t_ours, t_q, bound, v_ours, v_q, diff, how):
    return {
        "ours_s": t_ours,
        "quantus_s": t_q,
        "bound_s": bound,
        "ours_over_bound": t_ours / bound,
        "quantus_over_bound": t_q / bound,
        "speedup_vs_quantus": t_q / t_ours,
        "value_ours": float(v_ours),
        "value_quantus": float(v_q),
        "value_diff": float(diff),
        "value_check": how,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, one repetition (smoke run)"
    )
    parser.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda")
    parser.add_argument("--out", default="results/bench/explainability.json")
    args = parser.parse_args()
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    reps = 3 if args.quick else 5
    results = {
        "benchmark": "explainability metrics: ours vs Quantus 0.6 vs bound",
        "quick": args.quick,
        "device": {
            "type": device.type,
            "name": torch.cuda.get_device_name(device)
            if device.type == "cuda"
            else platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
        },
        "cases": {},
    }
    for kind in ("tabular_mlp", "image_cnn"):
        results["cases"][kind] = bench_case(kind, args.quick, device, reps)
        for metric, r in results["cases"][kind].items():
            if isinstance(r, dict):
                print(
                    f"{kind:12s} {metric:26s} ours/bound {r['ours_over_bound']:6.2f}  "
                    f"quantus/bound {r['quantus_over_bound']:8.1f}  value diff {r['value_diff']:.2e}"
                )
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
