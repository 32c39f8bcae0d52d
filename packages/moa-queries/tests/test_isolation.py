"""SafeQuerySet changes nothing for querysets that did not opt in, in any process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import models

from moa_queries import count_queries
from moa_queries.peers import FETCH_MODES
from tests.testapp.models import Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _plain_peer_counts() -> tuple[list[int], int]:
    queryset = Team.plain.fetch_mode(models.FETCH_PEERS) if FETCH_MODES else Team.plain.all()
    with count_queries() as queries:
        counts = [team.members.count() for team in queryset]
    return counts, queries.count


def test_plain_peer_managers_behave_as_stock_django(make_teams: MakeTeams) -> None:
    """A plain FETCH_PEERS queryset runs 1 + N counts before and after SafeQuerySet use."""
    make_teams(4)
    before = _plain_peer_counts()
    assert [sorted(m.name for m in team.members.all()) for team in Team.objects.all()]
    after = _plain_peer_counts()
    assert before == after == ([2, 2, 2, 2], 5)


SCRIPT = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, run_syncdb=True)
from moa_queries import count_queries
from tests.testapp.models import Person, Profile, Team

for i in range(6):
    host = Person.objects.create(name=f"h{i}")
    Profile.objects.create(person=host, city="c")
    Team.objects.create(name=f"t{i}", host=host)

def measure():
    with count_queries() as queries:
        counts = [p.person.hosted_teams.count() for p in Profile.objects.all()]
    assert counts == [1] * 6, counts
    return queries.count

fresh = measure()
list(Person.objects.all())
print(json.dumps([fresh, measure()]))
"""


def test_peer_managers_cost_the_same_in_a_new_process() -> None:
    """profile.person.hosted_teams.count() per row costs 3 queries, first thing or not."""
    env = {**os.environ, "MOA_TEST_DB": "sqlite", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PACKAGE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [3, 3]
