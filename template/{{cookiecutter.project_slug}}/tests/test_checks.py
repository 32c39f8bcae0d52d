"""The project's configuration passes every system check."""

from __future__ import annotations

import pytest
from django.core.management import call_command, get_commands


# Django 6.1 runs the model checks against every database (JSONField asks SQLite).
@pytest.mark.django_db
def test_system_checks_pass():
    """No warnings: runserver is daphne's, probe middleware first, probe URLs included."""
    call_command("check", fail_level="WARNING")


def test_runserver_is_daphnes_so_it_serves_websockets():
    """runserver answers WebSockets only when it is daphne's (incident 6)."""
    assert get_commands()["runserver"] == "moa_ops.devserver"
