"""Preprocessing that is part of every model: imputation, scaling, one-hot encoding for
tabular features; flattening of the pixels for scikit-learn models on image tasks.

It is fitted on the ``train`` split only, as part of the model's own ``fit``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from trustbench.data.images import check_images
from trustbench.data.task import FeatureSpec


def is_image_input(features: Sequence[FeatureSpec]) -> bool:
    """True when ``features`` describe an image task (one feature of kind ``"image"``)."""
    return any(f.kind == "image" for f in features)


def flatten_images(X) -> np.ndarray:
    """Images ``(n, C, H, W)`` in [0, 1] as a float32 matrix ``(n, C * H * W)`` (checked).

    Raises
    ------
    DataError
        For a batch that is not 4-D, has NaN pixels or pixels outside ``[0, 1]``.
    """
    images = check_images(X)
    return images.reshape(len(images), -1)


def make_preprocessor(
    features: Sequence[FeatureSpec],
) -> ColumnTransformer | FunctionTransformer:
    """Build the (unfitted) preprocessor for ``features``.

    Image tasks (one ``image`` feature): a :class:`~sklearn.preprocessing.FunctionTransformer`
    that flattens the pixels (:func:`flatten_images`), so that any scikit-learn estimator
    sees one column per pixel; pixels are already on a common [0, 1] scale.

    Continuous columns: median imputation with missing-value indicators, then
    standardisation. Categorical columns: missing becomes its own level, then one-hot
    encoding (levels unseen in training encode as all zeros).

    A numeric column holding integer codes (a 0/1 indicator, a 0-3 score; see
    :func:`trustbench.data.shifts.numeric_scale`) stays a continuous input here, although the
    shifts treat it as categorical: standardising a 0/1 column is an affine map of its one-hot
    encoding, so a linear model, an MLP or a tree can represent exactly the same functions
    either way; a code with a few ordered levels keeps its order (one weight, not one per
    level), which is the dataset's own encoding. Pass ``categorical=[...]`` to the loader
    (:func:`trustbench.data.build.build_task`) to one-hot encode such a column instead.

    Parameters
    ----------
    features : sequence of FeatureSpec
        The task's features: tabular ones, or exactly one image feature.

    Returns
    -------
    sklearn.compose.ColumnTransformer or sklearn.preprocessing.FunctionTransformer
        Outputs a dense float array; continuous block first, then categorical.
    """
    if is_image_input(features):
        if len(features) != 1:
            raise ValueError(
                f"image preprocessing expects exactly one image feature; received "
                f"{[(f.name, f.kind) for f in features]}"
            )
        return FunctionTransformer(flatten_images)
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
