"""Reference models trained by the target's own recipe, and the per-row outputs attacks need.

The recipe is taken from the fitted target itself (``sklearn.base.clone`` keeps every
hyper-parameter, the preprocessing included, and drops the learned state), so reference
models are built exactly as the run's ``build_model`` built the target, also for a model
handed to :func:`trustbench.score` directly. Only the seed and the training rows change.

* torch models (:class:`~trustbench.models.TorchClassifier`): all K train together as one
  vectorised ensemble (:mod:`trustbench.privacy.ensemble`; with DP-SGD, as the target was, by
  :mod:`trustbench.privacy.ensemble_dp`). The tabular preprocessor is
  fitted once, on the whole reference pool, so that all K share one encoding (images are
  used as they are) (a reference
  model fitted alone would fit it on its own half; the difference is the imputation and
  scaling statistics of a half versus the pool);
* scikit-learn models: one clone per reference model, fitted by ``n_jobs`` joblib threads,
  each with its own preprocessing fitted on its own half (the exact recipe).

What is kept (and cached on disk, never pickled models) is, for each model and row, the
log-probability of the true class ``log p_y`` and its logit-scaled confidence
``phi = log(p_y / (1 - p_y))``, computed from logits (torch) or log-probabilities (sklearn).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.special import logsumexp
from sklearn.base import clone

from trustbench.models.facade import is_torch_model, model_input, transform
from trustbench.privacy.cache import DEFAULT_MAX_MB, entry_key, load_entry, store_entry
from trustbench.privacy.pool import stack_rows, take_rows
from trustbench.training.record import DPRecord, TrainingRecord

log = logging.getLogger(__name__)

__all__ = [
    "ReferenceOutputs",
    "clone_problem",
    "recipe_hash",
    "reference_outputs",
    "true_class_stats",
]


@dataclass
class ReferenceOutputs:
    """Per-model, per-row outputs of K reference models.

    Attributes
    ----------
    logp : ndarray (K, N)
        ``log p_k(y | x)`` of each evaluated row.
    phi : ndarray (K, N)
        ``log(p_y / (1 - p_y))``.
    keep : ndarray (K, N) bool
        Whether the row was in model ``k``'s training set (IN).
    cached : bool
        True when loaded from the on-disk cache instead of trained.
    cache_notes : list of str
        What went wrong with the cache (an entry that failed its checksum and was
        recomputed, a folder that cannot be written); empty when nothing did.
    """

    logp: np.ndarray
    phi: np.ndarray
    keep: np.ndarray
    cached: bool = False
    cache_notes: list[str] = field(default_factory=list)


def true_class_stats(log_proba: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log p_y, phi)`` from log-probabilities (or logits) of shape ``(..., n, C)``.

    ``phi = log p_y - log sum_{j != y} p_j`` (Carlini et al. 2022's logit scaling), computed
    in log space so that confident predictions keep their resolution.
    """
    lp = np.asarray(log_proba, dtype=np.float64)
    lp = lp - logsumexp(lp, axis=-1, keepdims=True)
    y = np.asarray(y)
    onehot = np.zeros(lp.shape[-2:], dtype=bool)
    onehot[np.arange(len(y)), y] = True
    logp_y = np.where(onehot, lp, 0.0).sum(axis=-1)
    others = logsumexp(np.where(onehot, -np.inf, lp), axis=-1)
    return logp_y, logp_y - others


def target_stats(model: Any, X: pd.DataFrame, y: np.ndarray, proba: np.ndarray):
    """``(log p_y, phi)`` of the target: from logits for torch models, else ``log(proba)``."""
    if is_torch_model(model) and hasattr(model, "logits"):
        with torch.no_grad():
            model.module_.eval()
            logits = model.logits(transform(model, X)).double().cpu().numpy()
        return true_class_stats(logits, y)
    with np.errstate(divide="ignore"):
        lp = np.log(np.clip(proba, np.finfo(np.float64).tiny, 1.0))
    return true_class_stats(lp, y)


def clone_problem(model: Any) -> str | None:
    """Why reference models cannot follow ``model``'s recipe, or None when they can.

    Reference models are unfitted copies of the recipe (:func:`sklearn.base.clone`), trained
    on halves of the pool. One clone is tried: a black box (an object without
    ``get_params``, such as a plain class with ``predict_proba``) or a wrapped trained module
    (:meth:`~trustbench.models.TorchClassifier.from_module`, which has no recipe) raises
    ``TypeError`` or ``RuntimeError``, and its message is the reason.
    """
    try:
        clone(model)
    except (TypeError, RuntimeError) as exc:
        return f"{type(model).__name__} cannot be cloned ({type(exc).__name__}: {exc})"
    return None


