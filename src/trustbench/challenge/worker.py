"""The program run inside the sandbox: load one submitted model, answer queries on stdin/stdout.

    python -m trustbench.challenge.worker <model-path> <format> [<architecture> <dims-json>]

``format`` is ``onnx`` (run by onnxruntime on one CPU thread) or ``safetensors`` (weights for
an architecture of :mod:`trustbench.challenge.architectures`, with its dimensions as JSON,
e.g. ``'{"in_features": 13, "n_classes": 2}'``). The host starts it through
:class:`~trustbench.challenge.sandbox.Sandbox`; nothing else should.

Framing, both ways: a frame is a 9-byte header ``struct.pack("<cQ", kind, length)`` and
``length`` bytes. Kinds: ``O`` an operation name (ASCII), ``N`` one array as ``.npy`` bytes
(``np.save`` / ``np.load`` with ``allow_pickle=False``), ``E`` a one-line error text, ``R`` the
ready message (JSON) sent once the model is loaded. A request is an ``O`` frame followed by its
arrays; the reply is one ``N`` or one ``E`` frame. End of input ends the worker.

Operations: ``predict_proba(X) -> (n, K)`` probabilities (ONNX: the output named
``probabilities``, else the first float output of rank 2; safetensors: the softmax of the
logits); for safetensors also ``forward(X) -> (n, K)`` logits and ``vjp(X, grad) -> X``-shaped
input gradient of ``sum(logits * grad)``. Inputs are cast to the model's float type.

Errors go back as a short text (exception type and the first line of its message, at most
200 characters), never as a traceback. The protocol uses copies of the original stdin/stdout;
file descriptors 0 and 1 are pointed at ``/dev/null`` and stderr, so a stray ``print`` lands in
the log and cannot corrupt a reply.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

HEADER = struct.Struct("<cQ")
OP, ARRAY, ERROR, READY = b"O", b"N", b"E", b"R"
MAX_TEXT = 200  # characters of an error text
MAX_REQUEST = 1 << 34  # bytes of one request frame the worker accepts
EXIT_LOAD_FAILED = 2
EXIT_OUT_OF_MEMORY = 3
FORMATS = ("onnx", "safetensors")

#: operation -> number of input arrays
OPS = {"predict_proba": 1, "forward": 1, "vjp": 2}

Handler = Callable[..., np.ndarray]

__all__ = [
    "ARRAY",
    "ERROR",
    "FORMATS",
    "HEADER",
    "OP",
    "READY",
    "decode_array",
    "encode_array",
    "load_onnx",
    "load_safetensors",
    "main",
    "serve",
    "short_error",
]


# -- framing ------------------------------------------------------------------------------
def encode_array(array: np.ndarray) -> bytes:
    """``.npy`` bytes of a numeric array (never pickled)."""
    array = np.ascontiguousarray(array)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"only numeric arrays are sent; received dtype {array.dtype}")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def decode_array(payload: bytes | bytearray | memoryview) -> np.ndarray:
    """The numeric array in ``.npy`` bytes; object or structured arrays are refused."""
    array = np.load(io.BytesIO(payload), allow_pickle=False)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"expected a numeric array; received dtype {array.dtype}")
    return array


def frame(kind: bytes, payload: bytes) -> bytes:
    """One frame: header and payload."""
    return HEADER.pack(kind, len(payload)) + payload


def read_frame(stream: BinaryIO, max_bytes: int = MAX_REQUEST) -> tuple[bytes, bytes] | None:
    """The next ``(kind, payload)`` from a blocking binary stream; ``None`` at end of input."""
    header = stream.read(HEADER.size)
    if not header:
        return None
    if len(header) < HEADER.size:
        raise EOFError("input ended inside a frame header")
    kind, length = HEADER.unpack(header)
    if length > max_bytes:
        raise ValueError(f"a frame of {length} bytes exceeds the {max_bytes}-byte limit")
    payload = stream.read(length)
    if len(payload) < length:
        raise EOFError("input ended inside a frame")
    return kind, payload


def short_error(exc: BaseException) -> str:
    """``Type: first line of the message``, at most :data:`MAX_TEXT` characters."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text[:MAX_TEXT]


