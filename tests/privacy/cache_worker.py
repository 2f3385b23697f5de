"""Reference outputs of a tiny scikit-learn target, cached in a folder: run by the cache tests
in-process, or as ``python -m tests.privacy.cache_worker <folder>`` in a process that may not
write the folder (the read-only tests); prints the outcome as one JSON line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def tiny_target(n: int = 60) -> tuple[Any, pd.DataFrame, np.ndarray]:
    """A fitted logistic-regression pipeline on ``n`` rows of two features, and its data."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from trustbench.data.task import FeatureSpec
    from trustbench.models import make_preprocessor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (X["a"] + 0.5 * rng.normal(size=n) > 0).to_numpy().astype(int)
    features = [FeatureSpec("a", "continuous"), FeatureSpec("b", "continuous")]
    model = Pipeline([("preprocess", make_preprocessor(features)), ("est", LogisticRegression())])
    return model.fit(X, y), X, y


def outputs(folder: str | Path | None, seed: int = 0, **kwargs: Any) -> Any:
    """``reference_outputs`` of the tiny target: 2 models on a pool of 40 rows, 20 extra rows."""
    from trustbench.privacy import reference as ref
    from trustbench.privacy.pool import complementary_halves

    model, X, y = tiny_target()
    keep = complementary_halves(40, 2, seed=seed)
    return ref.reference_outputs(
        model,
        X[:40],
        y[:40],
        X[40:],
        y[40:],
        keep,
        seed=seed,
        training={"trainer": "standard"},
        fingerprint="f" * 64,
        row_keys=[str(i) for i in range(60)],
        cache_dir=folder,
        **kwargs,
    )


def main(folder: str) -> None:
    out = outputs(folder)
    print(json.dumps({"cached": out.cached, "notes": out.cache_notes, "phi": out.phi.tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])
