"""A settings and URL overlay for a generated project, put on PYTHONPATH by the tests.

The generated code stays as it is: the overlay's settings are the production settings
with ``ROOT_URLCONF`` pointing at the overlay's URLs, which add a few test views in front
of the project's own patterns. The server still runs the Dockerfile's uvicorn command, so
the project's asgi.py, middleware and health probes are all there.
"""

from __future__ import annotations

import http.client
from pathlib import Path

from baking import SLUG
from generated import dockerfile_env

OVERLAY = "reporting_overlay"
OVERLAY_SETTINGS = f"{OVERLAY}.settings"
# What the failing view's exception carries; the client must never see it.
EXCEPTION_NAME = "ErrorReportingProbe"
EXCEPTION_MESSAGE = "raised on purpose by the overlay, marker 5b1f0c"

SETTINGS = f"""
from {SLUG}.settings.production import *  # noqa: F403

ROOT_URLCONF = "{OVERLAY}.urls"
"""

URLS = f'''
import sys

from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from {SLUG}.urls import urlpatterns as project_urlpatterns


class {EXCEPTION_NAME}(Exception):
    """An unhandled exception of a view."""


def fail(request):
    raise {EXCEPTION_NAME}({EXCEPTION_MESSAGE!r})


def modules(request):
    return JsonResponse({{"sentry_sdk": "sentry_sdk" in sys.modules}})


def hold_database(request):
    """Hold a database connection for a while, as a slow query does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [float(request.GET.get("seconds", "0.5"))])
    return JsonResponse({{"ok": True}})


@csrf_exempt
def upload(request):
    """Save the posted file with the default storage, as a FileField does; name its URL."""
    uploaded = request.FILES["file"]
    name = default_storage.save(f"uploads/{{uploaded.name}}", uploaded)
    return JsonResponse({{"name": name, "url": default_storage.url(name)}})


urlpatterns = [
    path("overlay/fail/", fail),
    path("overlay/upload/", upload),
    path("overlay/modules/", modules),
    path("overlay/hold-database/", hold_database),
    *project_urlpatterns,
]
'''


def write_overlay(directory: Path) -> Path:
    """Write the overlay package into ``directory``; return the directory for PYTHONPATH."""
    package = directory / OVERLAY
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(SETTINGS)
    (package / "urls.py").write_text(URLS)
    return directory


def overlay_env(project: Path, env: dict[str, str], directory: Path) -> dict[str, str]:
    """``env`` plus what serving ``project`` under the overlay takes, as the image runs it.

    The overlay's settings on PYTHONPATH (written into ``directory``), uvicorn trusting
    X-Forwarded-* from 127.0.0.1 (nginx here), and the image's WebSocket message limit.
    """
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": OVERLAY_SETTINGS,
        "PYTHONPATH": str(write_overlay(directory / "overlay")),
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "UVICORN_WS_MAX_SIZE": dockerfile_env(project, "UVICORN_WS_MAX_SIZE"),
    }


def get(port: int, path: str, timeout_s: float = 30) -> tuple[int, dict[str, str], str]:
    """GET ``path`` as nginx forwards a browser's HTTPS request; status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(
            "GET", path, headers={"Host": "example.com", "X-Forwarded-Proto": "https"}
        )
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()
