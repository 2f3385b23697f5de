"""Coverage and size of conformal prediction sets, averaged per replicate and per group.

:func:`set_means` reduces the ``(B, n)`` membership of every row's set to the means a report
needs (overall and within each group of several groupings) chunk by chunk of replicates
(:func:`~trustbench.metrics.weights.replicated`), so that no ``(B, n)`` matrix outlives a chunk.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trustbench.metrics.uncertainty_conformal import coverage_and_size
from trustbench.metrics.weights import _safe_divide, _weight_matrix, replicated

__all__ = ["set_means"]


@replicated(rows={"threshold": (1, 2)})
def set_means(
    proba,
    y,
    threshold,
    method: str = "lac",
    weights=None,
    groupings: Mapping[str, np.ndarray] | None = None,
    threshold_codes=None,
) -> dict:
    """Weighted mean coverage and set size, overall and per group.

    ``coverage = sum_i w_i [y_i in C(x_i)] / sum_i w_i`` and ``set_size = sum_i w_i |C(x_i)| /
    sum_i w_i``, and the same sums restricted to each group ``g`` of each grouping; the sets
    ``C`` are those of :func:`~trustbench.metrics.uncertainty_conformal.coverage_and_size` at
    ``threshold``.

    Parameters
    ----------
    proba : array-like of shape (n, K)
    y : array-like of shape (n,)
    threshold : float, array-like of shape (B,) (one per replicate) or (B, n) (one per row)
    method : {"lac", "aps"}
    weights : None, array-like of shape (n,) or (B, n)
    groupings : mapping of name to array-like of shape (n,), optional
        Group labels of each row, by grouping name.
    threshold_codes : array-like of int, shape (n,), optional
        With a ``(B, G)`` ``threshold`` (one per group, e.g. Mondrian thresholds from
        :func:`~trustbench.metrics.uncertainty_conformal.mondrian_thresholds` evaluated at the
        group labels): row ``i`` uses column ``threshold_codes[i]``.

    Returns
    -------
    dict
        ``coverage`` and ``set_size`` of shape ``(B,)`` (a float each for a single threshold
        and no weight matrix), and ``groups``: ``{name: {"coverage": (B, G), "set_size": (B,
        G)}}`` with the groups in ``numpy.unique`` order; NaN where a replicate gives the rows
        (the group) no weight. Coverage lies in ``[0, 1]``, set size in ``[0, K]``.
    """
    threshold = np.atleast_1d(np.asarray(threshold, dtype=np.float64))
    if threshold_codes is not None:
        threshold = np.atleast_2d(threshold)[:, np.asarray(threshold_codes, dtype=np.int64)]
    covered, size = coverage_and_size(proba, y, threshold, method)
    w, squeeze = _weight_matrix(weights, covered.shape[1], "set_means")
    squeeze = squeeze and covered.shape[0] == 1
    shape = np.broadcast_shapes(w.shape, covered.shape)  # one threshold or one weight row
    w, covered, size = (np.broadcast_to(a, shape) for a in (w, covered, size))
    # weight, covered weight and set-size weight of every row: one (3, B, n) block, reduced
    # over all rows and, per grouping, with one matrix product by the groups' one-hot matrix
    block = np.empty((3, *shape))
    block[0] = w
    np.multiply(w, covered, out=block[1])
    np.multiply(w, size, out=block[2])
    mass, hit, width = block.sum(axis=2)
    out: dict = {
        "coverage": _safe_divide(hit, mass),
        "set_size": _safe_divide(width, mass),
        "groups": {},
    }
    for name, labels in (groupings or {}).items():
        groups, codes = np.unique(np.asarray(labels), return_inverse=True)
        onehot = np.zeros((shape[1], len(groups)))
        onehot[np.arange(shape[1]), codes.ravel()] = 1.0
        g_mass, g_hit, g_width = block @ onehot
        out["groups"][name] = {
            "coverage": _safe_divide(g_hit, g_mass),
            "set_size": _safe_divide(g_width, g_mass),
        }
    if squeeze:
        out["coverage"], out["set_size"] = float(out["coverage"][0]), float(out["set_size"][0])
        out["groups"] = {k: {m: v[0] for m, v in d.items()} for k, d in out["groups"].items()}
    return out
