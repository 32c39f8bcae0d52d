"""Settings for moa-ops' tests; environment variables pick the services."""

from __future__ import annotations

import os

from moa_testsupport.databases import databases_from_env

SECRET_KEY = "moa-ops-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "app.example.com"]
USE_TZ = True
ROOT_URLCONF = "tests.urls"
ASGI_APPLICATION = "tests.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "daphne",
    "channels",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "moa_ops",
]
MIDDLEWARE = [
    "moa_ops.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = databases_from_env("moa_ops")
if os.environ.get("MOA_OPS_TEST_SQLITE_FILE"):
    # Server subprocesses share one on-disk database with the test that starts them.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["MOA_OPS_TEST_SQLITE_FILE"],
        }
    }

_cache_url = os.environ.get("MOA_OPS_TEST_CACHE_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 5},
        }
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

_layer = os.environ.get("MOA_OPS_TEST_CHANNEL_LAYER", "memory")
if _layer == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
elif _layer != "none":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_layer]},
        }
    }

MOA_OPS_CHECK_TIMEOUT = float(os.environ.get("MOA_OPS_TEST_CHECK_TIMEOUT", "2"))
MOA_OPS_DRAIN_FILE = os.environ.get("MOA_OPS_TEST_DRAIN_FILE") or None
MOA_OPS_DRAIN_TIMEOUT = 0.1
SECURE_SSL_REDIRECT = os.environ.get("MOA_OPS_TEST_SSL_REDIRECT") == "1"
if os.environ.get("MOA_OPS_TEST_NO_PROBE_MIDDLEWARE") == "1":
    MIDDLEWARE = MIDDLEWARE[1:]
