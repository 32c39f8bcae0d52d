"""The signup, activation and resend pages, driven through the test client."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.urls import reverse

from moa_signup import tokens
from moa_signup.models import Signup
from moa_signup.services import wait_for_background
from moa_testsupport.mailserver import MailServer, send_mail_to
from tests.activation import activation_link, link_path
from tests.settings import MAIL_TIMEOUT_S

pytestmark = pytest.mark.django_db

User = get_user_model()
SIGNUP = "/signup/"
VALID = {
    "username": "alice",
    "email": "alice@example.com",
    "password1": "secret-Pass-123",
    "password2": "secret-Pass-123",
}


def sign_up(client: Client, **data: Any) -> Any:
    return client.post(SIGNUP, {**VALID, **data})


def errors_of(response: Any) -> dict[str, list[str]]:
    return {field: list(errors) for field, errors in response.context["form"].errors.items()}


# -- signup ----------------------------------------------------------------


def test_signup_form_renders(client: Client) -> None:
    """GET shows the form with username, email and both password fields."""
    response = client.get(SIGNUP)
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["username", "email", "password1", "password2"]
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_signup_redirects_to_check_your_inbox(client: Client, mailbox: MailServer) -> None:
    """A valid signup lands on "check your inbox" with an inactive user and one email."""
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("moa_signup:signup_done")
    assert client.get(response["Location"]).status_code == 200
    assert User._default_manager.get(username="alice").is_active is False
    assert len(mailbox.wait_for_messages(1)) == 1


@pytest.mark.parametrize("mode", ["refuse", "drop", "hang", "closed"])
def test_email_failure_shows_form_error_and_leaves_no_row(
    client: Client, mailbox: MailServer, settings: Any, closed_port: int, mode: str
) -> None:
    """Every way the mail server fails: 503, the form says so, no account exists."""
    if mode == "closed":
        send_mail_to(settings, closed_port, timeout_s=MAIL_TIMEOUT_S)
    else:
        mailbox.reset(mode)
    started = time.monotonic()
    response = sign_up(client)
    assert time.monotonic() - started < MAIL_TIMEOUT_S + 5
    assert response.status_code == 503
    assert response.context["form"].non_field_errors() == [
        "We could not send the activation email, so no account was created. "
        "Please try again in a few minutes."
    ]
    assert not User._default_manager.exists()
    assert not Signup.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "x" * 10_000}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"username": "nul\x00byte"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.c\nBcc: x@evil.example"}, "email"),
        ({"email": ("x" * 300) + "@example.com"}, "email"),
        ({"email": "nul\x00@example.com"}, "email"),
        ({"password2": "different-Pass-1"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password2"),
        ({"password1": "p" * 5000, "password2": "p" * 5000}, "password1"),
        ({"password1": ""}, "password1"),
    ],
)
def test_garbage_gets_a_form_error(client: Client, data: dict[str, str], field: str) -> None:
    """Malformed input re-renders the form with an error on that field; no row."""
    response = sign_up(client, **data)
    assert response.status_code == 200
    assert field in errors_of(response)
    assert not User._default_manager.exists()


def test_lists_in_fields_get_a_form_error(client: Client) -> None:
    """Repeated fields take the last value; an empty POST lists every required field."""
    response = client.post(SIGNUP, {})
    assert response.status_code == 200
    assert set(errors_of(response)) == {"username", "email", "password1", "password2"}


def test_taken_username(client: Client, mailbox: MailServer) -> None:
    """A username already in use, in any case, is a form error (a taken email is not)."""
    sign_up(client)
    response = sign_up(client, username="Alice", email="x@example.com")
    assert response.status_code == 200
    assert errors_of(response) == {"username": ["A user with that username already exists."]}
    assert User._default_manager.count() == 1


# -- activation ------------------------------------------------------------


def signed_up_link(client: Client, mailbox: MailServer, **data: Any) -> str:
    assert sign_up(client, **data).status_code == 302
    return link_path(activation_link(mailbox))


def test_get_shows_confirm_page_and_changes_nothing(client: Client, mailbox: MailServer) -> None:
    """Mail scanners prefetch links: GET shows a button and leaves the account inactive."""
    path = signed_up_link(client, mailbox)
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200
        assert b'<form method="post">' in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert User._default_manager.get(username="alice").is_active is False


def test_post_activates_once(client: Client, mailbox: MailServer) -> None:
    """POST activates and redirects; the same link then says it was used."""
    path = signed_up_link(client, mailbox)
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("moa_signup:activation_complete")
    page = client.get(response["Location"])
    assert b'href="/login/"' in page.content
    user = User._default_manager.get(username="alice")
    assert user.is_active is True
    assert Signup.objects.get(user=user).activated_at is not None
    assert SESSION_KEY not in client.session

    for method in (client.get, client.post):
        again = method(path)
        assert again.status_code == 409
        assert b"This activation link was already used" in again.content
        assert b'href="/login/"' in again.content


def test_login_after_activation(client: Client, mailbox: MailServer, settings: Any) -> None:
    """With MOA_SIGNUP_LOGIN_AFTER_ACTIVATION the user is logged in and redirected."""
    settings.MOA_SIGNUP_LOGIN_AFTER_ACTIVATION = True
    path = signed_up_link(client, mailbox)
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == "/welcome/"
    assert client.session[SESSION_KEY] == str(User._default_manager.get(username="alice").pk)


def test_tampered_link(client: Client, mailbox: MailServer) -> None:
    """A changed token or user id gets the invalid page and activates nothing."""
    path = signed_up_link(client, mailbox)
    prefix, uid, token, _ = path.rsplit("/", 3)
    other_uid = tokens.urlsafe_base64_encode(b"999999")
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    for bad in (
        f"{prefix}/{uid}/{flipped}/",
        f"{prefix}/{other_uid}/{token}/",
        f"{prefix}/{uid}/{token[:5]}/",
        f"{prefix}/%%%/{token}/",
        f"{prefix}/{uid}/zzzzzzzzzzzzz-{token.split('-')[1]}/",
        f"{prefix}/{'A' * 500}/{token}/",
    ):
        for method in (client.get, client.post):
            response = method(bad)
            assert response.status_code == 400, bad
            assert b"This activation link is invalid" in response.content
    assert User._default_manager.get(username="alice").is_active is False


def test_expired_link(client: Client, mailbox: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """After MOA_SIGNUP_ACTIVATION_DAYS the link is refused with a resend offer."""
    path = signed_up_link(client, mailbox)
    now = tokens.now_seconds()
    monkeypatch.setattr(tokens, "now_seconds", lambda: now + 3 * 86400 - 5)
    assert client.get(path).status_code == 200
    monkeypatch.setattr(tokens, "now_seconds", lambda: now + 3 * 86400 + 5)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 410
        assert b"This activation link has expired" in response.content
        assert reverse("moa_signup:resend").encode() in response.content
    assert User._default_manager.get(username="alice").is_active is False


def test_old_link_never_activates_a_later_account(client: Client, mailbox: MailServer) -> None:
    """A purged account's link does not activate the new account with its name and email."""
    old_path = signed_up_link(client, mailbox)
    User._default_manager.filter(username="alice").delete()
    mailbox.reset("accept")
    signed_up_link(client, mailbox)
    for method in (client.get, client.post):
        assert method(old_path).status_code == 400
    assert User._default_manager.get(username="alice").is_active is False


