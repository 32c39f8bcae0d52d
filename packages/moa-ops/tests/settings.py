"""Settings for moa-ops' tests: in-memory cache and channel layer.

The ``settings_*`` modules beside this one change what a test needs changed; a server
subprocess gets the values only its test knows through
``moa_testsupport.settings.server_env()``.
"""

from __future__ import annotations

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
# MOA_TEST_DB picks the database of the test process; servers get theirs from
# moa_testsupport.settings.server_env().
DATABASES = databases_from_env("moa_ops")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

MOA_OPS_CHECK_TIMEOUT = 2.0
# No drain file unless a test names one: the default is a shared temp path.
MOA_OPS_DRAIN_FILE = None
MOA_OPS_DRAIN_TIMEOUT = 0.1
