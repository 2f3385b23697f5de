"""Byte-level checks of submission files, run on bytes already read, without loading anything.

Nothing here unpickles, imports a model runtime (onnxruntime, torch, safetensors) or follows a
reference to another file: pickles and archives are recognised by their bytes, safetensors
headers are parsed by hand with strict bounds, and ``.npy`` headers are read before any array
is built (ONNX files: :mod:`trustbench.challenge.onnx_checks`). Every function returns problem lines (one line each, naming the file, what
was expected, what was received and how to fix it) instead of raising, so that a submission
gets all of its problems at once.
"""

from __future__ import annotations

import io
import json
import math
import pickletools
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from trustbench.registry import did_you_mean

#: How to turn a model into an accepted file, appended to every refusal of a model format.
EXPORT_HINT = (
    "Export the model to ONNX (trustbench.challenge.export.sklearn_to_onnx or torch_to_onnx) "
    "or save its weights with trustbench.challenge.export.save_safetensors"
)

#: File suffixes refused whatever their content, with what such a file is.
FORBIDDEN_SUFFIXES = {
    ".pkl": "a pickle", ".pickle": "a pickle", ".joblib": "a joblib file (a pickle)",
    ".dill": "a dill file (a pickle)", ".cloudpickle": "a cloudpickle file (a pickle)",
    ".sav": "a pickle", ".pt": "a torch.save file (a pickle)",
    ".pth": "a torch.save file (a pickle)", ".ckpt": "a checkpoint (a torch.save pickle)",
    ".bin": "a torch.save file (a pickle)", ".pt2": "a torch.export archive",
    ".npz": "a numpy archive", ".h5": "a Keras/HDF5 model", ".keras": "a Keras model",
    ".pb": "a TensorFlow graph", ".so": "a shared library", ".dll": "a shared library",
    ".dylib": "a shared library", ".exe": "an executable", ".py": "a Python script",
    ".sh": "a shell script",
}  # fmt: skip

#: safetensors dtypes with a whole number of bytes per element.
SAFETENSORS_ITEMSIZE = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip

#: safetensors dtypes accepted for the weights of an architecture.
FLOAT_DTYPES = ("F32", "F16", "BF16", "F64")

#: The longest safetensors JSON header read (a state dict of a few hundred tensors is ~50 kB).
SAFETENSORS_HEADER_CAP = 8 * 1024 * 1024

#: At most this many lines are reported per file for one kind of problem.
MAX_LINES = 5

