"""The demo's own account pages and the favicon."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils.translation import gettext as _


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView; a GET shows a page with the "Sign out" button instead of 405.

    Signing out stays a POST: a link (or a prefetch) must not sign anyone out.
    """

    http_method_names = ["get", "post", "options"]
    confirm_template_name = "registration/logout_confirm.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return TemplateResponse(request, self.confirm_template_name)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are signed out."))
        return response


def favicon(request: HttpRequest) -> HttpResponse:
    """Send browsers that ask for /favicon.ico to the SVG icon every page links."""
    return HttpResponseRedirect(static("teammoa/favicon.svg"))
