"""A visitor signs up, activates, logs in and out, resends and resets, in Chromium.

Each step is what a person does: type into the form, read the email the demo
prints (the console backend, as ``make demo`` shows it), open the link as
printed, click the button.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect
from steps import PASSWORD, activate, expect_signed_in, log_in, new_member, sign_out, sign_up

from moa_testsupport.browser import person, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from sites import Site


def test_sign_up_activate_log_in_and_out(browser: Browser, demo: Site) -> None:
    """The emailed link, opened as printed, activates the account with CSRF on."""
    with person(browser) as (page, problems):
        sign_up(page, demo, "hana", "hana@example.com")
        screenshot(page, "demo-signup-done")
        (email,) = demo.emails_to("hana@example.com")
        link = demo.link_in(email, "/signup/activate/")

        page.goto(link)
        screenshot(page, "demo-activation-confirm")
        page.get_by_role("button", name="Activate my account").click()
        # Activation logs the new user in (MOA_SIGNUP_LOGIN_AFTER_ACTIVATION).
        expect(page.get_by_text("CSRF")).to_have_count(0)
        expect_signed_in(page, "hana")
        screenshot(page, "demo-activated")

        sign_out(page)
        log_in(page, demo, "hana")
        sign_out(page)
        log_in(page, demo, "hana")
        screenshot(page, "demo-logged-in-again")
        problems.assert_none()


def test_the_link_works_once(browser: Browser, demo: Site) -> None:
    """Opening a used link again says so and points to the login page."""
    with person(browser) as (page, problems):
        new_member(page, demo, "ilsu")
        link = demo.link_in(demo.emails_to("ilsu@example.com")[-1], "/signup/activate/")
        sign_out(page)
        problems.allow(r"Failed to load resource: .* 409")
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_contain_text("already used")
        screenshot(page, "demo-activation-used")
        page.get_by_role("main").get_by_role("link", name="Log in").click()
        page.get_by_label("Username").fill("ilsu")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect_signed_in(page, "ilsu")
        problems.assert_none()


def test_resend_sends_a_link_that_activates(browser: Browser, demo: Site) -> None:
    """A visitor who lost the email asks for another and activates with it."""
    with person(browser) as (page, problems):
        sign_up(page, demo, "jiwoo", "jiwoo@example.com")
        page.get_by_role("link", name=re.compile("get the activation email|resend", re.I)).click()
        page.get_by_label("Email").fill("jiwoo@example.com")
        page.get_by_role("button").filter(has_text=re.compile("Send|Resend")).click()
        screenshot(page, "demo-resend-done")
        activate(page, demo, "jiwoo@example.com", count=2)
        expect_signed_in(page, "jiwoo")
        problems.assert_none()


def test_password_reset_end_to_end(browser: Browser, demo: Site) -> None:
    """Forgot password → email → link → new password → log in with it."""
    with person(browser) as (page, problems):
        new_member(page, demo, "yuna")
        sign_out(page)

        page.get_by_role("link", name="Log in").first.click()
        page.get_by_role("link", name=re.compile("Forgot", re.I)).click()
        page.get_by_label("Email").fill("yuna@example.com")
        page.get_by_role("button", name=re.compile("reset", re.I)).click()
        screenshot(page, "demo-password-reset-sent")
        emails = demo.emails_to("yuna@example.com", count=2)
        page.goto(demo.link_in(emails[1], "/accounts/reset/"))
        new_password = "another-staple-horse-77"
        page.get_by_label(re.compile(r"^New password:?$")).fill(new_password)
        page.get_by_label(re.compile(r"^(New password confirmation|Confirm password):?$")).fill(
            new_password
        )
        page.get_by_role("button", name=re.compile("Change|Set|Reset", re.I)).click()
        screenshot(page, "demo-password-reset-complete")
        log_in(page, demo, "yuna", new_password)
        problems.assert_none()
