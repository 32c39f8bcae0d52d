"""``LiveUniqueConstraint``: unique among live rows, enforced by every database.

PostgreSQL and SQLite get a partial unique index::

    CREATE UNIQUE INDEX name ON table (LOWER(email)) WHERE deleted_at IS NULL

MySQL and MariaDB have neither partial nor functional unique indexes (Django
silently creates nothing for such a ``UniqueConstraint``, warning W036/W044).
There the constraint adds one stored generated column per field, holding the
field's value while the row is live and ``NULL`` once it is deleted, and a
unique index over those columns. ``NULL`` never collides in a unique index, so
deleted rows drop out of the constraint exactly as with a partial index::

    ALTER TABLE table
      ADD COLUMN name_k0 varchar(254)
        GENERATED ALWAYS AS (CASE WHEN deleted_at IS NULL THEN LOWER(email) END) STORED,
      ADD CONSTRAINT name UNIQUE (name_k0),
      ADD INDEX name_src (email)

The generated columns belong to the constraint, not to the model: Django never
reads or writes them, and removing the constraint drops them.

To Django the constraint has no condition, so it counts among
``Meta.total_unique_constraints``: uniqueness holds over every row the model's
default manager returns (the live rows), which is what ``auth.E003`` and
natural-key lookups need.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, NotSupportedError
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.ddl_references import Statement, Table
from django.db.models import F, Field, Model, Q, UniqueConstraint, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# Longest identifier MySQL and MariaDB accept.
MYSQL_MAX_NAME_LENGTH = 64


class LiveUniqueConstraint(UniqueConstraint):
    """Make ``fields`` unique among rows whose ``deleted_field`` is ``NULL``."""

    def __init__(
        self,
        *,
        fields: list[str] | tuple[str, ...],
        name: str,
        case_insensitive: bool = False,
        deleted_field: str = "deleted_at",
        violation_error_code: str | None = None,
        violation_error_message: str | _StrPromise | None = None,
    ) -> None:
        if not fields:
            raise ValueError("LiveUniqueConstraint.fields must name at least one field.")
        super().__init__(
            fields=fields,
            name=name,
            violation_error_code=violation_error_code,
            violation_error_message=violation_error_message,
        )
        self.case_insensitive = case_insensitive
        self.deleted_field = deleted_field

    # Schema ------------------------------------------------------------------

    def _partial_index(self) -> UniqueConstraint:
        condition = Q(**{f"{self.deleted_field}__isnull": True})
        if self.case_insensitive:
            return UniqueConstraint(
                *[Lower(field) for field in self.fields],
                name=self.name,
                condition=condition,
            )
        return UniqueConstraint(fields=self.fields, name=self.name, condition=condition)

    def _uses_generated_columns(self, schema_editor: BaseDatabaseSchemaEditor) -> bool:
        features = schema_editor.connection.features
        partial = features.supports_partial_indexes and (
            features.supports_expression_indexes or not self.case_insensitive
        )
        if partial:
            return False
        if schema_editor.connection.vendor == "mysql":
            return True
        raise NotSupportedError(
            f"LiveUniqueConstraint {self.name!r} needs partial unique indexes or "
            "MySQL/MariaDB generated columns."
        )

    def key_columns(self) -> list[str]:
        """Return the names of the generated columns used on MySQL/MariaDB."""
        stem = self.name[: MYSQL_MAX_NAME_LENGTH - 4]
        return [f"{stem}_k{index}" for index in range(len(self.fields))]

    def _lookup_index_name(self) -> str:
        return self.name[: MYSQL_MAX_NAME_LENGTH - 4] + "_src"

    @staticmethod
    def _column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        assert field.column is not None
        return field.column

    def _generated_columns_sql(
        self, model: type[Model], schema_editor: BaseDatabaseSchemaEditor
    ) -> Statement:
        quote = schema_editor.quote_name
        connection = schema_editor.connection
        deleted = quote(self._column(model, self.deleted_field))
        definitions = []
        sources = []
        for field_name, key_column in zip(self.fields, self.key_columns(), strict=True):
            field = model._meta.get_field(field_name)
            assert isinstance(field, Field)
            source = quote(self._column(model, field_name))
            sources.append(source)
            value = f"LOWER({source})" if self.case_insensitive else source
            collation = getattr(field, "db_collation", None)
            collate = f" COLLATE {collation}" if collation else ""
            definitions.append(
                f"ADD COLUMN {quote(key_column)} {field.db_type(connection)}{collate} "
                f"GENERATED ALWAYS AS (CASE WHEN {deleted} IS NULL THEN {value} END) "
                "STORED"
            )
        return Statement(
            "ALTER TABLE %(table)s %(columns)s, ADD CONSTRAINT %(name)s UNIQUE (%(keys)s), "
            "ADD INDEX %(lookup)s (%(sources)s)",
            table=Table(model._meta.db_table, quote),
            columns=", ".join(definitions),
            name=quote(self.name),
            keys=", ".join(quote(column) for column in self.key_columns()),
            lookup=quote(self._lookup_index_name()),
            sources=", ".join(sources),
        )

    def constraint_sql(  # type: ignore[override]
        self, model: type[Model] | None, schema_editor: BaseDatabaseSchemaEditor | None
    ) -> str | None:
        assert model is not None
        assert schema_editor is not None
        if not self._uses_generated_columns(schema_editor):
            return self._partial_index().constraint_sql(model, schema_editor)
        # The columns can only be added once the table exists.
        schema_editor.deferred_sql.append(self._generated_columns_sql(model, schema_editor))
        return None

    def create_sql(  # type: ignore[override]
        self, model: type[Model] | None, schema_editor: BaseDatabaseSchemaEditor | None
    ) -> str | Statement | None:
        assert model is not None
        assert schema_editor is not None
        if not self._uses_generated_columns(schema_editor):
            return self._partial_index().create_sql(model, schema_editor)
        return self._generated_columns_sql(model, schema_editor)

    def remove_sql(  # type: ignore[override]
        self, model: type[Model] | None, schema_editor: BaseDatabaseSchemaEditor | None
    ) -> str | Statement | None:
        assert model is not None
        assert schema_editor is not None
        if not self._uses_generated_columns(schema_editor):
            return self._partial_index().remove_sql(model, schema_editor)
        quote = schema_editor.quote_name
        drops = [f"DROP COLUMN {quote(column)}" for column in self.key_columns()]
        return Statement(
            "ALTER TABLE %(table)s DROP INDEX %(name)s, DROP INDEX %(lookup)s, %(drops)s",
            table=Table(model._meta.db_table, quote),
            name=quote(self.name),
            lookup=quote(self._lookup_index_name()),
            drops=", ".join(drops),
        )

    # Validation --------------------------------------------------------------

    def validate(
        self,
        model: type[Model],
        instance: Model,
        exclude: set[str] | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        """Raise ``ValidationError`` if a live row already holds these values."""
        if exclude and any(name in exclude for name in self.fields):
            return
        if getattr(instance, self.deleted_field) is not None:
            return
        queryset = model._base_manager.using(using).filter(
            **{f"{self.deleted_field}__isnull": True}
        )
        for name in self.fields:
            field = model._meta.get_field(name)
            value = getattr(instance, field.attname)  # type: ignore[union-attr]
            if value is None:
                return  # NULL never collides
            if self.case_insensitive:
                queryset = queryset.filter(
                    Exact(Lower(F(name)), Lower(Value(value, output_field=field)))  # type: ignore[arg-type]
                )
            else:
                queryset = queryset.filter(**{name: value})
        if not instance._state.adding and instance.pk is not None:
            queryset = queryset.exclude(pk=instance.pk)
        if queryset.exists():
            raise self.violation_error()

    def violation_error(self) -> ValidationError:
        """Return the error for a violation, keyed by the field if there is one."""
        error = ValidationError(
            self.get_violation_error_message(),
            code=self.violation_error_code or "unique",
        )
        if len(self.fields) == 1:
            return ValidationError({self.fields[0]: error})
        return error

    def matches(self, error: Exception, model: type[Model]) -> bool:
        """Return whether a database ``IntegrityError`` is a violation of this."""
        text = str(error)
        # The whole name: "..._live_username" must not match "..._live_username_key".
        if re.search(rf"(?<!\w){re.escape(self.name)}(?!\w)", text):
            return True
        # SQLite names the columns of a partial index on plain columns.
        table = model._meta.db_table
        columns = ", ".join(f"{table}.{self._column(model, name)}" for name in self.fields)
        return text.endswith(f"UNIQUE constraint failed: {columns}")

    # Identity ----------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LiveUniqueConstraint):
            return NotImplemented
        return (
            super().__eq__(other)
            and self.case_insensitive == other.case_insensitive
            and self.deleted_field == other.deleted_field
        )

    __hash__ = None  # type: ignore[assignment]

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        if self.case_insensitive:
            kwargs["case_insensitive"] = True
        if self.deleted_field != "deleted_at":
            kwargs["deleted_field"] = self.deleted_field
        return path, args, kwargs

    def __repr__(self) -> str:
        return "<%s: fields=%r name=%r%s>" % (
            self.__class__.__qualname__,
            self.fields,
            self.name,
            " case_insensitive=True" if self.case_insensitive else "",
        )