def test_deactivated_account_is_not_reactivated(client: Client, mailbox: MailServer) -> None:
    """An admin deactivating an activated account is not undone by its old link."""
    path = signed_up_link(client, mailbox)
    client.post(path)
    User._default_manager.filter(username="alice").update(is_active=False)
    assert client.post(path).status_code == 409
    assert User._default_manager.get(username="alice").is_active is False


def test_account_not_created_by_signup_cannot_be_activated(client: Client) -> None:
    """A link for a user without a pending signup (made in the admin, say) is invalid."""
    user = User._default_manager.create_user("carol", "carol@example.com", "pw", is_active=False)
    uid = tokens.urlsafe_base64_encode(str(user.pk).encode())
    assert client.post(f"/signup/activate/{uid}/1-abc/").status_code == 400


def test_link_behind_tls_proxy(client: Client, mailbox: MailServer, settings: Any) -> None:
    """Behind a TLS proxy the link takes the forwarded scheme and the public host."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.post(
        SIGNUP, VALID, headers={"X-Forwarded-Proto": "https", "Host": "app.example.com"}
    )
    assert response.status_code == 302
    assert activation_link(mailbox).startswith("https://app.example.com/signup/activate/")


def test_site_url_wins_over_request(client: Client, mailbox: MailServer, settings: Any) -> None:
    """MOA_SIGNUP_SITE_URL, when set, is used whatever the request's host."""
    settings.MOA_SIGNUP_SITE_URL = "https://moa.example.org"
    sign_up(client)
    link = activation_link(mailbox)
    assert link.startswith("https://moa.example.org/signup/activate/")
    assert mailbox.messages[0]["Subject"] == "Activate your account on moa.example.org"


