"""The submission format: every refusal is one clear line, found without loading anything.

Pickles here would create a marker file if anything unpickled them (``_Marker.__reduce__``);
each such test asserts that the marker is still absent after the check.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
import yaml
from onnx import TensorProto, helper, numpy_helper

from trustbench.challenge import export
from trustbench.challenge.submission import (
    ChallengeInput,
    SubmissionError,
    check_submission,
    read_team,
)

N_FEATURES, N_CLASSES, ROWS = 4, 3, 8
TOY_STATE = {"0.weight": (8, 4), "0.bias": (8,), "2.weight": (3, 8), "2.bias": (3,)}
EXPECTED = ChallengeInput(
    challenge="toy",
    input_name="X",
    dtype="float32",
    shape=(N_FEATURES,),
    n_classes=N_CLASSES,
    sample_rows=ROWS,
    architectures={"toy_mlp": TOY_STATE},
    max_mb=1.0,
)


class _Marker:
    """Unpickling this creates ``path``: the proof that something was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


# --------------------------------------------------------------------------- builders


def _sample() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(ROWS, N_FEATURES)).astype(np.float32)


def _proba(rows: int = ROWS, classes: int = N_CLASSES) -> np.ndarray:
    z = np.random.default_rng(1).normal(size=(rows, classes))
    return (np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)).astype(np.float32)


