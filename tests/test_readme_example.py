"""README.md's example output is what a default run prints today, and its prose quotes only
numbers that output holds (``python scripts/readme_example.py`` rewrites the block)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "readme_example.py"


def _script():
    spec = importlib.util.spec_from_file_location("readme_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return _script()


def _prose(readme: str, script) -> str:
    """The paragraph after the example block, up to the next heading or code fence."""
    after = readme.split(script.END, 1)[1]
    return re.split(r"\n(?:#|```)", after, maxsplit=1)[0]


def test_prose_quotes_only_numbers_the_block_holds(script):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = script.readme_block(readme)
    quoted = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", _prose(readme, script))
    assert quoted, "the prose after the example block quotes no figure"
    missing = [q for q in quoted if q not in block]
    assert not missing, f"README prose quotes {missing}, which the example block does not hold"


def test_readme_example_is_what_a_default_run_prints(script):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script.readme_block(readme) == script.default_run_output(), (
        "README.md's example output is stale: run python scripts/readme_example.py"
    )


def test_block_replacement_keeps_the_rest(script):
    text = f"intro\n{script.START}\n```\nold\n```\n{script.END}\nafter\n"
    new = script.with_block(text, "new output\n")
    assert new == f"intro\n{script.START}\n```\nnew output\n```\n{script.END}\nafter\n"
    assert script.readme_block(new) == "new output\n"
