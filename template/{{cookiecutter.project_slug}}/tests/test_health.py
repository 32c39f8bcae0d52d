"""The probes load balancers and containers use (moa-ops)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client


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
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = Client().get("/health/live/")

    assert response.status_code == 200
