"""The project's configuration passes every system check."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command


# Django 6.1 runs the model checks against every database (JSONField asks SQLite).
@pytest.mark.django_db
def test_system_checks_pass():
    """No warnings: daphne first, probe middleware first, probe URLs included."""
    call_command("check", fail_level="WARNING")


def test_daphne_is_first_so_runserver_serves_websockets():
    """runserver answers WebSockets only when daphne comes first (incident 6)."""
    assert settings.INSTALLED_APPS[0] == "daphne"
