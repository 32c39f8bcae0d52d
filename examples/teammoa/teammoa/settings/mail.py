"""The default mailer, in the settings the running Django reads.

Django 6.1 configures mail with ``MAILERS`` and deprecates the ``EMAIL_*``
settings; Django 5.2 knows only those. Each settings module names its backend
and options once, in ``MAILERS``' terms, and takes what this returns::

    globals().update(default_mailer("django.core.mail.backends.smtp.EmailBackend", timeout=10))
"""

from __future__ import annotations

from typing import Any

import django

# MAILERS' option names, and the EMAIL_* setting of each on Django 5.2 (another
# option is a KeyError there).
EMAIL_SETTINGS = {
    "host": "EMAIL_HOST",
    "port": "EMAIL_PORT",
    "username": "EMAIL_HOST_USER",
    "password": "EMAIL_HOST_PASSWORD",
    "use_tls": "EMAIL_USE_TLS",
    "timeout": "EMAIL_TIMEOUT",
}


def default_mailer(backend: str, **options: Any) -> dict[str, Any]:
    """Return the settings that make ``backend``, with ``options``, the default mailer."""
    if django.VERSION >= (6, 1):
        return {"MAILERS": {"default": {"BACKEND": backend, "OPTIONS": options}}}
    return {"EMAIL_BACKEND": backend, **{EMAIL_SETTINGS[name]: options[name] for name in options}}
