"""Failed logins are throttled per account and client, per client and per account."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import aauthenticate, authenticate
from django.db import connections
from django.test import Client, RequestFactory, override_settings

from moa_accounts.models import User
from moa_testsupport.forms import FormClient
from moa_testsupport.servers import ServerProcess, free_port, migrate_database, uvicorn_command
from moa_testsupport.settings import overlay_settings, sqlite_databases

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "right-Pass-123"
THROTTLED = "Too many failed logins. Please wait a few minutes and try again."
WRONG = "Please enter a correct username and password."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """uvicorn on a free port with its own SQLite file and users alice and root."""
    directory = tmp_path_factory.mktemp("server")
    overlay = overlay_settings(
        directory,
        "tests.settings",
        pythonpath=PACKAGE_DIR,
        ALLOWED_HOSTS=["127.0.0.1"],
        DATABASES=sqlite_databases(directory / "db.sqlite3"),
    )
    env = {**os.environ, **overlay}
    migrate_database(env, PACKAGE_DIR)
    script = (
        "from moa_accounts.models import User;"
        f"User.objects.create_user('alice', 'alice@example.com', {PASSWORD!r});"
        f"User.objects.create_superuser('root', 'root@example.com', {PASSWORD!r})"
    )
    subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", script],
        env=env,
        cwd=PACKAGE_DIR,
        check=True,
        timeout=60,
    )
    port = free_port()
    command = uvicorn_command("django.core.asgi:get_asgi_application", port, "--factory")
    with ServerProcess(command, port, env=env, cwd=PACKAGE_DIR):
        yield port


def log_in(client: FormClient, path: str, username: str, password: str) -> tuple[int, str, str]:
    """Submit the login form at ``path``; return status, Location and body."""
    return client.submit(path, {"username": username, "password": password})


def test_login_view_throttles_one_client_guessing_one_account(server: int) -> None:
    """After 5 failures a client is refused (429) even with the right password; others are not."""
    attacker = FormClient(server, source_address="127.0.0.2")
    for number in range(5):
        # Changing the case of the username does not make it another account.
        status, _, body = log_in(attacker, "/login/", "ALICE" if number % 2 else "alice", "guess")
        assert status == 200
        assert WRONG in body
    status, location, body = log_in(attacker, "/login/", "alice", PASSWORD)
    assert (status, location) == (429, "")
    assert THROTTLED in body
    assert "sessionid" not in attacker.cookies
    # Another account from the same client, and the same account from another client.
    assert log_in(attacker, "/login/", "root", PASSWORD)[:2] == (302, "/accounts/profile/")
    owner = FormClient(server, source_address="127.0.0.3")
    assert log_in(owner, "/login/", "alice", PASSWORD)[:2] == (302, "/accounts/profile/")
    assert "sessionid" in owner.cookies


def test_admin_login_is_throttled_too(server: int) -> None:
    """The admin login refuses a client after 5 failures with a clear error, never a 500."""
    attacker = FormClient(server, source_address="127.0.0.4")
    for _ in range(5):
        status, _, body = log_in(attacker, "/admin/login/?next=/admin/", "root", "guess")
        assert status == 200
        assert "Please enter the correct username and password" in body
    status, _, body = log_in(attacker, "/admin/login/?next=/admin/", "root", PASSWORD)
    assert status == 200
    assert THROTTLED in body
    assert "sessionid" not in attacker.cookies
    admin = FormClient(server, source_address="127.0.0.5")
    status, location, _ = log_in(admin, "/admin/login/?next=/admin/", "root", PASSWORD)
    assert (status, location) == (302, "/admin/")


USER_PASSWORD = "pw"  # make_user's


def post_login(username: str, password: str, address: str) -> int:
    response = Client(REMOTE_ADDR=address).post(
        "/login/", {"username": username, "password": password}
    )
    return response.status_code


@override_settings(MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT=4)
def test_account_limit_spares_clients_that_logged_in_before(
    make_user: Callable[..., User],
) -> None:
    """Failures from many clients lock one account, but not for a client it used before."""
    user = make_user("alice")
    assert post_login("alice", USER_PASSWORD, "127.0.1.1") == 302
    for number in range(4):
        assert post_login("alice", "guess", f"127.0.2.{number}") == 200
    assert post_login("alice", USER_PASSWORD, "127.0.2.99") == 429
    assert post_login("alice", USER_PASSWORD, "127.0.1.1") == 302
    assert user.pk is not None


@override_settings(MOA_ACCOUNTS_LOGIN_FAILURES_PER_CLIENT=3)
def test_client_limit_covers_every_account(make_user: Callable[..., User]) -> None:
    """One client spraying passwords over many accounts is refused after the client limit."""
    make_user("alice")
    for name in ("bob", "carol", "dave"):
        assert post_login(name, "guess", "127.0.3.1") == 200
    assert post_login("alice", USER_PASSWORD, "127.0.3.1") == 429
    assert post_login("alice", USER_PASSWORD, "127.0.3.2") == 302


@override_settings(MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT=2)
def test_success_clears_the_failures(make_user: Callable[..., User]) -> None:
    """A successful login clears that client's failures for the account."""
    make_user("alice")
    assert post_login("alice", "guess", "127.0.4.1") == 200
    assert post_login("alice", USER_PASSWORD, "127.0.4.1") == 302
    assert post_login("alice", "guess", "127.0.4.1") == 200
    assert post_login("alice", "guess", "127.0.4.1") == 200
    assert post_login("alice", USER_PASSWORD, "127.0.4.1") == 429


@pytest.mark.django_db(transaction=True)
@override_settings(MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT=1)
async def test_async_authenticate_is_throttled() -> None:
    """``aauthenticate()`` counts and refuses like ``authenticate()``."""
    request = RequestFactory().post("/login/", REMOTE_ADDR="127.0.5.1")
    try:
        assert await aauthenticate(request, username="nobody", password="guess") is None
        assert getattr(request, "moa_accounts_login_throttled", False) is False
        assert await aauthenticate(request, username="nobody", password="guess") is None
        assert getattr(request, "moa_accounts_login_throttled", False) is True
    finally:  # the executor thread's connection would keep the test database busy
        await sync_to_async(connections.close_all)()


def test_credentials_without_a_password_are_not_counted(make_user: Callable[..., User]) -> None:
    """A backend call without a username or password is not a failed login."""
    request = RequestFactory().post("/login/", REMOTE_ADDR="127.0.6.1")
    with override_settings(MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT=1):
        for _ in range(3):
            assert authenticate(request, username="alice") is None
        make_user("alice")
        assert authenticate(request, username="alice", password=USER_PASSWORD) is not None
