"""MOA_SIGNUP_DELIVERY = "task": the activation email queued with the user (a transactional outbox).

The queue is django-tasks-db's database backend and its worker (``db_worker --batch``),
the mail server a real SMTP server on loopback that refuses, drops or hangs.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client, RequestFactory
from django_tasks_db.models import DBTaskResult

from moa_signup.checks import (
    BAD_RETRY_DELAYS_ID,
    NO_TASK_BACKEND_ID,
    UNKNOWN_DELIVERY_ID,
    check_settings,
)
from moa_signup.models import Signup
from moa_signup.services import SignupService
from moa_signup.signals import user_signed_up
from moa_testsupport.mailserver import MailServer
from tests.activation import activation_link, link_path
from tests.settings import MAIL_TIMEOUT_S

# The worker runs in this process and sees only committed rows, as a real one would.
pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
FIELDS = {"username": "alice", "email": "alice@example.com", "password": "secret-Pass-123"}


@pytest.fixture
def queued(settings: Any, mailbox: MailServer) -> MailServer:
    """Task delivery, retrying at once (two retries), with the real SMTP server."""
    settings.MOA_SIGNUP_DELIVERY = "task"
    settings.MOA_SIGNUP_TASK_RETRY_DELAYS_S = (0, 0)
    return mailbox


def register() -> Any:
    request = RequestFactory().post("/signup/")
    return SignupService().register(**FIELDS, request=request)


def run_worker(max_tasks: int = 0) -> None:
    """Run the tasks that are due (at most ``max_tasks``), then return.

    ``manage.py db_worker`` without ``--batch`` does the same, forever.
    """
    limit = ["--max-tasks", str(max_tasks)] if max_tasks else []
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--interval", "0", *limit, verbosity=0
    )


def statuses() -> list[str]:
    return [str(row.status) for row in DBTaskResult.objects.order_by("enqueued_at")]


def test_signup_queues_the_email_and_never_waits_on_the_mail_server(queued: MailServer) -> None:
    """A hung mail server: the signup returns at once, and the worker sends the email later."""
    queued.reset("hang")

    started = time.monotonic()
    user = register()
    elapsed_s = time.monotonic() - started

    # Not one connection to the mail server during the signup, so nothing to wait for.
    assert queued.connections == 0
    assert elapsed_s < MAIL_TIMEOUT_S
    assert User._default_manager.filter(pk=user.pk, is_active=False).exists()
    assert DBTaskResult.objects.count() == 1
    queued.reset("accept")
    run_worker()
    [message] = queued.wait_for_messages(1)
    assert message["To"] == "alice@example.com"
    # The queued request's host makes the link, as an inline send's would.
    assert activation_link(queued).startswith("http://testserver/signup/activate/")
    assert statuses() == ["SUCCESSFUL"]


def test_the_queued_link_activates_the_account(queued: MailServer) -> None:
    """The email the worker sends carries a link that works."""
    user = register()
    run_worker()
    queued.wait_for_messages(1)

    response = Client().post(link_path(activation_link(queued)))

    assert response.status_code in (200, 302)
    user.refresh_from_db()
    assert user.is_active is True


def test_a_rolled_back_signup_queues_nothing(queued: MailServer) -> None:
    """The task row is in the signup's transaction: a later failure takes both back."""

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("a receiver failed")

    user_signed_up.connect(fail)
    try:
        with pytest.raises(RuntimeError):
            register()
    finally:
        user_signed_up.disconnect(fail)

    assert not User._default_manager.exists()
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert queued.connections == 0


@pytest.mark.parametrize("mode", ["refuse", "drop", "hang"])
def test_a_failing_address_is_retried_then_given_up(queued: MailServer, mode: str) -> None:
    """Each failed send queues the next attempt; after the last, the account stays unverified."""
    queued.reset(mode)
    user = register()

    run_worker()  # with no delay between attempts, one run makes all three

    # Three attempts (two retries), each a task of its own; the last one failed.
    assert statuses() == ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]
    assert [row.args_kwargs["kwargs"]["attempt"] for row in DBTaskResult.objects.order_by(
        "enqueued_at")] == [1, 2, 3]  # fmt: skip
    assert queued.messages == []
    # Unverified, as any account whose link never arrived: moa-accounts'
    # delete_unverified_users removes it once the activation window has passed.
    assert User._default_manager.filter(pk=user.pk, is_active=False).exists()
    assert Signup.objects.get(user_id=user.pk).activated_at is None


