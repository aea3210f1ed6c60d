"""Headless Chromium (Debian's ``chromium``, driven by Playwright without its own browser
downloads) against a real sandbox on a free loopback port.

Without Chromium (or Playwright) the browser tests skip locally and fail under CI (``CI`` set):
CI must really run them (``.ci/run`` installs Chromium when absent). Screenshots go to
``$INVOCA_SANDBOX_ARTIFACTS`` (default ``artifacts/`` in the repository, git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mock_server.threaded import ThreadedSandbox

#: the browser: $INVOCA_SANDBOX_CHROMIUM, else Debian's chromium on the PATH
CHROMIUM = os.environ.get("INVOCA_SANDBOX_CHROMIUM") or shutil.which("chromium") or \
    "/usr/bin/chromium"
#: no sandbox (containers), no GPU, and nothing that reaches beyond loopback on its own
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1440, "height": 1000}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (created)."""
    directory = Path(os.environ.get("INVOCA_SANDBOX_ARTIFACTS") or ROOT / "artifacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when run
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedSandbox]:
    with ThreadedSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(server: ThreadedSandbox) -> ThreadedSandbox:
    """A fresh sandbox for this test (start world, clock at its start, empty journal)."""
    server.restart()
    return server


class Watched:
    """A page, and what went wrong on it: script errors, console errors, requests that tried
    to leave loopback (refused: the pages must work offline)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)
        page.route("**/*", self._route)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _route(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in {"127.0.0.1",
                                                                         "localhost"}:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield Watched(context.new_page())
    finally:
        context.close()
