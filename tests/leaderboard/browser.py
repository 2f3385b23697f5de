"""Headless Chromium for page tests (Debian ``chromium`` + ``chromium-driver``, via selenium).

Nothing is downloaded: the system browser and driver are used. Without them a test skips
locally and fails under ``CI=true`` (where ``.ci/run`` installs them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver", "chromium-driver")


def _which(names: tuple[str, ...]) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


def missing() -> str | None:
    """Why no headless Chromium can be driven here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if _which(BROWSERS) is None:
        return "no chromium binary on PATH (apt-get install chromium)"
    if _which(DRIVERS) is None:
        return "no chromedriver on PATH (apt-get install chromium-driver)"
    return None


def require_chromium() -> None:
    """Skip (or, under CI=true, fail) when Chromium cannot be driven."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but headless Chromium is unavailable: {reason}")
    pytest.skip(reason)


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A headless Chromium WebDriver using the system browser and driver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _which(BROWSERS)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(_which(DRIVERS)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
