"""Probe URLs: include with ``path("", include("moa_ops.urls"))``."""

from __future__ import annotations

from django.urls import path

from moa_ops import views

app_name = "moa_ops"

urlpatterns = [
    path("health/live/", views.live, name="live"),
    path("health/ready/", views.ready, name="ready"),
    path("health/", views.health, name="health"),
]
