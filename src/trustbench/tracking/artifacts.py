"""Write a report's artifacts to a folder, in the layout that README.md's "Each run holds"
table lists."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from trustbench.report import TrustReport


def write_artifact(root: Path, relative: str, obj: Any) -> Path:
    """Write one artifact by its type: DataFrame -> parquet, dict of arrays -> npz,
    matplotlib figure -> png, str -> text."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(obj, pd.DataFrame):
        obj.to_parquet(path, index=False)
    elif isinstance(obj, Mapping) and relative.endswith(".npz"):
        np.savez_compressed(path, **{k: np.asarray(v) for k, v in obj.items()})
    elif hasattr(obj, "savefig"):
        obj.savefig(path, dpi=120, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(obj)
    elif isinstance(obj, str):
        path.write_text(obj)
    else:
        raise TypeError(
            f"artifact '{relative}': cannot write an object of type {type(obj).__name__}"
        )
    return path


def write_report_folder(
    root: Path, report: TrustReport, config: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write ``config.yaml``, ``trust_report.json`` and every artifact of ``report`` under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    written = [write_artifact(root, "trust_report.json", report.to_json())]
    if config is not None:
        written.append(
            write_artifact(root, "config.yaml", yaml.safe_dump(dict(config), sort_keys=False))
        )
    for relative, obj in report.artifacts.items():
        written.append(write_artifact(root, relative, obj))
    return written
