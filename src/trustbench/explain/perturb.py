"""Batched feature perturbation: build every perturbed row at once, predict in large chunks.

A Python loop per example or per step is what makes perturbation metrics slow; here the
loops run over features (columns), never over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def feature_baseline(X_train: pd.DataFrame) -> pd.DataFrame:
    """One-row frame of reference values: median of continuous columns, mode of the others.

    Used as the "feature removed" value by ablation attributions and deletion curves.
    """
    values = {}
    for column in X_train.columns:
        series = X_train[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values[column] = [series.median()]
        else:
            mode = series.mode(dropna=True)
            values[column] = [mode.iloc[0] if len(mode) else np.nan]
    return pd.DataFrame(values, columns=X_train.columns).astype(X_train.dtypes.to_dict())


def masked_copies(X: pd.DataFrame, baseline: pd.DataFrame, masks: np.ndarray) -> pd.DataFrame:
    """Stack ``S`` copies of ``X`` in which masked cells take the baseline value.

    Parameters
    ----------
    X : DataFrame, n rows and d columns
    baseline : DataFrame with the same columns and 1 row (shared) or n rows (one per row)
    masks : bool array, shape (S, n, d)
        ``masks[s, i, j]`` replaces cell (i, j) in copy ``s``.

    Returns
    -------
    DataFrame of ``S * n`` rows, copy-major (rows ``s * n .. s * n + n - 1`` are copy ``s``).
    """
    n_copies = masks.shape[0]
    per_row = len(baseline) == len(X) and len(X) > 1
    columns = {}
    for j, column in enumerate(X.columns):  # a loop over columns, never over rows
        original = np.tile(X[column].to_numpy(), n_copies)
        if per_row:
            fill = np.tile(baseline[column].to_numpy(), n_copies)
        else:
            fill = np.full(len(original), baseline[column].iloc[0], dtype=object)
        replace = masks[:, :, j].reshape(-1)
        columns[column] = np.where(replace, fill, original)
    frame = pd.DataFrame(columns, columns=X.columns)
    return frame.astype(X.dtypes.to_dict())


def predict_class_proba(
    model, frame: pd.DataFrame, target: np.ndarray, n_classes: int, chunk_size: int = 65536
) -> np.ndarray:
    """``P(target | row)`` for every row of ``frame``, predicted in chunks.

    ``target`` has length ``n`` and ``frame`` has ``S * n`` rows (copy-major), so the result
    has shape ``(S, n)``.
    """
    from trustbench.explain.engine import predict_proba_chunked

    n = len(target)
    per_copy = predict_proba_chunked(model, frame, n_classes, chunk_size).reshape(-1, n, n_classes)
    index = np.broadcast_to(np.asarray(target)[None, :, None], (per_copy.shape[0], n, 1))
    return np.take_along_axis(per_copy, index, axis=2)[..., 0]
