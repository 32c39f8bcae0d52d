from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from teams.models import Team


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "teams/index.html")


def team_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.select_related("host").annotate(member_count=Count("members"))
    return render(request, "teams/team_list.html", {"teams": teams})
