"""URLs of the demo: the teams app and the demo's own pages before the project's URLs."""

from __future__ import annotations

from django.urls import include, path

from teammoa import views
from teams.views import TeamMindmapListView

urlpatterns = [
    path("favicon.ico", views.favicon),
    # Before Django's auth URLs: a GET shows a sign-out button instead of 405.
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    # Before moa-mindmap's URLs: the list also shows the mindmaps of the user's teams.
    path("mindmap/", TeamMindmapListView.as_view(), name="mindmap_list"),
    # The team pages, the front page among them (before the project's home page).
    path("", include("teams.urls")),
    # The rendered project's URLs: probes, login, signup, password reset, mindmap, admin.
    path("", include("teammoa.urls")),
]
