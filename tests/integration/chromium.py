"""Headless Chromium from Debian's `chromium` package, driven by Playwright.

Nothing here downloads a browser: Playwright starts the Debian binary. Every
request that leaves the loopback address is aborted, because pages such as
Neo4j Browser load fonts and analytics from other hosts.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")

# The background-networking, component-update and sync flags stop Chromium's
# own connections to other hosts, and a fresh profile skips first-run pages.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def require_chromium() -> Path:
    """Return Chromium's path, or skip the test without it (fail under CI=true)."""
    if CHROMIUM.is_file():
        return CHROMIUM
    message = (
        f"{CHROMIUM} not found; install Debian's package with "
        "'apt-get install chromium' (.ci/run does it)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def keep_on_loopback(route: Route) -> None:
    if urlsplit(route.request.url).hostname in LOOPBACK_HOSTS:
        route.continue_()
    else:
        route.abort("blockedbyclient")


@contextmanager
def open_page(width: int = 1400, height: int = 900) -> Iterator[Page]:
    """Open one page in a fresh Chromium profile, closed on exit."""
    executable = require_chromium()
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height},
        )
        try:
            context.route("**/*", keep_on_loopback)
            yield context.new_page()
        finally:
            context.close()
