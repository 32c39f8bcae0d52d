"""Activation emails through Django's tasks framework: ``MOA_SIGNUP_DELIVERY = "task"``.

With a database task backend (django-tasks-db) the task row is written in the
transaction that creates the user: both commit or neither does (a transactional
outbox). The signup request never waits on the mail server, and a committed
account always has its email on the way. A worker (``manage.py db_worker``)
sends it, retrying a failed send after each of ``MOA_SIGNUP_TASK_RETRY_DELAYS_S``;
an address that keeps failing leaves an unverified account, which
``delete_unverified_users`` removes once its link has expired.

Django 6 has the framework as ``django.tasks``; on Django 5.2 it comes from the
``django-tasks`` backport. This module is imported only in task mode: declaring
a task reads the ``TASKS`` setting.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from moa_signup.conf import app_settings
from moa_signup.exceptions import ActivationEmailError

try:
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2: the backport
    from django_tasks import task  # type: ignore[import-not-found,no-redef,unused-ignore]

logger = logging.getLogger("moa_signup")


def request_parts(request: HttpRequest | None) -> dict[str, str] | None:
    """What a task keeps of the request, as JSON: scheme, host and path."""
    if request is None:
        return None
    return {"scheme": request.scheme or "https", "host": request.get_host(), "path": request.path}


def rebuilt_request(parts: dict[str, str] | None) -> HttpRequest | None:
    """A request with the scheme, host and path of ``request_parts()`` (for absolute links)."""
    if parts is None:
        return None
    from moa_signup.services import DetachedRequest

    return DetachedRequest.from_parts(parts["scheme"], parts["host"], parts["path"])


def service_path(service: object) -> str:
    kind = type(service)
    return f"{kind.__module__}.{kind.__qualname__}"


def enqueue_activation_email(
    service: object, user_pk: Any, request: HttpRequest | None, *, attempt: int = 1
) -> None:
    """Queue the activation email of ``user_pk`` (in the caller's transaction)."""
    delays = app_settings.MOA_SIGNUP_TASK_RETRY_DELAYS_S
    queued = send_activation_email.using(backend=app_settings.MOA_SIGNUP_TASK_BACKEND)
    if attempt > 1:
        delay_s = delays[min(attempt - 2, len(delays) - 1)]
        queued = queued.using(run_after=timezone.now() + timedelta(seconds=delay_s))
    queued.enqueue(
        user_pk=user_pk,
        request=request_parts(request),
        language=translation.get_language(),
        service=service_path(service),
        attempt=attempt,
    )


@task()
def send_activation_email(
    *,
    user_pk: Any,
    request: dict[str, str] | None,
    language: str | None,
    service: str,
    attempt: int,
) -> str:
    """Send one account's activation email; queue the next attempt when the send fails.

    Returns what happened: ``"sent"``, ``"retrying"``, or ``"skipped"`` when the
    account is gone or active already. The last failed attempt raises, so the
    task's result says failed.
    """
    from moa_signup.models import Signup
    from moa_signup.users import user_manager

    signup_service = import_string(service)()
    user = user_manager().filter(pk=user_pk).first()
    signup = Signup.objects.filter(user_id=user_pk).first() if user is not None else None
    if user is None or signup is None or user.is_active or signup.activated_at is not None:
        logger.info("Activation email skipped: account %s is gone or active", user_pk)
        return "skipped"
    try:
        with translation.override(language):
            signup_service.send_activation_email(user, signup, request=rebuilt_request(request))
    except ActivationEmailError as exc:
        reason = type(exc.__cause__).__name__
        attempts = len(app_settings.MOA_SIGNUP_TASK_RETRY_DELAYS_S) + 1
        if attempt >= attempts:
            logger.error(
                "Activation email to account %s failed %d times (%s); giving up",
                user_pk, attempt, reason,
            )  # fmt: skip
            raise
        with translation.override(language):
            enqueue_activation_email(signup_service, user_pk, rebuilt_request(request),
                                     attempt=attempt + 1)  # fmt: skip
        logger.warning(
            "Activation email to account %s failed (%s); attempt %d of %d queued",
            user_pk, reason, attempt + 1, attempts,
        )  # fmt: skip
        return "retrying"
    logger.info("Activation email sent to account %s (attempt %d)", user_pk, attempt)
    return "sent"


def enqueue_resend(service: object, email: str, request: HttpRequest | None) -> None:
    """Queue a resend of the activation emails of the pending accounts at ``email``."""
    resend_activation_emails.using(backend=app_settings.MOA_SIGNUP_TASK_BACKEND).enqueue(
        email=email,
        request=request_parts(request),
        language=translation.get_language(),
        service=service_path(service),
    )


@task()
def resend_activation_emails(
    *, email: str, request: dict[str, str] | None, language: str | None, service: str
) -> int:
    """Send a new activation email to each pending account at ``email``; return how many.

    A failed send fails the task (logged); the owner can ask for another resend.
    """
    signup_service = import_string(service)()
    with translation.override(language):
        return int(signup_service.resend(email, request=rebuilt_request(request)))
