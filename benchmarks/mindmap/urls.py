"""The benchmark's servers serve WebSockets only; Django needs a URLconf all the same."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