# -- resend ----------------------------------------------------------------


def resend(client: Client, email: str, **extra: Any) -> Any:
    return client.post("/signup/resend/", {"email": email}, **extra)


@pytest.mark.django_db(transaction=True)  # the lookup runs in a background thread
def test_resend_sends_a_new_working_link(client: Client, mailbox: MailServer) -> None:
    """A pending account gets a new email whose link activates it."""
    sign_up(client)
    mailbox.wait_for_messages(1)
    response = resend(client, "ALICE@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("moa_signup:resend_done")
    messages = mailbox.wait_for_messages(2)
    assert len(messages) == 2
    assert client.post(link_path(activation_link(mailbox))).status_code == 302
    assert User._default_manager.get(username="alice").is_active is True


@pytest.mark.django_db(transaction=True)  # the lookup runs in a background thread
def test_resend_answers_the_same_for_unknown_and_active(
    client: Client, mailbox: MailServer
) -> None:
    """Unknown and already active addresses get the same answer and no email."""
    sign_up(client)
    client.post(link_path(activation_link(mailbox)))
    answers = {
        email: (resend(client, email).status_code, resend(client, email)["Location"])
        for email in ("alice@example.com", "nobody@example.com")
    }
    assert (
        answers["alice@example.com"]
        == answers["nobody@example.com"]
        == (302, "/signup/resend/done/")
    )
    assert wait_for_background()
    assert len(mailbox.messages) == 1


def test_resend_rate_limited_per_address(client: Client, mailbox: MailServer) -> None:
    """The fourth request for one address within the window is refused, known or not."""
    for email in ("alice@example.com", "nobody@example.com"):
        codes = [resend(client, email).status_code for _ in range(4)]
        assert codes == [302, 302, 302, 429]
    response = resend(client, "nobody@example.com")
    assert response.context["form"].non_field_errors() == [
        "Too many requests. Please wait a while and try again."
    ]


def test_resend_rate_limited_per_ip(client: Client, settings: Any) -> None:
    """One client IP gets MOA_SIGNUP_RESEND_PER_IP requests, across addresses."""
    settings.MOA_SIGNUP_RESEND_PER_IP = 2
    codes = [resend(client, f"user{i}@example.com").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    other_ip = resend(client, "user9@example.com", REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 302


@pytest.mark.parametrize("email", ["", "garbage", "x" * 1000, "a\x00@example.com"])
def test_resend_garbage(client: Client, email: str) -> None:
    """A malformed address is a form error, never a 500."""
    response = resend(client, email)
    assert response.status_code == 200
    assert "email" in errors_of(response)


# -- languages and templates -----------------------------------------------


def test_korean(client: Client, mailbox: MailServer) -> None:
    """With Accept-Language: ko the pages and the email are in Korean."""
    headers = {"Accept-Language": "ko"}
    assert "회원가입".encode() in client.get(SIGNUP, headers=headers).content
    client.post(SIGNUP, VALID, headers=headers)
    [message] = mailbox.wait_for_messages(1)
    assert message["Subject"] == "testserver 계정을 활성화하세요"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "3일 뒤에 만료됩니다" in body.get_content()  # type: ignore[attr-defined]
    page = client.post(link_path(activation_link(mailbox))[:-5] + "zzzz/", headers=headers)
    assert "올바르지 않은 활성화 링크입니다".encode() in page.content


def test_templates_are_overridable(
    client: Client, mailbox: MailServer, settings: Any, tmp_path: Any
) -> None:
    """A project template of the same name replaces the email subject and a page."""
    override = tmp_path / "moa_signup"
    (override / "email").mkdir(parents=True)
    (override / "email" / "activation_subject.txt").write_text("Welcome aboard {{ site_name }}\n")
    (override / "signup_done.html").write_text("<p>Look in your mail.</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    response = sign_up(client)
    assert client.get(response["Location"]).content == b"<p>Look in your mail.</p>"
    assert mailbox.wait_for_messages(1)[0]["Subject"] == "Welcome aboard testserver"
