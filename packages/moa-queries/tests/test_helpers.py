"""assert_max_queries, assert_constant_queries and the unittest mixins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections
from django.test import TestCase

from moa_queries import (
    NPlusOneError,
    assert_constant_queries,
    assert_max_queries,
    count_queries,
)
from moa_queries.testing import NPlusOneDetectionMixin, QueryAssertionsMixin
from moa_queries.tracking import fingerprint
from tests.testapp.models import Person, Team

MakeTeams = Callable[[int], list[Team]]


def _make(n: int) -> None:
    for i in range(n):
        Team.objects.create(name=f"t{i}", host=Person.objects.create(name=f"h{i}"))


@pytest.mark.django_db
def test_assert_max_queries_passes_at_the_limit() -> None:
    """A block running exactly n queries passes."""
    with assert_max_queries(2):
        Person.objects.count()
        Team.objects.count()


@pytest.mark.django_db
def test_assert_max_queries_fails_listing_queries() -> None:
    """A block running more than n queries fails with each query listed."""
    with pytest.raises(AssertionError) as caught, assert_max_queries(1):
        (Person.objects.count(), Team.objects.count())
    message = str(caught.value)
    assert message.startswith("2 queries ran, more than the 1 allowed:\n1. [default] SELECT")
    assert "\n2. [default] SELECT" in message


def test_assert_max_queries_rejects_a_bad_limit() -> None:
    """A negative or non-int limit is a clear error."""
    with pytest.raises(ValueError, match="n must be a number of queries"), assert_max_queries(-1):
        pass


@pytest.mark.django_db(databases=["default", "other"])
def test_queries_on_every_database_are_counted() -> None:
    """Queries on another database alias count too."""
    with count_queries() as queries:
        Person.objects.count()
        Person.objects.using("other").count()
    assert [query.alias for query in queries.queries] == ["default", "other"]


@pytest.mark.django_db(transaction=True)
def test_queries_from_other_threads_are_counted() -> None:
    """A query run by another thread while counting is counted."""

    def work() -> None:
        try:
            Person.objects.count()
        finally:
            connections.close_all()

    with count_queries() as queries:
        thread = threading.Thread(target=work, name="worker")
        thread.start()
        thread.join(10)
    assert [query.thread for query in queries.queries] == ["worker"]


@pytest.mark.django_db
def test_constant_queries_pass_for_a_safe_list() -> None:
    """A list with relations loaded for all rows runs the same queries at any size."""
    counts = assert_constant_queries(
        _make, lambda: [t.host.name for t in Team.objects.all()], sizes=(1, 3, 6)
    )
    assert counts == [2, 2, 2]


@pytest.mark.django_db
def test_constant_queries_fail_naming_the_query_that_grew() -> None:
    """A 1 + N list fails, showing the counts and the SQL shape that grew."""
    with pytest.raises(AssertionError) as caught:
        assert_constant_queries(
            _make, lambda: [t.host.name for t in Team.plain.all()], sizes=(1, 3)
        )
    message = str(caught.value)
    assert message.startswith(
        "The query count grows with the number of rows (2 at 1, 4 at 3 rows)."
    )
    assert "- 1 -> 3 times: SELECT" in message
    assert '"testapp_person"' in message
    assert "testapp_team" not in message.split("Queries that grew:")[1]


@pytest.mark.django_db
def test_constant_queries_roll_back_rows_between_sizes() -> None:
    """Each size starts from the same rows: make_rows' rows are rolled back."""
    seen: list[int] = []
    assert_constant_queries(_make, lambda: seen.append(Team.objects.count()), sizes=(2, 4))
    assert seen == [2, 2, 4]
    assert Team.objects.count() == 0


def test_constant_queries_need_two_sizes() -> None:
    """One size cannot show growth; it is a clear error."""
    with pytest.raises(ValueError, match="two or more row counts"):
        assert_constant_queries(_make, lambda: None, sizes=(3,))


def test_fingerprint_folds_literals_and_lists() -> None:
    """Queries differing only in values and IN-list length share one shape."""
    one = fingerprint("SELECT * FROM t WHERE id IN (%s, %s) AND x = 'a' LIMIT 21")
    two = fingerprint("SELECT * FROM t WHERE id IN (%s, %s, %s) AND x = 'bb' LIMIT 5")
    assert one == two == "SELECT * FROM t WHERE id IN (...) AND x = ? LIMIT ?"


class QueryAssertionsTests(QueryAssertionsMixin, TestCase):
    def test_assert_max_queries(self) -> None:
        """assertMaxQueries fails a block above the limit."""
        with pytest.raises(AssertionError), self.assertMaxQueries(0):
            Person.objects.count()

    def test_assert_constant_queries(self) -> None:
        """assertConstantQueries returns the counts of a constant action."""
        counts = self.assertConstantQueries(_make, lambda: list(Team.objects.all()), sizes=(1, 2))
        assert counts == [1, 1]


class NPlusOneDetectionTests(NPlusOneDetectionMixin, TestCase):
    def test_n_plus_one_raises(self) -> None:
        """Every test of the mixin runs under detect("raise")."""
        _make(3)
        with pytest.raises(NPlusOneError):
            [team.host.name for team in Team.plain.all()]
        assert self.nplusone is not None
        assert len(self.nplusone.reports) == 1
