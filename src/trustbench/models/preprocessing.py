"""Preprocessing that is part of every tabular model: imputation, scaling, one-hot encoding.

It is fitted on the ``train`` split only, as part of the model's own ``fit``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from trustbench.data.task import FeatureSpec


def make_preprocessor(features: Sequence[FeatureSpec]) -> ColumnTransformer:
    """Build the (unfitted) tabular preprocessor for ``features``.

    Continuous columns: median imputation with missing-value indicators, then
    standardisation. Categorical columns: missing becomes its own level, then one-hot
    encoding (levels unseen in training encode as all zeros).

    Parameters
    ----------
    features : sequence of FeatureSpec
        The task's features; image features are not tabular and are rejected.

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Outputs a dense float array; continuous block first, then categorical.
    """
    continuous = [f.name for f in features if f.kind == "continuous"]
    categorical = [f.name for f in features if f.kind == "categorical"]
    unknown = [f.name for f in features if f.kind not in ("continuous", "categorical")]
    if unknown:
        raise ValueError(
            f"tabular preprocessing expects continuous or categorical features; "
            f"received other kinds for {unknown}"
        )
    blocks = []
    if continuous:
        blocks.append(
            (
                "continuous",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                continuous,
            )
        )
    if categorical:
        blocks.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                        (
                            "onehot",
                            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                        ),
                    ]
                ),
                categorical,
            )
        )
    return ColumnTransformer(blocks, remainder="drop", sparse_threshold=0.0)


def output_feature_groups(
    preprocessor: ColumnTransformer, features: Sequence[FeatureSpec]
) -> np.ndarray:
    """Index of the input feature behind each output column of a fitted preprocessor.

    Lets gradient attributions computed on the encoded columns be summed back onto the
    original features (one-hot levels and missing indicators belong to their feature).

    Returns
    -------
    numpy.ndarray of int, shape (n_output_columns,)
    """
    position = {f.name: i for i, f in enumerate(features)}
    groups: list[int] = []
    for name, transformer, columns in preprocessor.transformers_:
        if name == "remainder" or transformer == "drop":
            continue
        if name == "continuous":
            imputer: SimpleImputer = transformer.named_steps["impute"]
            kept = [c for c in columns]  # median imputation keeps every column with data
            if hasattr(imputer, "statistics_"):
                kept = [
                    c for c, s in zip(columns, imputer.statistics_, strict=True) if not np.isnan(s)
                ]
            groups.extend(position[c] for c in kept)
            indicator = imputer.indicator_
            if indicator is not None:
                groups.extend(position[columns[i]] for i in indicator.features_)
        elif name == "categorical":
            encoder: OneHotEncoder = transformer.named_steps["onehot"]
            for column, levels in zip(columns, encoder.categories_, strict=True):
                groups.extend([position[column]] * len(levels))
    return np.asarray(groups, dtype=int)
