"""``python -m trustbench.relog FOLDER``: log a run whose logging failed, from its saved folder.

See :mod:`trustbench.tracking.local_copy`: a run writes its artifacts to
``<run dir>/artifacts`` before it logs them, and names that folder when logging fails.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from trustbench.errors import TrustbenchError


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m trustbench.relog FOLDER [--tracking-uri URI] [--experiment NAME]``.

    Returns 0 when the folder is logged as a new run, 2 for a folder that is not a saved run
    (or one already re-logged), 1 when logging fails again; each error is one line.
    """
    parser = argparse.ArgumentParser(
        prog="python -m trustbench.relog",
        description="Log the saved artifacts of a run whose logging failed, as a new run.",
    )
    parser.add_argument("folder", help="the run's artifacts folder (<run dir>/artifacts)")
    parser.add_argument("--tracking-uri", help="where to log (default: the run's own store)")
    parser.add_argument("--experiment", help="experiment name (default: the run's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from trustbench.tracking.local_copy import relog

    try:
        run_id = relog(args.folder, tracking_uri=args.tracking_uri, experiment=args.experiment)
    except TrustbenchError as exc:
        print(f"trustbench relog: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the store still cannot be written: say so in one line
        cause = (str(exc).strip().splitlines() or [""])[0][:300]
        print(
            f"trustbench relog: error: logging {args.folder} failed again "
            f"({type(exc).__name__}: {cause}); the folder is unchanged",
            file=sys.stderr,
        )
        return 1
    print(f"relogged {args.folder} as MLflow run {run_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
