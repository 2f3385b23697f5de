"""Coverage simulation of the registered interval methods: the table of docs/intervals.md.

Runs :func:`trustbench.metrics.coverage.coverage_table` at two test-set sizes, writes
``results/bench/interval_coverage.json`` and rewrites the table between the ``coverage-table`` markers of
``docs/intervals.md``. Usage: ``python scripts/interval_coverage.py [--draws 2000]``.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from bench_io import write_result
from trustbench.metrics.coverage import coverage_table

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "intervals.md"
MARK = re.compile(r"(<!-- coverage-table -->\n).*?(<!-- /coverage-table -->)", re.S)


def markdown(tables: dict[int, dict], draws: int, resamples: int) -> str:
    sizes = sorted(tables, reverse=True)
    head = f"| quantity | true value (n = {sizes[0]}) | method | "
    head += " | ".join(f"coverage n = {n} | percentile n = {n}" for n in sizes) + " |"
    lines = [head, "|" + "---|" * (3 + 2 * len(sizes))]
    for case, row in tables[sizes[0]].items():
        cells = [f"{case}", f"{row['true_value']:.4f}", f"`{row['method']}`"]
        for n in sizes:
            r = tables[n][case]
            cells += [f"{r['coverage']:.3f}", f"{r['percentile']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"{draws} test sets per size, {resamples} bootstrap replicates each, nominal level 0.95; "
        "'percentile' is the plain percentile bootstrap on the same replicates."
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 300])
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    start = time.perf_counter()
    tables = {
        n: coverage_table(n, args.draws, args.resamples, seed=args.seed + n) for n in args.sizes
    }
    write_result(
        ROOT / "results" / "bench" / "interval_coverage.json",
        {
            "draws": args.draws,
            "resamples": args.resamples,
            "seconds": round(time.perf_counter() - start, 1),
            "tables": {str(n): t for n, t in tables.items()},
        },
    )
    text = DOC.read_text()
    table = markdown(tables, args.draws, args.resamples)
    DOC.write_text(MARK.sub(lambda m: m.group(1) + table + m.group(2), text))


if __name__ == "__main__":
    main()
