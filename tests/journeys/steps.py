"""What a person does in the demo, step by step, as Playwright does it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from moa_testsupport.browser import screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from sites import Site

DEMO_PASSWORD = "demo-pass-1234"  # load_demo_data's users
# The demo says "Sign out", generated projects "Log out".
SIGN_OUT = re.compile(r"^(Sign out|Log out)$")
PASSWORD = "correct-horse-battery-42"


def sign_up(page: Page, site: Site, username: str, email: str) -> None:
    page.goto(site.url + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your")


def log_in(page: Page, site: Site, username: str, password: str = PASSWORD) -> None:
    page.goto(site.url + "/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect_signed_in(page, username)


def expect_signed_in(page: Page, username: str) -> None:
    expect(page.get_by_role("button", name=SIGN_OUT)).to_be_visible()
    expect(page.locator("nav")).to_contain_text(username)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=SIGN_OUT).click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    expect(page.get_by_role("button", name=SIGN_OUT)).to_have_count(0)


def activate(page: Page, site: Site, email: str, count: int = 1) -> None:
    """Open the newest activation link sent to ``email``, as printed, and click the button."""
    page.goto(site.link_in(site.emails_to(email, count)[-1], "/signup/activate/"))
    page.get_by_role("button", name="Activate my account").click()


def new_member(page: Page, site: Site, username: str) -> None:
    """Sign up as ``username``, activate from the email and end up signed in."""
    email = f"{username}@example.com"
    sign_up(page, site, username, email)
    activate(page, site, email)
    expect_signed_in(page, username)


# Pages a visit must not follow: they act (sign out) or leave the demo's own pages.
SKIP = re.compile(r"^/(admin/|static/|health/|accounts/logout/)")
MAX_PAGES = 40


def check_download(page: Page, site: Site, path: str, name: str) -> None:
    """A file to save (an export), not a page: it must answer below 400, as an attachment."""
    answer = page.request.get(site.url + path)
    assert answer.status < 400, f"{name}: {path} answered {answer.status}"
    assert "attachment" in answer.headers.get("content-disposition", ""), f"{name}: {path}"


def crawl(page: Page, site: Site, start: str, name: str) -> list[str]:
    """Visit every same-site page reachable from ``start`` by links; return their paths.

    A link with a ``download`` attribute is fetched, not opened: it must answer below 400
    with an attachment.
    """
    queue, seen = [start], {start}
    downloads: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in downloads:
            check_download(page, site, path, name)
            continue
        try:
            response = page.goto(site.url + path)
        except PlaywrightError as error:
            if "Download is starting" not in error.message:
                raise
            check_download(page, site, path, name)  # a link to a file, without `download`
            continue
        assert response is not None
        assert response.status < 400, f"{name}: {path} answered {response.status}"
        assert page.locator("nav").count() >= 1, f"{name}: {path} lacks the demo's layout"
        slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "index"
        screenshot(page, f"{name}-{slug}")
        links = page.eval_on_selector_all(
            "a[href]", "els => els.map(a => [a.href, a.hasAttribute('download')])"
        )
        for href, is_download in links:
            parts = urlsplit(href)
            if parts.netloc != urlsplit(site.url).netloc or SKIP.match(parts.path):
                continue
            if is_download:
                downloads.add(parts.path)
            if parts.path not in seen:
                seen.add(parts.path)
                queue.append(parts.path)
        assert len(seen) <= MAX_PAGES, f"{name}: more than {MAX_PAGES} pages: {sorted(seen)}"
    return sorted(seen)
