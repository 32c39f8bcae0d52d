"""Pages: ``path("mindmap/", include("moa_mindmap.urls"))``."""

from __future__ import annotations

from django.urls import path

from moa_mindmap import export_views, views

app_name = "moa_mindmap"
urlpatterns = [
    path("", views.MindmapListView.as_view(), name="list"),
    path("import/", export_views.MindmapImportView.as_view(), name="import"),
    path("<int:pk>/", views.MindmapDetailView.as_view(), name="detail"),
    path(
        "<int:pk>/export.md", export_views.MindmapExportView.as_view(format="md"), name="export-md"
    ),
    path(
        "<int:pk>/export.mm", export_views.MindmapExportView.as_view(format="mm"), name="export-mm"
    ),
]
