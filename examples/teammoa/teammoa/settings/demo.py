"""Settings of the TeamMoa demo (``make demo``, its tests): the project's, plus the teams app.

The template's answers (.cookiecutter.json) give the demo its embedded defaults: with
DATABASE_URL and REDIS_URL unset, base.py chooses SQLite beside manage.py and the in-memory
channel layer, and mail prints to the console.
"""

from __future__ import annotations

from typing import Any

from moa_mindmap.conf import server_frame_limit_bytes

from teammoa.settings.base import *  # noqa: F403
from teammoa.settings.base import BASE_DIR, INSTALLED_APPS, STATICFILES_DIRS, TEMPLATES
from teammoa.settings.environment import env_bool, env_str
from teammoa.settings.mail import default_mailer

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "demo-only-not-secret")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [*INSTALLED_APPS, "teams"]
ROOT_URLCONF = "teammoa.demo_urls"
# The demo's layout and its overrides of the project's, Django's, moa-signup's and
# moa-mindmap's templates come first; so do its stylesheet and icon.
TEMPLATES: list[dict[str, Any]] = [
    {**TEMPLATES[0], "DIRS": [BASE_DIR / "templates", *TEMPLATES[0]["DIRS"]]}
]
STATICFILES_DIRS = [BASE_DIR / "static", *STATICFILES_DIRS]
LANGUAGE_CODE = "en"
LOGIN_REDIRECT_URL = "team_list"
LOGOUT_REDIRECT_URL = "index"

# warn while developing; the demo's tests run with "raise".
MOA_QUERIES_NPLUSONE_MODE = env_str("MOA_QUERIES_NPLUSONE_MODE", "warn")
MOA_ACCOUNTS_UNVERIFIED_USER_DAYS = 3
# A team's mindmap is open to the team's members (and its owner).
MOA_MINDMAP_PERMISSION = "teams.permissions.team_member_or_owner"
# daphne's runserver reads at most this much of a WebSocket message (its own
# default is 1 MiB); the deploy check moa_mindmap.W002 reads the last line.
MOA_MINDMAP_MAX_MESSAGE_BYTES = 16_384
DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE = server_frame_limit_bytes(MOA_MINDMAP_MAX_MESSAGE_BYTES)
DAPHNE_WEBSOCKET_MAX_FRAME_SIZE = DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE
MOA_MINDMAP_SERVER_MAX_FRAME_BYTES = DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE

# Activation emails print to the console.
globals().update(default_mailer("django.core.mail.backends.console.EmailBackend"))

# Django's defaults print tracebacks of ordinary 403s (PermissionDenied) and print
# nothing at all with DEBUG off; the demo's terminal shows requests either way.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "omit_client_error_traceback": {"()": "teammoa.log_filters.OmitClientErrorTraceback"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"level": "INFO", "class": "logging.StreamHandler"},
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
    },
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO"},
        "django.request": {"filters": ["omit_client_error_traceback"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
