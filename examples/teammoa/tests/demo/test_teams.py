"""A new user creates a team, shares its invite link, and others join it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from moa_mindmap.models import Mindmap
from moa_mindmap.permissions import has_permission
from moa_queries import assert_constant_queries

from teams.models import Team

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-42"


def make_user(username: str) -> object:
    return get_user_model().objects.create_user(username, f"{username}@example.com", PASSWORD)


def signed_in(username: str) -> tuple[Client, object]:
    client, user = Client(), make_user(username)
    client.force_login(user)
    return client, user


def create_team(client: Client, name: str = "Rocket") -> Team:
    response = client.post("/teams/new/", {"name": name})
    team = Team.objects.get(name=name)
    assert response.status_code == 302
    assert response["Location"] == f"/teams/{team.pk}/"
    return team


def test_team_list_offers_create_and_join(client: Client) -> None:
    """A signed-in user sees Create team and Join team; a visitor is asked to log in."""
    page = client.get("/teams/").content.decode()
    assert 'href="/accounts/login/?next=/teams/"' in page
    assert "Create team" not in page
    member, _ = signed_in("hana")
    page = member.get("/teams/").content.decode()
    assert '<a class="button" href="/teams/new/">Create team</a>' in page
    assert '<a class="button" href="/teams/join/">Join team</a>' in page


def test_create_team_makes_the_creator_host_member_and_mindmap_owner() -> None:
    """The creator hosts the new team, belongs to it, and can open its mindmap."""
    client, hana = signed_in("hana")
    assert "Create team</button>" in client.get("/teams/new/").content.decode()
    team = create_team(client)
    assert team.host == hana
    assert list(team.members.all()) == [hana]
    assert team.mindmap is not None
    assert team.mindmap.title == "Rocket plans"
    assert has_permission(hana, team.mindmap, "edit")
    page = client.get(f"/teams/{team.pk}/").content.decode()
    assert "Team created. Share its invite link to add members." in page
    assert f'href="/mindmap/{team.mindmap.pk}/">Open mindmap</a>' in page
    assert f"http://testserver/teams/join/{team.invite_code}/" in page
    assert client.get(f"/mindmap/{team.mindmap.pk}/").status_code == 200


def test_create_team_needs_a_name() -> None:
    """An empty name is refused with the form shown again."""
    client, _ = signed_in("hana")
    response = client.post("/teams/new/", {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Team.objects.exists()


def test_create_team_requires_login(client: Client) -> None:
    """A visitor is sent to log in first."""
    response = client.get("/teams/new/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/teams/new/"


def test_invite_link_joins_the_team_and_opens_its_mindmap() -> None:
    """A new user opens the invite link, presses Join team, and edits the team's mindmap."""
    host, _ = signed_in("hana")
    team = create_team(host)
    guest, jiho = signed_in("jiho")
    assert guest.get(f"/teams/{team.pk}/").status_code == 403
    assert guest.get(f"/mindmap/{team.mindmap_id}/").status_code == 403

    page = guest.get(team.get_invite_url()).content.decode()
    assert "<h1>Join Rocket</h1>" in page
    assert "Join team</button>" in page
    assert not team.members.filter(pk=jiho.pk).exists()  # a GET joins nobody
    response = guest.post(team.get_invite_url(), follow=True)
    assert response.redirect_chain == [(f"/teams/{team.pk}/", 302)]
    assert "You joined Rocket." in response.content.decode()
    assert team.members.filter(pk=jiho.pk).exists()
    assert guest.get(f"/mindmap/{team.mindmap_id}/").status_code == 200
    team_list = guest.get("/teams/").content.decode()
    assert f'href="/mindmap/{team.mindmap_id}/">Open mindmap</a>' in team_list
    mindmap_list = guest.get("/mindmap/").content.decode()
    assert "Rocket plans" in mindmap_list


def test_joining_twice_changes_nothing() -> None:
    """A member who opens the link again is told so; membership stays single."""
    host, _ = signed_in("hana")
    team = create_team(host)
    assert "already a member" in host.get(team.get_invite_url()).content.decode()
    response = host.post(team.get_invite_url(), follow=True)
    assert "You are already a member of Rocket." in response.content.decode()
    assert team.members.count() == 1


def test_invite_link_for_a_visitor_offers_log_in_and_sign_up(client: Client) -> None:
    """A signed-out visitor sees which team invites them and how to log in or sign up."""
    host, _ = signed_in("hana")
    team = create_team(host)
    page = client.get(team.get_invite_url()).content.decode()
    assert "<h1>Join Rocket</h1>" in page
    assert f'href="/accounts/login/?next={team.get_invite_url()}"' in page
    assert 'href="/signup/"' in page
    response = client.post(team.get_invite_url())
    assert response["Location"] == f"/accounts/login/?next={team.get_invite_url()}"


