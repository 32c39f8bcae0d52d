from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from moa_queries import SafeManager


def new_invite_code() -> str:
    """Return a fresh join code: short enough to type, too long to guess."""
    return secrets.token_urlsafe(12)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    mindmap = models.OneToOneField(
        "moa_mindmap.Mindmap", on_delete=models.SET_NULL, null=True, blank=True, related_name="team"
    )
    # Whoever has the code (or the invite link holding it) may join the team.
    invite_code = models.CharField(
        _("join code"), max_length=32, unique=True, default=new_invite_code, editable=False
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

    def get_absolute_url(self) -> str:
        return reverse("team_detail", args=[self.pk])

    def get_invite_url(self) -> str:
        """Return the path of the page that lets someone join with this team's code."""
        return reverse("team_join", args=[self.invite_code])

    def has_member(self, user: Any) -> bool:
        """Return whether ``user`` belongs to the team, using prefetched members."""
        if not getattr(user, "is_authenticated", False):
            return False
        return any(member.pk == user.pk for member in self.members.all())
