"""Settings for `manage.py runserver` on a developer's machine."""

from __future__ import annotations

import django

from {{ cookiecutter.project_slug }}.settings.base import *  # noqa: F403
from {{ cookiecutter.project_slug }}.settings.base import INSTALLED_APPS, MIDDLEWARE
from {{ cookiecutter.project_slug }}.settings.environment import env_list, env_str

DEBUG = True
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "django-insecure-local-only-never-use-this-key-in-production"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]
# After the probe middleware, before everything that renders a response.
MIDDLEWARE = [
    MIDDLEWARE[0],
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    *MIDDLEWARE[1:],
]
INTERNAL_IPS = ["127.0.0.1"]

# An N+1 query warns, naming the model, the relation and the line of code.
MOA_QUERIES_NPLUSONE_MODE = "warn"

# Emails are printed to the console. Django 6.1 configures mail with MAILERS
# and deprecates the EMAIL_* settings; Django 5.2 knows only those.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
