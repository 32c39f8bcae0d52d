"""NPlusOneMiddleware on sync and async requests, views and templates."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.test import AsyncClient, Client

from moa_queries import NPlusOneError
from tests.testapp.models import Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]


def test_sync_view_with_n_plus_one_raises(client: Client, make_teams: MakeTeams) -> None:
    """In raise mode the request fails at the view's line."""
    make_teams(3)
    with pytest.raises(NPlusOneError, match=r"Team\.host .* at tests/views\.py:\d+"):
        client.get("/teams/")


def test_sync_fixed_view_passes(client: Client, make_teams: MakeTeams) -> None:
    """The select_related twin answers normally."""
    make_teams(3)
    response = client.get("/teams/fixed/")
    assert response.status_code == 200
    assert response.content == b"team0:host0, team1:host1, team2:host2"


def test_template_site_is_reported(client: Client, make_teams: MakeTeams) -> None:
    """An N+1 in a template names the template and its line."""
    make_teams(3)
    with pytest.raises(NPlusOneError, match=r"at testapp/teams\.html:3\."):
        client.get("/teams/template/")


def test_repeated_gets_in_a_view_are_reported(
    client: Client, make_teams: MakeTeams, settings: object
) -> None:
    """A get() per listed value fails the request in raise mode, at the second value."""
    make_teams(2)
    with pytest.raises(NPlusOneError, match=r"once per row of a result at tests/views\.py"):
        client.get("/teams/repeated/")


def test_log_mode_answers_and_logs(
    client: Client,
    make_teams: MakeTeams,
    settings: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In log mode (DEBUG on) the page is served and one warning is logged per site."""
    settings.MOA_QUERIES_NPLUSONE_MODE = "log"  # type: ignore[attr-defined]
    settings.DEBUG = True  # type: ignore[attr-defined]
    make_teams(3)
    with caplog.at_level(logging.WARNING, logger="moa_queries"):
        response = client.get("/teams/")
        client.get("/teams/")
    assert response.status_code == 200
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2  # once per request
    assert all("Team.host" in message for message in messages)


def test_log_mode_survives_a_broken_setting(
    client: Client, make_teams: MakeTeams, settings: object
) -> None:
    """A malformed whitelist in log mode does not fail the request."""
    settings.MOA_QUERIES_NPLUSONE_MODE = "log"  # type: ignore[attr-defined]
    settings.MOA_QUERIES_NPLUSONE_WHITELIST = ["not a dict"]  # type: ignore[attr-defined]
    make_teams(2)
    assert client.get("/teams/").status_code == 200


def test_unknown_mode_does_not_fail_requests(
    client: Client, make_teams: MakeTeams, settings: object
) -> None:
    """An unknown mode (a system check error) does not break requests."""
    settings.MOA_QUERIES_NPLUSONE_MODE = "loud"  # type: ignore[attr-defined]
    make_teams(2)
    assert client.get("/teams/").status_code == 200


def test_off_mode_serves(client: Client, make_teams: MakeTeams, settings: object) -> None:
    """off mode serves the N+1 page without looking."""
    settings.MOA_QUERIES_NPLUSONE_MODE = "off"  # type: ignore[attr-defined]
    make_teams(2)
    assert client.get("/teams/").status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_async_view_with_n_plus_one_raises(
    async_client: AsyncClient, make_teams: MakeTeams, close_thread_connections: None
) -> None:
    """The async middleware path sees ORM work done in sync_to_async."""
    from asgiref.sync import sync_to_async

    await sync_to_async(make_teams)(3)
    with pytest.raises(NPlusOneError, match=r"Team\.host"):
        await async_client.get("/teams/async/")


@pytest.mark.django_db(transaction=True)
async def test_async_fixed_view_passes(
    async_client: AsyncClient, make_teams: MakeTeams, close_thread_connections: None
) -> None:
    """The async path serves a page without N+1 normally."""
    from asgiref.sync import sync_to_async

    await sync_to_async(make_teams)(2)
    response = await async_client.get("/teams/fixed/")
    assert response.status_code == 200