def _params_repr(model: Any) -> dict[str, str]:
    params = clone(model).get_params(deep=True)
    return {k: repr(v) for k, v in sorted(params.items()) if not hasattr(v, "get_params")}


def recipe_hash(model: Any, training: TrainingRecord) -> str:
    """Hash of everything that defines how a reference model is trained (not its seed)."""
    if is_torch_model(model):
        recipe = {
            "factory": repr(model.module_factory),
            "features": repr(model.features),
            **{k: repr(getattr(model, k)) for k in ("epochs", "batch_size", "lr", "weight_decay")},
        }
    else:
        recipe = _params_repr(model)
    recipe["trainer"] = str(training.trainer or "standard")
    if recipe["trainer"] == "dp":  # reference models repeat the target's DP-SGD
        recipe.update({k: repr(getattr(training.dp, k, None)) for k in DP_RECIPE_KEYS})
    blob = json.dumps(recipe, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


DP_RECIPE_KEYS = (
    "target_epsilon",
    "noise_multiplier",
    "delta",
    "accountant",
    "max_grad_norm",
    "poisson_sampling",
)


def reference_noise_multipliers(dp: DPRecord, sizes: Sequence[int], batch_size: int):
    """Noise multiplier of each DP reference model, by the target's rule.

    A target trained to ``target_epsilon`` has its noise calibrated by its accountant for its
    own sample rate; each reference model is calibrated the same way for its own number of rows
    (same epochs, delta and accountant), so it carries the same guarantee. A target trained with
    a fixed ``noise_multiplier`` passes it on unchanged.
    """
    if dp.target_epsilon is None:
        return [float(dp.noise_multiplier)] * len(sizes)
    from opacus.accountants.utils import get_noise_multiplier

    from trustbench.privacy.ensemble_dp import dp_sample_rate

    by_size = {
        n: float(
            get_noise_multiplier(
                target_epsilon=float(dp.target_epsilon),
                target_delta=float(dp.delta),
                sample_rate=dp_sample_rate(n, batch_size),
                epochs=int(dp.epochs),
                accountant=str(dp.accountant),
            )
        )
        for n in sorted(set(sizes))
    }
    return [by_size[n] for n in sizes]


def _model_seeds(seed: int, k_models: int) -> list[int]:
    return [int(s) for s in np.random.SeedSequence([int(seed), 17]).generate_state(k_models)]


def _encoder(model, X_pool):
    """Encoding shared by every reference model, and a factory of fresh modules."""
    classes = np.asarray(model.classes_)
    if getattr(model, "preprocessor_", True) is None:  # image task: pixels as they are
        enc = transform(model, X_pool)
        shape = tuple(enc.shape[1:])
        return (lambda X: transform(model, X)), enc, partial(model._image_module, shape)
    from trustbench.models.preprocessing import make_preprocessor

    pre = make_preprocessor(model.features).fit(X_pool)

    def encode(X):
        return torch.as_tensor(np.asarray(pre.transform(X), dtype=np.float32), device=model.device_)

    enc = encode(X_pool)
    factory = partial(model.module_factory, in_features=enc.shape[1], n_classes=len(classes))
    return encode, enc, factory


def _train_torch(model, X_pool, y_pool, X_eval, y_eval, keep, seeds, training) -> tuple:
    from trustbench.privacy.ensemble import predict_ensemble, train_ensemble

    encode, enc, factory = _encoder(model, X_pool)
    classes = np.asarray(model.classes_)
    targets = torch.as_tensor(np.searchsorted(classes, y_pool), dtype=torch.long, device=enc.device)
    subsets = [np.flatnonzero(row) for row in keep]
    recipe = model.recipe  # the target's TorchRecipe: what its fit (or DP-SGD) followed
    if training.trainer == "dp":
        from opacus.validators import ModuleValidator

        from trustbench.privacy.ensemble_dp import train_ensemble_dp

        dp = training.dp
        sigmas = reference_noise_multipliers(dp, [len(s) for s in subsets], recipe.batch_size)
        base, params, buffers = train_ensemble_dp(
            lambda: ModuleValidator.fix(factory()),  # as the target's module was fixed
            enc,
            targets,
            subsets,
            seeds,
            recipe,
            noise_multipliers=sigmas,
            max_grad_norm=float(dp.max_grad_norm),
            poisson_sampling=True if dp.poisson_sampling is None else bool(dp.poisson_sampling),
        )
    else:
        base, params, buffers = train_ensemble(factory, enc, targets, subsets, seeds, recipe)
    logits = predict_ensemble(base, params, buffers, encode(X_eval)).double().cpu().numpy()
    return true_class_stats(logits, np.searchsorted(classes, y_eval))


def _fit_one(model, X_pool, y_pool, rows, seed, X_eval, y_eval):
    est = clone(model)
    for key, value in est.get_params(deep=True).items():
        if key.endswith("random_state") and not hasattr(value, "get_params"):
            est.set_params(**{key: int(seed) % (2**31)})
    est.fit(take_rows(X_pool, rows), y_pool[rows])
    proba = np.zeros((len(X_eval), len(np.unique(y_pool))))
    found = est.predict_proba(model_input(X_eval))  # a copy: X_eval is shared by every model
    proba[:, np.searchsorted(np.unique(y_pool), est.classes_)] = found
    with np.errstate(divide="ignore"):
        lp = np.log(np.clip(proba, np.finfo(np.float64).tiny, 1.0))
    return true_class_stats(lp, np.searchsorted(np.unique(y_pool), y_eval))


def _train_sklearn(model, X_pool, y_pool, X_eval, y_eval, keep, seeds, n_jobs) -> tuple:
    from joblib import Parallel, delayed

    # threads, not processes: no start-up or pickling cost, and scikit-learn releases the GIL
    # in its numerical kernels; the BLAS pools are already limited to the run's thread budget
    results = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_fit_one)(model, X_pool, y_pool, np.flatnonzero(row), seed, X_eval, y_eval)
        for row, seed in zip(keep, seeds, strict=True)
    )
    return np.stack([r[0] for r in results]), np.stack([r[1] for r in results])