def _onnx_model(
    input_name: str = "X", n_features: int = N_FEATURES, batch: int | str | None = "batch"
) -> onnx.ModelProto:
    """X @ W + b -> Softmax -> probabilities, built by hand (fast, no converter)."""
    w = numpy_helper.from_array(np.ones((n_features, N_CLASSES), np.float32), "W")
    b = numpy_helper.from_array(np.zeros(N_CLASSES, np.float32), "B")
    nodes = [
        helper.make_node("MatMul", [input_name, "W"], ["logits0"]),
        helper.make_node("Add", ["logits0", "B"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "toy",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [batch, n_features])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [batch, N_CLASSES])],
        initializer=[w, b],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _write(folder: Path, blob: bytes | None = None, **manifest) -> Path:
    """A valid ONNX submission folder, with ``manifest`` keys overridden (None deletes)."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "team": "Team <b>Ünïcode</b> & co",
        "challenge": "toy",
        "format": "onnx",
        "model": "model.onnx",
        "input": {"name": "X", "dtype": "float32", "shape": [None, N_FEATURES]},
        "seed": 0,
        "licence": "Apache-2.0",
        "sample_predictions": "sample_predictions.npy",
    }
    doc.update(manifest)
    doc = {k: v for k, v in doc.items() if v is not None}
    (folder / "submission.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    data = blob if blob is not None else _onnx_model().SerializeToString()
    (folder / str(doc.get("model", "model.onnx")).replace("../", "")).write_bytes(data)
    np.save(folder / "sample_predictions.npy", _proba())
    return folder


def _problems(folder: Path, expected: ChallengeInput = EXPECTED) -> list[str]:
    with pytest.raises(SubmissionError) as info:
        check_submission(folder, expected)
    problems = info.value.problems
    assert all("\n" not in p for p in problems), problems
    assert str(info.value).count("\n- ") == len(problems)
    return problems


def _one(problems: list[str], *needles: str) -> str:
    hits = [p for p in problems if all(n in p for n in needles)]
    assert len(hits) == 1, f"expected one line with {needles}; got {problems}"
    return hits[0]


def _safetensors(header: dict, data: bytes, length: int | None = None) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def _safetensors_folder(folder: Path, blob: bytes, architecture: str = "toy_mlp") -> Path:
    _write(folder, blob=blob, format="safetensors", model="model.safetensors",
           architecture=architecture)  # fmt: skip
    (folder / "model.onnx").unlink(missing_ok=True)
    return folder


def _toy_module(hidden: int = 8):
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, N_CLASSES)
    )


# --------------------------------------------------------------------------- pickles and archives


def test_pickle_renamed_onnx_is_refused_unloaded(tmp_path):
    marker = tmp_path / "marker"
    folder = _write(tmp_path / "s", blob=pickle.dumps(_Marker(marker), protocol=4))
    line = _one(_problems(folder), "model.onnx", "Python pickle (protocol 4")
    assert "refused without being opened" in line and "sklearn_to_onnx" in line
    assert not marker.exists()


def test_protocol_zero_pickle_is_recognised(tmp_path):
    marker = tmp_path / "marker"
    folder = _write(tmp_path / "s", blob=pickle.dumps(_Marker(marker), protocol=0))
    _one(_problems(folder), "model.onnx", "pickle (protocol 0 or 1)")
    assert not marker.exists()


def test_joblib_file_is_refused_unloaded(tmp_path):
    import joblib

    marker = tmp_path / "marker"
    folder = _write(tmp_path / "s")
    joblib.dump(_Marker(marker), folder / "model.joblib")
    _one(_problems(folder), "model.joblib", "Python pickle")
    assert not marker.exists()


def test_torch_save_file_is_refused_unloaded(tmp_path):
    import torch

    marker = tmp_path / "marker"
    folder = _write(tmp_path / "s")
    torch.save({"model": _Marker(marker)}, folder / "weights.onnx")
    problems = _problems(folder)
    _one(problems, "weights.onnx", "zip holding data.pkl, as torch.save writes")
    torch.save({"model": _Marker(marker)}, folder / "model.onnx")  # as the model itself
    _one(_problems(folder), "model.onnx", "torch.save")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["model.pt2", "model.onnx"])
def test_torch_export_archive_is_refused_by_suffix_and_content(tmp_path, name):
    marker = tmp_path / "marker"
    folder = _write(tmp_path / "s")
    with zipfile.ZipFile(folder / name, "w") as z:  # the .pt2 layout
        z.writestr("model/archive_format", "pt2")
        z.writestr("model/version", "0")
        z.writestr("model/models/model.json", "{}")
        z.writestr("model/data/sample_inputs/model.pt", pickle.dumps(_Marker(marker)))
    _one(_problems(folder), name, "torch.export archive")
    assert not marker.exists()


def test_mlflow_model_folder_is_refused(tmp_path):
    marker = tmp_path / "marker"
    folder = _write(tmp_path / "s")
    (folder / "mlflow_model").mkdir()
    (folder / "mlflow_model" / "MLmodel").write_text("flavors:\n  python_function: {}\n")
    (folder / "mlflow_model" / "python_model.pkl").write_bytes(pickle.dumps(_Marker(marker)))
    problems = _problems(folder)
    _one(problems, "mlflow_model/MLmodel", "MLflow model folder")
    _one(problems, "mlflow_model/python_model.pkl", "Python pickle")
    assert not marker.exists()


# --------------------------------------------------------------------------- ONNX


@pytest.mark.parametrize("location", ["../secret.bin", "/etc/passwd", "weights.bin"])
def test_onnx_external_data_is_refused(tmp_path, location):
    model = _onnx_model()
    w = model.graph.initializer[0]
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "48")):
        w.external_data.add(key=key, value=value)
    (tmp_path / "secret.bin").write_bytes(b"\0" * 48)
    folder = _write(tmp_path / "s", blob=model.SerializeToString())
    line = _one(_problems(folder), "model.onnx", "tensor 'W'", repr(location))
    inside = location == "weights.bin"
    assert ("outside the submission folder" in line) is not inside
    assert "save_as_external_data=False" in line


def test_onnx_custom_op_domain_is_refused(tmp_path):
    model = _onnx_model()
    model.graph.node.append(helper.make_node("Evil", ["logits"], ["junk"], domain="com.evil"))
    model.opset_import.append(helper.make_opsetid("com.evil", 1))
    folder = _write(tmp_path / "s", blob=model.SerializeToString())
    line = _one(_problems(folder), "model.onnx", "custom operator domain 'com.evil'")
    assert "op 'Evil'" in line and "native libraries" in line


@pytest.mark.parametrize(
    ("model", "needles"),
    [
        (_onnx_model(input_name="input"), ("has inputs ['input']", "named 'X'")),
        (_onnx_model(n_features=5), ("input 'X' has shape", "expected [batch, 4]")),
        (_onnx_model(batch=1), ("fixes the batch dimension to 1", "dynamic_axes")),
    ],
    ids=["name", "shape", "fixed-batch"],
)
def test_onnx_input_must_match_the_challenge(tmp_path, model, needles):
    folder = _write(tmp_path / "s", blob=model.SerializeToString())
    _one(_problems(folder), "model.onnx", *needles)


def test_onnx_output_must_be_named_probabilities(tmp_path):
    model = _onnx_model()
    model.graph.node[-1].output[0] = "out"
    model.graph.output[0].name = "out"
    folder = _write(tmp_path / "s", blob=model.SerializeToString())
    _one(_problems(folder), "model.onnx", "has outputs ['out']", "output_names=['probabilities']")


def test_bytes_that_are_not_onnx_are_refused(tmp_path):
    folder = _write(tmp_path / "s", blob=b"\x12\x34 definitely not a model")
    _one(_problems(folder), "model.onnx", "ModelProto")


def test_manifest_input_must_match_the_challenge(tmp_path):
    folder = _write(tmp_path / "s", input={"name": "x", "dtype": "float64", "shape": [None, 5]})
    line = _one(
        _problems(folder),
        "submission.yaml",
        "input does not match the challenge in name, dtype, shape",
    )
    assert "expected {name: X, dtype: float32, shape: [null, 4]}" in line


# --------------------------------------------------------------------------- the folder


def test_symlink_to_a_host_file_is_refused_and_not_followed(tmp_path):
    host = tmp_path / "host_secret.txt"
    host.write_text("secret")
    folder = _write(tmp_path / "s")
    os.symlink(host, folder / "README.md")
    real = folder / "model.onnx"
    os.replace(real, tmp_path / "model.onnx")
    os.symlink(tmp_path / "model.onnx", real)
    problems = _problems(folder)
    _one(problems, "README.md", "symbolic link", "never followed")
    _one(problems, "model.onnx", "symbolic link")
    assert not any("not a file in the folder" in p for p in problems)


def test_dotdot_path_in_the_manifest_is_refused(tmp_path):
    folder = _write(tmp_path / "s", model="../model.onnx")
    _one(_problems(folder), "submission.yaml", "model is '../model.onnx'", "leaves the folder")


def test_hidden_deep_special_and_hard_linked_files_are_refused(tmp_path):
    folder = _write(tmp_path / "s")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "a" / "b").mkdir(parents=True)
    os.mkfifo(folder / "pipe")
    os.link(folder / "sample_predictions.npy", folder / "copy.npy")
    problems = _problems(folder)
    _one(problems, ".DS_Store", "hidden")
    _one(problems, "a/b", "inside a sub-folder")
    _one(problems, "pipe", "special file")
    _one(problems, "copy.npy", "hard link")
    _one(problems, "sample_predictions.npy", "hard link")


def test_oversized_folder_stops_counting_and_reads_nothing(tmp_path):
    folder = _write(tmp_path / "s")
    with open(folder / "zz_huge.onnx", "wb") as f:
        f.truncate(2 * 10**9)  # sparse: counted by lstat, never read
    line = _one(_problems(folder), "submission folder: over the size limit", "limit 1 MB")
    assert "zz_huge.onnx" in line


def test_readme_is_allowed_unknown_and_executable_files_are_not(tmp_path):
    folder = _write(tmp_path / "s")
    (folder / "README.md").write_text("# Our model\n")
    (folder / "LICENSE").write_text("MIT\n")
    check_submission(folder, EXPECTED)
    (folder / "notes.docx").write_bytes(b"PK\x03\x04junk")
    (folder / "run.sh").write_text("#!/bin/sh\necho hi\n")
    problems = _problems(folder)
    _one(problems, "notes.docx", "zip archive", "never unpacked")
    _one(problems, "run.sh", "a script", "ever run")


# --------------------------------------------------------------------------- safetensors


def test_safetensors_header_lying_about_shapes(tmp_path):
    header = {"0.weight": {"dtype": "F32", "shape": [8, 4], "data_offsets": [0, 64]}}
    folder = _safetensors_folder(tmp_path / "s", _safetensors(header, b"\0" * 64))
    _one(_problems(folder), "model.safetensors", "shape [8, 4] of F32 needs 128 bytes", "span 64")


def test_safetensors_header_lying_about_offsets(tmp_path):
    past = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 160]}}
    folder = _safetensors_folder(tmp_path / "s", _safetensors(past, b"\0" * 16))
    _one(_problems(folder), "tensor 'a'", "past the end of the data section (16 bytes)")
    overlap = {
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
    }
    folder = _safetensors_folder(tmp_path / "t", _safetensors(overlap, b"\0" * 24))
    _one(_problems(folder), "tensors 'a' and 'b' overlap")


def test_safetensors_header_lying_about_size(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    folder = _safetensors_folder(tmp_path / "s", _safetensors(header, b"\0" * 16, length=10**6))
    _one(_problems(folder), "model.safetensors", "header length says 1000000 bytes", "truncated")


def test_safetensors_wrong_keys_and_shapes_for_the_architecture(tmp_path):
    module = _toy_module(hidden=16)
    module.add_module("3", __import__("torch").nn.Linear(3, 3))
    folder = tmp_path / "s"
    folder.mkdir()
    export.save_safetensors(module, folder / "model.safetensors")
    problems = _problems(_safetensors_folder(folder, (folder / "model.safetensors").read_bytes()))
    _one(problems, "tensor '0.weight' has shape [16, 4]", "toy_mlp expects [8, 4]")
    _one(problems, "tensor '3.weight' is not part of toy_mlp")
    _one(problems, "tensor '2.weight' has shape [3, 16]")


def test_safetensors_architecture_must_be_one_the_challenge_defines(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    export.save_safetensors(_toy_module(), folder / "model.safetensors")
    blob = (folder / "model.safetensors").read_bytes()
    line = _one(_problems(_safetensors_folder(folder, blob, "toy_mpl")), "architecture is")
    assert "Did you mean 'toy_mlp'?" in line


# --------------------------------------------------------------------------- predictions


@pytest.mark.parametrize(
    ("array", "needles"),
    [
        (_proba(ROWS, 2), ("has shape (8, 2)", "expected (8, 3)")),
        (_proba() * 3, ("expected probabilities in [0, 1]",)),
        (np.full((ROWS, N_CLASSES), np.nan, np.float32), ("NaN or infinite",)),
        (np.ones((ROWS, N_CLASSES), np.int64), ("dtype int64",)),
    ],
    ids=["shape", "range", "nan", "int"],
)
def test_bad_sample_predictions(tmp_path, array, needles):
    folder = _write(tmp_path / "s")
    np.save(folder / "sample_predictions.npy", array)
    _one(_problems(folder), "sample_predictions.npy", *needles)


def test_object_npy_predictions_are_never_unpickled(tmp_path):
    marker = tmp_path / "marker"
    folder = _write(tmp_path / "s")
    np.save(folder / "sample_predictions.npy", np.array([_Marker(marker)], dtype=object))
    _one(_problems(folder), "sample_predictions.npy", "Python objects")
    (folder / "sample_predictions.npy").write_bytes(pickle.dumps(_Marker(marker)))
    _one(_problems(folder), "sample_predictions.npy", "Python pickle")
    assert not marker.exists()


# --------------------------------------------------------------------------- the manifest


def test_unknown_manifest_key_gets_did_you_mean(tmp_path):
    folder = _write(tmp_path / "s", licence=None, license="MIT")
    problems = _problems(folder)
    _one(problems, "unknown key 'license'", "Did you mean 'licence'?")
    _one(problems, "missing key 'licence'")


def test_team_with_control_characters_is_refused(tmp_path):
    folder = _write(tmp_path / "s", team="evil\u202eteam")
    _one(_problems(folder), "team contains the control character U+202E")
    assert read_team(_write(tmp_path / "t")) == "Team <b>Ünïcode</b> & co"


def test_several_problems_are_reported_together(tmp_path):
    folder = _write(tmp_path / "s", format="pickle", team="", seed="zero", selected="maybe")
    (folder / ".hidden").write_text("x")
    (folder / "extra.txt").write_text("x")
    np.save(folder / "sample_predictions.npy", _proba(3))
    with pytest.raises(SubmissionError) as info:
        check_submission(folder, EXPECTED)
    problems = info.value.problems
    for needles in (
        ("format is 'pickle'", "expected one of onnx, safetensors"),
        ("team must be a non-empty string",),
        ("seed must be an integer",),
        ("selected must be true or false",),
        (".hidden", "hidden"),
        ("extra.txt", "not part of a submission"),
        ("sample_predictions.npy", "has shape (3, 3)"),
    ):
        _one(problems, *needles)
    assert f"has {len(problems)} problem(s)" in str(info.value)


# --------------------------------------------------------------------------- happy paths


def test_sklearn_pipeline_exported_and_checked(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, N_FEATURES)).astype(np.float32)
    y = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])
    X[rng.random(X.shape) < 0.15] = np.nan
    numeric = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
    pipe = Pipeline([
        ("columns", ColumnTransformer([("num", numeric, [0, 1, 2]),
                                       ("rest", SimpleImputer(strategy="median"), [3])])),
        ("clf", LogisticRegression(max_iter=500)),
    ])  # fmt: skip
    pipe.fit(X, y)
    sample = X[:ROWS]
    folder = tmp_path / "sub"
    export.sklearn_to_onnx(pipe, N_FEATURES, folder / "model.onnx", sample=sample)
    export.write_submission(
        folder, team="Ünïcode <script>", format="onnx", model_file="model.onnx",
        sample_inputs=sample, sample_predictions=pipe.predict_proba(sample), challenge="toy",
        licence="MIT", selected=True, expected=EXPECTED,
    )  # fmt: skip
    sub = check_submission(folder, EXPECTED)
    assert (sub.format, sub.team, sub.selected, sub.input_shape) == (
        "onnx", "Ünïcode <script>", True, (None, N_FEATURES)
    )  # fmt: skip
    assert sub.files == ("model.onnx", "sample_predictions.npy", "submission.yaml")
    copy = shutil.copytree(folder, tmp_path / "copy")
    assert check_submission(copy, EXPECTED).sha256 == sub.sha256
    (copy / "submission.yaml").write_text((copy / "submission.yaml").read_text() + "\n")
    assert check_submission(copy, EXPECTED).sha256 != sub.sha256


def test_sklearn_native_categorical_and_unfaithful_conversions_are_refused(tmp_path, monkeypatch):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    X = _sample()
    X[:, 3] = np.arange(ROWS) % 3
    y = np.arange(ROWS) % 2
    hgb = HistGradientBoostingClassifier(max_iter=3, categorical_features=[3]).fit(X, y)
    with pytest.raises(export.ExportError, match=r"native categorical features .* silently wrong"):
        export.sklearn_to_onnx(hgb, N_FEATURES, tmp_path / "hgb.onnx", sample=X)
    assert not (tmp_path / "hgb.onnx").exists()
    logreg = LogisticRegression().fit(X, y)
    monkeypatch.setattr(export, "_run_onnx", lambda data, X, name: logreg.predict_proba(X) + 1e-3)
    with pytest.raises(export.ExportError, match="does not reproduce the original"):
        export.sklearn_to_onnx(logreg, N_FEATURES, tmp_path / "lr.onnx", sample=X)
    assert not (tmp_path / "lr.onnx").exists()


def test_torch_module_exported_to_onnx_and_checked(tmp_path):
    import torch

    module = _toy_module()
    sample = _sample()
    folder = tmp_path / "sub"
    export.torch_to_onnx(module, torch.as_tensor(sample), folder / "model.onnx")
    with torch.no_grad():
        proba = torch.softmax(module(torch.as_tensor(sample)), dim=1).numpy()
    export.write_submission(
        folder, team="torch team", format="onnx", model_file="model.onnx",
        sample_inputs=sample, sample_predictions=proba, challenge="toy", expected=EXPECTED,
    )  # fmt: skip
    assert check_submission(folder, EXPECTED).model == folder.resolve() / "model.onnx"


def _safetensors_submission(folder, module, architecture, shapes, expected) -> Path:
    """A safetensors submission of ``module`` for ``architecture``, written by the export helpers."""
    export.save_safetensors(module, folder / "model.safetensors", expected=shapes)
    export.write_submission(
        folder, team="white box", format="safetensors", model_file="model.safetensors",
        architecture=architecture, sample_inputs=_sample(), sample_predictions=_proba(),
        challenge="toy", expected=expected,
    )  # fmt: skip
    return folder


def test_safetensors_checked_against_an_expected_state_dict(tmp_path):
    folder = _safetensors_submission(
        tmp_path / "sub", _toy_module(), "toy_mlp", TOY_STATE, EXPECTED
    )
    assert check_submission(folder, EXPECTED).architecture == "toy_mlp"


def test_safetensors_header_length_looking_like_pickle_magic_is_accepted(tmp_path):
    tensors = {k: {"dtype": "F32", "shape": list(v)} for k, v in TOY_STATE.items()}
    offset = 0
    for info in tensors.values():
        size = 4 * int(np.prod(info["shape"]))
        info["data_offsets"], offset = [offset, offset + size], offset + size
    raw = json.dumps(tensors).encode().ljust(0x280)  # length bytes 80 02: pickle protocol 2 magic
    blob = struct.pack("<Q", len(raw)) + raw + b"\0" * offset
    assert blob[:2] == b"\x80\x02"
    assert (
        check_submission(_safetensors_folder(tmp_path / "s", blob), EXPECTED).format
        == "safetensors"
    )


def test_safetensors_checked_against_tabular_mlp_v1(tmp_path):
    architectures = pytest.importorskip("trustbench.challenge.architectures")
    dims = {"in_features": N_FEATURES, "n_classes": N_CLASSES}
    shapes = architectures.expected_shapes("tabular_mlp_v1", **dims)
    expected = ChallengeInput(
        challenge="toy", input_name="X", dtype="float32", shape=(N_FEATURES,),
        n_classes=N_CLASSES, sample_rows=ROWS, architectures={"tabular_mlp_v1": shapes},
    )  # fmt: skip
    module = architectures.build("tabular_mlp_v1", **dims)
    folder = _safetensors_submission(tmp_path / "sub", module, "tabular_mlp_v1", shapes, expected)
    assert check_submission(folder, expected).format == "safetensors"


def test_checks_import_no_model_runtime(tmp_path):
    onnx_folder = _write(tmp_path / "onnx")
    st_folder = tmp_path / "st"
    st_folder.mkdir()
    export.save_safetensors(_toy_module(), st_folder / "model.safetensors")
    _safetensors_folder(st_folder, (st_folder / "model.safetensors").read_bytes())
    code = (
        "import sys\n"
        "from trustbench.challenge.submission import ChallengeInput, check_submission\n"
        f"expected = ChallengeInput('toy', 'X', 'float32', ({N_FEATURES},), {N_CLASSES}, {ROWS},"
        f" architectures={{'toy_mlp': {TOY_STATE!r}}})\n"
        f"check_submission({str(onnx_folder)!r}, expected)\n"
        f"check_submission({str(st_folder)!r}, expected)\n"
        "print(sorted(m for m in ('onnxruntime', 'safetensors', 'skl2onnx') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_billion_laughs_manifest_is_refused_at_once(tmp_path):
    """Nested aliases expand to 9**12 values: refused when the YAML is composed, in a blink."""
    import time

    from trustbench.challenge.submission import read_team

    folder = _write(tmp_path / "laughs")
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 12):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join([f'*{prev}'] * 9)}]")
    manifest = folder / "submission.yaml"
    kept = [line for line in manifest.read_text().splitlines() if not line.startswith("team")]
    manifest.write_text("\n".join([*lines, "team: *l", *kept]) + "\n")
    start = time.perf_counter()
    problems = _problems(folder)
    assert time.perf_counter() - start < 5
    assert any("aliases (*name) are not accepted" in p for p in problems)
    assert read_team(folder) is None
