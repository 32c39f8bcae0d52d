"""Every page the demo links to answers with a page, not an error, for each visitor."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from steps import DEMO_PASSWORD, log_in

from moa_testsupport.browser import person, screenshot

if TYPE_CHECKING:
    from demo import DemoServer
    from playwright.sync_api import Browser, Page

# Pages a visit must not follow: they act (sign out) or leave the demo's own pages.
SKIP = re.compile(r"^/(admin/|static/|health/|accounts/logout/)")
MAX_PAGES = 40


def crawl(page: Page, demo: DemoServer, start: str, name: str) -> list[str]:
    """Visit every same-site page reachable from ``start`` by links; return their paths."""
    queue, seen = [start], {start}
    while queue:
        path = queue.pop(0)
        response = page.goto(demo.url + path)
        assert response is not None
        assert response.status < 400, f"{name}: {path} answered {response.status}"
        assert page.locator("nav").count() >= 1, f"{name}: {path} lacks the demo's layout"
        slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "index"
        screenshot(page, f"demo-page-{name}-{slug}")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            parts = urlsplit(href)
            if parts.netloc != urlsplit(demo.url).netloc or SKIP.match(parts.path):
                continue
            if parts.path not in seen:
                seen.add(parts.path)
                queue.append(parts.path)
        assert len(seen) <= MAX_PAGES, f"{name}: more than {MAX_PAGES} pages: {sorted(seen)}"
    return sorted(seen)


def test_every_linked_page_answers_for_a_visitor(browser: Browser, demo: DemoServer) -> None:
    """An anonymous visitor reaches only pages that render, in the demo's layout."""
    with person(browser) as (page, problems):
        seen = crawl(page, demo, "/", "visitor")
        assert "/signup/" in seen
        problems.assert_none()


def test_every_linked_page_answers_for_a_member(browser: Browser, demo: DemoServer) -> None:
    """A signed-in team member reaches only pages that render, mindmaps included."""
    with person(browser) as (page, problems):
        log_in(page, demo, "seoyeon", DEMO_PASSWORD)
        seen = crawl(page, demo, "/", "member")
        assert any(path.startswith("/mindmap/") for path in seen), seen
        problems.assert_none()