def test_a_send_that_fails_once_succeeds_on_the_retry(queued: MailServer) -> None:
    """A mail server that refuses once: the second attempt delivers."""
    queued.reset("refuse")
    register()
    run_worker(max_tasks=1)
    queued.reset("accept")
    run_worker()

    [message] = queued.wait_for_messages(1)
    assert message["To"] == "alice@example.com"
    assert statuses() == ["SUCCESSFUL", "SUCCESSFUL"]


def test_an_account_activated_meanwhile_gets_no_email(queued: MailServer) -> None:
    """The worker skips an account that is active or gone by the time its task runs."""
    user = register()
    User._default_manager.filter(pk=user.pk).update(is_active=True)

    run_worker()

    assert queued.connections == 0
    assert statuses() == ["SUCCESSFUL"]


def test_a_resend_is_queued_and_sent_by_the_worker(queued: MailServer) -> None:
    """In task mode a resend is a task too: the request only queues it."""
    register()
    run_worker()
    queued.wait_for_messages(1)

    SignupService().resend_starter("Alice@Example.com", request=RequestFactory().post("/"))()

    assert len(queued.messages) == 1
    run_worker()
    queued.wait_for_messages(2)
    assert [message["To"] for message in queued.messages] == ["alice@example.com"] * 2
    assert activation_link(queued, 1).startswith("http://testserver/signup/activate/")


def test_retries_wait_their_delay(queued: MailServer, settings: Any) -> None:
    """The next attempt is not due before its delay has passed."""
    settings.MOA_SIGNUP_TASK_RETRY_DELAYS_S = (3600,)
    queued.reset("refuse")
    register()
    run_worker()
    run_worker()

    retry = DBTaskResult.objects.order_by("enqueued_at").last()
    assert retry is not None
    assert str(retry.status) == "READY"
    assert retry.run_after is not None
    assert retry.run_after.timestamp() - time.time() > 3000


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"MOA_SIGNUP_DELIVERY": "celery"}, UNKNOWN_DELIVERY_ID),
        ({"MOA_SIGNUP_DELIVERY": "task", "MOA_SIGNUP_TASK_BACKEND": "other"}, NO_TASK_BACKEND_ID),
        ({"MOA_SIGNUP_DELIVERY": "task", "MOA_SIGNUP_TASK_RETRY_DELAYS_S": "60"},
         BAD_RETRY_DELAYS_ID),
        ({"MOA_SIGNUP_DELIVERY": "task", "MOA_SIGNUP_TASK_RETRY_DELAYS_S": (60, -1)},
         BAD_RETRY_DELAYS_ID),
    ],
)  # fmt: skip
def test_delivery_settings_are_checked(
    settings: Any, overrides: dict[str, Any], expected: str
) -> None:
    for name, value in overrides.items():
        setattr(settings, name, value)

    ids = [message.id for message in run_checks()]

    assert expected in ids


def test_a_task_backend_that_does_not_load_is_reported(settings: Any) -> None:
    settings.MOA_SIGNUP_DELIVERY = "task"
    settings.TASKS = {"default": {"BACKEND": "tests.no_such_module.Backend"}}

    # moa-signup's own check (Django's tasks check raises on such a backend).
    errors = [message for message in check_settings() if message.id == NO_TASK_BACKEND_ID]

    assert len(errors) == 1
    assert "does not load" in errors[0].msg


def test_task_delivery_passes_its_checks(settings: Any) -> None:
    settings.MOA_SIGNUP_DELIVERY = "task"

    ids = [message.id for message in run_checks() if str(message.id).startswith("moa_signup")]

    assert not {UNKNOWN_DELIVERY_ID, NO_TASK_BACKEND_ID, BAD_RETRY_DELAYS_ID} & set(ids)
