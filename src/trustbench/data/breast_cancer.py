"""scikit-learn's bundled Wisconsin Diagnostic Breast Cancer data (no download)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.datasets import load_breast_cancer as _sklearn_breast_cancer

from trustbench.data.build import build_task
from trustbench.data.registration import dataset
from trustbench.data.task import TaskData
from trustbench.errors import ConfigError

__all__ = ["load_breast_cancer"]

TARGET = "diagnosis"


@dataset("breast_cancer")
def load_breast_cancer(
    *,
    seed: int = 0,
    test_size: float = 0.3,
    ood_severity: float | None = 0.5,
) -> TaskData:
    """Wisconsin Diagnostic Breast Cancer: 569 tumours, 30 continuous image features.

    Read from the copy bundled with scikit-learn (``sklearn.datasets.load_breast_cancer``),
    so nothing is downloaded. sklearn codes the target 0 = ``"malignant"``,
    1 = ``"benign"``; here the clinically relevant class ``"malignant"`` is the positive
    class, so ``classes == ["benign", "malignant"]`` (index 1 = malignant).

    There is no sensitive attribute (``sensitive_names == []``) and no site. ``ood`` is
    the test split with Gaussian noise of ``ood_severity * train std`` added to every
    feature (all are continuous measurements), row for row: it measures robustness to
    measurement noise, not a population shift. ``ood_severity=None`` gives no ``ood`` split.

    Parameters
    ----------
    seed : int
        Seed of the stratified train/test split and of the noise.
    test_size : float
        Fraction of the rows in ``test``.
    ood_severity : float or None
        Noise severity of the ``ood`` split.
    """
    if ood_severity is not None and (
        isinstance(ood_severity, bool)
        or not isinstance(ood_severity, numbers.Real)
        or not np.isfinite(float(ood_severity))
        or float(ood_severity) < 0
    ):
        raise ConfigError(
            f"ood_severity: expected a finite number >= 0 or None, got {ood_severity!r}."
        )
    bunch = _sklearn_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    names = np.asarray(bunch.target_names, dtype=object)
    frame[TARGET] = names[bunch.target.to_numpy()]
    shift = (
        {"kind": "none"}
        if ood_severity is None
        else {"kind": "noise", "severity": float(ood_severity)}
    )
    metadata = {
        "source": "scikit-learn bundled copy of the UCI Breast Cancer Wisconsin (Diagnostic) "
        "data (Wolberg, Street, Mangasarian, 1995), sklearn.datasets.load_breast_cancer",
        "doi": "10.24432/C5DW2B",
        "license": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "target_definition": "diagnosis as coded by sklearn (0 = malignant, 1 = benign); "
        "positive class 'malignant'",
        "card": {
            "attribution": "scikit-learn, sklearn/datasets/descr/breast_cancer.rst (creators "
            "W. H. Wolberg, W. N. Street, O. L. Mangasarian; donor N. Street)",
            "citation": "Wolberg, W., Mangasarian, O., Street, N., & Street, W. (1995). Breast "
            "Cancer Wisconsin (Diagnostic) [Dataset]. UCI Machine Learning Repository. "
            "https://doi.org/10.24432/C5DW2B",
            "collection": "30 features computed from a digitized image of a fine needle "
            "aspirate (FNA) of a breast mass, describing the cell nuclei in the image (mean, "
            "standard error and worst of 10 nucleus characteristics); 569 patients",
            "sensitive_attributes": [],
            "sites": {},
            "known_limitations": "569 tumours; derived image measurements only (no images, no "
            "age or sex); no site, so the ood split is the test split with Gaussian noise "
            "(robustness to measurement noise, not a population shift)",
            "intended_use": "Benchmarking trustworthy ML on a small clinical tabular task; "
            "not for clinical use",
            "motivation.creators": "Dr. William H. Wolberg, W. Nick Street, Olvi L. Mangasarian",
            "composition.instances": "breast masses (one FNA image's features per patient)",
            "composition.count": 569,
            "composition.label": "diagnosis: malignant (212) or benign (357)",
            "composition.missing_data": "none (Missing Attribute Values: None)",
            "composition.sensitive_subpopulations": "none recorded",
            "preprocessing.software": "trustbench.data.breast_cancer.load_breast_cancer "
            "(sklearn.datasets.load_breast_cancer)",
            "uses.prior_uses": "a standard machine-learning benchmark from the UCI repository, "
            "bundled with scikit-learn",
            "uses.unsuitable_tasks": "diagnosis or treatment decisions for patients",
            "distribution.how": "the copy bundled with scikit-learn (no download)",
            "maintenance.maintainer": "UCI Machine Learning Repository (original data); "
            "scikit-learn (bundled copy)",
            "rai:dataCollectionType": "Direct measurement (features computed from digitized "
            "FNA images)",
            "rai:personalSensitiveInformation": "health data (tumour diagnosis); no "
            "demographic attributes",
        },
    }
    return build_task(
        frame,
        name="breast_cancer",
        target=TARGET,
        positive_label="malignant",
        ood_shift=shift,
        test_size=test_size,
        seed=seed,
        metadata=metadata,
    )
