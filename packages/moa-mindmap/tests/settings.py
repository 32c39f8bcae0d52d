"""Settings for moa-mindmap's tests; environment variables pick the services."""

from __future__ import annotations

import os

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

DATABASES = databases_from_env("moa_mindmap")
if os.environ.get("MOA_MINDMAP_TEST_SQLITE_FILE"):
    # Server subprocesses share one on-disk database with the test that starts them.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["MOA_MINDMAP_TEST_SQLITE_FILE"],
            "OPTIONS": {"timeout": 20},
        }
    }

_redis = os.environ.get("MOA_MINDMAP_TEST_REDIS_URL")
if _redis:
    from moa_mindmap.layers import redis_channel_layer

    # Each test picks its own prefix: suites running side by side share one Redis.
    _prefix = os.environ.get("MOA_MINDMAP_TEST_REDIS_PREFIX", "moa-mindmap-test")
    CHANNEL_LAYERS = {"default": redis_channel_layer(_redis, prefix=_prefix)}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

MOA_MINDMAP_HEARTBEAT_INTERVAL = float(os.environ.get("MOA_MINDMAP_TEST_HEARTBEAT", "20"))

# The benchmark raises these to measure throughput rather than the limits.
MOA_MINDMAP_MAX_NODES = int(os.environ.get("MOA_MINDMAP_TEST_MAX_NODES", "1000"))
MOA_MINDMAP_MAX_OPS_PER_SECOND = int(os.environ.get("MOA_MINDMAP_TEST_MAX_OPS", "30"))
# The flood tests lower these to reach them within seconds.
MOA_MINDMAP_SEND_TIMEOUT_S = float(os.environ.get("MOA_MINDMAP_TEST_SEND_TIMEOUT_S", "10"))
MOA_MINDMAP_MAX_OUTBOX_BYTES = int(os.environ.get("MOA_MINDMAP_TEST_MAX_OUTBOX_BYTES", "1048576"))
MOA_MINDMAP_SYNC_INTERVAL_S = float(os.environ.get("MOA_MINDMAP_TEST_SYNC_INTERVAL_S", "1"))
