from __future__ import annotations

from django.urls import path

from tests import views

urlpatterns = [
    path("teams/", views.team_list),
    path("teams/fixed/", views.team_list_fixed),
    path("teams/async/", views.team_list_async),
    path("teams/template/", views.team_list_template),
    path("teams/repeated/", views.repeated_gets),
]
