"""The rows the list pages show: teams and clubs, each with a host or owner and members.

``objects`` is moa-queries' safe manager, ``plain`` is Django's; ``Club`` declares the
relations every list of clubs loads.
"""

from __future__ import annotations

from django.db import models

from moa_queries import SafeManager


class Person(models.Model):
    name = models.CharField(max_length=50)

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(max_length=50)
    host = models.ForeignKey(Person, models.CASCADE, related_name="hosted_teams")
    members = models.ManyToManyField(Person, related_name="teams", blank=True)

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"

    def __str__(self) -> str:
        return self.name


class Club(models.Model):
    name = models.CharField(max_length=50)
    owner = models.ForeignKey(Person, models.CASCADE, related_name="owned_clubs")
    members = models.ManyToManyField(Person, related_name="clubs", blank=True)

    objects = SafeManager()

    class QueryDefaults:
        select_related = ("owner",)
        prefetch_related = ("members",)

    def __str__(self) -> str:
        return self.name
