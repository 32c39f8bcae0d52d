"""Pages: ``path("mindmap/", include("moa_mindmap.urls"))``."""

from __future__ import annotations

from django.urls import path

from moa_mindmap import views

app_name = "moa_mindmap"
urlpatterns = [
    path("", views.MindmapListView.as_view(), name="list"),
    path("<int:pk>/", views.MindmapDetailView.as_view(), name="detail"),
]
