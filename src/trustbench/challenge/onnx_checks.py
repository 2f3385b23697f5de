"""Static checks of an ONNX submission: parsed as protobuf and walked as data, never run.

``onnx.load(..., load_external_data=False)`` parses the file without opening any other file;
the walk covers the main graph, every subgraph (If/Loop/Scan bodies), model-local functions
and training graphs. Refused: external data anywhere, operators, functions or opsets outside
the standard domains (custom operators load native libraries into onnxruntime), a model that
fails ``onnx.checker.check_model``, and an input or output that does not match the challenge.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from trustbench.challenge.formats import EXPORT_HINT, capped, first_line, show

#: ONNX operator domains whose operators ship with every runtime ("" is ai.onnx).
ONNX_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")

#: The name the probability output of an ONNX submission must carry.
OUTPUT_NAME = "probabilities"


def onnx_problems(
    rel: str, data: bytes, *, input_name: str, dtype: str, shape: Sequence[int], n_classes: int
) -> list[str]:
    """Parse ``data`` as an ONNX ModelProto (no external data) and check it without running it.

    Refused: bytes that are not an ONNX model, external data anywhere, operators, functions or
    opsets outside the standard domains, a model failing ``onnx.checker``, and an input or
    output that does not match the challenge.
    """
    import onnx  # imported here: importing the package stays light

    try:
        model = onnx.load(io.BytesIO(data), load_external_data=False)
    except Exception as err:
        return [f"{rel}: does not parse as an ONNX ModelProto ({first_line(err)}). {EXPORT_HINT}."]
    if not model.HasField("graph") or model.ir_version <= 0:
        return [
            f"{rel}: parses as protobuf but is not an ONNX model (no graph or no "
            f"ir_version). {EXPORT_HINT}."
        ]
    problems = _external_data_problems(rel, model) + _domain_problems(rel, model)
    if problems:
        return problems
    try:
        onnx.checker.check_model(model)
    except Exception as err:
        return [f"{rel}: fails onnx.checker.check_model: {first_line(err)}. {EXPORT_HINT}."]
    return _io_problems(rel, model, input_name, dtype, tuple(shape), n_classes)


def containers(model: Any) -> Iterator[Any]:
    """Every graph and function of ``model``, subgraphs (If, Loop, Scan bodies) included."""
    stack = [model.graph, *model.functions]
    stack += [g for t in model.training_info for g in (t.initialization, t.algorithm)]
    while stack:
        container = stack.pop()
        yield container
        for node in container.node:
            for attr in node.attribute:
                if attr.HasField("g"):
                    stack.append(attr.g)
                stack.extend(attr.graphs)


def _tensors(model: Any) -> Iterator[Any]:
    for container in containers(model):
        yield from getattr(container, "initializer", ())
        for sparse in getattr(container, "sparse_initializer", ()):
            yield from (sparse.values, sparse.indices)
        for node in container.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t
                yield from attr.tensors
                sparse = list(attr.sparse_tensors)
                if attr.HasField("sparse_tensor"):
                    sparse.append(attr.sparse_tensor)
                for s in sparse:
                    yield from (s.values, s.indices)


def _external_data_problems(rel: str, model: Any) -> list[str]:
    from onnx import TensorProto

    fix = (
        "save the model with its weights embedded: onnx.save_model(model, path, "
        "save_as_external_data=False)"
    )
    problems: list[str] = []
    for tensor in _tensors(model):
        if tensor.data_location != TensorProto.EXTERNAL and not tensor.external_data:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        parts = location.replace("\\", "/").split("/")
        outside = location.startswith(("/", "\\")) or ":" in location or ".." in parts
        where = "outside the submission folder" if outside else "in a separate file"
        problems.append(
            f"{rel}: tensor {show(tensor.name)} keeps its data {where} "
            f"({show(location)}); external data is never read and not accepted; "
            f"{fix}."
        )
    return capped(rel, problems)


def _domain_problems(rel: str, model: Any) -> list[str]:
    found: dict[str, list[Any]] = {}
    for container in containers(model):
        for node in container.node:
            if node.domain not in ONNX_DOMAINS:
                found.setdefault(node.domain, []).append(node.op_type)
    imports = list(model.opset_import) + [o for f in model.functions for o in f.opset_import]
    for opset in imports:
        if opset.domain not in ONNX_DOMAINS:
            found.setdefault(opset.domain, [])
    for function in model.functions:
        if function.domain not in ONNX_DOMAINS:
            found.setdefault(function.domain, []).append(f"function {function.name}")
    problems = []
    for domain, ops in found.items():
        more = f" and {len(ops) - 1} more node(s)" if len(ops) > 1 else ""
        used = f"op {show(ops[0])}{more}" if ops else "an opset import"
        problems.append(
            f"{rel}: uses the custom operator domain {show(domain)} ({used}); only "
            f"the standard domains ai.onnx and ai.onnx.ml are accepted, because "
            f"custom operators load native libraries into the runtime; re-export "
            f"with standard operators only."
        )
    return capped(rel, problems)


def _dims(value_info: Any) -> list[int | str | None] | None:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return [
        d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim
    ]


def _dtype_name(value_info: Any) -> str:
    from onnx import helper

    if not value_info.type.HasField("tensor_type"):
        return value_info.type.WhichOneof("value") or "unknown"
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(value_info.type.tensor_type.elem_type)).name
    except Exception:  # an element type numpy has no dtype for: named by its number
        return f"elem_type {value_info.type.tensor_type.elem_type}"


def _io_problems(
    rel: str, model: Any, input_name: str, dtype: str, shape: tuple[int, ...], n_classes: int
) -> list[str]:
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    want = f"[batch, {', '.join(map(str, shape))}]"
    problems = []
    names = [i.name for i in inputs]
    if names != [input_name]:
        return [
            f"{rel}: has inputs {names}; expected one input named {show(input_name)} of "
            f"{dtype} {want}; export with input name {show(input_name)} "
            f"(input_names=[{input_name!r}] / initial_types=[({input_name!r}, ...)])."
        ]
    got_dtype, dims = _dtype_name(inputs[0]), _dims(inputs[0])
    if got_dtype != dtype:
        problems.append(
            f"{rel}: input {show(input_name)} has dtype {got_dtype}; expected "
            f"{dtype}; export with a {dtype} input."
        )
    if (
        dims is None
        or len(dims) != 1 + len(shape)
        or any(isinstance(d, int) and d != w for d, w in zip(dims[1:], shape, strict=False))
    ):
        problems.append(
            f"{rel}: input {show(input_name)} has shape {dims}; expected {want}; "
            f"export with the challenge's input shape."
        )
    elif isinstance(dims[0], int):
        problems.append(
            f"{rel}: input {show(input_name)} fixes the batch dimension to "
            f"{dims[0]}; expected a free batch dimension {want}; export with a "
            f"dynamic batch axis (dynamic_axes={{{input_name!r}: {{0: 'batch'}}}})."
        )
    outputs = {o.name: o for o in graph.output}
    if OUTPUT_NAME not in outputs:
        return [
            *problems,
            f"{rel}: has outputs {list(outputs)}; expected an output named "
            f"{OUTPUT_NAME!r} holding class probabilities of shape [batch, {n_classes}]; "
            f"export with output_names=[{OUTPUT_NAME!r}] (torch_to_onnx does this).",
        ]
    out = outputs[OUTPUT_NAME]
    got_dtype, dims = _dtype_name(out), _dims(out)
    if got_dtype not in ("float32", "float64"):
        problems.append(
            f"{rel}: output {OUTPUT_NAME!r} is {got_dtype}; expected a float32 "
            f"tensor of probabilities (skl2onnx: options={{'zipmap': False}})."
        )
    elif dims is not None and (
        len(dims) != 2 or (isinstance(dims[1], int) and dims[1] != n_classes)
    ):
        problems.append(
            f"{rel}: output {OUTPUT_NAME!r} has shape {dims}; expected [batch, "
            f"{n_classes}] (one probability per class)."
        )
    return problems