# -- models -------------------------------------------------------------------------------
def load_onnx(path: str) -> tuple[dict[str, Handler], dict[str, Any]]:
    """An onnxruntime session on one CPU thread; handlers and the ready information."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) != 1:
        names = [i.name for i in inputs]
        raise ValueError(f"the model must take exactly one input (X); it takes {names}")
    dtypes = {"tensor(float)": np.float32, "tensor(double)": np.float64}
    if inputs[0].type not in dtypes:
        raise ValueError(f"input '{inputs[0].name}' must be float32; it is {inputs[0].type}")
    outputs = session.get_outputs()
    floats = [o for o in outputs if o.type in dtypes and len(o.shape or ()) == 2]
    named = [o for o in outputs if o.name == "probabilities"]
    chosen = (named or floats or [None])[0]
    if chosen is None:
        listed = [(o.name, o.type, o.shape) for o in outputs]
        raise ValueError(f"no output named 'probabilities' nor a float (n, K) output; has {listed}")
    input_name, input_dtype, output_name = inputs[0].name, dtypes[inputs[0].type], chosen.name

    def predict_proba(X: np.ndarray) -> np.ndarray:
        out = np.asarray(session.run([output_name], {input_name: X.astype(input_dtype)})[0])
        if out.dtype.kind not in "biuf":
            raise TypeError(f"output '{output_name}' is not a numeric tensor ({out.dtype})")
        return out

    width = chosen.shape[1] if isinstance(chosen.shape[1], int) else None
    info = {"format": "onnx", "input": input_name, "output": output_name, "n_classes": width}
    return {"predict_proba": predict_proba}, info


def load_safetensors(
    path: str, architecture: str, dims: dict[str, int]
) -> tuple[dict[str, Handler], dict[str, Any]]:
    """The architecture's module with the file's weights (strict); handlers and ready info."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    from trustbench.challenge.architectures import build, check_tensors, check_values

    torch.set_num_threads(1)
    with safe_open(path, framework="pt") as f:  # header only: keys, shapes, dtypes
        keys = list(f.keys())
        shapes = {k: tuple(f.get_slice(k).get_shape()) for k in keys}
        dtypes = {k: str(f.get_slice(k).get_dtype()) for k in keys}
    check_tensors(architecture, shapes, dtypes, **dims)
    tensors = load_file(path)
    check_values(architecture, tensors)
    module = build(architecture, **dims)
    module.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    module.eval()

    def forward(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(np.asarray(X, dtype=np.float32))).numpy()

    def predict_proba(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = module(torch.from_numpy(np.asarray(X, dtype=np.float32)))
            return torch.softmax(logits, dim=1).numpy()

    def vjp(X: np.ndarray, grad: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.array(X, dtype=np.float32)).requires_grad_(True)
        with torch.enable_grad():
            logits = module(x)
            g = torch.from_numpy(np.asarray(grad, dtype=np.float32))
            if g.shape != logits.shape:
                raise ValueError(f"grad has shape {tuple(g.shape)}; logits {tuple(logits.shape)}")
            (gx,) = torch.autograd.grad(logits, x, grad_outputs=g)
        return gx.numpy()

    info = {"format": "safetensors", "architecture": architecture, "n_classes": dims["n_classes"]}
    return {"predict_proba": predict_proba, "forward": forward, "vjp": vjp}, info


# -- serving ------------------------------------------------------------------------------
def protocol_streams() -> tuple[BinaryIO, BinaryIO]:
    """Private copies of stdin/stdout for the protocol; fd 0 -> /dev/null, fd 1 -> stderr."""
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return proto_in, proto_out


def send(out: BinaryIO, kind: bytes, payload: bytes) -> None:
    out.write(frame(kind, payload))
    out.flush()


def serve(
    handlers: dict[str, Handler],
    info: dict[str, Any],
    streams: tuple[BinaryIO, BinaryIO] | None = None,
    arity: dict[str, int] | None = None,
) -> int:
    """Send the ready frame, then answer requests until end of input; the exit status.

    ``handlers`` maps an operation to a function of its arrays returning one array;
    ``arity`` the number of arrays each operation takes (default :data:`OPS`, else 1).
    """
    proto_in, proto_out = streams or protocol_streams()
    arity = {**OPS, **(arity or {})}
    send(proto_out, READY, json.dumps({**info, "ops": sorted(handlers)}).encode())
    while True:
        try:
            head = read_frame(proto_in, 4096)
            if head is None:
                return 0
            kind, name = head
            op = name.decode("ascii", "replace")
            if kind != OP:
                raise ValueError("expected an operation frame")
            arrays = []
            for _ in range(arity.get(op, 1)):
                got = read_frame(proto_in)
                if got is None or got[0] != ARRAY:
                    raise ValueError(f"operation '{op}' expects {arity.get(op, 1)} array(s)")
                arrays.append(decode_array(got[1]))
        except (EOFError, ValueError, TypeError, UnicodeError) as exc:  # a broken request
            send(proto_out, ERROR, f"bad request: {short_error(exc)}".encode()[:MAX_TEXT])
            return 1
        try:
            if op not in handlers:
                raise ValueError(f"unknown operation '{op}' (offered: {sorted(handlers)})")
            reply = encode_array(handlers[op](*arrays))
        except MemoryError:
            send(proto_out, ERROR, b"out of memory: the address-space limit was reached")
            return EXIT_OUT_OF_MEMORY
        except Exception as exc:
            send(proto_out, ERROR, short_error(exc).encode())
            continue
        del arrays
        send(proto_out, ARRAY, reply)


def main(argv: list[str] | None = None) -> int:
    """Load the model named on the command line and serve it; the exit status."""
    args = sys.argv[1:] if argv is None else argv
    streams = protocol_streams()
    try:
        if len(args) not in (2, 4) or args[1] not in FORMATS:
            raise ValueError(
                "usage: worker <model-path> <format> [<architecture> <dims-json>] "
                f"with format in {list(FORMATS)}"
            )
        if args[1] == "onnx":
            handlers, info = load_onnx(args[0])
        else:
            if len(args) != 4:
                raise ValueError("safetensors needs <architecture> <dims-json>")
            dims = json.loads(args[3])
            if not isinstance(dims, dict):
                raise ValueError("dims must be a JSON object")
            handlers, info = load_safetensors(args[0], args[2], dims)
    except MemoryError:
        send(streams[1], ERROR, b"out of memory while loading the model")
        return EXIT_OUT_OF_MEMORY
    except Exception as exc:
        send(streams[1], ERROR, short_error(exc).encode())
        return EXIT_LOAD_FAILED
    return serve(handlers, info, streams)


if __name__ == "__main__":
    sys.exit(main())
