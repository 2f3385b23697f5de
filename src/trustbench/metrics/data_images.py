"""Near-duplicate images: 64-bit average hashes, their Hamming distances, and standardised
thumbnails (the image side of the data suite's ``near_twin_share``)."""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.data_leakage import _hash_vector

__all__ = ["hamming_nearest", "perceptual_hashes", "thumbnails"]


def _block_edges(size: int, name: str, blocks: int = 8) -> np.ndarray:
    if size < blocks:
        raise TrustbenchError(
            f"perceptual_hashes: images need {name} >= {blocks} pixels, got {size}"
        )
    return np.cumsum([0] + [len(b) for b in np.array_split(np.arange(size), blocks)[:-1]])


def _block_means(images: np.ndarray, blocks: int) -> np.ndarray:
    """Grayscale ``(n, blocks * blocks)`` block means of ``(n, C, H, W)`` or ``(n, H, W)``."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise TrustbenchError(
            f"perceptual_hashes: images must have shape (n, C, H, W) or (n, H, W), got {x.shape}"
        )
    _, _, height, width = x.shape
    gray = x.mean(axis=1)
    rows, cols = _block_edges(height, "H", blocks), _block_edges(width, "W", blocks)
    sums = np.add.reduceat(np.add.reduceat(gray, rows, axis=1), cols, axis=2)
    sizes = np.diff(np.append(rows, height))[:, None] * np.diff(np.append(cols, width))[None, :]
    return (sums / sizes).reshape(len(x), blocks * blocks)


def thumbnails(images: np.ndarray, size: int = 16) -> np.ndarray:
    """Standardised ``size x size`` grayscale thumbnails, one row of ``size**2`` per image.

    Block means as in :func:`perceptual_hashes`, then each thumbnail minus its mean and
    divided by its standard deviation (a constant image stays 0): a brightness or contrast
    change does not move an image, a different scene does. Distances between rows
    (:func:`near_twin_mask`) compare image content.
    """
    small = _block_means(images, size)
    centred = small - small.mean(axis=1, keepdims=True)
    scale = centred.std(axis=1, keepdims=True)
    return np.divide(centred, scale, out=np.zeros_like(centred), where=scale > 0)


def perceptual_hashes(images: np.ndarray) -> np.ndarray:
    """64-bit average hash (aHash) of each image.

    Grayscale (the mean over channels), shrunk to 8x8 by block means (area resampling; when
    ``H`` or ``W`` is not a multiple of 8 the blocks are those of ``np.array_split``), then bit
    ``8 r + c`` (most significant first) is 1 when block ``(r, c)`` is brighter than the mean
    of the 64 blocks. Near-identical images (noise, a brightness shift) differ in few bits,
    unrelated ones in about 32 (compare with :func:`hamming_nearest`).

    Parameters
    ----------
    images : array (n, C, H, W) or (n, H, W), H, W >= 8

    Returns
    -------
    array (n,) of uint64
    """
    small = _block_means(images, 8)
    bits = small > small.mean(axis=1, keepdims=True)
    return np.packbits(bits, axis=1).view(">u8")[:, 0].astype(np.uint64)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    return _POPCOUNT[x[..., None].view(np.uint8)].sum(axis=-1, dtype=np.uint8)


def hamming_nearest(query: np.ndarray, reference: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Smallest Hamming distance from each query hash to any reference hash.

    ``min_j popcount(q_i XOR r_j)`` in ``[0, 64]``, lower = more alike (0: the same perceptual
    hash), over blocks of ``chunk`` query by ``chunk`` reference hashes.

    Returns
    -------
    array (n_query,) of int64
    """
    q = _hash_vector(query, "hamming_nearest", "query").astype(np.uint64)
    r = _hash_vector(reference, "hamming_nearest", "reference").astype(np.uint64)
    if not r.shape[0]:
        raise TrustbenchError("hamming_nearest: reference must hold at least one hash, got 0")
    if int(chunk) < 1:
        raise TrustbenchError(f"hamming_nearest: chunk must be a positive integer, got {chunk!r}")
    chunk = int(chunk)
    out = np.full(q.shape[0], 64, dtype=np.int64)
    for qs in range(0, q.shape[0], chunk):
        block = q[qs : qs + chunk, None]
        for rs in range(0, r.shape[0], chunk):
            distance = _popcount(block ^ r[None, rs : rs + chunk]).min(axis=1)
            out[qs : qs + chunk] = np.minimum(out[qs : qs + chunk], distance)
    return out
