"""Synthetic shifts of the test split, reported as curves over severity.

``suite.generalization.shifts = {kinds: [...], severities: [...], feature: null, metrics:
[...]}``. For each kind of :data:`trustbench.data.shifts.SHIFT_KINDS` and severity ``s``:
``generalization/shift/<kind>/<s>/<metric>`` with a bootstrap CI, and the curves as
``plots/shift_curves.png`` (severity 0 is the unshifted test split; each kind's x axis says
what is shifted and in which unit, :func:`shift_axes`). Every shifted row is
written to ``generalization/shifts.parquet`` (``row_id, kind, severity, y_true, weight,
proba_<k>``) so that each number can be recomputed without the model.

``covariate`` and ``label_prior`` reweight the test rows (:mod:`trustbench.data.shifts`): the
metric is the weighted metric, and its replicates use ``counts * weights``; the reported ``n``
is Kish's effective sample size of the weights. ``noise`` runs the model again on the test
rows with Gaussian noise added to the continuous measurements
(:func:`trustbench.data.shifts.gaussian_noise`: integer-coded columns with at most
:data:`~trustbench.data.shifts.MAX_INTEGER_LEVELS` values unchanged, counts rounded, values
clipped to the observed range); it measures robustness to measurement noise on the same
patients, not a population shift.

The default covariate-shift feature (``feature: null``) is the first continuous feature that
is a measurement, not a set of coded levels (:func:`trustbench.data.shifts.numeric_scale` on
the training rows): a 0/1 column stored as numbers is never chosen, since tilting it would
only change the mix of its two groups. Without such a feature the covariate shift is skipped
with a note; naming a coded column in ``feature`` reweights its levels (with a note).

On image tasks ``noise``, ``blur`` and ``contrast`` corrupt the test images
(:mod:`trustbench.data.image_shifts`) and run the model again (corruption robustness);
``label_prior`` reweights as on tabular data; ``covariate`` (a tabular feature) is skipped
with a note, as are ``blur`` and ``contrast`` on tabular tasks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.data import image_shifts as IS
from trustbench.data import shifts as S
from trustbench.errors import ConfigError, DataError
from trustbench.metrics.specs.generalization import SPLIT_METRICS, split_metric
from trustbench.metrics.weights import map_chunks
from trustbench.models import check_proba
from trustbench.models.facade import predict_proba
from trustbench.plots import shift_curves
from trustbench.registry import unknown_name_message
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.generalization.config import ShiftsConfig

__all__ = ["check_shift_config", "shift_results"]

FAMILY = "generalization"
SHIFT_METRICS = tuple(SPLIT_METRICS)
MEANING = {
    "covariate": "rows reweighted by exp(s z) on feature '{feature}' (mean shift of s SDs)",
    "label_prior": "rows reweighted so that the positive-class log-odds move by s",
    "noise": "Gaussian noise of s x train SD added to every continuous measurement (coded "
    "integer levels unchanged, counts rounded, values clipped to the observed range)",
    "image_noise": "Gaussian noise of s x train pixel SD added to every pixel (clipped to [0, 1])",
    "blur": "Gaussian blur of sigma s pixels on every image",
    "contrast": "image contrast reduced to x' = m + (x - m) / (1 + s), m the image mean",
}
#: Every shift kind: the tabular ones and the image corruptions.
ALL_SHIFT_KINDS = tuple(dict.fromkeys((*S.SHIFT_KINDS, *IS.IMAGE_SHIFT_KINDS)))
IMAGE_ONLY_KINDS = tuple(k for k in IS.IMAGE_SHIFT_KINDS if k not in S.SHIFT_KINDS)


def check_shift_config(cfg: ShiftsConfig) -> None:
    """Raise ConfigError for an unknown kind or metric, or a severity that is not a number."""
    for kind in cfg.kinds:
        if kind not in ALL_SHIFT_KINDS:
            raise ConfigError(
                "suite.generalization.shifts.kinds: "
                + unknown_name_message("shift", str(kind), ALL_SHIFT_KINDS)
            )
    for metric in cfg.metrics:
        if metric not in SHIFT_METRICS:
            raise ConfigError(
                "suite.generalization.shifts.metrics: "
                + unknown_name_message("metric", str(metric), SHIFT_METRICS)
            )
    for severity in cfg.severities:
        if (
            isinstance(severity, bool)
            or not isinstance(severity, int | float)
            or not np.isfinite(severity)
        ):
            raise ConfigError(
                f"suite.generalization.shifts.severities: expected finite numbers, got {severity!r}"
            )


def _feature(ctx: ScoringContext, name: str | None, scales: dict[str, str]) -> str | None:
    """The covariate-shift feature: ``name``, or the first continuous measurement."""
    continuous = ctx.task.features_of_kind("continuous")
    if name is None:
        measured = [c for c in continuous if scales.get(c) != "levels"]
        return measured[0] if measured else None
    if name not in continuous:
        raise DataError(
            f"suite.generalization.shifts.feature: expected a continuous feature of dataset "
            f"'{ctx.task.name}' ({', '.join(continuous) or 'none'}), got '{name}'"
        )
    return name


def _no_feature_note(kind: str, dataset: str, scales: dict[str, str]) -> str:
    coded = [c for c, scale in scales.items() if scale == "levels"]
    if not coded:
        return f"{kind} shift skipped: dataset '{dataset}' has no continuous feature"
    return (
        f"{kind} shift skipped: dataset '{dataset}' has no truly continuous feature (every "
        f"numeric feature is integer-coded with at most {S.MAX_INTEGER_LEVELS} levels: "
        f"{', '.join(coded)})"
    )


#: x-axis label of each kind's shift-curve panels: what the severity s measures, in which unit.
AXIS = {
    "covariate": "{feature} mean shift (SD)",
    "label_prior": "log-odds shift of '{positive}'",
    "noise": "noise σ (× train SD)",
    "image_noise": "noise σ (× train pixel SD)",
    "blur": "blur σ (pixels)",
    "contrast": "s: contrast divided by 1 + s",
}


def shift_axes(
    ctx: ScoringContext, kinds: list[str], feature: str | None
) -> dict[str, tuple[str, str]]:
    """``{kind: (x label, description)}`` of the shift-curve plot: what is shifted and by how
    much (the covariate feature's SD and mean on the test split, in the feature's own units;
    the positive class and its test prevalence for a label shift)."""
    is_image, test, classes = ctx.task.is_image, ctx.split("test"), ctx.task.classes
    binary = len(classes) == 2
    out = {}
    for kind in kinds:
        key = "image_noise" if is_image and kind == "noise" else kind
        label = AXIS[key].format(feature=feature, positive=classes[-1])
        description = f"{kind.replace('_', ' ')} shift: {_meaning(kind, is_image, feature)}"
        if kind == "covariate" and feature is not None:
            x = np.asarray(test.X[feature], dtype=float)
            description = (
                f"covariate shift: test rows reweighted by exp(s z), z = standardised "
                f"'{feature}'; its mean moves by s SD (test: mean {np.nanmean(x):.3g}, "
                f"1 SD = {np.nanstd(x):.3g})"
            )
        elif kind == "label_prior" and binary:
            prevalence = float(np.mean(test.y == 1))
            description = (
                f"label shift: rows reweighted so that the log-odds of '{classes[1]}' move by "
                f"s (test prevalence {prevalence:.2f})"
            )
        elif kind == "label_prior":
            label = "s: class-prior tilt (log-odds)"
            description = "label shift: class prior tilted, log pi_k + s k / (K - 1)"
        out[kind] = (label, description)
    return out


def _meaning(kind: str, is_image: bool, feature: str | None) -> str:
    key = "image_noise" if is_image and kind == "noise" else kind
    return MEANING[key].format(feature=feature)


def shift_results(
    ctx: ScoringContext, cfg: ShiftsConfig, n_bins: int, plots: bool = True
) -> tuple[list[MetricResult], list[str]]:
    """Metrics of the test split under each configured shift and severity."""
    kinds = list(cfg.kinds)
    severities = [float(s) for s in cfg.severities]
    if not kinds or not severities:
        return [], []
    check_shift_config(cfg)
    metrics = list(cfg.metrics)
    test, train = ctx.split("test"), ctx.split("train")
    y, proba = test.y, ctx.proba["test"]
    weights = stacked(ctx.counts("test"))
    is_image = ctx.task.is_image
    scales = {} if is_image else S.noise_scales(train.X, ctx.task.features)
    measured = [c for c, scale in scales.items() if scale != "levels"]
    feature = _feature(ctx, cfg.feature, scales)
    notes: list[str] = []
    results: list[MetricResult] = []
    curves: dict[str, dict[str, tuple[list, list, list]]] = {m: {} for m in metrics}
    tables: list[pd.DataFrame] = []
    for kind in kinds:
        if kind in IMAGE_ONLY_KINDS and not is_image:
            notes.append(f"{kind} shift skipped: dataset '{ctx.task.name}' is not an image task")
            continue
        if (kind == "covariate" and feature is None) or (
            kind == "noise" and not is_image and not measured
        ):
            notes.append(_no_feature_note(kind, ctx.task.name, scales))
            continue
        points = {m: ([], [], []) for m in metrics}
        try:
            for severity in severities:
                p, w = proba, np.ones(len(y))
                if kind == "covariate":
                    w = S.covariate_shift_weights(test.X[feature].to_numpy(), severity)
                elif kind == "label_prior":
                    w = S.label_shift_weights(y, severity, ctx.task.n_classes)
                else:
                    if is_image:
                        X = IS.corrupt(test.X, kind, severity, train.X, ctx.seed)
                    else:
                        X = S.gaussian_noise(test.X, train.X, ctx.task.features, severity, ctx.seed)
                    p = check_proba(
                        predict_proba(ctx.model, X, test.sensitive),
                        len(y),
                        ctx.task.n_classes,
                        where=f"predict_proba on 'test' with {kind} severity {severity:g}",
                    )
                ess = S.effective_sample_size(w)
                frame = {"row_id": test.row_id, "kind": kind, "severity": severity}
                frame.update(y_true=y, weight=w)
                frame.update({f"proba_{k}": p[:, k] for k in range(p.shape[1])})
                tables.append(pd.DataFrame(frame))
                for metric in metrics:
                    fn = split_metric(metric, n_bins)
                    row = np.asarray(
                        map_chunks(lambda c, fn=fn, p=p, w=w: fn(y, p, weights=c * w), weights)
                    )
                    out = ctx.from_row(
                        FAMILY,
                        f"shift/{kind}/{severity:g}/{metric}",
                        row,
                        detail=f"on the test split under a {kind} shift of severity "
                        f"{severity:g}: {_meaning(kind, is_image, feature)}",
                        n=round(ess),
                        split="test",
                        note=None if np.isfinite(row[0]) else f"undefined under {kind} shift",
                    )
                    results.append(out)
                    for part, value in zip(
                        points[metric], (out.value, out.ci_low, out.ci_high), strict=True
                    ):
                        part.append(np.nan if value is None else value)
        except DataError as exc:
            notes.append(f"{kind} shift skipped: {exc}")
            results = [r for r in results if not r.name.startswith(f"shift/{kind}/")]
            tables = [t for t in tables if t["kind"].iloc[0] != kind]
            continue
        for metric in metrics:
            curves[metric][kind] = points[metric]
    if tables:
        ctx.artifacts["generalization/shifts.parquet"] = pd.concat(tables, ignore_index=True)
    if plots and any(curves[m] for m in metrics):
        baseline = {m: float(split_metric(m, n_bins)(y, proba, weights=None)) for m in metrics}
        info = shift_axes(ctx, [k for k in kinds if any(k in curves[m] for m in metrics)], feature)
        ctx.artifacts["plots/shift_curves.png"] = shift_curves(curves, severities, baseline, info)
    if feature is not None and "covariate" in kinds:
        notes.append(f"covariate shift on feature '{feature}'")
        if scales.get(feature) == "levels":
            notes.append(
                f"covariate shift feature '{feature}' is integer-coded with at most "
                f"{S.MAX_INTEGER_LEVELS} levels: the shift reweights its levels (changes their "
                "mix), it does not move a continuous measurement"
            )
    return results, notes
