"""Signing up on the public site, and what the database then holds for a username."""

from __future__ import annotations

import json

from e2e_harness.client import Browser, Response
from e2e_harness.stack import Stack

PASSWORD = "a long and unusual e2e passphrase"


def sign_up(browser: Browser, username: str, email: str) -> Response:
    return browser.submit(
        "/signup/",
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def accounts(stack: Stack, username: str) -> list[dict[str, object]]:
    """Every row for ``username``, deleted ones included, straight from the database."""
    code = (
        "import json; from django.contrib.auth import get_user_model; "
        "manager = getattr(get_user_model(), 'all_objects', get_user_model()._default_manager); "
        f"print(json.dumps(list(manager.filter(username={username!r})"
        ".values('pk', 'email', 'is_active'))))"
    )
    return json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])
