from __future__ import annotations

import asyncio

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"page": "index"})


async def slow(request: HttpRequest) -> JsonResponse:
    await asyncio.sleep(float(request.GET.get("s", "1")))
    return JsonResponse({"page": "slow"})


urlpatterns = [
    path("", include("moa_ops.urls")),
    path("", index),
    path("slow/", slow),
]
