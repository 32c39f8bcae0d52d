from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("moa_ops.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("signup/", include("moa_signup.urls")),
    path("mindmap/", include("moa_mindmap.urls")),
    path("", include("teams.urls")),
]