def reference_outputs(
    model: Any,
    X_pool: pd.DataFrame,
    y_pool: np.ndarray,
    X_extra: pd.DataFrame,
    y_extra: np.ndarray,
    keep: np.ndarray,
    *,
    seed: int,
    training: TrainingRecord | Mapping[str, Any],
    fingerprint: str,
    row_keys: Sequence[str],
    cache_dir: str | Path | None = None,
    cache_max_mb: float = DEFAULT_MAX_MB,
    n_jobs: int = 1,
) -> ReferenceOutputs:
    """Train (or load) K reference models and evaluate them on the pool and extra rows.

    Parameters
    ----------
    model : fitted target model (its recipe is cloned)
    X_pool, y_pool : the reference pool; model ``k`` trains on rows where ``keep[k]``
    X_extra, y_extra : rows evaluated but never trained on (the RMIA population)
    keep : ndarray (K, n_pool) bool
    seed : int
        Seeds every reference model's initialisation and data order.
    training : TrainingRecord (or its flat form)
        The target's training record (the trainer name enters the recipe hash; a DP target's
        reference models repeat its DP-SGD).
    fingerprint : str
        Dataset fingerprint (cache key).
    row_keys : sequence of str
        One key per evaluated row (pool then extra), part of the cache key.
    cache_dir : path, optional
        The cache folder (:mod:`trustbench.privacy.cache`: versioned keys, checksummed
        entries, a size budget); None disables the cache.
    cache_max_mb : float
        Size budget of ``cache_dir`` in MiB (least recently used entries go first); 0
        disables the cache.
    n_jobs : int
        Processes for scikit-learn reference models.
    """
    training = TrainingRecord.coerce(training)
    k_models = keep.shape[0]
    rows_hash = hashlib.sha256("\n".join(row_keys).encode()).hexdigest()[:16]
    key = entry_key([fingerprint, recipe_hash(model, training), k_models, int(seed), rows_hash])
    n_extra = len(X_extra)
    full_keep = np.concatenate([keep, np.zeros((k_models, n_extra), dtype=bool)], axis=1)
    shape = (k_models, keep.shape[1] + n_extra)
    folder = cache_dir if cache_dir and cache_max_mb > 0 else None
    stored, notes = load_entry(folder, key, {"logp": shape, "phi": shape})
    if stored is not None:
        log.info("privacy: %d reference models loaded from cache %s", k_models, folder)
        return ReferenceOutputs(stored["logp"], stored["phi"], full_keep, cached=True)
    seeds = _model_seeds(seed, k_models)
    X_eval = stack_rows([X_pool, X_extra])
    y_eval = np.concatenate([y_pool, y_extra])
    if is_torch_model(model):
        logp, phi = _train_torch(model, X_pool, y_pool, X_eval, y_eval, keep, seeds, training)
    else:
        logp, phi = _train_sklearn(model, X_pool, y_pool, X_eval, y_eval, keep, seeds, n_jobs)
    notes += store_entry(folder, key, {"logp": logp, "phi": phi}, cache_max_mb)
    return ReferenceOutputs(logp, phi, full_keep, cached=False, cache_notes=notes)
