"""A project app whose rows refer to the user."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Book(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    title = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.title


class Club(models.Model):
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="clubs")

    def __str__(self) -> str:
        return self.name
