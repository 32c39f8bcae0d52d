"""The probes load balancers and containers use (moa-ops)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from channels.testing import HttpCommunicator
from django.core.management import call_command
from django.core.signals import request_started
from django.test import Client

from teammoa.asgi import application


def test_liveness_answers_any_host():
    """A container probe on 127.0.0.1 or a pod IP needs no ALLOWED_HOSTS entry."""
    response = Client().get("/health/live/", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 200


@pytest.mark.django_db
def test_readiness_reports_ok_when_services_answer():
    """Readiness checks the database, cache, channel layer and migrations."""
    response = Client().get("/health/ready/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_readiness_answers_503_while_draining(settings, tmp_path):
    """`manage.py drain` takes this instance out of the load balancer's rotation."""
    settings.MOA_OPS_DRAIN_FILE = str(tmp_path / "drain")

    call_command("drain", "--no-wait")
    draining = Client().get("/health/ready/")
    call_command("drain", "--undo")
    ready = Client().get("/health/ready/")

    assert draining.status_code == 503
    assert ready.status_code == 200


def test_probe_is_not_redirected_to_https(settings):
    """With SECURE_SSL_REDIRECT on, a plain-HTTP probe still gets 200, not 301."""
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get("/health/live/")

    assert response.status_code == 200


async def get(path: str) -> Mapping[str, Any]:
    """One GET through the deployed ASGI application, run to its end."""
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"10.0.3.7:8000")])
    response = await communicator.get_response(timeout=5)
    # Let the application finish (Django closes the request's body file last).
    await communicator.wait(timeout=5)
    return response


async def test_asgi_application_answers_liveness_before_django():
    """The deployed ASGI app answers health/live/ without starting a Django request."""
    started = []

    def count(**kwargs):
        started.append(kwargs)

    request_started.connect(count)
    try:
        live = await get("/health/live/")
        assert started == []
        other = await get("/no-such-page/")
    finally:
        request_started.disconnect(count)

    assert live["status"] == 200
    assert b'"status": "ok"' in live["body"]
    # Everything else is Django's: an unknown host is refused there.
    assert len(started) == 1
    assert other["status"] == 400
