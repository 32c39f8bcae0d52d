"""Signing out, password rules, password reset and what a 403 writes to the log."""

from __future__ import annotations

import logging
import re
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from moa_mindmap.models import Mindmap

from teammoa.log_filters import OmitClientErrorTraceback
from teams.management.commands.load_demo_data import DEMO_PASSWORD, TEAMS

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def minji(client: Client) -> object:
    user = get_user_model().objects.create_user("minji", "minji@example.com", PASSWORD)
    client.force_login(user)
    return user


def test_get_logout_shows_a_sign_out_button(client: Client, minji: object) -> None:
    """GET /accounts/logout/ is a page with the Sign out button, not an empty 405."""
    response = client.get("/accounts/logout/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post" action="/accounts/logout/">' in page
    assert "Sign out</button>" in page
    assert "_auth_user_id" in client.session  # a GET signs nobody out


def test_sign_out_from_the_nav(client: Client, minji: object) -> None:
    """The nav's Sign out form signs out and lands on the home page, saying so."""
    page = client.get("/teams/").content.decode()
    assert '<form method="post" action="/accounts/logout/">' in page
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    page = response.content.decode()
    assert "You are signed out." in page
    assert ">Log in</a>" in page
    assert "Sign out</button>" not in page
    assert "_auth_user_id" not in client.session


def test_logout_page_when_signed_out(client: Client) -> None:
    """A signed-out visitor on the logout page is told so and offered to log in."""
    page = client.get("/accounts/logout/").content.decode()
    assert "<h1>You are signed out</h1>" in page
    assert 'href="/accounts/login/"' in page


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short."),
        ("password123", "This password is too common."),
        ("4815162342", "This password is entirely numeric."),
        ("newcomer-x", "The password is too similar to the username."),
    ],
)
def test_signup_rejects_a_weak_password(client: Client, password: str, message: str) -> None:
    """Django's four password validators are on: signup refuses each kind of weak password."""
    response = client.post(
        "/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_demo_users_passwords_pass_the_validators() -> None:
    """load_demo_data's password satisfies the validators for every demo user."""
    user_model = get_user_model()
    for username in {name for names in TEAMS.values() for name in names}:
        user = user_model(username=username, email=f"{username}@example.com")
        validate_password(DEMO_PASSWORD, user)


def test_validators_reject_admin_admin() -> None:
    """The validators are really on: the admin's demo password would not pass them."""
    with pytest.raises(ValidationError):
        validate_password("admin", get_user_model()(username="admin"))


def test_password_reset_end_to_end(client: Client) -> None:
    """Forgot password → email with a link on one line → new password → log in with it."""
    get_user_model().objects.create_user("yuna", "yuna@example.com", PASSWORD)
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in page
    response = client.post("/accounts/password_reset/", {"email": "yuna@example.com"}, follow=True)
    assert "<h1>Check your inbox</h1>" in response.content.decode()
    [message] = mail.outbox
    assert message.subject == "Reset your password on testserver"
    link = re.search(r"^http://testserver(/accounts/reset/\S+/)$", message.body, re.MULTILINE)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert "<h1>Choose a new password</h1>" in form.content.decode()
    new_password = "another-staple-horse-77"
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
        follow=True,
    )
    assert "<h1>Your password is changed</h1>" in done.content.decode()
    assert Client().login(username="yuna", password=new_password)


def test_password_reset_refuses_a_weak_password(client: Client) -> None:
    """The new password goes through the same validators."""
    get_user_model().objects.create_user("yuna", "yuna@example.com", PASSWORD)
    client.post("/accounts/password_reset/", {"email": "yuna@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()


def test_403_logs_one_line_without_traceback(
    client: Client, minji: object, caplog: pytest.LogCaptureFixture
) -> None:
    """PermissionDenied is logged as one WARNING line: no traceback in the terminal."""
    owner = get_user_model().objects.create_user("jun", "jun@example.com", PASSWORD)
    mindmap = Mindmap.objects.create(title="Backend plans", owner=owner)
    with caplog.at_level(logging.INFO, logger="django"):
        assert client.get(mindmap.get_absolute_url()).status_code == 403
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.name == "django.request"
    assert record.getMessage() == f"Forbidden (Permission denied): /mindmap/{mindmap.pk}/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_csrf_failure_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    """A form without its CSRF token is one django.security.csrf warning, no traceback."""
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.INFO, logger="django"):
        assert client.post("/accounts/login/", {"username": "x"}).status_code == 403
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.name == "django.security.csrf"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_server_errors_keep_their_traceback() -> None:
    """The filter only quiets 4xx: a 500's record keeps its exception."""
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    server = logging.LogRecord("django.request", logging.ERROR, "", 0, "boom", (), exc_info)
    server.status_code = 500
    client = logging.LogRecord("django.request", logging.WARNING, "", 0, "no", (), exc_info)
    client.status_code = 403
    quiet = OmitClientErrorTraceback()
    assert quiet.filter(server)
    assert quiet.filter(client)
    assert server.exc_info is exc_info
    assert client.exc_info is None


@pytest.mark.parametrize("login_path", ["/accounts/login/", "/admin/login/"])
def test_failed_logins_are_throttled(client: Client, login_path: str) -> None:
    """After five wrong passwords the login page and the admin say so, and refuse the right one."""
    get_user_model().objects.create_user("minji", "minji@example.com", PASSWORD, is_staff=True)
    for _ in range(5):
        response = client.post(login_path, {"username": "minji", "password": "wrong-guess-1"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = client.post(login_path, {"username": "minji", "password": PASSWORD})
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    if login_path == "/accounts/login/":
        assert response.status_code == 429
