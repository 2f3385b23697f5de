"""Duplicates, leakage across splits and conflicting labels (``data/splits/{split}/...``).

A test row with an exact or near twin in train is a patient the model has (as far as its
inputs go) already seen: every test number computed over such rows is inflated. The twin masks
found here are kept on the :class:`LeakageResult`, so that the suite can recompute the model's
test AUC on the twin-free rows once a model exists (:func:`twin_inflation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustbench.data.task import TaskData
from trustbench.metrics import performance as P
from trustbench.metrics.data_images import hamming_nearest, perceptual_hashes, thumbnails
from trustbench.metrics.data_leakage import (
    conflicting_label_mask,
    duplicate_mask,
    row_hashes,
    twin_mask,
)
from trustbench.metrics.data_neighbours import near_twin_mask
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, registered_result, stacked
from trustbench.suites.data.config import DataConfig
from trustbench.suites.data.inputs import DataInputs

__all__ = ["LeakageResult", "leakage_results", "twin_inflation"]

FAMILY = "data"
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd constant: (hash, label) -> one hash


@dataclass
class LeakageResult:
    """Metrics, warnings and the per-split twin masks of the leakage checks."""

    metrics: list[MetricResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    twins: dict[str, np.ndarray] = field(default_factory=dict)  # exact or near twin in train
    table: pd.DataFrame | None = None  # data/twins.parquet: one row per test/ood row with a twin


def _with_label(hashes: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return hashes * _MIX + np.asarray(y, dtype=np.uint64)


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else float("nan")


def _fact(name: str, split: str, mask: np.ndarray, detail: str | None = None) -> MetricResult:
    count = int(mask.sum())
    words = f"{count} of {mask.size} rows" + (f"; {detail}" if detail else "")
    return registered_result(
        FAMILY, f"splits/{split}/{name}", _share(mask), detail=words, n=int(mask.size), split=split
    )


def _near_twins(
    task: TaskData, inputs: DataInputs, cfg: DataConfig, split: str, seed: int, train: dict
) -> tuple[np.ndarray, str]:
    """Near-twin mask of ``split`` against train and the words of its threshold. ``train``
    keeps what only depends on train (its hashes, thumbnails, typical distance) across splits."""
    if inputs.image:  # both: hashes within k bits and thumbnails within the distance rule
        images, other = task.train.X, task.splits[split].X
        size = min(16, *images.shape[-2:])  # 16x16, or the image itself when smaller
        if "hashes" not in train:
            train.update(hashes=perceptual_hashes(images), thumbnails=thumbnails(images, size))
        hashes = hamming_nearest(perceptual_hashes(other), train["hashes"])
        close, train["typical"] = near_twin_mask(
            train["thumbnails"], thumbnails(other, size), ratio=cfg.near_twin_ratio,
            max_reference=cfg.max_rows, seed=seed, typical=train.get("typical"),
        )  # fmt: skip
        return (hashes <= cfg.image_hash_distance) & close, (
            f"average hashes within {cfg.image_hash_distance} bits and standardised {size}x{size} "
            f"thumbnails within {cfg.near_twin_ratio:g} x typical distance {train['typical']:.3g}"
        )
    mask, train["typical"] = near_twin_mask(
        inputs.matrix("train"),
        inputs.matrix(split),
        ratio=cfg.near_twin_ratio,
        max_reference=cfg.max_rows,
        seed=seed,
        typical=train.get("typical"),
    )
    return mask, f"distance <= {cfg.near_twin_ratio:g} x typical {train['typical']:.3g}"


def leakage_results(
    task: TaskData, inputs: DataInputs, cfg: DataConfig, seed: int
) -> LeakageResult:
    """Duplicates within each split, twins of test/ood rows in train, conflicting labels."""
    out = LeakageResult()
    splits = {name: s for name, s in task.splits.items() if len(s)}
    hashes = {name: row_hashes(split.X) for name, split in splits.items()}
    labelled = {name: _with_label(hashes[name], splits[name].y) for name in splits}
    for name in splits:
        out.metrics.append(_fact("duplicate_share", name, duplicate_mask(hashes[name])))
        out.metrics.append(
            _fact("duplicate_share_with_label", name, duplicate_mask(labelled[name]))
        )
        out.metrics.append(
            _fact(
                "conflicting_label_share",
                name,
                conflicting_label_mask(hashes[name], splits[name].y),
            )
        )
    every = np.concatenate(list(hashes.values()))
    labels = np.concatenate([s.y for s in splits.values()])
    conflicts = conflicting_label_mask(every, labels)
    out.metrics.append(_fact("conflicting_label_share", "all", conflicts, "every split together"))
    if conflicts.any():
        out.warnings.append(
            f"data: {int(conflicts.sum())} rows share identical features with a row of another "
            f"label (data/splits/all/conflicting_label_share {conflicts.mean():.1%}): the "
            "label is not a function of these inputs for them (a labelling error, or a "
            "missing feature)"
        )
    train_dup = duplicate_mask(hashes["train"])
    if train_dup.mean() > cfg.warn.twin_share:
        out.warnings.append(
            f"data: {int(train_dup.sum())} of {train_dup.size} train rows "
            f"({train_dup.mean():.1%}) repeat another train row exactly: remove duplicate "
            "rows from the table before it is split"
        )
    frames = []
    train: dict = {}  # train's side of the near-twin search, computed once
    for name in splits:
        if name == "train":
            continue
        exact = twin_mask(hashes[name], hashes["train"])
        near, rule = _near_twins(task, inputs, cfg, name, seed, train)
        near = near | exact
        out.twins[name] = near
        out.metrics.append(_fact("twin_share", name, exact))
        out.metrics.append(
            _fact("twin_share_with_label", name, twin_mask(labelled[name], labelled["train"]))
        )
        out.metrics.append(_fact("near_twin_share", name, near, rule))
        if near.any():
            frames.append(
                pd.DataFrame(
                    {
                        "split": name,
                        "row_id": splits[name].row_id[near],
                        "exact": exact[near],
                    }
                )
            )
        paired = task.paired_split(name) is not None
        if near.mean() > cfg.warn.twin_share and not paired:
            out.warnings.append(
                f"data: {int(near.sum())} of {near.size} {name} rows ({near.mean():.1%}) have a "
                f"twin in train ({int(exact.sum())} exact, {int((near & ~exact).sum())} near): "
                f"every {name} metric is inflated by patients the model has already seen; "
                f"data/splits/{name}/twin_auc_inflation says by how much. Remove duplicate "
                "rows before splitting"
            )
    if frames:
        out.table = pd.concat(frames, ignore_index=True)
    return out


def twin_inflation(
    ctx: ScoringContext, twins: dict[str, np.ndarray]
) -> tuple[list[MetricResult], list[str]]:
    """The model's AUC on each split's twin-free rows and the inflation of the full split's AUC
    over it (paired bootstrap: one resample of the split's rows for both)."""
    metrics: list[MetricResult] = []
    notes: list[str] = []
    for split, mask in twins.items():
        if split not in ctx.proba or not mask.any():
            continue
        data = ctx.split(split)
        keep = ~mask
        if len(np.unique(data.y[keep])) < ctx.task.n_classes:
            notes.append(
                f"data/splits/{split}/roc_auc_twin_free: undefined, the {int(keep.sum())} "
                f"twin-free {split} rows do not hold every class"
            )
            continue
        counts = ctx.counts(split, keep.size)
        weights = stacked(counts)
        full = np.asarray(P.roc_auc(data.y, ctx.proba[split], weights=weights), dtype=float)
        free = np.asarray(
            P.roc_auc(data.y[keep], ctx.proba[split][keep], weights=weights[:, keep]), dtype=float
        )
        detail = f"{int(keep.sum())} of {keep.size} rows have no twin in train"
        metrics.append(
            ctx.from_row(
                FAMILY, f"splits/{split}/roc_auc_twin_free", free, n=int(keep.sum()),
                split=split, detail=detail,
            )
        )  # fmt: skip
        metrics.append(
            ctx.from_row(
                FAMILY, f"splits/{split}/twin_auc_inflation", full - free, n=keep.size,
                split=split, detail=f"AUC {full[0]:.3f} on all rows vs {free[0]:.3f}; {detail}",
            )
        )  # fmt: skip
    return metrics, notes