_COMPRESSED = (
    (b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"\x5d\x00\x00", "lzma"),
    (b"\x04\x22\x4d\x18", "lz4"), (b"\x28\xb5\x2f\xfd", "zstd"),
)  # fmt: skip
_EXECUTABLE = (
    (b"\x7fELF", "a native executable or shared library (ELF)"),
    (b"\xfe\xed\xfa\xce", "a native executable (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "a native executable (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "a native executable (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "a native executable (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a native executable (Mach-O universal) or Java class"),
    (b"MZ", "a Windows executable or DLL (PE)"),
    (b"#!", "a script (it starts with #!)"),
)


def name_of(rel: str, limit: int = 80) -> str:
    """A file name as shown in a message: as is when printable, else escaped (``repr``)."""
    return rel if rel.isprintable() and len(rel) <= limit and "'" not in rel else show(rel, limit)


def show(value: Any, limit: int = 60) -> str:
    """``repr`` of ``value`` cut to ``limit`` characters: control characters escaped, one line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- recognising bytes


def sniff(data: bytes) -> str | None:
    """What refused kind of file ``data`` is (a pickle, a torch archive, ...), or ``None``.

    Only the bytes are read: the zip directory is listed, never extracted, and a protocol 0/1
    pickle is recognised by disassembling it (``pickletools``), which runs nothing.
    """
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return (
            f"a Python pickle (protocol {data[1]}, as pickle.dump, joblib.dump and "
            "cloudpickle write)"
        )
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _describe_zip(data)
    if data[:6] == b"\x93NUMPY":
        return None
    for magic, what in _EXECUTABLE:
        if data.startswith(magic):
            return what
    for magic, what in _COMPRESSED:
        if data.startswith(magic):
            return f"a {what}-compressed stream (as joblib.dump(..., compress=...) writes)"
    if len(data) >= 2 and data[0] == 0x78 and data[1] in (0x01, 0x5E, 0x9C, 0xDA):
        return "a zlib-compressed stream (as joblib.dump(..., compress=...) writes)"
    if data[257:262] == b"ustar":
        return "a tar archive"
    if _is_old_pickle(data):
        return "a Python pickle (protocol 0 or 1)"
    return None


def _describe_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except Exception:  # hostile bytes: any parse error leaves the plain description
        return "a zip archive"
    bases = [name.rsplit("/", 1)[-1] for name in names]
    if "archive_format" in bases or any(name.endswith(".pt2") for name in names):
        return (
            "a torch.export archive (.pt2: loading it evaluates its sympy expressions and "
            "unpickles its optional parts)"
        )
    if any(base.endswith(".pkl") for base in bases):
        return "a pickle archive (a zip holding data.pkl, as torch.save writes)"
    if "MLmodel" in bases:
        return "a zipped MLflow model (MLmodel; MLflow loads models through pickle)"
    return "a zip archive"


def _is_old_pickle(data: bytes) -> bool:
    """True when all of ``data`` disassembles as one pickle ending in STOP (protocol 0/1)."""
    if not data or len(data) > 16 * 1024 * 1024:
        return False
    try:
        last = None
        for opcode, _, pos in pickletools.genops(io.BytesIO(data)):
            last = (opcode.name, pos)
    except Exception:  # hostile bytes: any disassembly error means "not an old pickle"
        return False
    return last is not None and last[0] == "STOP" and data[last[1] + 1 :].strip() == b""


def refusal(rel: str, data: bytes) -> str | None:
    """The problem line for a file refused by its name or content, or ``None``."""
    base = rel.rsplit("/", 1)[-1]
    if base == "MLmodel":
        return (
            f"{rel}: an MLflow model folder (MLmodel) is not accepted; MLflow models load "
            f"through pickle, which can run code. {EXPORT_HINT}."
        )
    suffix = "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""
    what = sniff(data) or FORBIDDEN_SUFFIXES.get(suffix)
    if what is None:
        return None
    if any(word in what for word in ("pickle", "torch", "compressed", "joblib")):
        why = f"loading it can run code, so it is refused without being opened. {EXPORT_HINT}."
    elif any(word in what for word in ("executable", "script", "shared library")):
        why = "nothing in a submission is ever run; delete it."
    elif "archive" in what:
        why = (
            "archives are never unpacked; the folder holds only the manifest, the model, the "
            "sample predictions and README/LICENSE text; delete it."
        )
    else:
        why = f"it is not an accepted model format. {EXPORT_HINT}."
    return f"{rel}: is {what}; {why}"


# --------------------------------------------------------------------------- safetensors


def safetensors_tensors(
    rel: str, data: bytes
) -> tuple[dict[str, tuple[str, tuple[int, ...]]] | None, list[str]]:
    """Parse a safetensors header by hand; return ``{key: (dtype, shape)}`` and problems.

    The header must not lie: its length fits the file and the cap, it is a JSON object,
    every dtype is known, every tensor's ``data_offsets`` lie in the data section, do not
    overlap and together cover it, and ``prod(shape) * itemsize == end - begin``.
    """
    fix = "save the weights with trustbench.challenge.export.save_safetensors"
    if len(data) < 8:
        return None, [
            f"{rel}: holds {len(data)} bytes; a safetensors file starts with an "
            f"8-byte header length, then a JSON header. {fix[0].upper()}{fix[1:]}."
        ]
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8 or n > SAFETENSORS_HEADER_CAP:
        limit = min(len(data) - 8, SAFETENSORS_HEADER_CAP)
        return None, [
            f"{rel}: the header length says {n} bytes, but at most {limit} are "
            f"possible (file of {len(data)} bytes, cap {SAFETENSORS_HEADER_CAP}); "
            f"the file is truncated or not safetensors: {fix}."
        ]
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        return None, [f"{rel}: the header is not a JSON object ({first_line(err)}); {fix}."]
    if not isinstance(header, dict):
        return None, [f"{rel}: the header is a JSON {type(header).__name__}, not an object; {fix}."]
    metadata = header.pop("__metadata__", {})
    problems: list[str] = []
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        problems.append(f"{rel}: __metadata__ must map strings to strings; {fix}.")
    data_len = len(data) - 8 - n
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    spans: list[tuple[int, int, str]] = []
    for key, info in header.items():
        line = _tensor_problem(rel, key, info, data_len)
        if line:
            problems.append(line)
            continue
        tensors[key] = (info["dtype"], tuple(info["shape"]))
        spans.append((*info["data_offsets"], key))
    problems.extend(_coverage_problems(rel, spans, data_len) if not problems else [])
    return (None if problems else tensors), capped(rel, problems)


def _tensor_problem(rel: str, key: str, info: Any, data_len: int) -> str | None:
    where = f"{rel}: tensor {show(key)}"
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        keys = sorted(info) if isinstance(info, dict) else type(info).__name__
        return f"{where} must be an object with dtype, shape and data_offsets; received {keys}."
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in SAFETENSORS_ITEMSIZE:
        return (
            f"{where} has dtype {show(dtype)}; expected one of {', '.join(SAFETENSORS_ITEMSIZE)}."
        )
    if not _int_list(shape):
        return f"{where} has shape {show(shape)}; expected a list of non-negative integers."
    if not _int_list(offsets) or len(offsets) != 2 or offsets[0] > offsets[1]:
        return f"{where} has data_offsets {show(offsets)}; expected [begin, end] with begin <= end."
    begin, end = offsets
    if end > data_len:
        return (
            f"{where} has data_offsets [{begin}, {end}], past the end of the data section "
            f"({data_len} bytes); the header lies about the file's layout."
        )
    need = math.prod(shape) * SAFETENSORS_ITEMSIZE[dtype]
    if need != end - begin:
        return (
            f"{where}: shape {list(shape)} of {dtype} needs {need} bytes, but its "
            f"data_offsets [{begin}, {end}] span {end - begin}; the header lies about "
            f"the shape or the offsets."
        )
    return None


def _coverage_problems(rel: str, spans: list[tuple[int, int, str]], data_len: int) -> list[str]:
    problems, pos, prev = [], 0, None
    for begin, end, key in sorted(spans):
        if begin < pos:
            problems.append(
                f"{rel}: tensors {show(prev)} and {show(key)} overlap in the data "
                f"section (bytes {begin}..{pos}); each tensor needs its own bytes."
            )
        elif begin > pos:
            problems.append(
                f"{rel}: bytes {pos}..{begin} of the data section belong to no "
                f"tensor; the header does not describe the file."
            )
        pos, prev = max(pos, end), key
    if pos != data_len:
        problems.append(
            f"{rel}: the tensors cover {pos} of the {data_len} bytes of the data "
            f"section; the file has bytes the header does not describe."
        )
    return problems


def compare_state_dict(
    rel: str,
    tensors: Mapping[str, tuple[str, tuple[int, ...]]],
    expected: Mapping[str, tuple[int, ...]],
    architecture: str,
) -> list[str]:
    """Problem lines where the keys or shapes of ``tensors`` differ from ``expected``."""
    problems = []
    missing = [k for k in expected if k not in tensors]
    extra = [k for k in tensors if k not in expected]
    if missing:
        problems.append(
            f"{rel}: lacks {len(missing)} tensor(s) that {architecture} needs: "
            f"{_listed(missing)}; save the state dict of a {architecture} module."
        )
    for key in extra[:MAX_LINES]:
        problems.append(
            f"{rel}: tensor {show(key)} is not part of {architecture}."
            f"{did_you_mean(key, list(expected))} Expected keys: {_listed(expected)}."
        )
    for key, want in expected.items():
        if key in tensors and tuple(tensors[key][1]) != tuple(want):
            problems.append(
                f"{rel}: tensor {show(key)} has shape {list(tensors[key][1])}; "
                f"{architecture} expects {list(want)}."
            )
        elif key in tensors and tensors[key][0] not in FLOAT_DTYPES:
            problems.append(
                f"{rel}: tensor {show(key)} has dtype {tensors[key][0]}; expected "
                f"a float dtype ({', '.join(FLOAT_DTYPES)}); save float weights."
            )
    return capped(rel, problems)


# --------------------------------------------------------------------------- .npy


def read_npy(rel: str, data: bytes) -> tuple[np.ndarray | None, list[str]]:
    """Read a ``.npy`` file from bytes without pickle; the header is checked before any array."""
    fix = "save it with numpy.save(path, probabilities.astype('float32'), allow_pickle=False)"
    if not data.startswith(b"\x93NUMPY"):
        kind = sniff(data)
        what = f"is {kind}" if kind else "does not start with the .npy magic bytes"
        return None, [f"{rel}: {what}; expected a .npy array of probabilities; {fix}."]
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            return None, [f"{rel}: is .npy format version {version}; expected 1.0 or 2.0; {fix}."]
    except Exception as err:
        return None, [f"{rel}: has an unreadable .npy header ({first_line(err)}); {fix}."]
    if dtype.hasobject:
        return None, [
            f"{rel}: holds Python objects (a pickle inside the .npy), which is never "
            f"loaded; expected a float array; {fix}."
        ]
    if dtype.kind != "f" or dtype.names is not None:
        return None, [f"{rel}: has dtype {dtype}; expected float32 or float64; {fix}."]
    count = math.prod(shape)
    if count * dtype.itemsize != len(data) - f.tell():
        return None, [
            f"{rel}: the header says shape {shape} of {dtype} "
            f"({count * dtype.itemsize} bytes) but the file holds "
            f"{len(data) - f.tell()} bytes of data; {fix}."
        ]
    array = np.frombuffer(data, dtype=dtype, count=count, offset=f.tell())
    return array.reshape(shape, order="F" if fortran else "C"), []


def probability_problems(rel: str, proba: np.ndarray, n_rows: int, n_classes: int) -> list[str]:
    """Problem lines unless ``proba`` is an ``(n_rows, n_classes)`` matrix of probabilities."""
    fix = "save the model's predict_proba output on the kit's public sample inputs"
    if proba.shape != (n_rows, n_classes):
        return [
            f"{rel}: has shape {proba.shape}; expected ({n_rows}, {n_classes}) "
            f"(one row per public sample input, one column per class); {fix}."
        ]
    proba = proba.astype(np.float64)
    if not np.isfinite(proba).all():
        return [
            f"{rel}: holds {int((~np.isfinite(proba)).sum())} NaN or infinite values; "
            f"expected probabilities; {fix}."
        ]
    problems = []
    if proba.size and (proba.min() < -1e-6 or proba.max() > 1 + 1e-6):
        problems.append(
            f"{rel}: holds values in [{proba.min():.4g}, {proba.max():.4g}]; "
            f"expected probabilities in [0, 1] (apply softmax to logits); {fix}."
        )
    sums = proba.sum(axis=1)
    if sums.size and np.abs(sums - 1).max() > 1e-4:
        problems.append(
            f"{rel}: rows sum to values in [{sums.min():.4g}, {sums.max():.4g}]; "
            f"expected each row to sum to 1; {fix}."
        )
    return problems


# --------------------------------------------------------------------------- helpers


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    )


def _listed(keys: Any, n: int = 8) -> str:
    keys = list(keys)
    shown = ", ".join(show(k, 40) for k in keys[:n])
    return shown + (f" and {len(keys) - n} more" if len(keys) > n else "")


def capped(rel: str, problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LINES:
        return problems
    extra = len(problems) - MAX_LINES
    return [*problems[:MAX_LINES], f"{rel}: ... and {extra} more problem(s) like these."]


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    line = text[0] if text else type(err).__name__
    return line if len(line) <= 200 else line[:197] + "..."
