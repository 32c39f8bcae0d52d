"""Scenario suite: each list shape with a plain and a safe manager, at 3 and 6 rows.

For every scenario the suite asserts, with the plain manager, that ``detect("raise")``
raises exactly when the shape is an N+1 and that its query count grows exactly then; and,
with the ``SafeManager``, that the count stays constant where prevention covers the shape.
"""

from __future__ import annotations

import pytest

from moa_queries import NPlusOneError, count_queries, detect
from tests.scenarios import SCENARIOS, Scenario, add_rows

pytestmark = pytest.mark.django_db

IDS = [scenario.name for scenario in SCENARIOS]


def _count(scenario: Scenario, manager: str) -> int:
    with count_queries() as queries:
        scenario.run(manager)
    return queries.count


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_plain_manager_detected_and_counted(scenario: Scenario) -> None:
    """detect("raise") raises iff the plain shape is an N+1, and its count grows iff so."""
    add_rows(3)
    small = _count(scenario, "plain")
    add_rows(3)
    large = _count(scenario, "plain")
    assert (large > small) is scenario.n_plus_one, (small, large)
    if scenario.n_plus_one:
        with pytest.raises(NPlusOneError), detect("raise"):
            scenario.run("plain")
    else:
        # Past the repeated-SQL threshold (10), so that rule is tried too.
        add_rows(6)
        with detect("raise") as session:
            scenario.run("plain")
        assert session is not None
        assert session.reports == []


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if s.safe_constant], ids=lambda s: s.name
)
def test_safe_manager_is_constant_and_silent(scenario: Scenario) -> None:
    """With SafeManager the shape runs as many queries at 6 rows as at 3, unreported."""
    add_rows(3)
    with detect("raise"):
        small = _count(scenario, "objects")
    add_rows(3)
    with detect("raise"):
        large = _count(scenario, "objects")
    assert small == large
