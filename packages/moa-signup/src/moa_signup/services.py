"""Signup, activation and resend: the operations behind the views."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from moa_signup.conf import app_settings
from moa_signup.emails import (
    build_activation_email,
    build_activation_url,
    build_signup_attempt_email,
    send_email,
)
from moa_signup.exceptions import ActivationEmailError, ActivationLinkError, DuplicateUserError
from moa_signup.models import Signup
from moa_signup.signals import user_activated, user_signed_up
from moa_signup.tokens import (
    ActivationTokenGenerator,
    TokenStatus,
    decode_uid,
    default_token_generator,
)
from moa_signup.users import (
    VERIFIED_AT_FIELD,
    email_field_name,
    find_conflict,
    has_field,
    user_manager,
    user_model,
    username_field_name,
    username_key,
)

logger = logging.getLogger("moa_signup")

DUPLICATE_MESSAGES = {
    "username": _("A user with that username already exists."),
    "email": _("A user with that email address already exists."),
}

_background_sender: ThreadPoolExecutor | None = None
_background_lock = threading.Lock()
_pending: set[Future[None]] = set()


def _background() -> ThreadPoolExecutor:
    global _background_sender
    with _background_lock:
        if _background_sender is None:
            _background_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="moa_signup")
        return _background_sender


def _submit(job: Callable[..., None], *args: Any) -> None:
    future = _background().submit(job, *args)
    with _background_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _background_lock:
        _pending.discard(future)


def wait_for_background(timeout_s: float = 10.0) -> bool:
    """Wait until the background resends handed over so far are done; return whether all are.

    For tests, and for a shutdown that wants queued emails sent first (the
    pool's threads are also joined when the interpreter exits normally).
    """
    with _background_lock:
        futures = list(_pending)
    _, not_done = wait(futures, timeout=timeout_s)
    return not not_done


class DetachedRequest(HttpRequest):
    """What a background resend keeps of its request: scheme, host, path and language.

    Enough for ``request.build_absolute_uri()`` in ``build_email()``; it has no
    user, session, cookies or body.
    """

    def __init__(self, request: HttpRequest) -> None:
        super().__init__()
        self._detached_scheme = request.scheme
        self._detached_host = request.get_host()
        self.path = request.path
        self.path_info = request.path_info
        self.method = request.method
        self.LANGUAGE_CODE = translation.get_language()

    @classmethod
    def from_parts(cls, scheme: str, host: str, path: str) -> DetachedRequest:
        """A detached request with this scheme, host and path (a queued task's)."""
        detached = cls.__new__(cls)
        HttpRequest.__init__(detached)
        detached._detached_scheme = scheme
        detached._detached_host = host
        detached.path = detached.path_info = path
        detached.method = "POST"
        detached.LANGUAGE_CODE = translation.get_language()
        return detached

    @property
    def scheme(self) -> str | None:
        return self._detached_scheme

    def get_host(self) -> str:
        return self._detached_host


def _lock_key(kind: str, value: str) -> int:
    digest = hashlib.blake2b(f"moa_signup\x1f{kind}\x1f{value}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class SignupService:
    """Create accounts that start inactive, and activate them from an emailed link.

    Subclass to change how users are created (``create_user``) or how the
    email is built (``build_email``); pass the subclass to the views with
    ``service_class``.
    """

    token_generator: ActivationTokenGenerator = default_token_generator

    # -- signup ------------------------------------------------------------

    def register(
        self,
        username: str,
        email: str,
        password: str | None,
        *,
        request: HttpRequest | None = None,
        **extra_fields: Any,
    ) -> AbstractBaseUser:
        """Create an inactive user and send its activation email, atomically.

        Both happen in one transaction: if the email cannot be sent the user is
        rolled back and ``ActivationEmailError`` is raised. Raises
        ``DuplicateUserError`` when a live account already has the username or
        email (compared ignoring case), including one created concurrently.
        With a user model whose login field is its email field, ``username`` is
        ignored.
        """
        model = user_model()
        email = BaseUserManager.normalize_email(email)
        username = email if username_field_name() == email_field_name() else username
        username = model.normalize_username(username)
        using = router.db_for_write(model)
        try:
            with transaction.atomic(using=using):
                self._serialize_signups(using, username, email)
                self._raise_if_taken(username, email)
                user = self.create_user(username, email, password, **extra_fields)
                signup = Signup.objects.using(using).create(user_id=user.pk)
                user_signed_up.send(sender=model, user=user, request=request)
                self.deliver_activation_email(user, signup, request=request)
        except IntegrityError as exc:
            # A unique constraint caught a concurrent signup that no lock covered.
            self._raise_if_taken(username, email, cause=exc)
            raise
        except ActivationEmailError as exc:
            logger.warning(
                "Signup rolled back: activation email failed (%s)", type(exc.__cause__).__name__
            )
            raise
        logger.info("Signup created inactive user %s", user.pk)
        return user

    async def aregister(
        self,
        username: str,
        email: str,
        password: str | None,
        *,
        request: HttpRequest | None = None,
        **extra_fields: Any,
    ) -> AbstractBaseUser:
        """Async twin of ``register()``."""
        return await sync_to_async(self.register)(
            username, email, password, request=request, **extra_fields
        )

    def create_user(
        self, username: str, email: str, password: str | None, **extra_fields: Any
    ) -> AbstractBaseUser:
        """Create and return the inactive user (inside the signup transaction)."""
        fields: dict[str, Any] = {**extra_fields, email_field_name(): email, "is_active": False}
        fields[username_field_name()] = username
        manager = user_manager()
        create_user = getattr(manager, "create_user", None)
        if create_user is not None:
            return create_user(password=password, **fields)  # type: ignore[no-any-return]
        user = user_model()(**fields)
        user.set_password(password)
        user.save(using=manager.db)
        return user

    def build_email(
        self, user: AbstractBaseUser, signup: Signup, request: HttpRequest | None = None
    ) -> Any:
        """Return the activation email for ``user`` (not yet sent)."""
        token = self.token_generator.make_token(user, signup)
        url = build_activation_url(user, token, request)
        return build_activation_email(user, url)

    def send_activation_email(
        self, user: AbstractBaseUser, signup: Signup, *, request: HttpRequest | None = None
    ) -> None:
        """Send the activation email now; raise ``ActivationEmailError`` on failure."""
        send_email(self.build_email(user, signup, request))

    def deliver_activation_email(
        self, user: AbstractBaseUser, signup: Signup, *, request: HttpRequest | None = None
    ) -> None:
        """Send (``MOA_SIGNUP_DELIVERY = "inline"``) or queue (``"task"``) the activation email.

        Called inside the signup transaction. Queued, the task commits with the
        user (see ``moa_signup.tasks``); sent, a failure rolls the user back.
        """
        if app_settings.MOA_SIGNUP_DELIVERY == "task":
            from moa_signup.tasks import enqueue_activation_email

            enqueue_activation_email(self, user.pk, request)
        else:
            self.send_activation_email(user, signup, request=request)

    def _serialize_signups(self, using: str, username: str, email: str) -> None:
        """Make concurrent signups for one username or email run one at a time.

        Unique constraints alone are not enough: Django's ``User`` has no
        unique email and compares usernames case-sensitively.
        """
        connection = connections[using]
        if connection.vendor == "postgresql":
            name = username_key(username) or username.lower()
            keys = sorted({_lock_key("username", name), _lock_key("email", email.lower())})
            with connection.cursor() as cursor:
                for key in keys:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        elif connection.vendor == "sqlite":
            # A write that matches no row takes SQLite's write lock up front, so a
            # concurrent signup waits here instead of failing at its INSERT.
            table = connection.ops.quote_name(Signup._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET id = id WHERE 1 = 0")

    def _raise_if_taken(
        self, username: str, email: str, cause: BaseException | None = None
    ) -> None:
        field = find_conflict(username, email)
        if field is None:
            return
        logger.info("Signup refused: %s already taken", field)
        raise DuplicateUserError(
            DUPLICATE_MESSAGES[field], field=field, code=f"duplicate_{field}"
        ) from cause

    # -- an address that is taken -----------------------------------------

    def accounts_at(self, email: str) -> list[AbstractBaseUser]:
        """Return the live accounts whose email is ``email`` (ignoring case), at most 3."""
        email = BaseUserManager.normalize_email(email.strip())
        return list(
            user_manager().filter(**{f"{email_field_name()}__iexact": email}).order_by("pk")[:3]
        )

    def notify_signup_attempt(self, email: str, *, request: HttpRequest | None = None) -> int:
        """Tell the owner of ``email`` that someone tried to sign up with it.

        The signup view calls this instead of saying the address is taken. The
        email links to the login and password reset pages. Returns how many
        were sent; raises ``ActivationEmailError`` when a send fails, as a
        signup would.
        """
        messages = [build_signup_attempt_email(user, request) for user in self.accounts_at(email)]
        for message in messages:
            send_email(message)
        logger.info("Signup attempt with a taken email: %d account(s) notified", len(messages))
        return len(messages)

    async def anotify_signup_attempt(
        self, email: str, *, request: HttpRequest | None = None
    ) -> int:
        """Async twin of ``notify_signup_attempt()``."""
        return await sync_to_async(self.notify_signup_attempt)(email, request=request)

    # -- activation --------------------------------------------------------

    def check_activation_link(self, uidb64: str, token: str) -> AbstractBaseUser:
        """Return the user a link would activate; change nothing.

        Raises ``ActivationLinkError`` whose ``status`` says why the link does
        not work: ``INVALID`` (tampered, foreign, unknown account), ``EXPIRED``
        or ``USED``.
        """
        user, signup = self._load(uidb64)
        status = self.token_generator.check_token(user, signup, token)
        if status is not TokenStatus.VALID:
            raise ActivationLinkError(status)
        return user

    async def acheck_activation_link(self, uidb64: str, token: str) -> AbstractBaseUser:
        """Async twin of ``check_activation_link()``."""
        return await sync_to_async(self.check_activation_link)(uidb64, token)

    def activate(
        self, uidb64: str, token: str, *, request: HttpRequest | None = None
    ) -> AbstractBaseUser:
        """Activate the account the link names, once; return its user.

        Raises ``ActivationLinkError`` (and changes nothing) when the link is
        invalid, expired or already used.
        """
        using = router.db_for_write(user_model())
        with transaction.atomic(using=using):
            user, signup = self._load(uidb64, lock=True)
            status = self.token_generator.check_token(user, signup, token)
            if status is not TokenStatus.VALID:
                logger.info("Activation refused: %s link", status.value)
                raise ActivationLinkError(status)
            now = timezone.now()
            user.is_active = True
            update_fields = ["is_active"]
            if has_field(VERIFIED_AT_FIELD):
                setattr(user, VERIFIED_AT_FIELD, now)
                update_fields.append(VERIFIED_AT_FIELD)
            user.save(update_fields=update_fields)
            signup.activated_at = now
            signup.save(update_fields=["activated_at"])
            user_activated.send(sender=type(user), user=user, request=request)
        logger.info("Activated user %s", user.pk)
        return user

    async def aactivate(
        self, uidb64: str, token: str, *, request: HttpRequest | None = None
    ) -> AbstractBaseUser:
        """Async twin of ``activate()``."""
        return await sync_to_async(self.activate)(uidb64, token, request=request)

    def _load(self, uidb64: str, *, lock: bool = False) -> tuple[AbstractBaseUser, Signup]:
        pk = decode_uid(uidb64)
        if pk is None:
            raise ActivationLinkError(TokenStatus.INVALID)
        manager = user_manager()
        try:
            user = manager.get(pk=pk)
            signups = Signup.objects.using(manager.db)
            if lock:
                signups = signups.select_for_update()
            signup = signups.get(user_id=user.pk)
        except (
            user_model().DoesNotExist,
            Signup.DoesNotExist,
            # A primary key that does not fit the field's type.
            ValidationError,
            ValueError,
            TypeError,
            OverflowError,
        ) as exc:
            raise ActivationLinkError(TokenStatus.INVALID) from exc
        if lock:
            # Read the user again now that its signup row is locked.
            user.refresh_from_db()
        return user, signup

    # -- resend ------------------------------------------------------------

    def pending_users(self, email: str) -> list[AbstractBaseUser]:
        """Return accounts at ``email`` that signed up and still wait for activation."""
        email = BaseUserManager.normalize_email(email.strip())
        return list(
            user_manager()
            .filter(
                **{f"{email_field_name()}__iexact": email},
                is_active=False,
                moa_signup__activated_at__isnull=True,
            )
            .select_related("moa_signup")
            .order_by("-pk")[:3]
        )

    def resend(self, email: str, *, request: HttpRequest | None = None) -> int:
        """Send a new activation email to each pending account at ``email``.

        Returns how many were sent (0 for an address with no pending account).
        Raises ``ActivationEmailError`` when a send fails.
        """
        messages = self._resend_messages(email, request)
        for message in messages:
            send_email(message)
        return len(messages)

    async def aresend(self, email: str, *, request: HttpRequest | None = None) -> int:
        """Async twin of ``resend()``."""
        return await sync_to_async(self.resend)(email, request=request)

    def resend_in_background(self, email: str, *, request: HttpRequest | None = None) -> None:
        """Like ``resend()``, but hand the whole of it to a background thread (or queue it).

        The lookup of pending accounts, the building of their emails and the
        sending all happen in the thread: the caller does the same work, and
        no query, whether or not the address has an account. ``build_email()``
        gets a ``DetachedRequest`` (scheme, host, language). Failures are
        logged, not raised.
        """
        self.resend_starter(email, request=request)()

    def resend_starter(
        self, email: str, *, request: HttpRequest | None = None
    ) -> Callable[[], None]:
        """Return a function that starts ``resend_in_background()`` when called.

        ``ResendView`` calls it once its response has been sent, so that the
        background work does not compete with the response for the process.
        What it needs of the request and the active language is taken now.
        With ``MOA_SIGNUP_DELIVERY = "task"`` the function queues the resend instead.
        """
        detached = None if request is None else DetachedRequest(request)
        language = translation.get_language()
        if app_settings.MOA_SIGNUP_DELIVERY == "task":
            from moa_signup.tasks import enqueue_resend

            def queue() -> None:
                with translation.override(language):
                    enqueue_resend(self, email, detached)

            return queue

        def start() -> None:
            _submit(self._resend_job, email, detached, language)

        return start

    def _resend_job(self, email: str, request: HttpRequest | None, language: str | None) -> None:
        close_old_connections()
        try:
            with translation.override(language):
                for message in self._resend_messages(email, request):
                    self._send_logged(message)
        except Exception:
            logger.exception("Resend failed")
        finally:
            # This thread's connections would otherwise stay open, idle, for good.
            connections.close_all()

    @staticmethod
    def _send_logged(message: Any) -> None:
        try:
            send_email(message)
        except ActivationEmailError as exc:
            logger.warning("Resend failed (%s)", type(exc.__cause__).__name__)

    def _resend_messages(self, email: str, request: HttpRequest | None) -> list[Any]:
        messages = []
        for user in self.pending_users(email):
            messages.append(self.build_email(user, user.moa_signup, request))  # type: ignore[attr-defined]
        logger.info("Resend requested: %d pending account(s)", len(messages))
        return messages
