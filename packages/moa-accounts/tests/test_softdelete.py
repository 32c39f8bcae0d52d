"""SoftDeleteModel: managers, querysets, save() safety and the cascade policy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import ProtectedError, RestrictedError

from moa_accounts.models import SoftDeleteModel, User
from tests.testapp.models import Board, Card, Invoice, Label, Pin, Stamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("owner")


def test_delete_hides_the_row_from_objects_but_keeps_it(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    assert board.delete() == (1, {"testapp.Board": 1})
    assert board.deleted_at is not None
    assert board.is_deleted
    assert not Board.objects.filter(pk=board.pk).exists()
    assert Board.all_objects.get(pk=board.pk).deleted_at == board.deleted_at
    assert list(Board.all_objects.deleted()) == [board]
    assert list(Board.all_objects.alive()) == []


def test_deleting_twice_keeps_the_first_timestamp(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    stale = Board.objects.get(pk=board.pk)
    board.delete()
    assert stale.delete() == (0, {})
    assert stale.deleted_at == board.deleted_at


def test_delete_without_pk_is_refused() -> None:
    with pytest.raises(ValueError, match="can't be deleted"):
        Board().delete()


def test_save_never_resurrects_a_deleted_row(owner: User) -> None:
    """A stale instance saved after someone deleted the row leaves it deleted."""
    board = Board.objects.create(owner=owner, slug="a")
    stale = Board.objects.get(pk=board.pk)
    board.delete()
    stale.slug = "renamed"
    stale.save()
    fresh = Board.all_objects.get(pk=board.pk)
    assert fresh.deleted_at is not None
    assert fresh.slug == "renamed"


def test_save_never_deletes_either(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    from django.utils import timezone

    board.deleted_at = timezone.now()
    board.save()
    assert Board.objects.filter(pk=board.pk).exists()


def test_stale_save_cannot_reactivate_a_deleted_user(make_user: Callable[..., User]) -> None:
    user = make_user("alice")
    stale = User.objects.get(pk=user.pk)
    user.delete()
    stale.first_name = "Alice"
    stale.save()
    fresh = User.all_objects.get(pk=user.pk)
    assert (fresh.first_name, fresh.is_active, fresh.is_deleted) == ("Alice", False, True)


def test_saving_a_new_row_with_deleted_at_inserts_it_deleted(owner: User) -> None:
    from django.utils import timezone

    Board(owner=owner, slug="a", deleted_at=timezone.now()).save()
    assert Board.all_objects.deleted().count() == 1


def test_queryset_delete_is_soft_and_bulk(owner: User) -> None:
    for slug in "abc":
        Board.objects.create(owner=owner, slug=slug)
    assert Board.objects.filter(slug__in="ab").delete() == (2, {"testapp.Board": 2})
    assert list(Board.objects.values_list("slug", flat=True)) == ["c"]
    assert Board.all_objects.count() == 3


def test_queryset_hard_delete_removes_rows(owner: User) -> None:
    Board.objects.create(owner=owner, slug="a").delete()
    Board.objects.create(owner=owner, slug="b")
    assert Board.all_objects.all().hard_delete() == (2, {"testapp.Board": 2})
    assert Board.all_objects.count() == 0


def test_instance_hard_delete_applies_on_delete(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    Label.objects.create(board=board)
    card = Card.objects.create(board=board, title="t")
    card.delete()
    total, per_model = board.hard_delete()
    assert per_model == {"testapp.Board": 1, "testapp.Label": 1, "testapp.Card": 1}
    assert total == 3


def test_queryset_restore(owner: User) -> None:
    for slug in "ab":
        Board.objects.create(owner=owner, slug=slug).delete()
    assert Board.all_objects.restore() == 2
    assert Board.objects.count() == 2
    assert Board.all_objects.restore() == 0


def test_restore_of_a_live_row_does_nothing(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    board.restore()
    assert Board.objects.get(pk=board.pk).deleted_at is None


def test_restore_colliding_with_a_composite_live_unique_names_the_constraint(
    owner: User,
) -> None:
    """A multi-field LiveUniqueConstraint gives a non-field error, rows unchanged."""
    old = Board.objects.create(owner=owner, slug="a")
    old.delete()
    Board.objects.create(owner=owner, slug="a")
    with pytest.raises(ValidationError) as caught:
        old.restore()
    assert caught.value.messages == ["This owner already has a live board testapp_board_live_slug."]
    assert old.is_deleted
    assert Board.all_objects.deleted().get() == old


def test_queryset_restore_is_all_or_nothing(owner: User) -> None:
    first = Board.objects.create(owner=owner, slug="a")
    first.delete()
    second = Board.objects.create(owner=owner, slug="a")
    second.delete()
    with pytest.raises(ValidationError):
        Board.all_objects.restore()
    assert Board.objects.count() == 0


# Cascade policy ---------------------------------------------------------------


def test_delete_cascades_softly_to_soft_deletable_children(owner: User) -> None:
    """CASCADE children that are soft-deletable are soft-deleted with the same time."""
    board = Board.objects.create(owner=owner, slug="a")
    cards = [Card.objects.create(board=board, title=str(i)) for i in range(2)]
    label = Label.objects.create(board=board)
    assert board.delete() == (3, {"testapp.Board": 1, "testapp.Card": 2})
    assert {c.deleted_at for c in Card.all_objects.all()} == {board.deleted_at}
    assert Label.objects.get() == label  # ordinary children are kept
    assert cards[0].pk in Card.all_objects.values_list("pk", flat=True)


def test_restore_brings_back_exactly_what_the_delete_took(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    earlier = Card.objects.create(board=board, title="deleted before")
    earlier.delete()
    later = Card.objects.create(board=board, title="deleted with the board")
    board.delete()
    board.restore()
    assert list(Card.objects.all()) == [later]
    assert Card.all_objects.get(pk=earlier.pk).is_deleted


def test_user_delete_cascades_to_their_boards(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    Card.objects.create(board=board, title="t")
    _, per_model = owner.delete()
    assert per_model == {"moa_accounts.User": 1, "testapp.Board": 1, "testapp.Card": 1}
    owner.restore()
    assert Card.objects.count() == 1


def test_related_managers_show_live_rows(owner: User) -> None:
    keep = Board.objects.create(owner=owner, slug="keep")
    Board.objects.create(owner=owner, slug="gone").delete()
    assert list(owner.boards.all()) == [keep]


def test_forward_relations_still_reach_a_deleted_row(owner: User) -> None:
    """A card of a deleted board still knows its board: the base manager sees all rows."""
    board = Board.objects.create(owner=owner, slug="a")
    card = Card.objects.create(board=board, title="t")
    board.delete()
    assert Card.all_objects.get(pk=card.pk).board == board


def test_protect_is_honoured(owner: User) -> None:
    """An ordinary row protecting the user blocks its soft delete, like a hard delete."""
    invoice = Invoice.objects.create(customer=owner)
    with pytest.raises(ProtectedError) as caught:
        owner.delete()
    assert caught.value.protected_objects == {invoice}
    assert User.objects.filter(pk=owner.pk).exists()
    with pytest.raises(ProtectedError):
        User.objects.filter(pk=owner.pk).delete()


def test_protect_deep_in_the_cascade_rolls_everything_back(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    card = Card.objects.create(board=board, title="t")
    pin = Pin.objects.create(card=card)
    with pytest.raises(ProtectedError):
        owner.delete()
    assert User.objects.filter(pk=owner.pk).exists()
    assert Board.objects.filter(pk=board.pk).exists()
    pin.delete()  # a deleted protector no longer blocks
    owner.delete()
    assert Card.objects.count() == 0


def test_restrict_is_honoured(owner: User) -> None:
    board = Board.objects.create(owner=owner, slug="a")
    Stamp.objects.create(board=board)
    with pytest.raises(RestrictedError):
        board.delete()
    assert Board.objects.filter(pk=board.pk).exists()


@pytest.mark.django_db(transaction=True)
async def test_async_twins(owner: User) -> None:
    try:
        await _async_twins(owner)
    finally:  # the executor thread's connection would keep the test database busy
        await sync_to_async(connections.close_all)()


async def _async_twins(owner: User) -> None:
    board = await Board.objects.acreate(owner=owner, slug="a")
    await board.adelete()
    await board.arestore()
    assert await Board.objects.acount() == 1
    await Board.all_objects.filter(pk=board.pk).adelete()
    assert await Board.all_objects.arestore() == 1
    await board.ahard_delete()
    assert await Board.all_objects.acount() == 0
    await Board.objects.acreate(owner=owner, slug="b")
    assert await Board.all_objects.all().ahard_delete() == (1, {"testapp.Board": 1})


def test_soft_delete_model_is_abstract() -> None:
    assert SoftDeleteModel._meta.abstract
    assert Board._default_manager is Board.objects
    assert User._default_manager is User.objects
