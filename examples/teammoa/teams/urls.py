from __future__ import annotations

from django.urls import path

from teams import views

urlpatterns = [
    path("", views.index, name="index"),
    path("teams/", views.team_list, name="team_list"),
]
