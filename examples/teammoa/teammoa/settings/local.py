"""Settings for `manage.py runserver` on a developer's machine."""

from __future__ import annotations

from teammoa.settings.base import *  # noqa: F403
from teammoa.settings.base import INSTALLED_APPS, MIDDLEWARE
from teammoa.settings.environment import env_int, env_list, env_str
from teammoa.settings.mail import default_mailer

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

# Emails are printed to the console, or, with DJANGO_EMAIL_HOST set, sent over
# plain SMTP to that host: Mailpit from compose.local.yaml (DJANGO_EMAIL_HOST=127.0.0.1)
# shows them at http://127.0.0.1:8025/.
LOCAL_SMTP_HOST = env_str("DJANGO_EMAIL_HOST", "")
LOCAL_SMTP_PORT = env_int("DJANGO_EMAIL_PORT", 1025)
if LOCAL_SMTP_HOST:
    globals().update(
        default_mailer(
            "django.core.mail.backends.smtp.EmailBackend",
            host=LOCAL_SMTP_HOST,
            port=LOCAL_SMTP_PORT,
            timeout=5,
        )
    )
else:
    globals().update(default_mailer("django.core.mail.backends.console.EmailBackend"))
