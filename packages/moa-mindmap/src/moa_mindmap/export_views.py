"""Export a mindmap as a file other tools open, and import the editor's JSON export."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import FormView

from moa_mindmap.exceptions import OpError
from moa_mindmap.exports import export_freemind, export_markdown, import_json
from moa_mindmap.forms import MindmapImportForm
from moa_mindmap.models import Mindmap
from moa_mindmap.permissions import has_permission

FORMATS = {
    "md": (export_markdown, "text/markdown; charset=utf-8"),
    "mm": (export_freemind, "application/x-freemind; charset=utf-8"),
}


class MindmapExportView(LoginRequiredMixin, View):
    """Download a mindmap as a Markdown outline (``md``) or a FreeMind file (``mm``)."""

    format = "md"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mindmap = get_object_or_404(Mindmap.objects.select_related("owner"), pk=pk)
        if not has_permission(request.user, mindmap, "view"):
            raise PermissionDenied("You may not view this mindmap.")
        render, content_type = FORMATS[self.format]
        response = HttpResponse(render(mindmap), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="mindmap-{pk}.{self.format}"'
        return response


class MindmapImportView(LoginRequiredMixin, FormView):  # type: ignore[type-arg]
    """Create a mindmap owned by the user from a JSON export (the editor's *Export JSON*)."""

    template_name = "moa_mindmap/mindmap_import.html"
    form_class = MindmapImportForm

    def form_valid(self, form: MindmapImportForm) -> HttpResponse:
        try:
            mindmap = import_json(
                form.cleaned_data["file"].read(), self.request.user, form.cleaned_data["title"]
            )
        except OpError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        return HttpResponseRedirect(mindmap.get_absolute_url())

    def form_invalid(self, form: MindmapImportForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)
