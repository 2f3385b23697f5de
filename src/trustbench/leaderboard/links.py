"""Links from board rows to their runs' trust cards (``trust_card.html``, logged by every run).

Where a card is depends on where the run's artifacts are (its MLflow artifact URI):

- a local folder (a SQLite or file store: ``/abs/mlruns/1/<run>/artifacts`` or
  ``file:///abs/...``): the card file itself, as a path relative to the site when the site
  and the store share a folder below the file system's root (the default
  ``results/leaderboard`` beside ``./mlruns``, so the pair can be moved together), else a
  ``file://`` URI;
- a tracking server (``http(s)://``): the run's page in the MLflow UI with the card opened,
  ``<server>/#/experiments/<id>/runs/<run>/artifactPath/trust_card.html`` (the server sends
  artifacts as downloads, so the UI is where a card reads as a page);
- anything else (``s3://``, a database store's remote artifact root): no link.

Every href is built from percent-encoded parts and checked by :func:`safe_href` (schemes
``http``, ``https`` and ``file``, or a relative path; never ``javascript:`` or ``data:``), and
the renderer escapes it again, so a hostile run id, artifact URI or label cannot become
script.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from trustbench.leaderboard.records import RunRecord

__all__ = ["CARD_ARTIFACT", "add_card_links", "card_href", "safe_href"]

CARD_ARTIFACT = "trust_card.html"
"""Where each run logs its trust card, relative to its artifact root."""
SAFE_SCHEMES = ("http", "https", "file")
#: A scheme at the start of a URL; browsers ignore ASCII tab/newline and leading spaces.
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_IGNORED = re.compile(r"[\x00-\x20\x7f]")


def safe_href(href: str | None) -> str | None:
    """``href`` when a browser would follow it to an ``http``, ``https`` or ``file`` URL or a
    relative path; None for any other scheme (``javascript:``, ``data:``, ``vbscript:``),
    for control characters or spaces, and for a protocol-relative ``//host`` link."""
    if not href or not isinstance(href, str) or _IGNORED.search(href) or "\\" in href:
        return None
    if href.startswith("//"):
        return None
    match = _SCHEME.match(href)
    if match is not None and match.group(1).lower() not in SAFE_SCHEMES:
        return None
    return href


def _local_folder(artifact_uri: str) -> Path | None:
    """The local folder of an artifact URI (an absolute path or ``file://``), else None."""
    if artifact_uri.startswith("file:"):
        parsed = urllib.parse.urlsplit(artifact_uri)
        if parsed.netloc not in ("", "localhost"):
            return None
        return Path(urllib.parse.unquote(parsed.path))
    if artifact_uri.startswith("/") and "://" not in artifact_uri:
        return Path(artifact_uri)
    return None


def card_href(
    artifact_uri: str,
    *,
    tracking_uri: str,
    run_id: str,
    experiment_id: str,
    site_dir: Path | None = None,
) -> str | None:
    """The link to one run's trust card, or None when a browser cannot reach it.

    Parameters
    ----------
    artifact_uri : str
        The run's artifact root, as MLflow's run info gives it.
    tracking_uri : str
        The store the run was read from (a server's base URL for ``http(s)://``).
    run_id, experiment_id : str
    site_dir : path, optional
        The folder the board's ``index.html`` is written to; a local card is linked
        relative to it when they share a folder below ``/``.
    """
    scheme = tracking_uri.split("://", 1)[0].lower() if "://" in tracking_uri else ""
    if scheme in ("http", "https"):
        fragment = "/experiments/{}/runs/{}/artifactPath/{}".format(
            *(urllib.parse.quote(str(p), safe="") for p in (experiment_id, run_id, CARD_ARTIFACT))
        )
        parsed = urllib.parse.urlsplit(tracking_uri)
        host = parsed.netloc.rpartition("@")[2]  # never publish a user name or password
        base = urllib.parse.urlunsplit((parsed.scheme, host, parsed.path.rstrip("/"), "", ""))
        return safe_href(f"{base}/#{fragment}")
    folder = _local_folder(artifact_uri or "")
    if folder is None:
        return None
    card = Path(os.path.normpath(folder / CARD_ARTIFACT))
    if site_dir is not None:
        site = Path(os.path.abspath(site_dir))
        if os.path.commonpath([card, site]) != os.path.sep:
            relative = os.path.relpath(card, site)
            return safe_href(urllib.parse.quote(Path(relative).as_posix(), safe="/"))
    return safe_href(card.as_uri())


def add_card_links(
    board: dict[str, Any],
    records: Iterable[RunRecord],
    tracking_uri: str,
    site_dir: Path | None = None,
) -> dict[str, Any]:
    """Give each board row ``cards``: one ``{"seed", "run_id", "href"}`` per counted run
    (in the row's seed order) whose trust card a browser can reach; returns ``board``."""
    by_id: Mapping[str, RunRecord] = {r.run_id: r for r in records}
    for row in board["rows"]:
        cards = []
        for seed, run_id in zip(row.get("seeds", []), row.get("run_ids", []), strict=False):
            record = by_id.get(run_id)
            if record is None:
                continue
            href = card_href(
                record.artifact_uri,
                tracking_uri=tracking_uri,
                run_id=run_id,
                experiment_id=record.experiment_id,
                site_dir=site_dir,
            )
            if href is not None:
                cards.append({"seed": str(seed), "run_id": run_id, "href": href})
        row["cards"] = cards
    return board
