"""Keep README.md's example output true: run the default experiment and write what it prints.

    python scripts/readme_example.py           # rewrite the block in README.md
    python scripts/readme_example.py --check   # exit 1 if the block is stale

The block between ``<!-- default-run:start -->`` and ``<!-- default-run:end -->`` is the
terminal output of ``trustbench`` with no arguments (80 columns, in a new folder), log lines
left out, the run's own folder, run id and store path written as placeholders.
``tests/test_readme_example.py`` fails when it is stale and when the prose after it quotes a
number the block does not hold.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- default-run:start -->", "<!-- default-run:end -->"
_LOG_LINE = re.compile(r"^(\[\d{4}-\d\d-\d\d |\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )")


def default_run_output() -> str:
    """What ``trustbench`` prints at the end of a default run, made independent of where and
    when it ran."""
    with tempfile.TemporaryDirectory(prefix="trustbench-readme-") as tmp:
        env = {**os.environ, "COLUMNS": "80", "TERM": "dumb", "NO_COLOR": "1"}
        out = subprocess.run(
            [sys.executable, "-m", "trustbench.run"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"trustbench failed ({out.returncode}): {out.stderr[-2000:]}")
        lines = [line.rstrip() for line in out.stdout.splitlines() if not _LOG_LINE.match(line)]
        start = next(i for i, line in enumerate(lines) if line.startswith("trustbench · "))
        text = "\n".join(lines[start:]).replace(str(Path(tmp).resolve()), "")
    text = re.sub(r"outputs/\d{4}-\d\d-\d\d/[\d-]+/", "outputs/<date>/<time>/", text)
    text = re.sub(r"MLflow run [0-9a-f]{32} in sqlite:////mlflow.db", "MLflow run <run id> in "
                  "sqlite:///mlflow.db", text)
    return text.strip("\n") + "\n"


def readme_block(readme: str) -> str:
    """The example output currently in ``readme`` (inside its code fence)."""
    body = readme.split(START, 1)[1].split(END, 1)[0]
    return body.strip("\n").removeprefix("```").removesuffix("```").strip("\n") + "\n"


def with_block(readme: str, output: str) -> str:
    """``readme`` with its example block replaced by ``output``."""
    head, rest = readme.split(START, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{START}\n```\n{output}```\n{END}{tail}"


def main() -> int:
    output = default_run_output()
    readme = README.read_text(encoding="utf-8")
    if "--check" in sys.argv[1:]:
        if readme_block(readme) != output:
            print("README.md's example output is stale: run python scripts/readme_example.py")
            return 1
        return 0
    README.write_text(with_block(readme, output), encoding="utf-8")
    print(f"wrote the default run's output into {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
