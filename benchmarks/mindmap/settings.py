"""Django settings of the mindmap benchmark's servers (``benchmarks/mindmap/``).

The driver (``fanout.py``) passes the SQLite file and, for the Redis servers, the
channel layer's URL and prefix in the environment; the limits are raised so that
throughput is measured rather than the rate limits.
"""

from __future__ import annotations

import os

SECRET_KEY = "moa-mindmap-benchmark"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "urls"
ASGI_APPLICATION = "asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "channels",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "moa_mindmap",
]
MIDDLEWARE: list[str] = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MOA_BENCH_SQLITE", "bench.sqlite3"),
        "OPTIONS": {"timeout": 20},
    }
}

if os.environ.get("MOA_BENCH_REDIS_URL"):
    from moa_mindmap.layers import redis_channel_layer

    CHANNEL_LAYERS = {
        "default": redis_channel_layer(
            os.environ["MOA_BENCH_REDIS_URL"], prefix=os.environ["MOA_BENCH_REDIS_PREFIX"]
        )
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

MOA_MINDMAP_MAX_NODES = 1_000_000
MOA_MINDMAP_MAX_OPS_PER_SECOND = 100_000
MOA_MINDMAP_MAX_FRAMES_PER_SECOND = 100_000
MOA_MINDMAP_MAX_CONNECTIONS_PER_USER = 1000
