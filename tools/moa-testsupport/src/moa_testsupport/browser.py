"""Drive Debian's Chromium with Playwright the way a person uses a page.

Playwright's Python package only: ``playwright install`` downloads a browser,
and these machines reach package registries only. Every request the page makes
to anything but loopback is aborted and reported, and so are console errors,
uncaught exceptions and Content-Security-Policy violations: a journey fails on
what a person would see go wrong, not only on wrong text.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from moa_testsupport.services import services_required

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

CHROMIUM = "/usr/bin/chromium"
# The flags that work on these machines: no sandbox as root, no GPU, and nothing
# that phones home (the network is closed, so those connections only add noise).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def require_chromium() -> None:
    """Skip the calling test without Chromium; fail when ``MOA_REQUIRE_SERVICES=1``."""
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium is not installed at {CHROMIUM}"
    if services_required():
        pytest.fail(message + " and MOA_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def results_dir() -> Path:
    """The folder screenshots go to: ``$MOA_RESULTS_DIR/screenshots`` (tox sets it)."""
    results = os.environ.get("MOA_RESULTS_DIR") or Path(tempfile.gettempdir()) / "moa-results"
    folder = Path(results) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def chromium() -> Iterator[Browser]:
    """Launch headless Chromium for the duration of the block."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


class PageProblems:
    """What went wrong in a browser context that a person would notice.

    ``allow`` takes regular expressions for console errors a journey expects
    (a 403 page it visits on purpose logs "Failed to load resource").
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def add(self, problem: str) -> None:
        if not any(pattern.search(problem) for pattern in self.allowed):
            self.problems.append(problem)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.add(f"console error on {message.location.get('url', '?')}: {message.text}")

    def on_page_error(self, error: Any) -> None:
        self.add(f"uncaught exception: {error}")

    def on_route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK_HOSTS:
            route.continue_()
            return
        self.add(f"request to a host that is not loopback: {url}")
        route.abort()

    def assert_none(self) -> None:
        """Fail with every problem seen, then forget them."""
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)


def watch(context: BrowserContext) -> PageProblems:
    """Report console errors, page errors, CSP violations and non-loopback requests."""
    problems = PageProblems()
    context.route("**/*", problems.on_route)
    context.on("console", problems.on_console)
    context.on("weberror", lambda web_error: problems.on_page_error(web_error.error))
    # CSP violations are logged to the console as errors by Chromium, and also
    # raised as events the page can see; record those too.
    context.add_init_script(
        """document.addEventListener('securitypolicyviolation', e =>
             console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"""
    )
    return problems


@contextmanager
def person(browser: Browser, **options: Any) -> Iterator[tuple[Page, PageProblems]]:
    """A fresh browser profile (its own cookies) with one page, watched for problems."""
    context = browser.new_context(viewport={"width": 1100, "height": 760}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    problems = watch(context)
    try:
        yield context.new_page(), problems
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows now as ``<results>/screenshots/<name>.png``."""
    path = results_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
