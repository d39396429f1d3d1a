"""Browser fixtures: Debian's headless Chromium driven by Playwright, against a real hub on 127.0.0.1.

Every page a test opens records each request it makes and every console message and page error;
at the end of the test, a request to any host but 127.0.0.1 or any error fails it (a test names
the error responses it provokes on purpose with `expect_console_error`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("SOKO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module (it starts in well under a second)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (./dev test installs it from tests/system-packages.txt)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What one browser context did: requests, console messages and errors."""

    hosts: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def on_request(self, request: Any) -> None:
        self.urls.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss"):
            self.hosts.add(parts.hostname or "")

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")

    def expect_console_error(self, status: int) -> None:
        """The page is about to get a `status` response on purpose (a 403 page, a refused form)."""
        self.expected.append(f"status of {status}")

    def unexpected(self) -> list[str]:
        left = list(self.expected)
        found = []
        for error in self.errors:
            match = next((e for e in left if e in error and "Failed to load resource" in error), None)
            if match is None:
                found.append(error)
            else:
                left.remove(match)
        return found


def leaves_the_machine(url: str) -> bool:
    """True for a request to any host but 127.0.0.1 (data: and blob: URLs stay in the page)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.hostname != "127.0.0.1"


@pytest.fixture
def browse(chromium, hub) -> Iterator[Any]:
    """browse(viewport=DESKTOP) -> (page, watch): a fresh browser context against `hub`."""
    opened: list[tuple[Any, Watch]] = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> tuple[Any, Watch]:
        context = chromium.new_context(viewport=viewport, base_url=hub.url)
        context.set_default_timeout(10_000)
        watch = Watch()
        context.on("request", watch.on_request)
        # Recorded above (and failed below), then stopped in the browser before any packet leaves.
        context.route(leaves_the_machine, lambda route: route.abort())
        page = context.new_page()
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        opened.append((context, watch))
        return page, watch

    yield open_page
    for context, watch in opened:
        context.close()
    for _context, watch in opened:
        foreign = sorted(h for h in watch.hosts if h != "127.0.0.1")
        assert not foreign, f"the portal made requests to other hosts: {foreign}"
        assert not watch.unexpected(), f"errors in the browser: {watch.unexpected()}"
