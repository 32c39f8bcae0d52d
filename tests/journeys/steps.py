"""What a person does in the demo, step by step, as Playwright does it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect

if TYPE_CHECKING:
    from demo import DemoServer
    from playwright.sync_api import Page

DEMO_PASSWORD = "demo-pass-1234"  # load_demo_data's users
PASSWORD = "correct-horse-battery-42"


def sign_up(page: Page, demo: DemoServer, username: str, email: str) -> None:
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your")


def log_in(page: Page, demo: DemoServer, username: str, password: str = PASSWORD) -> None:
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect_signed_in(page, username)


def expect_signed_in(page: Page, username: str) -> None:
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("nav")).to_contain_text(username)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def activate(page: Page, demo: DemoServer, email: str, count: int = 1) -> None:
    """Open the newest activation link sent to ``email``, as printed, and click the button."""
    page.goto(demo.link_in(demo.emails_to(email, count)[-1], "/signup/activate/"))
    page.get_by_role("button", name="Activate my account").click()


def new_member(page: Page, demo: DemoServer, username: str) -> None:
    """Sign up as ``username``, activate from the email and end up signed in."""
    email = f"{username}@example.com"
    sign_up(page, demo, username, email)
    activate(page, demo, email)
    expect_signed_in(page, username)
