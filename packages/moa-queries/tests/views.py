from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tests.testapp.models import Person, Team


def team_list(request: HttpRequest) -> HttpResponse:
    names = [f"{team.name}:{team.host.name}" for team in Team.plain.all()]
    return HttpResponse(", ".join(names))


def team_list_fixed(request: HttpRequest) -> HttpResponse:
    names = [f"{team.name}:{team.host.name}" for team in Team.plain.select_related("host")]
    return HttpResponse(", ".join(names))


async def team_list_async(request: HttpRequest) -> HttpResponse:
    def names() -> list[str]:
        return [f"{team.name}:{team.host.name}" for team in Team.plain.all()]

    return HttpResponse(", ".join(await sync_to_async(names)()))


def team_list_template(request: HttpRequest) -> HttpResponse:
    return render(request, "testapp/teams.html", {"teams": Team.plain.all()})


def repeated_gets(request: HttpRequest) -> HttpResponse:
    ids = list(Person.plain.values_list("pk", flat=True))
    names = [Person.plain.get(pk=pk).name for pk in ids]
    return HttpResponse(", ".join(names))