def test_join_by_code() -> None:
    """The join code, typed or pasted as the whole link, joins the team."""
    host, _ = signed_in("hana")
    team = create_team(host)
    guest, jiho = signed_in("jiho")
    assert "Join team</button>" in guest.get("/teams/join/").content.decode()
    refused = guest.post("/teams/join/", {"code": "nope"})
    assert refused.status_code == 200
    assert "No team has this join code." in refused.content.decode()
    response = guest.post("/teams/join/", {"code": f" http://testserver{team.get_invite_url()} "})
    assert response["Location"] == f"/teams/{team.pk}/"
    assert team.members.filter(pk=jiho.pk).exists()


def test_unknown_invite_link_is_a_friendly_404(client: Client) -> None:
    """A stale invite link says so and where to go, in the layout."""
    response = client.get("/teams/join/stale-code/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This invite link is not valid" in page
    assert 'class="site-nav"' in page


def test_host_replaces_the_invite_link() -> None:
    """A new invite link stops the old one; only the host may make one."""
    host, _ = signed_in("hana")
    team = create_team(host)
    old_link = team.get_invite_url()
    member, _ = signed_in("jiho")
    member.post(old_link)
    assert member.post(f"/teams/{team.pk}/invite/").status_code == 403
    assert "New invite link</button>" not in member.get(f"/teams/{team.pk}/").content.decode()
    assert "New invite link</button>" in host.get(f"/teams/{team.pk}/").content.decode()
    response = host.post(f"/teams/{team.pk}/invite/", follow=True)
    assert "New invite link made. The old one no longer works." in response.content.decode()
    team.refresh_from_db()
    assert team.get_invite_url() != old_link
    assert Client().get(old_link).status_code == 404


def test_team_list_and_detail_run_constant_queries() -> None:
    """The signed-in team list and a team page do not grow with members or teams."""
    client, hana = signed_in("hana")

    def add_teams(count: int) -> None:
        for i in range(count):
            team = Team.objects.create(name=f"t{Team.objects.count()}-{i}", host=hana)
            team.members.add(hana, make_user(f"u{Team.objects.count()}x{i}"))

    assert_constant_queries(add_teams, lambda: client.get("/teams/"), sizes=(1, 5, 10))
    team = create_team(client)

    def add_members(count: int) -> None:
        team.members.add(*[make_user(f"m{team.members.count()}x{i}") for i in range(count)])

    assert_constant_queries(add_members, lambda: client.get(f"/teams/{team.pk}/"), sizes=(1, 5))


def test_mindmap_list_shows_team_mindmaps_in_constant_queries() -> None:
    """The mindmap list adds the mindmaps of the user's teams, in constant queries."""
    client, hana = signed_in("hana")
    owner = make_user("jun")
    Mindmap.objects.create(title="Mine", owner=hana)
    Mindmap.objects.create(title="Not mine", owner=owner)
    theirs = Mindmap.objects.create(title="Ours", owner=owner)
    Team.objects.create(name="Ours", host=owner, mindmap=theirs).members.add(owner, hana)

    def add_team_mindmaps(count: int) -> None:
        for _ in range(count):
            n = Team.objects.count()
            mindmap = Mindmap.objects.create(title=f"Team map {n}", owner=owner)
            Team.objects.create(name=f"team{n}", host=owner, mindmap=mindmap).members.add(hana)

    assert_constant_queries(add_team_mindmaps, lambda: client.get("/mindmap/"), sizes=(1, 5))
    page = client.get("/mindmap/").content.decode()
    assert ">Mine</a>" in page
    assert ">Ours</a>" in page
    assert ">Not mine</a>" not in page
    # A team's mindmap lists the team's members.
    assert re.search(r">Ours</a>.*?<td>jun, hana</td>|>Ours</a>.*?<td>hana, jun</td>", page, re.S)


def test_invite_opened_before_signing_up_is_offered_after(client: Client) -> None:
    """A visitor opens the invite link, signs up and activates: the team list offers to join."""
    host, _ = signed_in("hana")
    team = create_team(host)
    client.get(team.get_invite_url())
    client.post(
        "/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    [message] = mail.outbox
    link = re.search(r"http://testserver(/signup/activate/\S+/)", message.body)
    assert link is not None
    response = client.post(link.group(1), follow=True)
    assert response.redirect_chain == [("/teams/", 302)]
    page = response.content.decode()
    assert "hana invited you to join <strong>Rocket</strong>." in page
    assert f'<form method="post" action="{team.get_invite_url()}" class="invite">' in page
    joined = client.post(team.get_invite_url(), follow=True)
    assert "You joined Rocket." in joined.content.decode()
    assert "invited you" not in client.get("/teams/").content.decode()
