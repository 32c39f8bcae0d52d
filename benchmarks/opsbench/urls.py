from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def plain(request: HttpRequest) -> JsonResponse:
    """The baseline: a minimal JSON view behind the full middleware stack."""
    return JsonResponse({"status": "ok"})


urlpatterns = [path("", include("moa_ops.urls")), path("plain/", plain)]
