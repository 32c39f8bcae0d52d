"""The abstract bases work in a project that does not install moa_accounts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import django
from django.core.management import call_command
django.setup()
call_command("check", fail_level="WARNING")
call_command("migrate", run_syncdb=True, verbosity=0)
from django.core.exceptions import ValidationError
from tests.standalone.models import Member, Note
first = Member.objects.create_user("alice", "alice@example.com")
first.delete()
Member.objects.create_user("alice", "ALICE@example.com")
try:
    Member.objects.create_user("alice", "other@example.com")
except ValidationError as error:
    print(sorted(error.message_dict))
note = Note.objects.create(text="x")
note.delete()
print(Note.objects.count(), Note.all_objects.count())
from django.apps import apps
print(apps.is_installed("moa_accounts"))
"""


def test_abstract_bases_without_the_app() -> None:
    """Own user model on AbstractSoftDeleteUser: check is clean, constraints work."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.standalone.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "System check identified no issues (0 silenced).",
        "['username']",
        "0 1",
        "False",
    ]
