"""Where reference-model outputs are cached by default: beside a local tracking store."""

from __future__ import annotations

from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir(tracking_uri: str) -> Path | None:
    """``<folder of the store>/privacy_cache`` for ``sqlite:///`` and ``file:`` URIs, else None.

    A remote tracking server has no local folder; runs against one cache nothing unless
    ``suite.privacy.cache_dir`` is set.
    """
    if tracking_uri.startswith("sqlite:///"):
        return Path(tracking_uri[len("sqlite:///") :]).resolve().parent / "privacy_cache"
    if tracking_uri.startswith("file:"):
        from urllib.parse import urlparse

        return Path(urlparse(tracking_uri).path) / "privacy_cache"
    if "://" not in tracking_uri:
        return Path(tracking_uri).resolve() / "privacy_cache"
    return None
