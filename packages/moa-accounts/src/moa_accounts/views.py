"""A login view that answers 429 while failed logins are throttled."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from moa_accounts import throttling
from moa_accounts.forms import AuthenticationForm


class LoginView(auth_views.LoginView):
    """Django's ``LoginView`` with ``AuthenticationForm``; 429 when throttled."""

    form_class = AuthenticationForm

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if throttling.was_throttled(self.request):
            response.status_code = 429
        return response
