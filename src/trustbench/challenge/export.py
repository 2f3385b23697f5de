"""Turn a trained model into a challenge submission: ONNX or safetensors, plus the manifest.

Used by the kit's example submissions and by participants::

    from trustbench.challenge import export
    export.sklearn_to_onnx(pipeline, n_features, "sub/model.onnx", sample=X_sample)
    export.write_submission("sub", team="Team", format="onnx", model_file="model.onnx",
                            challenge="heart-2025", sample_inputs=X_sample,
                            sample_predictions=pipeline.predict_proba(X_sample))

Every conversion is verified before it returns: onnxruntime's probabilities on the sample must
equal the original model's to within ``ATOL``, and the file must pass the same static checks as
a submission (:mod:`trustbench.challenge.onnx_checks`); otherwise the file is removed and
:class:`ExportError` says why.

Versions these converters were verified with: scikit-learn 1.9.1, skl2onnx 1.20.0, onnx 1.23.2,
onnxruntime 1.32.0, torch 2.13.0, safetensors 0.8.0. torch's default (dynamo) ONNX exporter
needs the ``onnxscript`` package; ``torch_to_onnx`` uses the TorchScript-based exporter
(``dynamo=False``), which needs nothing beyond torch.
"""

from __future__ import annotations

import copy
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from trustbench.challenge import formats, onnx_checks
from trustbench.challenge.submission import MANIFEST, ChallengeInput, check_submission
from trustbench.errors import TrustbenchError

#: Highest opsets skl2onnx may use (it picks the lowest that suffices for the estimator).
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
#: Opset of torch exports.
TORCH_OPSET = 17
#: Largest absolute difference allowed between the original's and onnxruntime's probabilities.
ATOL = 1e-5
#: Rows of the standard-normal sample used to verify a conversion when none is given.
DEFAULT_SAMPLE_ROWS = 256
PREDICTIONS_FILE = "sample_predictions.npy"

__all__ = [
    "ATOL",
    "TARGET_OPSET",
    "TORCH_OPSET",
    "ExportError",
    "save_safetensors",
    "sklearn_to_onnx",
    "torch_to_onnx",
    "write_submission",
]


class ExportError(TrustbenchError):
    """A model could not be converted, or its conversion does not reproduce the original."""


# --------------------------------------------------------------------------- scikit-learn


def sklearn_to_onnx(
    estimator: Any,
    n_features: int,
    path: str | os.PathLike[str],
    *,
    sample: Any = None,
    input_name: str = "X",
    target_opset: Mapping[str, int] | None = None,
) -> Path:
    """Convert a fitted scikit-learn classifier (or pipeline) to ONNX and verify it.

    The ONNX model takes one float32 input ``input_name`` of shape ``(batch, n_features)`` and
    returns ``probabilities`` of shape ``(batch, n_classes)`` (no ZipMap). ``sample`` (rows of
    the real inputs, NaN allowed where the pipeline imputes) is used to check that onnxruntime
    reproduces ``estimator.predict_proba`` to ``ATOL``; without it a standard-normal sample is
    used, which suits only pipelines that accept any real values.

    Raises
    ------
    ExportError
        For a HistGradientBoosting model with native categorical features (skl2onnx converts
        those silently wrong), a failed conversion, or a conversion that does not reproduce
        the estimator on the sample.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    path = Path(path)
    _refuse_native_categorical(estimator)
    fitted_width = getattr(estimator, "n_features_in_", n_features)
    if fitted_width != n_features:
        raise ExportError(
            f"n_features is {n_features}, but the estimator was fitted on "
            f"{fitted_width} features; pass n_features={fitted_width}"
        )
    if not hasattr(estimator, "predict_proba"):
        raise ExportError(
            f"the estimator {type(estimator).__name__} has no predict_proba; "
            "a submission must return class probabilities"
        )
    X = _sample(sample, n_features)
    try:
        model = convert_sklearn(
            estimator,
            initial_types=[(input_name, FloatTensorType([None, n_features]))],
            options={id(estimator): {"zipmap": False}},
            target_opset=dict(target_opset or TARGET_OPSET),
        )
    except Exception as err:
        raise ExportError(
            f"skl2onnx cannot convert {type(estimator).__name__}: {formats.first_line(err)}"
        ) from err
    _check_probabilities_output(model)
    want = np.asarray(estimator.predict_proba(X.astype(np.float64)), dtype=np.float64)
    _save_and_verify(model, path, X, want, input_name)
    return path


def _refuse_native_categorical(estimator: Any) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    for where, est in _estimators(estimator, type(estimator).__name__):
        if not isinstance(est, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
            continue
        fitted = getattr(est, "is_categorical_", None)
        param = est.categorical_features
        native = (fitted is not None and bool(np.any(fitted))) or (
            fitted is None and not hasattr(est, "n_iter_")
            and param is not None and not (isinstance(param, str) and param == "from_dtype")
        )  # fmt: skip
        if native:
            raise ExportError(
                f"{where}: a {type(est).__name__} with native categorical features "
                f"(categorical_features={param!r}) converts silently wrong with skl2onnx; "
                "encode those columns in the pipeline (OneHotEncoder or OrdinalEncoder) and fit "
                "with categorical_features=None"
            )


def _estimators(obj: Any, where: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every scikit-learn estimator inside ``obj`` (pipeline steps, fitted transformers,
    ensemble members), with a dotted path for messages."""
    from sklearn.base import BaseEstimator

    if depth > 10:
        return
    if isinstance(obj, BaseEstimator):
        yield where, obj
        children: Any = vars(obj).items()
    elif isinstance(obj, (list, tuple)):
        children = ((str(i), v) for i, v in enumerate(obj))
    elif isinstance(obj, dict):
        children = ((str(k), v) for k, v in obj.items())
    else:
        return
    for name, child in children:
        if isinstance(child, (BaseEstimator, list, tuple, dict)):
            yield from _estimators(child, f"{where}.{name}", depth + 1)


