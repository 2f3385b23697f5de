"""Turn arrays of images into a validated, split and fingerprinted :class:`TaskData`.

:func:`build_image_task` is what every image loader calls (the image counterpart of
:func:`~trustbench.data.build.build_task`). It checks the arrays against the data contract
(:mod:`trustbench.data.task`; :func:`check_images`, :func:`check_masks`) and raises a one-line
:class:`DataError` naming the field, what was expected and what was received; only then
does it split the rows (stratified on the label, with the ``ood`` rows held out) and hash
the pixel bytes, labels, groups, sites, masks, build choices and split rows into the
fingerprint (:func:`image_fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from trustbench.data.fingerprint import canonical
from trustbench.data.task import FeatureSpec, Split, TaskData
from trustbench.errors import DataError

__all__ = ["IMAGE_FEATURE", "build_image_task", "check_images", "check_masks", "image_fingerprint"]

#: The single feature of every image task.
IMAGE_FEATURE = FeatureSpec("image", "image")


def check_images(X: Any, name: str = "X") -> np.ndarray:
    """Check an image batch and return it as a C-contiguous float32 array.

    Parameters
    ----------
    X : array-like
        Images of shape ``(n, channels, height, width)`` with values in ``[0, 1]``.
    name : str
        What ``X`` is called in messages.

    Returns
    -------
    numpy.ndarray
        ``X`` as float32, shape unchanged.

    Raises
    ------
    DataError
        For a non-numeric array, a shape that is not 4-D (or has an empty dimension),
        NaN/infinite pixels, or pixels outside ``[0, 1]``.
    """
    array = np.asarray(X)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DataError(f"{name}: expected numeric pixels, got dtype {array.dtype}.")
    if array.ndim != 4:
        raise DataError(
            f"{name}: expected an image array of shape (n, channels, height, width), got "
            f"{array.ndim} dimension(s) with shape {array.shape}."
        )
    if min(array.shape[1:]) == 0:
        raise DataError(
            f"{name}: expected non-empty channels, height and width, got {array.shape}."
        )
    array = np.ascontiguousarray(array, dtype=np.float32)
    bad = ~np.isfinite(array)
    if bad.any():
        raise DataError(
            f"{name}: expected finite pixels, got {int(bad.sum())} NaN or infinite value(s) in "
            f"{int(bad.reshape(len(array), -1).any(axis=1).sum())} image(s)."
        )
    if array.size and (array.min() < 0.0 or array.max() > 1.0):
        raise DataError(
            f"{name}: expected pixel values in [0, 1], got values in "
            f"[{float(array.min()):.4g}, {float(array.max()):.4g}]."
        )
    return array


def check_masks(masks: Any, images: np.ndarray, name: str = "masks") -> np.ndarray | None:
    """Check pixel masks against their images and return them as a bool array.

    Parameters
    ----------
    masks : array-like or None
        Boolean (or 0/1) masks of shape ``(n, height, width)``.
    images : numpy.ndarray
        The checked images, shape ``(n, channels, height, width)``.
    name : str
        What ``masks`` is called in messages.

    Returns
    -------
    numpy.ndarray or None
        ``masks`` as bool, or ``None`` when none were given.

    Raises
    ------
    DataError
        For a shape other than ``(n, height, width)`` or values other than 0/1.
    """
    if masks is None:
        return None
    array = np.asarray(masks)
    expected = (images.shape[0], *images.shape[2:])
    if array.shape != expected:
        raise DataError(
            f"{name}: expected shape (n, height, width) = {expected} to match the images, "
            f"got {array.shape}."
        )
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number) or not np.isin(array, (0, 1)).all():
            raise DataError(f"{name}: expected boolean (or 0/1) pixels, got dtype {array.dtype}.")
        array = array.astype(bool)
    return array


def _check_rows(name: str, values: Any, n: int) -> None:
    if values is not None and len(values) != n:
        raise DataError(f"{name}: expected {n} rows (one per image), got {len(values)}.")


def image_fingerprint(
    X: np.ndarray,
    y: np.ndarray,
    sensitive: pd.DataFrame,
    site: np.ndarray | None,
    masks: np.ndarray | None,
    choices: Mapping[str, Any],
    split_rows: Mapping[str, np.ndarray],
) -> str:
    """The sha256 fingerprint of one image task.

    Hashes the array shapes, the pixel bytes (float32, little-endian), the labels, the
    sensitive groups, the sites, the masks, the build choices (in
    :func:`~trustbench.data.fingerprint.canonical` form) and the row positions of each split.

    Returns
    -------
    str
        The hex digest.
    """
    h = hashlib.sha256()
    h.update(json.dumps(list(X.shape)).encode())
    h.update(np.ascontiguousarray(X, dtype="<f4").tobytes())
    h.update(np.asarray(y, dtype="<i8").tobytes())
    h.update(json.dumps([str(c) for c in sensitive.columns]).encode())
    for column in sensitive.columns:
        h.update("\x1f".join(sensitive[column].astype(str)).encode())
    h.update(b"site" if site is None else "\x1f".join(np.asarray(site).astype(str)).encode())
    h.update(b"masks" if masks is None else np.packbits(masks.reshape(len(masks), -1)).tobytes())
    h.update(json.dumps(canonical(choices), sort_keys=True).encode())
    for name, rows in split_rows.items():
        h.update(name.encode())
        h.update(np.asarray(rows, dtype="<i8").tobytes())
    return h.hexdigest()


def build_image_task(
    X: Any,
    y: Any,
    *,
    name: str,
    classes: Sequence[str],
    target: str = "label",
    sensitive: pd.DataFrame | None = None,
    site: Any = None,
    masks: Any = None,
    ood_rows: Any = None,
    ood_text: str = "none",
    test_size: float = 0.3,
    seed: int = 0,
    metadata: Mapping[str, Any] | None = None,
) -> TaskData:
    """Validate, split and fingerprint an image task.

    Parameters
    ----------
    X : array-like
        Every image, shape ``(n, channels, height, width)``, pixels in ``[0, 1]``.
    y : array-like of int
        Class index of every image, in ``0 .. len(classes) - 1``.
    name : str
        Dataset name.
    classes : sequence of str
        Class labels; for a binary task index 1 is the positive class.
    target : str
        Name of the target.
    sensitive : pandas.DataFrame, optional
        One string column per sensitive attribute, one row per image.
    site : array-like, optional
        Site/scanner label of every image.
    masks : array-like, optional
        Localisation masks ``(n, height, width)``.
    ood_rows : array-like of int, optional
        Row positions of the ``ood`` split; the other rows are split into train/test.
    ood_text : str
        How the ``ood`` split is made, recorded as ``metadata["ood"]``.
    test_size : float
        Fraction of the non-ood rows in ``test`` (stratified on ``y``).
    seed : int
        ``random_state`` of the train/test split.
    metadata : mapping, optional
        Source, licence, generator parameters, ...

    Returns
    -------
    TaskData
        ``row_id`` is the position of the image in ``X``; ``metadata`` gains ``ood``,
        ``seed``, ``test_size``, ``n_rows``, ``split_sizes`` and ``image_shape``.

    Raises
    ------
    DataError
        One line naming the field, what was expected and what was received.
    """
    images = check_images(X)
    n = len(images)
    y = np.asarray(y)
    _check_rows("y", y, n)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(
            f"y: expected integer class indices of shape ({n},), got {y.dtype} {y.shape}."
        )
    if n and (y.min() < 0 or y.max() >= len(classes)):
        raise DataError(
            f"y: expected class indices in 0..{len(classes) - 1} (classes {list(classes)}), got "
            f"values in [{int(y.min())}, {int(y.max())}]."
        )
    mask_array = check_masks(masks, images)
    sens = pd.DataFrame(index=pd.RangeIndex(n)) if sensitive is None else sensitive
    _check_rows("sensitive", sens, n)
    sens = sens.astype(str).reset_index(drop=True)
    site_values = None if site is None else np.asarray(site).astype(str).astype(object)
    _check_rows("site", site_values, n)
    if not 0.0 < float(test_size) < 1.0:
        raise DataError(f"test_size: expected a fraction in (0, 1), got {test_size!r}.")

    all_rows = np.arange(n, dtype=np.int64)
    ood = np.zeros(n, dtype=bool)
    if ood_rows is not None:
        ood[np.asarray(ood_rows, dtype=np.int64)] = True
    pool = all_rows[~ood]
    classes_in_pool, counts = np.unique(y[pool], return_counts=True)
    n_test = math.ceil(float(test_size) * len(pool))
    if len(classes_in_pool) < 2 or counts.min() < 2 or n_test < len(classes_in_pool):
        raise DataError(
            f"{target}: expected at least 2 classes with at least 2 images each outside the ood "
            f"split and room for one per class in test, got class counts "
            f"{dict(zip(classes_in_pool.tolist(), counts.tolist(), strict=True))} in "
            f"{len(pool)} images (test_size={test_size})."
        )
    train_rows, test_rows = train_test_split(
        pool, test_size=float(test_size), random_state=int(seed), stratify=y[pool]
    )
    split_rows = {"train": np.sort(train_rows), "test": np.sort(test_rows)}
    if ood.any():
        split_rows["ood"] = all_rows[ood]

    def make(rows: np.ndarray) -> Split:
        return Split(
            X=images[rows],
            y=y[rows].astype(np.int64),
            sensitive=sens.iloc[rows].reset_index(drop=True),
            row_id=rows.copy(),
            site=None if site_values is None else site_values[rows],
            masks=None if mask_array is None else mask_array[rows],
        )

    splits = {key: make(rows) for key, rows in split_rows.items()}
    choices = {
        "name": name,
        "target": target,
        "classes": list(classes),
        "test_size": float(test_size),
        "seed": int(seed),
        "ood": ood_text,
    }
    digest = image_fingerprint(images, y, sens, site_values, mask_array, choices, split_rows)
    meta = dict(metadata or {})
    meta.update(
        {
            "ood": ood_text,
            "seed": int(seed),
            "test_size": float(test_size),
            "n_rows": n,
            "split_sizes": {k: len(v) for k, v in splits.items()},
            "image_shape": list(images.shape[1:]),
        }
    )
    return TaskData(
        name=name,
        features=[IMAGE_FEATURE],
        target=target,
        classes=[str(c) for c in classes],
        sensitive_names=[str(c) for c in sens.columns],
        splits=splits,
        fingerprint=digest,
        metadata=meta,
    )
