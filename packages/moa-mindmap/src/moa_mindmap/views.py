"""The mindmap list and the editor page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
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
    """List the mindmaps the user owns or belongs to; POST creates one.

    The number of queries does not depend on the number of mindmaps.
    Override ``get_queryset`` to list mindmaps your permission hook grants
    in other ways (teams, say).
    """

    template_name = "moa_mindmap/mindmap_list.html"
    context_object_name = "mindmaps"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Mindmap]:
        return Mindmap.objects.for_member(self.request.user).with_list_data()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
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
        }
        return context
