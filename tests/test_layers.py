"""Layers point down only: no import cycle in src/, and each layer imports only those below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "trustbench"

#: layer -> module prefixes it must never import (at module level or inside functions).
FORBIDDEN = {
    "trustbench.metrics": (
        "trustbench.suites", "trustbench.tracking", "trustbench.leaderboard",
        "trustbench.reporting", "trustbench.training", "trustbench.experiment", "mlflow",
    ),
    "trustbench.reporting": ("trustbench.tracking", "trustbench.leaderboard", "mlflow"),
    "trustbench.tracking": ("trustbench.leaderboard",),
    "trustbench.leaderboard": (
        "trustbench.training", "trustbench.models", "trustbench.suites", "trustbench.experiment",
    ),
    "trustbench.suites": ("trustbench.tracking", "trustbench.leaderboard", "mlflow"),
    # below the suites: explainers, attack scores and reference models, the model facade
    "trustbench.explain": (
        "trustbench.suites", "trustbench.tracking", "trustbench.leaderboard",
        "trustbench.experiment", "mlflow",
    ),
    "trustbench.privacy": (
        "trustbench.suites", "trustbench.tracking", "trustbench.leaderboard",
        "trustbench.experiment", "mlflow",
    ),
    "trustbench.models": (
        "trustbench.suites", "trustbench.training", "trustbench.privacy", "trustbench.explain",
        "trustbench.tracking", "trustbench.leaderboard", "trustbench.experiment", "mlflow",
    ),
}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path], top_level_only: bool) -> set[str]:
    """Modules imported by ``path``: ``from a.b import c`` is ``a.b.c`` when that is a module."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_in_src():
    modules = _modules()
    graph = {
        name: {m for m in _imports(path, modules, top_level_only=True) if m in modules}
        for name, path in modules.items()
    }
    # A package's __init__ re-exporting its own submodules is not a cycle of layers.
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    assert _cycles(graph) == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_point_down_only(layer):
    modules = _modules()
    offending = []
    for name, path in sorted(modules.items()):
        if name != layer and not name.startswith(layer + "."):
            continue
        for imported in _imports(path, modules, top_level_only=False):
            if imported.startswith(FORBIDDEN[layer]):
                offending.append(f"{name} imports {imported}")
    assert offending == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_modules_stay_small():
    long = {
        str(p.relative_to(SRC)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 420
    }
    assert long == {}
