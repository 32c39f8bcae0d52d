from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from teams.models import Team


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "teams/index.html")


def team_list(request: HttpRequest) -> HttpResponse:
    # No select_related here: Team.QueryDefaults loads host and members for every list.
    teams = Team.objects.all()
    return render(request, "teams/team_list.html", {"teams": teams})
