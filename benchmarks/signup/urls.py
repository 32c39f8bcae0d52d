from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("signup/", include("moa_signup.urls"))]
