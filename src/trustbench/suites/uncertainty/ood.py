"""OOD detection (``uncertainty/ood_detection/<score>/...``): does the model know it is out of
its depth?

Each score of ``ood_scores`` is computed for every ``test`` row (negatives) and ``ood`` row
(positives); ``auroc`` and ``fpr_at_tpr_<ood_tpr>`` say how well it tells them apart. The
bootstrap resamples each split on its own (with the replicates every other metric of that
split uses); the Mahalanobis fit on ``train`` is held fixed.

* ``msp``, ``entropy``: from the predicted probabilities (any model);
* ``energy``: from the logits, for torch models that expose them (a black-box model gives
  probabilities only);
* ``mahalanobis``: on the inputs encoded as the models encode them (imputation, scaling,
  one-hot; fitted on ``train``), class means and a tied covariance fitted on ``train``.
  Tabular tasks only: on images the pixels are no feature space for a Gaussian with one
  covariance (and a ``C*H*W``-square covariance would dominate the run); the original method
  uses a network's hidden features, which the model facade does not expose.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trustbench.metrics import uncertainty_ood as O
from trustbench.models.facade import is_torch_model, transform
from trustbench.models.preprocessing import make_preprocessor
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.uncertainty.config import UncertaintyConfig

__all__ = ["OOD_SCORES", "ood_results"]

FAMILY = "uncertainty"
OOD_SCORES = ("msp", "entropy", "energy", "mahalanobis")


def _logits(model: Any, X: Any, chunk_size: int = 65536) -> np.ndarray:
    """The model's logits of ``X``, in chunks (as ``TorchClassifier.predict_proba`` runs)."""
    import torch

    with torch.no_grad():
        model.module_.eval()
        encoded = transform(model, X)
        row_size = max(1, int(np.prod(encoded.shape[1:])))
        step = max(1, min(chunk_size, 2**22 // row_size))
        parts = [
            model.logits(encoded[i : i + step]).double().cpu().numpy()
            for i in range(0, len(encoded), step)
        ]
    return np.concatenate(parts) if parts else np.zeros((0, 0))


def _scores(ctx: ScoringContext, name: str) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """``{split: score}`` for test and ood, or None and why the score does not apply."""
    splits = ("test", "ood")
    if name == "msp":
        return {s: O.msp_score(ctx.proba[s]) for s in splits}, None
    if name == "entropy":
        return {s: O.entropy_score(ctx.proba[s]) for s in splits}, None
    if name == "energy":
        if not (is_torch_model(ctx.model) and hasattr(ctx.model, "logits")):
            return None, (
                "ood score 'energy' not computed: it needs logits, which only torch models "
                f"expose ({type(ctx.model).__name__} gives probabilities)"
            )
        return {s: O.energy_score(_logits(ctx.model, ctx.split(s).X)) for s in splits}, None
    if ctx.task.is_image:
        return None, (
            "ood score 'mahalanobis' not computed: image task (pixels are no feature space for "
            "one Gaussian covariance; the method needs a network's hidden features)"
        )
    train = ctx.task.train
    encoder = make_preprocessor(ctx.task.features)
    fitted = O.MahalanobisScore().fit(encoder.fit_transform(train.X), train.y)
    rows = pd.concat([ctx.split(s).X for s in splits], ignore_index=True)
    score = fitted.score(encoder.transform(rows))
    n_test = len(ctx.split("test"))
    return {"test": score[:n_test], "ood": score[n_test:]}, None


def ood_results(
    ctx: ScoringContext, cfg: UncertaintyConfig
) -> tuple[list[MetricResult], list[str]]:
    ood = ctx.task.ood
    if ood is None or not len(ood) or "ood" not in ctx.proba:
        return [], ["ood detection not computed: the task has no (non-empty) ood split"]
    results: list[MetricResult] = []
    notes: list[str] = []
    n_test, n_ood = len(ctx.split("test")), len(ood)
    is_ood = np.concatenate([np.zeros(n_test), np.ones(n_ood)])
    weights = np.hstack([stacked(ctx.counts("test")), stacked(ctx.counts("ood"))])
    level = f"{cfg.ood_tpr:g}"
    for name in cfg.ood_scores:
        scores, why = _scores(ctx, name)
        if scores is None:
            notes.append(str(why))
            continue
        score = np.concatenate([scores["test"], scores["ood"]])
        detail = f"score '{name}', {n_ood} ood rows against {n_test} test rows"
        for metric, row in (
            ("auroc", O.ood_auroc(is_ood, score, weights)),
            (f"fpr_at_tpr_{level}", O.fpr_at_tpr(is_ood, score, cfg.ood_tpr, weights)),
        ):
            results.append(
                ctx.from_row(
                    FAMILY, f"ood_detection/{name}/{metric}", np.asarray(row),
                    n=n_test + n_ood, split="test,ood", detail=detail,
                )
            )  # fmt: skip
    return results, notes
