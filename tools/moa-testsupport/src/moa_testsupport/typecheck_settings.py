"""Settings used only by mypy's Django plugin to type-check the packages."""

from __future__ import annotations

from importlib.util import find_spec

SECRET_KEY = "type-checking-only"
_APPS = ["moa_ops", "moa_accounts", "moa_signup", "moa_queries", "moa_mindmap"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    *[app for app in _APPS if find_spec(app) is not None],
]
AUTH_USER_MODEL = "moa_accounts.User" if find_spec("moa_accounts") is not None else "auth.User"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "moa_testsupport.typecheck_settings"
urlpatterns: list[object] = []
