from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from moa_mindmap.models import Mindmap


def login_as(request: HttpRequest, username: str) -> HttpResponse:
    """Test-only: create ``username`` if needed and log in as them."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"id": user.pk})


def share(request: HttpRequest, pk: int, username: str) -> HttpResponse:
    """Test-only: add ``username`` to a mindmap's members."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    Mindmap.objects.get(pk=pk).members.add(user)
    return JsonResponse({"ok": True})


urlpatterns = [
    path("login/<str:username>/", login_as),
    path("share/<int:pk>/<str:username>/", share),
    path("mindmap/", include("moa_mindmap.urls")),
]


def make_mindmap(request: HttpRequest, title: str) -> HttpResponse:
    """Test-only: create a mindmap owned by the logged-in user."""
    mindmap = Mindmap.objects.create(title=title, owner=request.user)
    return JsonResponse({"id": mindmap.pk})


urlpatterns.append(path("make/<str:title>/", make_mindmap))
