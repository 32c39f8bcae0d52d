"""A project's own models on moa_accounts' abstract bases, without the app installed."""

from __future__ import annotations

from django.db import models

from moa_accounts.models import AbstractSoftDeleteUser, SoftDeleteModel


class Member(AbstractSoftDeleteUser):
    nickname = models.CharField(max_length=30, blank=True)


class Note(SoftDeleteModel):
    text = models.TextField()
