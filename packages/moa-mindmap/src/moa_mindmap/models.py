"""Mindmaps, their nodes and edges, and the numbered log of applied ops."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class MindmapQuerySet(models.QuerySet["Mindmap"]):
    def for_member(self, user: Any) -> MindmapQuerySet:
        """Return the mindmaps ``user`` owns or is a member of."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        member_of = Mindmap.members.through.objects.filter(user_id=user.pk).values("mindmap_id")
        return self.filter(Q(owner_id=user.pk) | Q(pk__in=member_of))

    def with_list_data(self) -> MindmapQuerySet:
        """Load what a list page shows in a constant number of queries."""
        node_count = (
            Node.objects.filter(mindmap_id=models.OuterRef("pk"))
            .order_by()
            .values("mindmap_id")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        user_model = get_user_model()
        # Without an order, members come in whatever order the join plan yields.
        members = user_model._default_manager.order_by(user_model.USERNAME_FIELD, "pk")
        return (
            self.select_related("owner")
            .prefetch_related(models.Prefetch("members", queryset=members))
            .annotate(node_count=Coalesce(models.Subquery(node_count), 0))
        )


class Mindmap(models.Model):
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="owned_mindmaps",
        verbose_name=_("owner"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="mindmaps",
        verbose_name=_("members"),
    )
    # The sequence number of the last applied op; ops take the next one.
    seq = models.PositiveBigIntegerField(_("sequence number"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MindmapQuerySet.as_manager()

    class Meta:
        verbose_name = _("mindmap")
        verbose_name_plural = _("mindmaps")
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("moa_mindmap:detail", kwargs={"pk": self.pk})


class Node(models.Model):
    mindmap = models.ForeignKey(Mindmap, on_delete=models.CASCADE, related_name="nodes")
    # Deleting a node through an op re-parents its children first; SET_NULL
    # only covers deletes made outside the protocol (admin, shell).
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    text = models.TextField(_("text"), blank=True, default="")
    x = models.FloatField(default=0.0)
    y = models.FloatField(default=0.0)
    color = models.CharField(_("colour"), max_length=7, default="#ffffff")
    collapsed = models.BooleanField(_("collapsed"), default=False)
    # Position among siblings: compared as plain strings (see ordering.py).
    order = models.CharField(_("order key"), max_length=255, default="i")
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("node")
        verbose_name_plural = _("nodes")

    def __str__(self) -> str:
        return self.text or f"Node {self.pk}"

    def as_dict(self) -> dict[str, Any]:
        """Return the node as the protocol sends it."""
        return {
            "id": self.pk,
            "parent": self.parent_id,
            "text": self.text,
            "x": self.x,
            "y": self.y,
            "color": self.color,
            "collapsed": self.collapsed,
            "order": self.order,
            "version": self.version,
        }


class Edge(models.Model):
    mindmap = models.ForeignKey(Mindmap, on_delete=models.CASCADE, related_name="edges")
    source = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(_("label"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("edge")
        verbose_name_plural = _("edges")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="moa_mindmap_edge_unique"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")),
                name="moa_mindmap_edge_not_loop",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"

    def as_dict(self) -> dict[str, Any]:
        """Return the edge as the protocol sends it."""
        return {
            "id": self.pk,
            "source": self.source_id,
            "target": self.target_id,
            "label": self.label,
        }


class Op(models.Model):
    """One applied op: what ``sync`` replays and what resent op ids get back."""

    mindmap = models.ForeignKey(Mindmap, on_delete=models.CASCADE, related_name="ops")
    seq = models.PositiveBigIntegerField(_("sequence number"))
    client_op_id = models.CharField(_("client op id"), max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20)
    # The ``applied`` frame exactly as it was broadcast.
    frame = models.JSONField(_("frame"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("op")
        verbose_name_plural = _("ops")
        constraints = [
            models.UniqueConstraint(fields=["mindmap", "seq"], name="moa_mindmap_op_seq_unique"),
            models.UniqueConstraint(
                fields=["mindmap", "client_op_id"],
                name="moa_mindmap_op_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mindmap_id}#{self.seq} {self.kind}"
