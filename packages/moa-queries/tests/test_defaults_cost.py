"""Listing rows on declared defaults does no more work per row than the same joins by hand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db.models import QuerySet
from django.db.models.fields import related_descriptors

from moa_queries import count_queries
from tests.testapp.models import Club, Person

pytestmark = pytest.mark.django_db


@contextmanager
def managers_built() -> Iterator[Callable[[], int]]:
    """Count the related managers built (``row.members`` and the like) in the block."""
    calls = 0
    descriptor_get = related_descriptors.ReverseManyToOneDescriptor.__get__

    def counting_get(self: object, instance: object, cls: object = None) -> object:
        nonlocal calls
        if instance is not None:
            calls += 1
        return descriptor_get(self, instance, cls)  # type: ignore[arg-type]

    with mock.patch.object(related_descriptors.ReverseManyToOneDescriptor, "__get__", counting_get):
        yield lambda: calls


def make_clubs(count: int) -> None:
    for i in range(count):
        club = Club.objects.create(name=f"c{i}", owner=Person.objects.create(name=f"o{i}"))
        club.members.add(Person.objects.create(name=f"m{i}a"), Person.objects.create(name=f"m{i}b"))


def test_prefetched_defaults_build_no_extra_manager_per_row() -> None:
    """Linking prefetched members as peers reads Django's prefetch cache, not a manager per row."""
    make_clubs(6)
    with managers_built() as by_hand:
        list(QuerySet(Club).select_related("owner").prefetch_related("members"))
    with managers_built() as on_defaults, count_queries() as queries:
        clubs = list(Club.objects.all())
    assert queries.count == 2
    assert on_defaults() == by_hand()
    # The members are still peers: a relation read on one is loaded for all of them.
    with count_queries() as queries:
        owned = [member.owned_clubs.count() for club in clubs for member in club.members.all()]
    assert owned == [0] * 12
    assert queries.count == 1