def _sample(sample: Any, n_features: int) -> np.ndarray:
    if sample is None:
        rng = np.random.default_rng(0)
        return rng.standard_normal((DEFAULT_SAMPLE_ROWS, n_features)).astype(np.float32)
    X = np.asarray(sample, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != n_features or len(X) == 0:
        raise ExportError(
            f"sample must be a non-empty (n, {n_features}) float matrix; received shape {X.shape}"
        )
    return X


def _check_probabilities_output(model: Any) -> None:
    """skl2onnx names the probability output ``probabilities`` (ZipMap off); make sure."""
    names = [o.name for o in model.graph.output]
    if onnx_checks.OUTPUT_NAME not in names:
        raise ExportError(f"the converted model has no '{onnx_checks.OUTPUT_NAME}' output; "
                          f"outputs: {names}")  # fmt: skip


def _save_and_verify(
    model: Any, path: Path, X: np.ndarray, want: np.ndarray, input_name: str
) -> None:
    """Write ``model`` (weights embedded) to ``path``; check it statically and with
    onnxruntime against ``want``; remove the file and raise if anything is off."""
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(path), save_as_external_data=False)
    try:
        data = path.read_bytes()
        problems = onnx_checks.onnx_problems(
            path.name, data, input_name=input_name, dtype="float32", shape=X.shape[1:],
            n_classes=want.shape[1],
        )  # fmt: skip
        if problems:
            raise ExportError("the exported model fails the submission checks: " + problems[0])
        got = _run_onnx(data, X, input_name)
        if got.shape != want.shape:
            raise ExportError(
                f"onnxruntime returns probabilities of shape {got.shape}; the "
                f"original returns {want.shape}"
            )
        diff = float(np.nanmax(np.abs(got - want))) if got.size else 0.0
        if not np.isfinite(got).all() or diff > ATOL:
            raise ExportError(
                f"the ONNX model does not reproduce the original: probabilities differ by up to "
                f"{diff:.3g} on the {len(X)} sample rows (tolerance {ATOL:g}); the converter does "
                "not support this model faithfully, so simplify it or save safetensors instead"
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _run_onnx(data: bytes, X: np.ndarray, input_name: str) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    out = session.run([onnx_checks.OUTPUT_NAME], {input_name: X})[0]
    return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------- torch


def torch_to_onnx(
    module: Any,
    example: Any,
    path: str | os.PathLike[str],
    *,
    input_name: str = "X",
    logits: bool = True,
    opset: int = TORCH_OPSET,
) -> Path:
    """Export a torch module to ONNX with a softmax appended; verify it with onnxruntime.

    ``module`` maps a float32 batch shaped like ``example`` to logits ``(batch, n_classes)``
    (``logits=False`` when it already returns probabilities). A float32 copy on the CPU is
    exported with the TorchScript-based exporter (``dynamo=False``: the dynamo exporter needs
    ``onnxscript``), input ``input_name`` with a free batch axis, output ``probabilities``.

    Raises
    ------
    ExportError
        If the export fails or onnxruntime does not reproduce the module on ``example``.
    """
    import torch

    path = Path(path)
    example = torch.as_tensor(example).detach().to("cpu", torch.float32)
    if example.ndim < 2 or example.shape[0] == 0:
        raise ExportError(
            f"example must be a non-empty batch (n, ...); received shape {tuple(example.shape)}"
        )
    inner = copy.deepcopy(module).float().cpu().eval()
    net = torch.nn.Sequential(inner, torch.nn.Softmax(dim=1)) if logits else inner
    with torch.no_grad():
        want = net(example).double().numpy()
    if want.ndim != 2:
        raise ExportError(f"the module must return (batch, n_classes); it returns {want.shape}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                net, (example,), str(path), dynamo=False, input_names=[input_name],
                output_names=[onnx_checks.OUTPUT_NAME], opset_version=opset,
                dynamic_axes={input_name: {0: "batch"}, onnx_checks.OUTPUT_NAME: {0: "batch"}},
            )  # fmt: skip
    except Exception as err:
        path.unlink(missing_ok=True)
        raise ExportError(f"torch.onnx.export failed: {formats.first_line(err)}") from err
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    _save_and_verify(model, path, example.numpy(), want, input_name)
    return path


# --------------------------------------------------------------------------- safetensors


def save_safetensors(
    module: Any,
    path: str | os.PathLike[str],
    *,
    expected: Mapping[str, tuple[int, ...]] | None = None,
) -> Path:
    """Save ``module.state_dict()`` as safetensors (tied tensors copied apart).

    With ``expected`` (key -> shape, e.g. ``architectures.expected_shapes(name, ...)``) the
    keys and shapes are checked first, and nothing is written when they differ.
    """
    import torch
    from safetensors.torch import save_file

    path = Path(path)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}
    if expected is not None:
        names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                 torch.float64: "F64"}  # fmt: skip
        shapes = {k: (names.get(v.dtype, str(v.dtype)), tuple(v.shape)) for k, v in state.items()}
        problems = formats.compare_state_dict(path.name, shapes, expected, "the architecture")
        if problems:
            raise ExportError("the state dict does not fit: " + " ".join(problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={"format": "pt"})
    return path


# --------------------------------------------------------------------------- the folder


def write_submission(
    folder: str | os.PathLike[str],
    team: str,
    format: str,
    model_file: str | os.PathLike[str],
    sample_inputs: Any,
    sample_predictions: Any,
    *,
    challenge: str,
    seed: int = 0,
    licence: str = "CC-BY-4.0",
    architecture: str | None = None,
    input_name: str = "X",
    description: str | None = None,
    selected: bool = False,
    expected: ChallengeInput | None = None,
) -> Path:
    """Write ``submission.yaml`` and ``sample_predictions.npy`` into ``folder``.

    ``model_file`` is a file in ``folder`` (relative to it) or elsewhere (copied in). The
    manifest's input block is ``input_name``, float32 (or ``expected.dtype``) and the shape of
    ``sample_inputs`` with a free batch dimension. With ``expected`` the folder is then checked
    like a submission (:func:`~trustbench.challenge.submission.check_submission`), raising
    :class:`~trustbench.challenge.submission.SubmissionError` on problems.

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_rel = _place_model(folder, Path(model_file))
    inputs = np.asarray(sample_inputs)
    proba = np.asarray(sample_predictions)
    if proba.dtype.kind != "f":
        proba = proba.astype(np.float32)
    if proba.ndim != 2 or len(proba) != len(inputs):
        raise ExportError(
            f"sample_predictions must be (n, n_classes) with n = {len(inputs)} "
            f"rows of sample_inputs; received shape {proba.shape}"
        )
    np.save(folder / PREDICTIONS_FILE, np.ascontiguousarray(proba), allow_pickle=False)
    manifest: dict[str, Any] = {
        "team": team,
        "challenge": challenge,
        "format": format,
        "model": model_rel,
        "input": {
            "name": input_name,
            "dtype": expected.dtype if expected is not None else "float32",
            "shape": [None, *(int(d) for d in inputs.shape[1:])],
        },
        "seed": int(seed),
        "licence": licence,
        "sample_predictions": PREDICTIONS_FILE,
    }
    if architecture is not None:
        manifest["architecture"] = architecture
    if description is not None:
        manifest["description"] = description
    if selected:
        manifest["selected"] = True
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    if expected is not None:
        check_submission(folder, expected)
    return folder


def _place_model(folder: Path, model_file: Path) -> str:
    inside = model_file if model_file.is_absolute() else folder / model_file
    try:
        rel = inside.resolve().relative_to(folder.resolve())
    except ValueError:
        rel = None
    if rel is not None and inside.is_file():
        return rel.as_posix()
    if model_file.is_file():
        shutil.copyfile(model_file, folder / model_file.name)
        return model_file.name
    raise ExportError(
        f"model_file: {model_file} is not a file (looked in {folder} and the working directory)"
    )
