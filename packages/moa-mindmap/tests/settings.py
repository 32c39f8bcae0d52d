"""Settings for moa-mindmap's tests: an in-memory channel layer.

``settings_redis`` and ``settings_flood`` beside this one change what their tests need
changed; a server subprocess gets the values only its test knows (its SQLite file, its
Redis prefix) through ``tests.live.server_env()``.
"""

from __future__ import annotations

from moa_testsupport.databases import databases_from_env

SECRET_KEY = "moa-mindmap-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Channels' WebsocketCommunicator sends no Host header: its Origin is trusted by name.
CSRF_TRUSTED_ORIGINS = ["http://testserver"]
USE_TZ = True
ROOT_URLCONF = "tests.urls"
ASGI_APPLICATION = "tests.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"
LOGIN_URL = "/login/"

INSTALLED_APPS = [
    "channels",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "moa_mindmap",
    "tests",
]
# A swapped user model with a soft delete (``deleted_at``), like moa-accounts'.
AUTH_USER_MODEL = "tests.User"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# MOA_TEST_DB picks the database of the test process; servers get theirs from
# tests.live.server_env().
DATABASES = databases_from_env("moa_mindmap")
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

MOA_MINDMAP_HEARTBEAT_INTERVAL = 20.0
MOA_MINDMAP_MAX_NODES = 1000
MOA_MINDMAP_MAX_OPS_PER_SECOND = 30
MOA_MINDMAP_SEND_TIMEOUT_S = 10.0
MOA_MINDMAP_MAX_OUTBOX_BYTES = 1048576
MOA_MINDMAP_SYNC_INTERVAL_S = 1.0
