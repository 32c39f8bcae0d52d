from __future__ import annotations

import random

import pytest

from moa_mindmap.models import Edge, Mindmap, Node
from moa_mindmap.ordering import is_valid_key, key_between
from moa_mindmap.permissions import has_permission, is_owner_or_member


def test_key_between_always_fits_between():
    """Random inserts keep keys valid, distinct, sorted and short."""
    rng = random.Random(6)
    keys = [key_between(None, None)]
    for _ in range(2000):
        index = rng.choice([0, len(keys), rng.randint(0, len(keys))])
        before = keys[index - 1] if index else None
        after = keys[index] if index < len(keys) else None
        key = key_between(before, after)
        assert is_valid_key(key)
        keys.insert(index, key)
    assert keys == sorted(set(keys))
    assert max(map(len, keys)) < 40


def test_appending_and_prepending_grow_keys_slowly():
    """A thousand appends or prepends stay well within the column's length."""
    last = first = None
    for _ in range(1000):
        last = key_between(last, None)
        first = key_between(None, first)
    assert last is not None
    assert first is not None
    assert len(last) < 40
    assert len(first) < 40


def test_key_between_refuses_unordered_neighbours():
    """Neighbours in the wrong order are a programming error."""
    with pytest.raises(ValueError, match="must sort before"):
        key_between("b", "a")


@pytest.mark.django_db
def test_default_permission_is_owner_and_members(users, mindmap):
    """Owner and members may view and edit; others and anonymous users may not."""
    from django.contrib.auth.models import AnonymousUser

    for name in ("alice", "bob"):
        assert has_permission(users[name], mindmap, "view")
        assert has_permission(users[name], mindmap, "edit")
    assert not has_permission(users["eve"], mindmap, "view")
    assert not has_permission(AnonymousUser(), mindmap, "view")
    with pytest.raises(ValueError, match="Unknown mindmap action 'delete'"):
        has_permission(users["alice"], mindmap, "delete")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_default_permission_uses_prefetched_members(users, mindmap, django_assert_num_queries):
    """With members prefetched, the default hook runs no query."""
    loaded = Mindmap.objects.prefetch_related("members").get(pk=mindmap.pk)
    with django_assert_num_queries(0):
        assert is_owner_or_member(users["bob"], loaded, "edit")
        assert not is_owner_or_member(users["eve"], loaded, "edit")


@pytest.mark.django_db
def test_edges_cannot_loop_or_repeat(mindmap):
    """The database refuses self-loops and duplicate edges."""
    from django.db import IntegrityError, transaction

    a = Node.objects.create(mindmap=mindmap)
    b = Node.objects.create(mindmap=mindmap)
    Edge.objects.create(mindmap=mindmap, source=a, target=b)
    for source, target in ((a, b), (a, a)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Edge.objects.create(mindmap=mindmap, source=source, target=target)


@pytest.mark.django_db
def test_str_and_urls(mindmap):
    node = Node.objects.create(mindmap=mindmap, text="")
    assert str(mindmap) == "Plans"
    assert str(node) == f"Node {node.pk}"
    assert mindmap.get_absolute_url() == f"/mindmap/{mindmap.pk}/"
