"""Benchmark the privacy suite's training costs; writes JSON to results/bench/.

(1) K reference models trained one after another (each its own module, ``torch.optim.Adam``
    and shuffled mini-batches, as peer tools do) versus :func:`trustbench.privacy.ensemble.
    train_ensemble` (one vmap step trains all K), same data, subsets, seeds and epochs;
    the issue's setting: two-layer MLP, 20,000 rows, 3 epochs, K in {8, 32, 64}.
(2) DP-SGD (Opacus) epoch time versus a non-private epoch of the same module, optimizer and
    batch size, per grad-sample mode, for ``mlp`` and ``cnn``.
(3) K DP-SGD reference models (the reference models of an audit against a DP target): one
    after another with Opacus (Poisson sampling, each grad-sample mode's best, ``ew``) versus
    :func:`trustbench.privacy.ensemble_dp.train_ensemble_dp`, same subsets, noise, clipping
    and epochs.

Usage: ``python scripts/bench_privacy.py [--quick] [--out PATH]``. ``--quick`` shrinks
everything for a smoke run (its JSON goes to ``results/bench/privacy_quick.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

from trustbench.models.mlp import MLP
from trustbench.models.recipe import TorchRecipe
from trustbench.models.torch_classifier import resolve_device
from trustbench.privacy.ensemble import train_ensemble
from trustbench.privacy.ensemble_dp import train_ensemble_dp
from trustbench.privacy.pool import complementary_halves


def device_info(device: torch.device) -> dict:
    info = {
        "device": str(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def sequential(factory, X, y, subsets, seeds, epochs, batch_size, lr, device) -> float:
    """Seconds to train the K models one after another."""
    _sync(device)
    start = time.perf_counter()
    for subset, seed in zip(subsets, seeds, strict=True):
        torch.manual_seed(seed)
        model = factory().to(device)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)
        rows = torch.as_tensor(subset, device=device)
        model.train()
        for _ in range(epochs):
            order = rows[torch.randperm(len(rows), generator=gen).to(device)]
            for s in range(0, len(rows), batch_size):
                batch = order[s : s + batch_size]
                opt.zero_grad(set_to_none=True)
                nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
                opt.step()
    _sync(device)
    return time.perf_counter() - start


def vectorised(factory, X, y, subsets, seeds, epochs, batch_size, lr, device) -> float:
    _sync(device)
    start = time.perf_counter()
    recipe = TorchRecipe(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=0.0)
    train_ensemble(factory, X, y, subsets, seeds, recipe)
    _sync(device)
    return time.perf_counter() - start


def bench_ensemble(device, rows, features, epochs, ks, batch_size, hidden) -> list[dict]:
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(rows, features, generator=gen).to(device)
    y = (X[:, :3].sum(dim=1) > 0).long()
    factory = partial(MLP, features, 2, hidden, 0.0)
    out = []
    warm = [np.arange(0, 128), np.arange(128, 256)]  # first-call costs (allocator, vmap set-up)
    for fn in (sequential, vectorised):
        fn(factory, X, y, warm, [0, 1], 1, batch_size, 3e-3, device)
    for k in ks:
        keep = complementary_halves(rows, k, seed=0)
        subsets = [np.flatnonzero(r) for r in keep]
        seeds = list(range(k))
        args = (factory, X, y, subsets, seeds, epochs, batch_size, 3e-3, device)
        t_seq = sequential(*args)
        t_vec = vectorised(*args)
        out.append(
            {
                "k": k,
                "sequential_s": round(t_seq, 3),
                "vectorised_s": round(t_vec, 3),
                "speedup": round(t_seq / t_vec, 2),
            }
        )
        print(
            f"ensemble K={k}: sequential {t_seq:.2f} s, vectorised {t_vec:.2f} s, "
            f"{t_seq / t_vec:.1f}x"
        )
    return out


def sequential_dp(factory, X, y, subsets, seeds, epochs, batch_size, lr, sigma, device) -> float:
    """Seconds to train K DP-SGD models one after another with Opacus."""
    from opacus import PrivacyEngine
    from torch.utils.data import DataLoader, TensorDataset

    _sync(device)
    start = time.perf_counter()
    for subset, seed in zip(subsets, seeds, strict=True):
        torch.manual_seed(seed)
        model = factory().to(device)
        rows = torch.as_tensor(subset)
        loader = DataLoader(
            TensorDataset(X[rows.to(X.device)], y[rows.to(y.device)]),
            batch_size=batch_size,
            generator=torch.Generator().manual_seed(seed),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module, opt, private_loader = PrivacyEngine(accountant="rdp").make_private(
                module=model,
                optimizer=torch.optim.Adam(model.parameters(), lr=lr),
                data_loader=loader,
                noise_multiplier=sigma,
                max_grad_norm=1.0,
                poisson_sampling=True,
                grad_sample_mode="ew",
            )
            for _ in range(epochs):
                _epoch(module, private_loader, opt, nn.CrossEntropyLoss(), device)
    _sync(device)
    return time.perf_counter() - start


def bench_dp_ensemble(device, rows, features, epochs, ks, batch_size, hidden, sigma) -> list[dict]:
    gen = torch.Generator().manual_seed(2)
    X = torch.randn(rows, features, generator=gen).to(device)
    y = (X[:, :3].sum(dim=1) > 0).long()
    factory = partial(MLP, features, 2, hidden, 0.0)
    recipe = TorchRecipe(epochs=epochs, batch_size=batch_size, lr=3e-3, weight_decay=0.0)
    warm = [np.arange(0, 128), np.arange(128, 256)]
    sequential_dp(factory, X, y, warm, [0, 1], 1, batch_size, 3e-3, sigma, device)
    train_ensemble_dp(
        factory, X, y, warm, [0, 1], recipe, noise_multipliers=[sigma] * 2, max_grad_norm=1.0
    )
    out = []
    for k in ks:
        subsets = [np.flatnonzero(r) for r in complementary_halves(rows, k, seed=0)]
        seeds = list(range(k))
        t_seq = sequential_dp(
            factory, X, y, subsets, seeds, epochs, batch_size, 3e-3, sigma, device
        )
        _sync(device)
        start = time.perf_counter()
        train_ensemble_dp(
            factory, X, y, subsets, seeds, recipe, noise_multipliers=[sigma] * k,
            max_grad_norm=1.0,
        )  # fmt: skip
        _sync(device)
        t_vec = time.perf_counter() - start
        out.append(
            {
                "k": k,
                "sequential_opacus_s": round(t_seq, 3),
                "vectorised_s": round(t_vec, 3),
                "speedup": round(t_seq / t_vec, 2),
            }
        )
        print(
            f"DP ensemble K={k}: Opacus one after another {t_seq:.2f} s, vectorised "
            f"{t_vec:.2f} s, {t_seq / t_vec:.1f}x"
        )
    return out


def _epoch(module, loader, opt, loss_fn, device) -> float:
    _sync(device)
    start = time.perf_counter()
    module.train()
    for xb, yb in loader:
        if len(yb) == 0:
            continue
        opt.zero_grad(set_to_none=True)
        loss_fn(module(xb.to(device)), yb.to(device)).backward()
        opt.step()
    _sync(device)
    return time.perf_counter() - start


def bench_dp(name, factory, X, y, device, batch_size, modes, repeats) -> dict:
    from opacus import PrivacyEngine
    from torch.utils.data import DataLoader, TensorDataset

    data = TensorDataset(X, y)

    def plain():
        torch.manual_seed(0)
        module = factory().to(device)
        opt = torch.optim.Adam(module.parameters(), lr=1e-3)
        loader = DataLoader(data, batch_size=batch_size, shuffle=True)
        _epoch(module, loader, opt, nn.CrossEntropyLoss(), device)  # warm-up
        return min(
            _epoch(module, loader, opt, nn.CrossEntropyLoss(), device) for _ in range(repeats)
        )

    result = {
        "model": name,
        "rows": len(y),
        "batch_size": batch_size,
        "non_private_epoch_s": round(plain(), 4),
        "modes": {},
    }
    for mode in modes:
        try:
            torch.manual_seed(0)
            module = factory().to(device)
            opt = torch.optim.Adam(module.parameters(), lr=1e-3)
            loader = DataLoader(data, batch_size=batch_size, shuffle=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                made = PrivacyEngine(accountant="prv").make_private(
                    module=module,
                    optimizer=opt,
                    data_loader=loader,
                    criterion=nn.CrossEntropyLoss(),
                    noise_multiplier=1.0,
                    max_grad_norm=1.0,
                    poisson_sampling=True,
                    grad_sample_mode=mode,
                )
                if mode == "ghost":
                    p_module, p_opt, loss_fn, p_loader = made
                else:
                    (p_module, p_opt, p_loader), loss_fn = made, nn.CrossEntropyLoss()
                _epoch(p_module, p_loader, p_opt, loss_fn, device)
                t = min(_epoch(p_module, p_loader, p_opt, loss_fn, device) for _ in range(repeats))
            result["modes"][mode] = {
                "epoch_s": round(t, 4),
                "ratio": round(t / result["non_private_epoch_s"], 2),
            }
        except Exception as exc:  # a mode the module does not support is recorded, not fatal
            result["modes"][mode] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(f"dp {name} {mode}: {result['modes'][mode]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch intra-op threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    q = args.quick
    out_path = Path(args.out or f"results/bench/privacy{'_quick' if q else ''}.json")
    report = {"quick": q, "device": device_info(device)}

    setting = dict(
        rows=2000 if q else 20000,
        features=20,
        epochs=1 if q else 3,
        ks=[4, 8] if q else [8, 32, 64],
        batch_size=64,
        hidden=(64, 64),
    )
    report["ensemble"] = {
        "setting": {**setting, "hidden": list(setting["hidden"])},
        "results": bench_ensemble(device, **setting),
    }

    modes = ["hooks", "functorch", "ew", "ghost"]
    n = 2000 if q else 20000
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(n, 20, generator=gen)
    y = (X[:, 0] > 0).long()
    dp = [
        bench_dp("mlp", partial(MLP, 20, 2, (64, 64), 0.0), X, y, device, 256, modes, 1 if q else 3)
    ]
    from trustbench.models.cnn import CNN

    n_img = 512 if q else 5000
    Xi = torch.rand(n_img, 1, 28, 28, generator=gen)
    yi = (Xi.mean(dim=(1, 2, 3)) > 0.5).long()
    dp.append(
        bench_dp(
            "cnn",
            partial(CNN, in_channels=1, n_classes=2),
            Xi,
            yi,
            device,
            128,
            modes,
            1 if q else 3,
        )
    )
    report["dp"] = dp

    dp_setting = dict(
        rows=1000 if q else 4000,
        features=20,
        epochs=1 if q else 2,
        ks=[2, 4] if q else [8, 16],
        batch_size=64,
        hidden=(64, 64),
        sigma=1.0,
    )
    report["dp_ensemble"] = {
        "setting": {**dp_setting, "hidden": list(dp_setting["hidden"])},
        "results": bench_dp_ensemble(device, **dp_setting),
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=2))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
