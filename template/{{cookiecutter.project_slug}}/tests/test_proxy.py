"""Behind a TLS-terminating proxy: one redirect at most, never a loop."""

from __future__ import annotations

import pytest
from django.test import Client

PROXY_SETTINGS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


@pytest.fixture
def behind_proxy(settings):
    for name, value in PROXY_SETTINGS.items():
        setattr(settings, name, value)


@pytest.mark.usefixtures("behind_proxy")
def test_request_forwarded_as_https_is_served():
    """The proxy says the client used HTTPS, so Django serves instead of redirecting."""
    response = Client().get("/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200


@pytest.mark.usefixtures("behind_proxy")
def test_plain_http_is_redirected_once_to_https():
    """Without the proxy's header the redirect goes to HTTPS, where it is served."""
    client = Client()

    redirect = client.get("/")
    followed = client.get("/", HTTP_X_FORWARDED_PROTO="https", secure=True)

    assert redirect.status_code == 301
    assert redirect["Location"] == "https://testserver/"
    assert followed.status_code == 200
