"""moa-signup's README, followed in a new project: the form, and a mail server that is down."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from project import Client, Project

from moa_testsupport.services import service_available


@pytest.fixture(scope="module")
def project(follow_readme: Callable[[str], Project]) -> Project:
    return follow_readme("moa-signup")


def test_check_passes(project: Project) -> None:
    """``manage.py check`` finds nothing: the SMTP timeout the README asks for is set."""
    assert "System check identified no issues (0 silenced)." in project.manage("check")


def test_signup_form_is_served(client: Client) -> None:
    """``signup/`` shows the signup form."""
    answer = client.request("/signup/")
    assert answer.status == 200
    assert 'name="username"' in answer.text
    assert 'name="password1"' in answer.text


def test_unreachable_mail_server_leaves_no_account(project: Project, client: Client) -> None:
    """With the new project's SMTP server (localhost:25) down, the form says so, no user.

    The README's promise: if the mail server refuses, the transaction rolls back.
    """
    if service_available("127.0.0.1", 25) or service_available("::1", 25):
        pytest.skip("something listens on port 25 here")
    answer = client.submit(
        "/signup/",
        {
            "username": "carol",
            "email": "carol@example.com",
            "password1": "correct horse battery staple",
            "password2": "correct horse battery staple",
        },
    )
    assert answer.status == 503, answer.text[:2000]
    assert "no account was created" in answer.text
    code = "from django.contrib.auth.models import User; print(User.objects.count())"
    assert project.shell(code) == "0"
