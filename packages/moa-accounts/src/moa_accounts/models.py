"""Soft-deletable models and the soft-delete user.

``SoftDeleteModel`` and ``AbstractSoftDeleteUser`` are abstract and importable
without installing ``moa_accounts``; the concrete ``User`` is swappable, so it
stays inert unless ``AUTH_USER_MODEL = "moa_accounts.User"``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, TypeVar

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from moa_accounts import deletion
from moa_accounts.constraints import LiveUniqueConstraint
from moa_accounts.signals import user_restored, user_soft_deleted
from moa_accounts.usernames import username_key

_M = TypeVar("_M", bound=models.Model)

USERNAME_TAKEN = _("A user with that username already exists.")
USERNAME_SIMILAR = _("A user with a username that looks the same already exists.")
EMAIL_TAKEN = _("A user with that email address already exists.")


class SoftDeleteQuerySet(models.QuerySet[_M]):
    """A queryset whose ``delete()`` soft-deletes."""

    def alive(self) -> SoftDeleteQuerySet[_M]:
        """Return the rows that are not soft-deleted."""
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> SoftDeleteQuerySet[_M]:
        """Return the soft-deleted rows."""
        return self.filter(deleted_at__isnull=False)

    def delete(self) -> tuple[int, dict[str, int]]:
        """Soft-delete the live rows of this queryset (and their cascade)."""
        pks = list(self.alive().order_by().values_list("pk", flat=True))
        return deletion.soft_delete(self.model, pks, using=self.db)  # type: ignore[arg-type]

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def hard_delete(self) -> tuple[int, dict[str, int]]:
        """Delete the rows for good, applying every ``on_delete``."""
        return super().delete()

    hard_delete.alters_data = True  # type: ignore[attr-defined]
    hard_delete.queryset_only = True  # type: ignore[attr-defined]

    def restore(self) -> int:
        """Restore the soft-deleted rows of this queryset; return how many.

        All or nothing: a row whose unique values a live row now holds raises
        ``ValidationError`` naming the field and restores nothing.
        """
        restored = 0
        with transaction.atomic(using=self.db):
            for obj in self.deleted():
                obj.restore(using=self.db)  # type: ignore[attr-defined]
                restored += 1
        return restored

    restore.alters_data = True  # type: ignore[attr-defined]

    async def ahard_delete(self) -> tuple[int, dict[str, int]]:
        return await sync_to_async(self.hard_delete)()

    async def arestore(self) -> int:
        return await sync_to_async(self.restore)()


class AllObjectsManager(models.Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """Every row, live and soft-deleted."""


class SoftDeleteManager(AllObjectsManager):
    """Live rows only."""

    def get_queryset(self) -> SoftDeleteQuerySet[Any]:
        return super().get_queryset().alive()  # type: ignore[no-any-return]


class SoftDeleteModel(models.Model):
    """A model whose ``delete()`` marks the row deleted instead of removing it.

    ``objects`` (the default manager) sees live rows, ``all_objects`` every row.
    ``save()`` never writes ``deleted_at``: only ``delete()`` and ``restore()``
    do, so saving a stale instance never resurrects or deletes a row.
    """

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects: ClassVar[Any] = SoftDeleteManager()
    all_objects: ClassVar[Any] = AllObjectsManager()

    # Fields only delete() and restore() write.
    soft_delete_fields: ClassVar[tuple[str, ...]] = ("deleted_at",)
    # Fields save() may write, but never away from this value on a deleted row.
    soft_delete_guards: ClassVar[dict[str, Any]] = {}

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        constraints = self._live_unique_constraints()
        if not constraints:
            super().save(*args, **kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        try:
            with transaction.atomic(using=using):
                super().save(*args, **kwargs)
        except IntegrityError as error:
            raise self._translate(error, constraints) from error

    save.alters_data = True  # type: ignore[attr-defined]

    def _do_update(
        self, base_qs: Any, using: Any, pk_val: Any, values: Any, *args: Any, **kwargs: Any
    ) -> Any:
        # Never write deleted_at (and friends) from save(): see the class docstring.
        values = [
            (field, model, self._guard(field.name, value))
            for field, model, value in values
            if field.name not in self.soft_delete_fields
        ]
        return super()._do_update(base_qs, using, pk_val, values, *args, **kwargs)

    def delete(
        self, using: str | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Soft-delete this row and its soft-deletable CASCADE children."""
        if self.pk is None:
            raise ValueError(
                "%s object can't be deleted because its %s attribute is set to None."
                % (self._meta.object_name, self._meta.pk.attname)
            )
        using = using or router.db_for_write(type(self), instance=self)
        result = deletion.soft_delete(type(self), [self.pk], using, {self.pk: self})
        if self.deleted_at is None:
            # Already deleted by someone else: keep the stored timestamp.
            self.refresh_from_db(using=using, fields=list(self.soft_delete_fields))
        return result

    delete.alters_data = True  # type: ignore[attr-defined]

    def hard_delete(
        self, using: str | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Delete the row for good, applying every ``on_delete``."""
        return super().delete(using=using, keep_parents=keep_parents)

    hard_delete.alters_data = True  # type: ignore[attr-defined]

    def restore(self, using: str | None = None) -> None:
        """Make this row live again, with the children its deletion cascaded to.

        Raise ``ValidationError`` naming the field when a live row now holds one
        of its unique values; nothing is restored then.
        """
        using = using or router.db_for_write(type(self), instance=self)
        stored = (
            type(self)
            ._base_manager.using(using)
            .filter(pk=self.pk)
            .values(*self.soft_delete_fields)
            .first()
        )
        deleted_at = None if stored is None else stored["deleted_at"]
        if deleted_at is None:
            return
        values = self.get_restore_values(stored)
        constraints = self._live_unique_constraints()
        previous = {name: getattr(self, name) for name in values}
        for name, value in values.items():
            setattr(self, name, value)
        try:
            for constraint in constraints:
                constraint.validate(type(self), self, using=using)
            with transaction.atomic(using=using):
                type(self)._base_manager.using(using).filter(pk=self.pk).update(**values)
                deletion.restore_children(type(self), self.pk, deleted_at, using)
                self.restored(using)
        except IntegrityError as error:
            self._set(previous)
            raise self._translate(error, constraints) from error
        except BaseException:
            self._set(previous)
            raise

    restore.alters_data = True  # type: ignore[attr-defined]

    async def ahard_delete(
        self, using: str | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        return await sync_to_async(self.hard_delete)(using, keep_parents)

    async def arestore(self, using: str | None = None) -> None:
        await sync_to_async(self.restore)(using)

    @property
    def is_deleted(self) -> bool:
        """Whether this row is soft-deleted (as last loaded or changed here)."""
        return self.deleted_at is not None

    # Hooks for subclasses ----------------------------------------------------

    @classmethod
    def get_soft_delete_values(cls, deleted_at: datetime) -> dict[str, Any]:
        """Return the column values a soft delete writes."""
        return {"deleted_at": deleted_at}

    @classmethod
    def get_restore_values(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """Return the column values a restore writes.

        ``stored`` holds the row's ``soft_delete_fields`` as the deletion left them.
        """
        return {"deleted_at": None}

    @classmethod
    def soft_deleted(
        cls, pks: list[Any], values: dict[str, Any], using: str, instances: dict[Any, Any]
    ) -> None:
        """Called inside the transaction after rows ``pks`` were soft-deleted."""
        computed = [name for name, value in values.items() if hasattr(value, "resolve_expression")]
        for pk, obj in instances.items():
            if pk in pks:
                for name, value in values.items():
                    if name not in computed:
                        setattr(obj, name, value)
                if computed:
                    obj.refresh_from_db(using=using, fields=computed)

    def restored(self, using: str) -> None:
        """Called inside the transaction after this row was restored."""

    # Internals ---------------------------------------------------------------

    def _guard(self, name: str, value: Any) -> Any:
        if name not in self.soft_delete_guards:
            return value
        return Case(
            When(deleted_at__isnull=True, then=Value(value)),
            default=Value(self.soft_delete_guards[name]),
        )

    def _set(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    @classmethod
    def _live_unique_constraints(cls) -> list[LiveUniqueConstraint]:
        return [c for c in cls._meta.constraints if isinstance(c, LiveUniqueConstraint)]

    @classmethod
    def _translate(
        cls, error: IntegrityError, constraints: list[LiveUniqueConstraint]
    ) -> Exception:
        for constraint in constraints:
            if constraint.matches(error, cls):
                return constraint.violation_error()
        return error


class SoftDeleteUserManager(UserManager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """``UserManager`` over live users: natural keys never see deleted users."""

    def get_queryset(self) -> SoftDeleteQuerySet[Any]:
        return super().get_queryset().alive()  # type: ignore[no-any-return]

    def _create_user_object(
        self, username: str, email: str | None, password: str | None, **extra_fields: Any
    ) -> Any:
        if not email:
            raise ValueError("The given email must be set")
        return super()._create_user_object(username, email, password, **extra_fields)


class UsernameKeyField(models.CharField):  # type: ignore[type-arg]
    """The ``username_key()`` of the instance's username, computed on every save."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = username_key(str(getattr(model_instance, "username", "") or ""))
        setattr(model_instance, self.attname, value)
        return value


class AbstractSoftDeleteUser(SoftDeleteModel, AbstractUser):
    """A user whose username and email are unique among live users only.

    Deleting a user soft-deletes and deactivates it, remembering in
    ``active_before_deletion`` whether it was active; restoring brings that
    back (a deactivated or never-activated account stays inactive) and sets
    ``last_login`` to the restore time. Django's password reset tokens
    (and moa-signup's activation tokens) hash ``last_login``, so no link issued
    before the deletion works after the restore. The email is required and
    compared case-insensitively. No two live usernames share a
    ``username_key`` (``moa_accounts.usernames``): names that differ only in
    case, accents or lookalike letters (``jun`` with a Cyrillic je) cannot
    both be live, on every database alike.
    """

    username = models.CharField(
        _("username"),
        max_length=150,
        help_text=_("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
        validators=[UnicodeUsernameValidator()],
        error_messages={"unique": USERNAME_TAKEN},
    )
    email = models.EmailField(_("email address"), error_messages={"unique": EMAIL_TAKEN})
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    # Unique among live users; NULL (no protection) for a row saved before it existed.
    username_key = UsernameKeyField(
        _("username key"), max_length=600, null=True, blank=True, editable=False
    )
    # is_active as it was when the user was deleted; NULL while live.
    active_before_deletion = models.BooleanField(
        _("active before deletion"), null=True, blank=True, editable=False
    )

    objects: ClassVar[Any] = SoftDeleteUserManager()
    all_objects: ClassVar[Any] = AllObjectsManager()

    soft_delete_fields = ("deleted_at", "active_before_deletion")
    soft_delete_guards = {"is_active": False}

    class Meta(AbstractUser.Meta):
        abstract = True
        constraints = [
            LiveUniqueConstraint(
                fields=["username"],
                name="%(app_label)s_%(class)s_live_username",
                violation_error_message=USERNAME_TAKEN,
            ),
            LiveUniqueConstraint(
                fields=["email"],
                case_insensitive=True,
                name="%(app_label)s_%(class)s_live_email",
                violation_error_message=EMAIL_TAKEN,
            ),
            LiveUniqueConstraint(
                fields=["username_key"],
                name="%(app_label)s_%(class)s_live_username_key",
                violation_error_message=USERNAME_SIMILAR,
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        try:
            super().save(*args, **kwargs)
        except ValidationError as error:
            raise self._username_error(error) from None

    save.alters_data = True  # type: ignore[attr-defined]

    def validate_constraints(self, exclude: Any = None) -> None:
        """Validate as Django does; a lookalike username is an error on ``username``."""
        exclude = set(exclude or ())
        if "username" not in exclude:
            # username_key is not editable, so forms exclude it: check it with username.
            exclude.discard("username_key")
            self.username_key = username_key(self.username)
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise self._username_error(error) from None

    def restore(self, using: str | None = None) -> None:
        try:
            super().restore(using)
        except ValidationError as error:
            raise self._username_error(error) from None

    restore.alters_data = True  # type: ignore[attr-defined]

    @classmethod
    def username_key_for(cls, username: str) -> str:
        """Return the key a live user's username must not share (see ``usernames``)."""
        return username_key(username)

    @property
    def has_verified_email(self) -> bool:
        return self.email_verified_at is not None

    def mark_email_verified(self, *, save: bool = True) -> None:
        """Record that the user proved they own their email address now."""
        self.email_verified_at = timezone.now()
        if save:
            self.save(update_fields=["email_verified_at"])

    async def amark_email_verified(self, *, save: bool = True) -> None:
        await sync_to_async(self.mark_email_verified)(save=save)

    @classmethod
    def get_soft_delete_values(cls, deleted_at: datetime) -> dict[str, Any]:
        # First: MySQL and MariaDB assign left to right, so is_active is read
        # before it is cleared (PostgreSQL and SQLite read the old row anyway).
        return {
            "active_before_deletion": F("is_active"),
            **super().get_soft_delete_values(deleted_at),
            "is_active": False,
        }

    @classmethod
    def get_restore_values(cls, stored: dict[str, Any]) -> dict[str, Any]:
        # Links issued before the deletion hashed the old last_login: a new one
        # ends them (while deleted, the account cannot use them at all).
        # NULL: deleted before moa-accounts remembered is_active; active, as then.
        was_active = stored.get("active_before_deletion")
        return {
            **super().get_restore_values(stored),
            "is_active": True if was_active is None else was_active,
            "active_before_deletion": None,
            "last_login": timezone.now(),
        }

    @classmethod
    def soft_deleted(
        cls, pks: list[Any], values: dict[str, Any], using: str, instances: dict[Any, Any]
    ) -> None:
        super().soft_deleted(pks, values, using, instances)
        if not user_soft_deleted.has_listeners(cls):
            return
        missing = [pk for pk in pks if pk not in instances]
        loaded = cls._base_manager.using(using).in_bulk(missing) if missing else {}
        for pk in pks:
            user = instances.get(pk) or loaded[pk]
            user_soft_deleted.send(sender=cls, user=user, using=using)

    def restored(self, using: str) -> None:
        user_restored.send(sender=type(self), user=self, using=using)

    def _username_error(self, error: ValidationError) -> ValidationError:
        """Report a clash of usernames once, on ``username``: taken, or looks the same.

        "Taken" only for the very same string: MariaDB's collation also calls
        ``Ölaf`` and ``ölaf`` equal, and the answer must not depend on the database.
        """
        if not hasattr(error, "error_dict"):
            return error
        errors = dict(error.error_dict)
        clashes = [*errors.pop("username_key", []), *errors.get("username", [])]
        clash = [e for e in clashes if e.message in (USERNAME_TAKEN, USERNAME_SIMILAR)]
        if not clash:
            return error
        others = [e for e in errors.get("username", []) if e not in clash]
        exact = self.username in (
            type(self)
            ._base_manager.filter(deleted_at__isnull=True, username_key=self.username_key)
            .exclude(pk=self.pk)
            .values_list("username", flat=True)
        )
        message = USERNAME_TAKEN if exact else USERNAME_SIMILAR
        errors["username"] = [*others, ValidationError(message, code="unique")]
        return ValidationError(errors)


class User(AbstractSoftDeleteUser):  # noqa: DJ008 (AbstractBaseUser has __str__)
    """The soft-delete user: ``AUTH_USER_MODEL = "moa_accounts.User"``."""

    class Meta(AbstractSoftDeleteUser.Meta):
        app_label = "moa_accounts"
        swappable = "AUTH_USER_MODEL"
