"""Turn one pandas table into a validated, typed, split and fingerprinted :class:`TaskData`.

:func:`build_task` is what every tabular loader calls. It first checks the whole table
against the data contract (:mod:`trustbench.data.task`) and raises a one-line :class:`DataError`
naming the column, what was expected and what was received; only then does it type the
columns, split the rows and compute the fingerprint.

The steps live in their own modules: :mod:`~trustbench.data.validate` (arguments, table and
column roles), :mod:`~trustbench.data.target`, :mod:`~trustbench.data.sensitive`,
:mod:`~trustbench.data.features`, :mod:`~trustbench.data.splits` and
:mod:`~trustbench.data.fingerprint`; this module only runs them in order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustbench.data.features import (
    check_feature_importance,
    feature_table,
    select_features,
    type_features,
)
from trustbench.data.fingerprint import fingerprint as compute_fingerprint
from trustbench.data.group_split import group_ids
from trustbench.data.labels import to_label
from trustbench.data.sensitive import (
    MAX_SENSITIVE_NUMERIC_GROUPS as MAX_SENSITIVE_NUMERIC_GROUPS,
)
from trustbench.data.sensitive import (
    MISSING_GROUP,
    group_labels,
    missing_sensitive,
    sensitive_groups,
    sensitive_table,
)
from trustbench.data.splits import check_split_sizes, make_splits, plan_split, site_labels
from trustbench.data.target import POSITIVE_RULE, encode_target, require_positive_label
from trustbench.data.task import GroundTruth, TaskData
from trustbench.data.time_split import TimeCut, check_time
from trustbench.data.validate import check_arguments, check_columns, combine_tables

__all__ = ["build_task", "group_labels"]

log = logging.getLogger(__name__)


def build_task(
    frame: pd.DataFrame,
    *,
    name: str,
    target: str,
    positive_label: Any = None,
    sensitive: Sequence[str] | str = (),
    sensitive_bins: Mapping[str, Sequence[float]] | None = None,
    site: str | None = None,
    ood_sites: Sequence[Any] | None = None,
    ood_shift: Mapping[str, Any] | None = None,
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] | str = (),
    index_like_features: Sequence[str] | str = (),
    sensitive_as_features: bool = True,
    group_column: str | None = None,
    time_column: str | None = None,
    time_cutoff: Any = None,
    test_size: float = 0.3,
    seed: int = 0,
    max_categories: int = 50,
    ground_truth: GroundTruth | None = None,
    metadata: Mapping[str, Any] | None = None,
    ood_frame: pd.DataFrame | None = None,
    ood_description: str | None = None,
) -> TaskData:
    """Validate, type, split and fingerprint one table.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per patient/sample. Its index is ignored: ``row_id`` is the row position.
    name : str
        Dataset name recorded in :attr:`TaskData.name`.
    target : str
        Target column (binary or multiclass; labels become strings, sorted).
    positive_label : optional
        For a binary target, the label that becomes class index 1 (the other is 0).
        Default: the larger of two numbers, or the positive of a conventional pair of words
        (yes/no, true/false, positive/negative, present/absent); two other text labels
        (``died``/``survived``) are an error asking for it
        (:mod:`~trustbench.data.target`).
    sensitive : column name or list of column names
        Sensitive attributes; their values become group-label strings in ``Split.sensitive``,
        a missing value the group ``"missing"`` (kept, never dropped).
        A numeric column with more than 10 distinct values must be binned.
    sensitive_bins : dict of column -> bin edges, optional
        ``{"age": [0, 50, 60, 200]}`` adds a sensitive attribute ``age_group`` with the
        left-closed bins ``<50``, ``50-59``, ``60+``. The source column stays a feature
        (unless it is also listed in ``sensitive`` and ``sensitive_as_features=False``);
        listing it in ``sensitive`` too just replaces it there by ``age_group``. A missing
        value gets the group ``"missing"``; text other than pandas' missing markers is an
        error.
    site : str, optional
        Site/domain column (hospital). Never a feature; kept as ``Split.site``.
    ood_sites : list, optional
        Site values whose rows form the ``ood`` split (needs ``site``).
    ood_shift : dict, optional
        Without ``ood_sites``: ``{"kind": "noise", "severity": s}`` makes ``ood`` a copy of
        ``test``, row for row (``Split.paired_with == "test"``), with Gaussian noise of
        ``s * train std`` added to every continuous measurement
        (:func:`~trustbench.data.shifts.gaussian_noise`: integer-coded columns with at most 10
        values unchanged, counts rounded, values clipped to the observed range); it measures
        robustness to measurement noise, not a population shift. ``{"kind": "none"}`` or
        ``None``: no ``ood`` split.
    categorical : list of column names, optional
        Numeric feature columns to treat as categorical.
    drop : list of column names
        Columns that are neither features nor anything else.
    index_like_features : list of column names
        Feature columns that look like a row index (integers, one per row, in row order or a
        permutation of ``0..n-1`` / ``1..n``) but are real measurements. Any other such feature
        is an error (:mod:`~trustbench.data.row_index`): drop it.
    sensitive_as_features : bool
        If ``False``, the columns named in ``sensitive`` are not features.
    group_column : str, optional
        A patient (or other group) id: all rows of one group go to the same split
        (:mod:`~trustbench.data.group_split`). Never a feature.
    time_column : str, optional
        Dates or numbers: rows on or after ``time_cutoff`` form the ``ood`` split, the rows
        before it are split into train and test (:mod:`~trustbench.data.time_split`). Never
        a feature.
    time_cutoff : optional
        The cut-off of ``time_column`` (``"2020-01-01"``, or a number); required with it.
    test_size : float
        Fraction of the (non-ood) rows in ``test``; stratified on the target.
    seed : int
        Seed of the split (``train_test_split(random_state=seed)``) and of the noise.
    max_categories : int
        A categorical feature with more distinct values is an error.
    ground_truth : GroundTruth, optional
        Explanation ground truth; ``feature_importance`` must have one entry per feature.
    metadata : dict, optional
        Extra facts (source, licence, ...) copied into :attr:`TaskData.metadata`.
    ood_frame : pandas.DataFrame, optional
        A table with the same columns whose rows become the ``ood`` split (e.g. a generated
        covariate shift); its row ids continue after ``frame``'s.
    ood_description : str, optional
        How ``ood_frame`` was made, recorded as ``metadata["ood"]``.

    Returns
    -------
    TaskData
        With ``metadata`` keys ``ood``, ``seed``, ``test_size``, ``n_rows``,
        ``split_sizes``, ``site``, ``ood_sites``, ``sensitive_bins``,
        ``sensitive_as_features``, ``positive_label``, ``positive_label_chosen`` (binary:
        ``given``, ``numeric`` or ``conventional``, see
        :func:`~trustbench.data.target.positive_class_statement`), ``dropped``,
        ``index_like_features`` and ``missing_by_feature`` added to those passed in; and,
        where they apply, ``sensitive_missing`` (attribute -> rows in the group
        ``"missing"``), ``group_column``, ``n_groups``, ``groups_in_test_and_ood``,
        ``time_column``, ``time_cutoff`` and ``time_ranges``.

    Raises
    ------
    DataError
        One line naming the column, what was expected and what was received, raised
        before any typing or splitting is done; a split too small to train or score on
        (:func:`~trustbench.data.splits.check_split_sizes`) is checked on the drawn split.
    """
    # ---------------------------------------------------------------- validate
    options = check_arguments(
        frame,
        target=target,
        sensitive=sensitive,
        sensitive_bins=sensitive_bins,
        site=site,
        ood_sites=ood_sites,
        ood_shift=ood_shift,
        categorical=categorical,
        drop=drop,
        test_size=test_size,
        seed=seed,
        ood_frame=ood_frame,
        group_column=group_column,
        time_column=time_column,
        time_cutoff=time_cutoff,
    )
    seed = options.seed
    data, columns, n_main = combine_tables(frame, ood_frame)
    options = check_columns(options, columns)
    target, site = options.target, options.site
    classes, y, rule = encode_target(data, target, n_main, positive_label)
    groups = sensitive_groups(data, options.sensitive, options.bins, n_main)
    site_values = site_labels(data, site, options.ood_sites)
    group_values = None if options.group is None else group_ids(data, options.group)
    time_cut = (
        None if options.time is None else check_time(data, options.time, options.cutoff, n_main)
    )
    feature_cols = select_features(
        columns,
        target=target,
        drop=options.drop,
        site=site,
        sensitive=options.sensitive,
        sensitive_as_features=sensitive_as_features,
        categorical=options.categorical,
        never=[c for c in (options.group, options.time) if c is not None],
    )
    typed, keep_index = type_features(
        data,
        feature_cols,
        n_main,
        categorical=options.categorical,
        max_categories=max_categories,
        drop=options.drop,
        keep_index=index_like_features,
    )
    require_positive_label(target, classes, rule)
    check_feature_importance(ground_truth, feature_cols)
    plan = plan_split(
        n_rows=len(data),
        n_main=n_main,
        y=y,
        classes=classes,
        target=target,
        site=site,
        site_values=site_values,
        ood_sites=options.ood_sites,
        has_ood_frame=ood_frame is not None,
        ood_description=ood_description,
        shift=options.shift,
        test_size=test_size,
        time_cut=time_cut,
    )

    # ---------------------------------------------------------------- type and split
    X_all, features = feature_table(data, typed)
    splits, split_rows = make_splits(
        X_all=X_all,
        y=y,
        sens_all=sensitive_table(groups, len(data)),
        site_values=site_values,
        plan=plan,
        features=features,
        shift=options.shift,
        test_size=test_size,
        seed=seed,
        groups=group_values,
        group_column=options.group,
    )
    check_split_sizes(split_rows, y, classes=classes, target=target, plan=plan, test_size=test_size)

    # ---------------------------------------------------------------- fingerprint
    ood_site_labels = None if not options.ood_sites else [to_label(s) for s in options.ood_sites]
    choices = {
        "name": name,
        "target": target,
        "positive_label": None if positive_label is None else to_label(positive_label),
        "classes": classes,
        "sensitive": list(options.sensitive),
        "sensitive_bins": {k: [float(e) for e in v] for k, v in options.bins.items()},
        "site": site,
        "ood_sites": ood_site_labels,
        "ood_shift": options.shift,
        "ood_frame_rows": None if ood_frame is None else len(data) - n_main,
        "categorical": list(options.categorical),
        "drop": list(options.drop),
        "sensitive_as_features": bool(sensitive_as_features),
        "test_size": float(test_size),
        "seed": seed,
        "features": [[f.name, f.kind] for f in features],
    }
    if options.group is not None:
        choices["group_column"] = options.group
    if time_cut is not None:
        choices.update(time_column=time_cut.column, time_cutoff=time_cut.cutoff_text)
    fingerprint = compute_fingerprint(data, choices, split_rows)

    # ---------------------------------------------------------------- metadata
    missing_by_feature = {col: int(n) for col, n in X_all.isna().sum().items() if int(n) > 0}
    meta = dict(metadata or {})
    meta.update(
        {
            "ood": plan.ood_text,
            "seed": seed,
            "test_size": float(test_size),
            "n_rows": len(data),
            "split_sizes": {k: len(v) for k, v in splits.items()},
            "site": site,
            "ood_sites": ood_site_labels,
            "sensitive_bins": {k: list(v) for k, v in options.bins.items()},
            "sensitive_as_features": bool(sensitive_as_features),
            "positive_label": classes[1] if len(classes) == 2 else None,
            POSITIVE_RULE: rule,
            "dropped": list(options.drop),
            "index_like_features": list(keep_index),
            "missing_by_feature": missing_by_feature,
        }
    )
    meta.update(
        _split_facts(
            options.sensitive, options.bins, data, options.group, group_values, split_rows, time_cut
        )
    )
    return TaskData(
        name=name,
        features=features,
        target=target,
        classes=classes,
        sensitive_names=list(groups),
        splits=splits,
        fingerprint=fingerprint,
        ground_truth=ground_truth,
        metadata=meta,
    )


def _split_facts(
    sensitive: Sequence[str],
    bins: Mapping[str, Any],
    data: pd.DataFrame,
    group_column: str | None,
    group_values: np.ndarray | None,
    split_rows: Mapping[str, np.ndarray],
    time_cut: TimeCut | None,
) -> dict[str, Any]:
    """Metadata (and log lines) on missing sensitive values, groups and the time cut-off."""
    facts: dict[str, Any] = {}
    missing = missing_sensitive(data, sensitive, bins)
    if missing:
        facts["sensitive_missing"] = missing
        for name, n in missing.items():
            log.info(
                "      sensitive attribute '%s': %d row(s) with no value form the group '%s' "
                "(kept, never dropped)",
                name,
                n,
                MISSING_GROUP,
            )
    if group_values is not None:
        by_split = {k: set(group_values[v].tolist()) for k, v in split_rows.items()}
        shared = by_split["test"] & by_split.get("ood", set())
        facts.update(
            group_column=group_column,
            n_groups=len(set(group_values.tolist())),
            groups_in_test_and_ood=len(shared),
        )
        log.info(
            "      group column '%s' (not a feature): %d groups, each whole in train or in test%s",
            group_column,
            facts["n_groups"],
            f"; {len(shared)} also have rows in ood, so their earlier rows are in test, never "
            "in train"
            if shared
            else "",
        )
    if time_cut is not None:
        facts.update(
            time_column=time_cut.column,
            time_cutoff=time_cut.cutoff_text,
            time_ranges=time_cut.ranges,
        )
        log.info(
            "      time column '%s' (not a feature): train/test %s to %s, ood %s to %s",
            time_cut.column,
            *time_cut.ranges["before"],
            *time_cut.ranges["after"],
        )
    return facts
