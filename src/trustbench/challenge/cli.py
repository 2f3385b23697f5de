"""``trustbench-challenge``: kit, validate, score, board.

Usage (``key=value`` arguments, as in the other trustbench commands)::

    trustbench-challenge kit challenge=heart_trust output=kit
    trustbench-challenge validate kit/examples/onnx_baseline   (kit=<dir> if not inside the kit)
    trustbench-challenge score challenge=heart_trust submissions=inbox phase=final
    trustbench-challenge board challenge=heart_trust phase=final

``challenge.<key>=value`` overrides a key of the challenge config (``challenge.limits.per_day=2``).
Exit status 0 on success, 2 with one line per problem otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from trustbench.errors import TrustbenchError
from trustbench.registry import did_you_mean

log = logging.getLogger("trustbench.challenge")

COMMANDS = {
    "kit": ("challenge", "output", "root"),
    "validate": ("kit", "allow_unisolated"),
    "score": (
        "challenge",
        "submissions",
        "phase",
        "root",
        "tracking_uri",
        "allow_unisolated",
        "today",
    ),
    "board": ("challenge", "phase", "output", "tracking_uri"),
}
REQUIRED = {
    "kit": ("challenge", "output"),
    "validate": (),
    "score": ("challenge", "submissions", "phase"),
    "board": ("challenge", "phase"),
}


class UsageError(TrustbenchError):
    """A command line that names an unknown command or key, or misses a required key."""


def parse(argv: Sequence[str]) -> tuple[str, dict[str, str], list[str], list[str]]:
    """``(command, options, challenge overrides, positional arguments)``."""
    if not argv:
        raise UsageError(f"usage: trustbench-challenge {{{'|'.join(COMMANDS)}}} key=value ...")
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        raise UsageError(
            f"Unknown command '{command}'.{did_you_mean(command, list(COMMANDS))} "
            f"Commands: {', '.join(COMMANDS)}."
        )
    options: dict[str, str] = {}
    overrides: list[str] = []
    positional: list[str] = []
    for arg in rest:
        if "=" not in arg:
            positional.append(arg)
            continue
        key, value = arg.split("=", 1)
        if key.startswith("challenge."):
            overrides.append(f"{key.removeprefix('challenge.')}={value}")
        elif key in COMMANDS[command]:
            options[key] = value
        else:
            raise UsageError(
                f"Unknown key '{key}' for '{command}'.{did_you_mean(key, list(COMMANDS[command]))} "
                f"Keys: {', '.join(COMMANDS[command])}, challenge.<key>."
            )
    missing = [k for k in REQUIRED[command] if k not in options]
    if missing:
        raise UsageError(
            f"'{command}' needs {', '.join(f'{k}=...' for k in missing)}; e.g. "
            + {
                "kit": "trustbench-challenge kit challenge=heart_trust output=kit",
                "score": "trustbench-challenge score challenge=heart_trust submissions=inbox phase=final",
                "board": "trustbench-challenge board challenge=heart_trust phase=final",
            }[command]
        )
    if command == "validate" and len(positional) != 1:
        raise UsageError(
            "'validate' takes one submission folder: trustbench-challenge validate <dir>"
        )
    if command != "validate" and positional:
        raise UsageError(f"'{command}' takes key=value arguments only; received {positional}")
    return command, options, overrides, positional


def _flag(value: str | None, key: str) -> bool:
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise UsageError(f"{key}: expected true or false; received {value!r}")
    return value.lower() == "true"


def _root(options: dict[str, str], name: str) -> Path:
    return Path(options.get("root") or Path("challenges") / name)


def run(argv: Sequence[str]) -> int:
    """Run one command; returns the exit status."""
    from trustbench.challenge.config import load_challenge

    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    command, options, overrides, positional = parse(argv)
    if command == "validate":
        from trustbench.challenge.validate import print_validation, validate

        if overrides:
            raise UsageError(
                "'validate' reads the challenge from its kit (kit=<dir>); challenge.<key> "
                f"overrides are the organizer's; received {overrides}"
            )
        result = validate(
            Path(positional[0]),
            options.get("kit"),
            allow_unisolated=_flag(options.get("allow_unisolated"), "allow_unisolated"),
        )
        print_validation(result)
        return 0 if result.ok else 2
    cfg = load_challenge(options["challenge"], overrides)
    if command == "kit":
        from trustbench.challenge.kit import build_kit

        made = build_kit(cfg, Path(options["output"]), _root(options, cfg.name))
        print(f"kit for {cfg.name} in {options['output']}: {len(made)} example submissions")
        for folder in made:
            print(f"  trustbench-challenge validate {folder}")
        return 0
    if command == "score":
        from trustbench.challenge.score import score_inbox

        today = dt.date.fromisoformat(options["today"]) if options.get("today") else None
        outcomes = score_inbox(
            cfg,
            Path(options["submissions"]),
            options["phase"],
            root=_root(options, cfg.name),
            tracking_uri=options.get("tracking_uri"),
            allow_unisolated=_flag(options.get("allow_unisolated"), "allow_unisolated"),
            today=today,
        )
        for o in outcomes:
            line = f"{o.status:8s} {o.folder} (team {o.team!r})"
            print(line + (f": {o.reason}" if o.reason else f" run {o.run_id}"))
        print(f"{sum(o.status == 'FINISHED' for o in outcomes)} of {len(outcomes)} scored")
        return 0
    from trustbench.challenge.board import build_challenge_board

    output = Path(
        options.get("output") or Path("results") / "challenge" / cfg.name / options["phase"]
    )
    board, _ = build_challenge_board(
        cfg, options["phase"], output, tracking_uri=options.get("tracking_uri")
    )
    print(
        f"{cfg.phase(options['phase']).board} board of {cfg.name} ({options['phase']}): "
        f"{len(board['rows'])} teams -> {output / 'index.html'}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("mlflow", "alembic", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        status = run(sys.argv[1:] if argv is None else argv)
    except TrustbenchError as exc:
        print(f"trustbench-challenge: error: {exc}", file=sys.stderr)
        status = 2
    raise SystemExit(status)


if __name__ == "__main__":
    main()
