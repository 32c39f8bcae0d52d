from __future__ import annotations

from django.conf import settings
from django.db import models

from moa_queries import SafeManager


class Team(models.Model):
    name = models.CharField(max_length=100)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    mindmap = models.OneToOneField(
        "moa_mindmap.Mindmap", on_delete=models.SET_NULL, null=True, blank=True, related_name="team"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SafeManager()

    # Every list of teams loads its host and members: the postmortem's team list ran
    # 1 + N queries for team.host.username.
    class QueryDefaults:
        select_related = ("host",)
        prefetch_related = ("members",)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
