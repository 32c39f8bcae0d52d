from __future__ import annotations

from django.urls import path

from teams import views

urlpatterns = [
    path("", views.index, name="index"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/join/", views.team_join_by_code, name="team_join_by_code"),
    path("teams/join/<str:code>/", views.team_join, name="team_join"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/invite/", views.team_new_invite, name="team_new_invite"),
]
