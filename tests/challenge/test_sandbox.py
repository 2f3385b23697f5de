"""The challenge sandbox: isolation probes through the real launch, limits, output checks, and
the happy paths (ONNX from skl2onnx, safetensors, gradients through the bridge)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from trustbench.challenge import architectures, isolation
from trustbench.challenge.pipes import process_count
from trustbench.challenge.remote import RemoteModule, sandboxed_model
from trustbench.challenge.sandbox import Sandbox, SandboxError, SandboxLimits, isolation_available

REASON = isolation_available()
# CI must run these (bubblewrap is installed there): fail instead of skipping.
needs_isolation = pytest.mark.skipif(
    REASON is not None and not os.environ.get("CI"), reason=f"no sandbox here: {REASON}"
)
PROBE = Path(__file__).with_name("probe_worker.py")


class ProbeSandbox(Sandbox):
    """The real launch path (staging, bwrap options, limits, framing), running the probe."""

    worker_module = "probe_worker"
    formats = ("probe",)

    def _code_files(self):
        return {**super()._code_files(), "probe_worker.py": PROBE}


def arg(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8).copy()


def sandbox_processes(uid: int) -> int:
    return process_count(uid) if uid >= 0 else 0


@pytest.fixture
def dummy(tmp_path) -> Path:
    path = tmp_path / "model.txt"
    path.write_text("probe")
    return path


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    path = tmp_path_factory.mktemp("probe") / "model.txt"
    path.write_text("probe")
    with ProbeSandbox(path, "probe") as sandbox:
        yield sandbox


# -- ONNX models built by hand --------------------------------------------------------------
def onnx_model(path: Path, nodes, width: int, out_width, initializers=()) -> Path:
    graph = helper.make_graph(
        nodes,
        "m",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, out_width])],
        initializer=list(initializers),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def never_returns(path: Path) -> Path:
    """A Loop with 2**62 iterations before the softmax."""
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["v_in", "one"], ["v_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_in", TensorProto.FLOAT, []),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_out", TensorProto.FLOAT, []),
        ],
        initializer=[helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])],
    )
    nodes = [
        helper.make_node("Loop", ["trips", "cond", "v0"], ["v"], body=body),
        helper.make_node("Mul", ["v", "zero"], ["z"]),
        helper.make_node("Add", ["X", "z"], ["Xz"]),
        helper.make_node("Softmax", ["Xz"], ["probabilities"], axis=1),
    ]
    inits = [
        helper.make_tensor("trips", TensorProto.INT64, [], [2**62]),
        helper.make_tensor("cond", TensorProto.BOOL, [], [True]),
        helper.make_tensor("v0", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
    ]
    return onnx_model(path, nodes, 2, 2, inits)


# -- isolation ------------------------------------------------------------------------------
@needs_isolation
def test_worker_is_unprivileged_in_its_own_namespaces(probe):
    uid, gid, caps, pid = probe.call("whoami", arg(""))
    assert (uid, gid, caps) == (65534, 65534, 0)
    assert pid < 10  # its own pid namespace
    if "--disable-userns" in isolation.probe()[3]:
        with pytest.raises(SandboxError, match="OSError"):
            probe.call("userns", arg(""))  # no nested user namespace to regain capabilities
    assert probe.isolated and probe.host_uid != 0
    assert sorted(probe.info["ops"])[0] == "alloc"


@needs_isolation
def test_worker_cannot_reach_a_server_on_the_host_loopback(probe):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted, stop = [], threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # the host can
        with pytest.raises(SandboxError, match="ConnectionRefusedError") as err:
            probe.call("connect", arg(f"127.0.0.1:{port}"))
        with pytest.raises(SandboxError, match="Network is unreachable"):
            probe.call("connect", arg(f"10.255.255.1:{port}"))
    finally:
        stop.set()
        server.close()
        thread.join(timeout=2)
    assert len(accepted) == 1  # only the host's own connection arrived
    assert err.value.reason.startswith("the model failed on 'connect': ConnectionRefusedError")


@needs_isolation
def test_worker_cannot_read_host_files_outside_its_binds(probe, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden labels")
    secret.chmod(0o600)
    shipped = Path(architectures.__file__).parents[1] / "data" / "files" / "heart_disease_uci.csv"
    assert shipped.is_file()
    for path in (secret, "/etc/passwd", shipped, Path(__file__)):
        with pytest.raises(SandboxError, match="FileNotFoundError"):
            probe.call("read", arg(str(path)))
    root = bytes(probe.call("listdir", arg("/"))).decode().split("\n")
    assert {"etc", "home", "sys", "var", "boot", "srv"}.isdisjoint(root)
    assert {"model", "opt", "proc", "tmp", "usr"} <= set(root)
    repo = Path(__file__).parents[2]
    try:  # only the directories leading to a bind (a virtual environment in it, say)
        visible = bytes(probe.call("listdir", arg(str(repo)))).decode().split("\n")
    except SandboxError:
        visible = []
    assert {"src", "tests", "pyproject.toml"}.isdisjoint(visible)
    assert bytes(probe.call("read", arg("/model/model.probe"))) == b"probe"
    assert secret.read_text() == "hidden labels"


@needs_isolation
def test_worker_cannot_write_outside_its_private_tmp(probe):
    name = f"written-by-probe-{os.getpid()}"
    targets = ["/", "/model/", "/opt/trustbench/", f"{isolation.python_paths()[2][0]}/"]
    for directory in targets:
        with pytest.raises(SandboxError, match=r"Read-only file system|Permission denied"):
            probe.call("write", arg(directory + name))
        assert not Path(directory + name).exists()  # the host is untouched
    assert probe.call("write", arg(f"/tmp/{name}"))[0] == 1
    assert not Path(f"/tmp/{name}").exists()  # the private /tmp is not the host's


@needs_isolation
def test_process_and_file_size_limits_bite(dummy):
    limits = SandboxLimits(max_processes=12, max_file_mb=1)
    with ProbeSandbox(dummy, "probe", limits=limits) as sandbox:
        assert sandbox.call("threads", arg("50"))[0] < 12  # threads count, as processes do
        assert sandbox.call("forks", arg("50"))[0] < 12
        with pytest.raises(SandboxError, match="File too large"):
            sandbox.call("big_file", arg("2"))
        assert sandbox.call("big_file", arg("0"))[0] == 1  # still serving


@needs_isolation
def test_worker_is_stopped_at_its_memory_limit(dummy):
    with ProbeSandbox(dummy, "probe", limits=SandboxLimits(memory_mb=1024)) as sandbox:
        assert sandbox.call("alloc", arg("64"))[0] > 0
        with pytest.raises(SandboxError, match=r"ran out of memory \(limit 1024 MB\)"):
            sandbox.call("alloc", arg("2048"))
        with pytest.raises(SandboxError, match="no longer usable"):
            sandbox.call("alloc", arg("1"))
        assert sandbox_processes(sandbox.host_uid) == 0


@needs_isolation
def test_worker_is_killed_at_its_cpu_limit(dummy):
    limits = SandboxLimits(cpu_seconds=2, wall_seconds=30)
    with ProbeSandbox(dummy, "probe", limits=limits) as sandbox:
        with pytest.raises(SandboxError, match=r"killed at its CPU-time limit \(2 s\)") as err:
            sandbox.call("spin", arg(""))
        assert sandbox_processes(sandbox.host_uid) == 0
    assert "spin" in err.value.reason


@needs_isolation
def test_model_that_never_returns_is_killed_at_the_timeout(tmp_path):
    model = never_returns(tmp_path / "loop.onnx")
    with Sandbox(model, "onnx", limits=SandboxLimits(wall_seconds=1)) as sandbox:
        with pytest.raises(SandboxError, match=r"did not answer 'predict_proba' within 1 s"):
            sandbox.predict_proba(np.zeros((3, 2), np.float32))
        assert sandbox_processes(sandbox.host_uid) == 0


# -- outputs ---------------------------------------------------------------------------------
def _bad_models(tmp_path: Path) -> dict[str, Path]:
    softmax = helper.make_node("Softmax", ["X"], ["probabilities"], axis=1)
    return {
        "shape": onnx_model(tmp_path / "three.onnx", [softmax], 3, 3),
        "range": onnx_model(
            tmp_path / "raw.onnx", [helper.make_node("Identity", ["X"], ["probabilities"])], 2, 2
        ),
        "nan": onnx_model(
            tmp_path / "log.onnx", [helper.make_node("Log", ["X"], ["probabilities"])], 2, 2
        ),
        "big": onnx_model(
            tmp_path / "tile.onnx",
            [
                helper.make_node("Softmax", ["X"], ["p"], axis=1),
                helper.make_node("Tile", ["p", "reps"], ["probabilities"]),
            ],
            2,
            None,
            [helper.make_tensor("reps", TensorProto.INT64, [2], [1, 50000])],
        ),
    }


@needs_isolation
@pytest.mark.parametrize(
    ("kind", "width", "message"),
    [
        ("shape", 3, r"returned shape \(4, 3\); expected \(4, 2\)"),
        ("range", 2, r"must return probabilities in \[0, 1\]"),
        ("nan", 2, r"returned \d+ NaN or infinite values"),
        ("big", 2, r"over the 1 MB cap; the worker was stopped"),
    ],
)
def test_outputs_that_are_not_probabilities_are_refused(tmp_path, kind, width, message):
    model = _bad_models(tmp_path)[kind]
    X = np.random.default_rng(0).normal(size=(4, width)).astype(np.float32)
    limits = SandboxLimits(max_output_mb=1)
    with Sandbox(model, "onnx", n_classes=2, limits=limits) as sandbox:
        with pytest.raises(SandboxError, match=message) as err:
            sandbox.predict_proba(X)
    assert err.value.reason.startswith("model output refused")
    assert "\n" not in err.value.reason


@needs_isolation
def test_rows_sum_to_one_is_checked(tmp_path):
    halves = onnx_model(
        tmp_path / "half.onnx",
        [
            helper.make_node("Softmax", ["X"], ["p"], axis=1),
            helper.make_node("Mul", ["p", "half"], ["probabilities"]),
        ],
        2,
        2,
        [helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])],
    )
    with Sandbox(halves, "onnx") as sandbox:
        with pytest.raises(SandboxError, match="rows must sum to 1; received row sums in"):
            sandbox.predict_proba(np.zeros((3, 2), np.float32))


@needs_isolation
def test_load_failure_is_one_clear_line(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx file")
    with pytest.raises(SandboxError, match="the model could not be loaded: ") as err:
        Sandbox(broken, "onnx").start()
    assert "Traceback" not in err.value.reason and len(err.value.reason) < 600


# -- refusal without isolation ---------------------------------------------------------------
def test_refuses_to_run_unisolated_unless_allowed(tmp_path, monkeypatch):
    from sklearn.linear_model import LogisticRegression

    model, clf, X = _logreg(tmp_path)
    monkeypatch.setattr(
        "trustbench.challenge.sandbox.probe", lambda: (None, "bwrap is missing", None, frozenset())
    )
    with pytest.raises(SandboxError, match=r"no isolation available \(bwrap is missing\)"):
        Sandbox(model, "onnx").start()
    with Sandbox(model, "onnx", allow_unisolated=True) as sandbox:
        assert sandbox.isolated is False and sandbox.isolation.startswith("none")
        np.testing.assert_allclose(sandbox.predict_proba(X), clf.predict_proba(X), atol=1e-5)
    assert isinstance(clf, LogisticRegression)


# -- happy paths ------------------------------------------------------------------------------
def _logreg(tmp_path: Path):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 13)).astype(np.float32)
    y = (X[:, 0] - X[:, 3] + 0.5 * rng.normal(size=400) > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    onx = to_onnx(
        clf,
        initial_types=[("X", FloatTensorType([None, 13]))],
        options={id(clf): {"zipmap": False}},
        target_opset=17,
    )
    path = tmp_path / "logreg.onnx"
    path.write_bytes(onx.SerializeToString())
    return path, clf, X


@needs_isolation
def test_onnx_logistic_regression_matches_sklearn(tmp_path):
    import pandas as pd

    path, clf, X = _logreg(tmp_path)
    limits = SandboxLimits(batch_rows=150)  # several batches
    with Sandbox(path, "onnx", limits=limits) as sandbox:
        assert sandbox.info["output"] == "probabilities" and sandbox.n_classes == 2
        model = sandboxed_model(sandbox, [0, 1], encode=lambda df: df.to_numpy(np.float32))
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(13)])
        np.testing.assert_allclose(model.predict_proba(frame), clf.predict_proba(X), atol=1e-5)
        np.testing.assert_array_equal(model.predict(X), clf.predict(X))
        assert not hasattr(model, "module_")  # black box: no gradients offered


def _white_box(tmp_path: Path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    module = architectures.build("tabular_mlp_v1", in_features=5, n_classes=3)
    with torch.no_grad():
        module.mean.normal_()
        module.std.uniform_(0.5, 2.0)
    path = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, path)
    X = np.random.default_rng(1).normal(size=(40, 5)).astype(np.float32)
    X[::4, 2] = np.nan  # missing values: 0 after standardisation, gradient 0
    return path, module, X


class _Local:
    """The same module in-process, behind the facade the explainers read."""

    def __init__(self, module):
        self.module_ = module
        self.feature_groups_ = np.arange(5)
        self.classes_ = np.arange(3)

    def transform(self, X):
        return torch.as_tensor(np.asarray(X, dtype=np.float32))

    def predict_proba(self, X):
        with torch.no_grad():
            return torch.softmax(self.module_(self.transform(X)), 1).double().numpy()


@needs_isolation
def test_safetensors_mlp_matches_in_process_and_gradients_flow_back(tmp_path):
    from trustbench.explain import IntegratedGradientsExplainer, SaliencyExplainer

    path, module, X = _white_box(tmp_path)
    dims = {"in_features": 5, "n_classes": 3}
    with Sandbox(path, "safetensors", "tabular_mlp_v1", dims) as sandbox:
        remote = sandboxed_model(sandbox, [0, 1, 2])
        local = _Local(module)
        assert isinstance(remote.module_, RemoteModule)
        np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X), atol=1e-6)
        target = local.predict_proba(X).argmax(1)
        base = np.zeros((1, 5), np.float32)
        found = {}
        for explainer in (SaliencyExplainer, IntegratedGradientsExplainer):
            ours = explainer(remote, baseline=base, chunk_size=256).attribute(X, target)
            theirs = explainer(local, baseline=base, chunk_size=256).attribute(X, target)
            np.testing.assert_allclose(ours, theirs, atol=1e-5)
            found[explainer.name] = ours
        assert np.all(found["saliency"][::4, 2] == 0)  # a missing value has no gradient
        assert np.isfinite(found["integrated_gradients"][1::4]).all()


@needs_isolation
def test_safetensors_that_do_not_fit_the_architecture_are_refused(tmp_path):
    path, _, _ = _white_box(tmp_path)
    dims = {"in_features": 6, "n_classes": 3}
    with pytest.raises(SandboxError, match=r"'mean' has shape \[5\], expected \[6\]"):
        Sandbox(path, "safetensors", "tabular_mlp_v1", dims).start()


@needs_isolation
def test_safetensors_cnn_logits_and_saliency_match_in_process(tmp_path):
    from safetensors.torch import save_file

    from trustbench.explain import SaliencyExplainer

    torch.manual_seed(0)
    module = architectures.build("image_cnn_v1", in_channels=1, n_classes=2)
    path = tmp_path / "cnn.safetensors"
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, path)
    X = np.random.default_rng(2).uniform(size=(6, 1, 12, 12)).astype(np.float32)
    dims = {"in_channels": 1, "n_classes": 2}
    with Sandbox(
        path, "safetensors", "image_cnn_v1", dims, limits=SandboxLimits(batch_rows=4)
    ) as sb:
        remote = sandboxed_model(sb, [0, 1])
        assert remote.feature_groups_ is None  # pixels, not features
        with torch.no_grad():
            logits = module(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(sb.forward(X), logits, atol=1e-5)
        local = _Local(module)
        target = logits.argmax(1)
        ours = SaliencyExplainer(remote).attribute(X, target)
        np.testing.assert_allclose(ours, SaliencyExplainer(local).attribute(X, target), atol=1e-5)
        assert ours.shape == (6, 12, 12)


@needs_isolation
def test_binds_below_tmp_are_visible(tmp_path, monkeypatch, dummy):
    """A virtual environment in a temporary folder (a CI checkout under /tmp) stays bound:
    the private /tmp is mounted before the binds, not over them."""
    site_dir = tmp_path / "venv" / "site-packages"
    site_dir.mkdir(parents=True)
    (site_dir / "marker.txt").write_text("bound")
    assert str(site_dir).startswith("/tmp/")
    real = isolation.python_paths

    def with_tmp_site():
        python, roots, sites = real()
        return python, roots, [*sites, str(site_dir)]

    monkeypatch.setattr(isolation, "python_paths", with_tmp_site)
    with ProbeSandbox(dummy, "probe") as sandbox:
        assert bytes(sandbox.call("read", arg(str(site_dir / "marker.txt")))) == b"bound"
