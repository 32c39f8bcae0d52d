from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from moa_mindmap.models import Mindmap, Node


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


def unshare(request: HttpRequest, pk: int, username: str) -> HttpResponse:
    """Test-only: remove ``username`` from a mindmap's members."""
    user = get_user_model().objects.get(username=username)
    Mindmap.objects.get(pk=pk).members.remove(user)
    return JsonResponse({"ok": True})


def deactivate(request: HttpRequest, username: str) -> HttpResponse:
    """Test-only: set ``is_active = False`` on ``username``, as an admin would."""
    user = get_user_model().objects.get(username=username)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return JsonResponse({"ok": True})


def soft_delete(request: HttpRequest, username: str) -> HttpResponse:
    """Test-only: soft-delete ``username`` (``deleted_at`` is set, the row stays)."""
    get_user_model().objects.get(username=username).delete()
    return JsonResponse({"ok": True})


def node_texts(request: HttpRequest, pk: int) -> HttpResponse:
    """Test-only: the texts of a mindmap's nodes, as stored."""
    return JsonResponse(
        {"texts": sorted(Node.objects.filter(mindmap_id=pk).values_list("text", flat=True))}
    )


urlpatterns = [
    path("login/<str:username>/", login_as),
    path("share/<int:pk>/<str:username>/", share),
    path("unshare/<int:pk>/<str:username>/", unshare),
    path("deactivate/<str:username>/", deactivate),
    path("soft-delete/<str:username>/", soft_delete),
    path("nodes/<int:pk>/", node_texts),
    path("mindmap/", include("moa_mindmap.urls")),
]


def make_mindmap(request: HttpRequest, title: str) -> HttpResponse:
    """Test-only: create a mindmap owned by the logged-in user."""
    mindmap = Mindmap.objects.create(title=title, owner=request.user)
    return JsonResponse({"id": mindmap.pk})


def fill(request: HttpRequest, pk: int, count: int) -> HttpResponse:
    """Test-only: add ``count`` nodes with 100 characters of text each to a mindmap."""
    Node.objects.bulk_create(
        Node(mindmap_id=pk, text=f"{n:03d}" + "x" * 97, x=n, y=n) for n in range(count)
    )
    return JsonResponse({"ok": True})


urlpatterns.append(path("make/<str:title>/", make_mindmap))
urlpatterns.append(path("fill/<int:pk>/<int:count>/", fill))
