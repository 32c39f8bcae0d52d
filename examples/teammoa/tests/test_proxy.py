"""Behind a TLS-terminating proxy: the scheme comes from the server, not a client's header."""

from __future__ import annotations

import pytest
from django.test import AsyncClient, Client


@pytest.fixture
def behind_proxy(settings):
    """Production's HTTPS settings (test_deploy.py checks that the header setting is unset)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None


@pytest.mark.usefixtures("behind_proxy")
def test_production_ignores_a_clients_x_forwarded_proto():
    """A forged `X-Forwarded-Proto: https` over plain HTTP is redirected, not served.

    uvicorn turns the header into the request's scheme only when nginx sent it
    (FORWARDED_ALLOW_IPS), so Django must not read the header itself.
    """
    response = Client().get("/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"


@pytest.mark.usefixtures("behind_proxy")
async def test_request_the_server_says_is_https_is_served():
    """uvicorn says https (from its trusted proxy) in the ASGI scope: Django serves it."""
    response = await AsyncClient().get("/", secure=True)

    assert response.status_code == 200


@pytest.mark.usefixtures("behind_proxy")
def test_plain_http_is_redirected_once_to_https():
    """The redirect goes to HTTPS, where it is served."""
    client = Client()

    redirect = client.get("/")
    followed = client.get("/", secure=True)

    assert redirect.status_code == 301
    assert redirect["Location"] == "https://testserver/"
    assert followed.status_code == 200
