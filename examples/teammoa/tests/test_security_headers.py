"""Every page carries a Content-Security-Policy and a Permissions-Policy."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_pages_allow_only_this_sites_scripts_styles_and_connections():
    """No inline script, no plugin, no framing; the same policy on Django 5.2 and 6."""
    response = Client().get("/")

    directives = {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
    }

    assert response.status_code == 200
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_deny_powerful_browser_features():
    response = Client().get("/")

    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
