"""The team pages: list, create, a team's page, its invite link, joining; the mindmap list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from moa_mindmap.models import Mindmap
from moa_mindmap.views import MindmapListView

from teams.forms import JoinForm, TeamForm
from teams.models import Team, new_invite_code

# The join code of the invite link a visitor opened before logging in or signing up:
# the team list offers to finish joining once they are in.
PENDING_INVITE_KEY = "teams_pending_invite"


def index(request: HttpRequest) -> HttpResponse:
    """Show what the demo has and where to start."""
    return render(request, "teams/index.html")


def team_list(request: HttpRequest) -> HttpResponse:
    """List every team; members get links to the team and its mindmap."""
    # No select_related here: Team.QueryDefaults loads host and members for every list.
    teams = Team.objects.all()
    rows = [(team, team.has_member(request.user)) for team in teams]
    pending = request.session.get(PENDING_INVITE_KEY) if request.user.is_authenticated else None
    invited = next((t for t, is_member in rows if t.invite_code == pending and not is_member), None)
    return render(request, "teams/team_list.html", {"rows": rows, "invited": invited})


@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    """Create a team: its creator hosts it, belongs to it and owns its mindmap."""
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            team = form.save(commit=False)
            team.host = request.user
            team.mindmap = Mindmap.objects.create(
                title=_("%(team)s plans") % {"team": team.name}, owner=request.user
            )
            team.save()
            team.members.add(request.user)
        messages.success(request, _("Team created. Share its invite link to add members."))
        return redirect(team)
    return render(request, "teams/team_form.html", {"form": form})


def get_team_for_member(request: HttpRequest, pk: int) -> Team:
    """Return the team ``pk`` if the user belongs to it; raise 404 or 403 otherwise."""
    team = get_object_or_404(Team, pk=pk)
    if not team.has_member(request.user):
        raise PermissionDenied(
            _("Only members of %(team)s can open this team.") % {"team": team.name}
        )
    return team


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a team to its members: mindmap, members, and the invite link for the host."""
    team = get_team_for_member(request, pk)
    context = {
        "team": team,
        "is_host": team.host_id == request.user.pk,
        "invite_url": request.build_absolute_uri(team.get_invite_url()),
    }
    return render(request, "teams/team_detail.html", context)


@require_POST
@login_required
def team_new_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the team's join code: links shared before stop working."""
    team = get_team_for_member(request, pk)
    if team.host_id != request.user.pk:
        raise PermissionDenied(
            _("Only the host of %(team)s can change its invite link.") % {"team": team.name}
        )
    team.invite_code = new_invite_code()
    team.save(update_fields=["invite_code"])
    messages.success(request, _("New invite link made. The old one no longer works."))
    return redirect(team)


def join_team(request: HttpRequest, team: Team) -> HttpResponse:
    """Add the user to ``team`` and go to it."""
    request.session.pop(PENDING_INVITE_KEY, None)
    if team.has_member(request.user):
        messages.info(request, _("You are already a member of %(team)s.") % {"team": team.name})
    else:
        team.members.add(request.user)
        messages.success(request, _("You joined %(team)s.") % {"team": team.name})
    return redirect(team)


@login_required
def team_join_by_code(request: HttpRequest) -> HttpResponse:
    """Join a team by typing (or pasting) the code its host shared."""
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return join_team(request, Team.objects.get(invite_code=form.cleaned_data["code"]))
    return render(request, "teams/team_join_form.html", {"form": form})


def team_join(request: HttpRequest, code: str) -> HttpResponse:
    """An invite link: GET shows the team and a button, POST joins.

    Link previews and mail scanners fetch links: a GET never joins anyone.
    """
    team = Team.objects.filter(invite_code=code).first()
    if team is None:
        return render(request, "teams/team_join.html", {"team": None}, status=404)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return join_team(request, team)
    if not request.user.is_authenticated:
        request.session[PENDING_INVITE_KEY] = code
    context = {"team": team, "is_member": team.has_member(request.user)}
    return render(request, "teams/team_join.html", context)


class TeamMindmapListView(MindmapListView):
    """moa-mindmap's list, plus the mindmaps of the user's teams."""

    def get_queryset(self) -> QuerySet[Mindmap]:
        user = self.request.user
        of_my_teams = Team.objects.without_defaults().filter(members=user.pk)
        return (
            Mindmap.objects.filter(
                Q(pk__in=Mindmap.objects.for_member(user).values("pk"))
                | Q(pk__in=of_my_teams.values("mindmap_id"))
            )
            .with_list_data()
            .prefetch_related("team__members")
        )

    def get_members(self, mindmap: Mindmap) -> list[Any]:
        """A team's mindmap is shared with the team's members."""
        team = getattr(mindmap, "team", None)
        return list(team.members.all()) if team else super().get_members(mindmap)
