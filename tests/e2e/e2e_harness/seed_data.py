"""Users, logged-in sessions and mindmaps for the tests; run inside the generated project.

``manage.py shell`` runs this file with the project's production settings. It prints the
session keys and mindmap ids as JSON into $E2E_SEED_OUTPUT.
"""

from __future__ import annotations

import json
import os
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model


def logged_in_session(user: object) -> str:
    """Return the key of a new session in which ``user`` is logged in."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)  # type: ignore[attr-defined]
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()  # type: ignore[attr-defined]
    store.create()
    return str(store.session_key)


def seed() -> dict[str, object]:
    User = get_user_model()
    names = [f"user{number}" for number in range(int(os.environ.get("E2E_SEED_USERS", "8")))]
    users = [
        User.objects.create_user(name, f"{name}@moa-e2e.test", "e2e-password-1234")
        for name in names
    ]
    output: dict[str, object] = {
        "sessions": {user.username: logged_in_session(user) for user in users},
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "mindmaps": {},
    }
    if "moa_mindmap" in settings.INSTALLED_APPS:
        from moa_mindmap.models import Mindmap

        mindmaps = {}
        for title in ("load-a", "load-b", "proxy", "scale-out", "faults", "runserver"):
            mindmap = Mindmap.objects.create(title=title, owner=users[0])
            mindmap.members.add(*users[1:])
            mindmaps[title] = mindmap.pk
        output["mindmaps"] = mindmaps
    return output


with open(os.environ["E2E_SEED_OUTPUT"], "w") as file:
    json.dump(seed(), file)
