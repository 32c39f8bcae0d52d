"""An authentication backend that throttles failed logins."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from moa_accounts import throttling


class ThrottledModelBackend(ModelBackend):
    """Django's ``ModelBackend``, refusing logins over the failed-login limits.

    Put it in ``AUTHENTICATION_BACKENDS`` instead of ``ModelBackend``: every
    login through ``django.contrib.auth.authenticate()`` is throttled, the
    login view's and the admin's included. Over a limit it raises
    ``PermissionDenied``, so ``authenticate()`` returns ``None`` without
    asking later backends, and marks the request
    (``moa_accounts.throttling.was_throttled``) so a form can say why.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if not throttling.login_allowed(username, request):
            throttling.mark_throttled(request)
            raise PermissionDenied("Too many failed logins")
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            throttling.record_failure(username, request)
        else:
            throttling.record_success(username, request)
        return user

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)
