"""Every page the demo links to answers with a page, not an error, for each visitor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from steps import DEMO_PASSWORD, crawl, log_in

from moa_testsupport.browser import person

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from sites import Site


def test_every_linked_page_answers_for_a_visitor(browser: Browser, demo: Site) -> None:
    """An anonymous visitor reaches only pages that render, in the demo's layout."""
    with person(browser) as (page, problems):
        seen = crawl(page, demo, "/", "demo-visitor")
        assert "/signup/" in seen
        problems.assert_none()


def test_every_linked_page_answers_for_a_member(browser: Browser, demo: Site) -> None:
    """A signed-in team member reaches only pages that render, mindmaps included."""
    with person(browser) as (page, problems):
        log_in(page, demo, "seoyeon", DEMO_PASSWORD)
        seen = crawl(page, demo, "/", "demo-member")
        assert any(path.startswith("/mindmap/") for path in seen), seen
        problems.assert_none()
