"""A team starts a project from the template and uses it in Chromium.

The project is generated, installed from a package index and migrated exactly
as its README says; then a person signs up, activates, logs in and out and
visits every page the home page links to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from generated import OPTION_SETS, generated_site
from playwright.sync_api import expect
from steps import PASSWORD, crawl, expect_signed_in, log_in, new_member, sign_out

from moa_testsupport.browser import person, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from sites import Site


@pytest.fixture(scope="module", params=sorted(OPTION_SETS))
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    name: str = request.param
    site = generated_site(Path(tmp_path_factory.mktemp(f"generated-{name}")), name)
    # "createsuperuser gives you an account", says the README.
    site.env["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD
    site.manage("createsuperuser", "--noinput", "--username", "boss", "--email", "b@x.example")
    site.start()
    try:
        yield site
    finally:
        site.stop()
    assert not site.tracebacks(), site.log()


@pytest.mark.parametrize("project", ["defaults"], indirect=True)
def test_sign_up_activate_log_in_and_out(browser: Browser, project: Site) -> None:
    """With moa-signup (a default): the emailed link activates; then log out and in again."""
    with person(browser) as (page, problems):
        new_member(page, project, "hana")
        screenshot(page, f"{project.name}-activated")
        sign_out(page)
        log_in(page, project, "hana")
        sign_out(page)
        problems.assert_none()


def test_log_in_and_out_as_the_superuser(browser: Browser, project: Site) -> None:
    """``createsuperuser``, as the README says, gives an account that logs in and out."""
    with person(browser) as (page, problems):
        log_in(page, project, "boss")
        expect_signed_in(page, "boss")
        sign_out(page)
        expect(page.get_by_role("link", name="Log in").first).to_be_visible()
        problems.assert_none()


def test_every_page_the_home_page_links_to_answers(browser: Browser, project: Site) -> None:
    """A visitor and a signed-in user reach only pages that render."""
    with person(browser) as (page, problems):
        crawl(page, project, "/", f"{project.name}-visitor")
        log_in(page, project, "boss")
        crawl(page, project, "/", f"{project.name}-member")
        problems.assert_none()


def test_the_admin_works_under_the_content_security_policy(browser: Browser, project: Site) -> None:
    """The superuser logs in to the admin and opens a list and an add form: no CSP violation."""
    with person(browser) as (page, problems):
        response = page.goto(project.url + "/admin/login/")
        page.get_by_label("Username").fill("boss")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        page.goto(project.url + "/admin/moa_accounts/user/")
        page.goto(project.url + "/admin/moa_accounts/user/add/")
        expect(page.get_by_label("Username")).to_be_visible()
        screenshot(page, f"{project.name}-admin-add-user")

        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        problems.assert_none()


def test_an_injected_inline_script_is_blocked_and_reported(browser: Browser, project: Site) -> None:
    """Under the page's policy an inline script does not run, and the journey sees why."""
    with person(browser) as (page, problems):
        page.goto(project.url + "/")
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.injected = true;";
                document.body.append(script);
            }"""
        )
        page.wait_for_timeout(200)

        ran = page.evaluate("() => window.injected === true")
        seen, problems.problems = problems.problems, []

        assert ran is False
        assert any("CSP violation: script-src" in problem for problem in seen), seen
