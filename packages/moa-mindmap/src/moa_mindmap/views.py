"""The mindmap list and the editor page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext, ngettext
from django.views.generic import DetailView, ListView

from moa_mindmap.conf import app_settings
from moa_mindmap.forms import MindmapForm
from moa_mindmap.models import Mindmap
from moa_mindmap.permissions import has_permission
from moa_mindmap.protocol import PROTOCOL_VERSION

if TYPE_CHECKING:
    BaseListView = ListView[Mindmap]
    BaseDetailView = DetailView[Mindmap]
else:
    BaseListView = ListView
    BaseDetailView = DetailView


class MindmapListView(LoginRequiredMixin, BaseListView):
    """List the mindmaps the user owns or belongs to, with their members; POST creates one.

    The number of queries does not depend on the number of mindmaps.
    If your permission hook grants access in other ways (teams, say),
    override ``get_queryset`` to list those mindmaps too and ``get_members``
    to name who shares each one, prefetching what it reads.
    """

    template_name = "moa_mindmap/mindmap_list.html"
    context_object_name = "mindmaps"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Mindmap]:
        return Mindmap.objects.for_member(self.request.user).with_list_data()

    def get_members(self, mindmap: Mindmap) -> list[Any]:
        """Return who a row lists as the mindmap's members (prefetched by ``get_queryset``)."""
        return list(mindmap.members.all())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for mindmap in context["mindmaps"]:
            mindmap.listed_members = self.get_members(mindmap)
        context.setdefault("form", MindmapForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = MindmapForm(request.POST)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form), status=400)
        form.instance.owner = request.user  # type: ignore[assignment]
        mindmap = form.save()
        return HttpResponseRedirect(mindmap.get_absolute_url())


class MindmapDetailView(LoginRequiredMixin, BaseDetailView):
    """The editor: the page loads no data, the WebSocket brings it."""

    template_name = "moa_mindmap/mindmap_detail.html"
    context_object_name = "mindmap"

    def get_queryset(self) -> QuerySet[Mindmap]:
        return Mindmap.objects.select_related("owner")

    def get_object(self, queryset: QuerySet[Mindmap] | None = None) -> Mindmap:
        mindmap = super().get_object(queryset)
        if not has_permission(self.request.user, mindmap, "view"):
            raise PermissionDenied("You may not view this mindmap.")
        return mindmap

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["editor_config"] = {
            "mindmapId": self.object.pk,
            "protocol": PROTOCOL_VERSION,
            "socketPath": f"/ws/mindmap/{self.object.pk}/",
            "canEdit": has_permission(self.request.user, self.object, "edit"),
            "maxTextLength": app_settings.MOA_MINDMAP_MAX_TEXT_LENGTH,
            "cursorInterval": app_settings.MOA_MINDMAP_CURSOR_INTERVAL,
            "heartbeatInterval": app_settings.MOA_MINDMAP_HEARTBEAT_INTERVAL,
            "strings": editor_strings(),
        }
        return context


def editor_strings() -> dict[str, Any]:
    """Return every string the editor shows, translated into the request's language.

    ``%(name)s`` placeholders are filled in by the editor.
    """
    return {
        "connecting": gettext("Connecting…"),
        "connected": gettext("Connected"),
        "offline": gettext("Offline, reconnecting…"),
        "refusals": {
            "4401": gettext("Please log in to edit this mindmap."),
            "4403": gettext("You may not open this mindmap here."),
            "4404": gettext("This mindmap does not exist."),
        },
        "viewOnly": gettext("You may view this mindmap but not edit it."),
        "errors": {
            "stale": gettext("Someone else changed this node first; your change was not applied."),
            "forbidden": gettext("You may not edit this mindmap."),
            "not_found": gettext("That node or connection was deleted meanwhile."),
            "text_too_long": gettext("That text is too long."),
            "too_many_nodes": gettext("This mindmap holds as many nodes as it may."),
            "cycle": gettext("A node cannot move under its own descendant."),
            "duplicate_edge": gettext("These two nodes are already connected."),
            "invalid_op": gettext("A node cannot connect to itself."),
            "other": gettext("The server refused that change."),
        },
        "with": gettext("With: %(names)s"),
        "untitled": gettext("Untitled node"),
        "editLabel": gettext("Node text"),
        "charactersLeftOne": ngettext("%(count)s character left", "%(count)s characters left", 1),
        "charactersLeft": ngettext("%(count)s character left", "%(count)s characters left", 2),
        "colors": [
            gettext("White"),
            gettext("Yellow"),
            gettext("Green"),
            gettext("Blue"),
            gettext("Pink"),
            gettext("Red"),
        ],
    }
