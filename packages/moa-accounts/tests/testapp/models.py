"""Models that exercise SoftDeleteModel's cascade policy."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from moa_accounts.constraints import LiveUniqueConstraint
from moa_accounts.models import SoftDeleteModel


class Board(SoftDeleteModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="boards"
    )
    slug = models.SlugField()

    class Meta:
        constraints = [
            LiveUniqueConstraint(
                fields=["owner", "slug"],
                name="testapp_board_live_slug",
                violation_error_message="This owner already has a live board %(name)s.",
            )
        ]


class Card(SoftDeleteModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="cards")
    title = models.CharField(max_length=50)


class Label(models.Model):
    """An ordinary model cascading from a soft-deletable one."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="labels")


class Invoice(models.Model):
    """An ordinary model protecting the user it bills."""

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)


class Pin(SoftDeleteModel):
    """A soft-deletable model protecting the card it pins."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="pins")


class Stamp(models.Model):
    """RESTRICT from an ordinary model."""

    board = models.ForeignKey(Board, on_delete=models.RESTRICT, related_name="stamps")
