"""Soft deletion with its cascade policy, restore, and batched hard deletion.

Cascade policy of a soft delete (documented in docs/how-to/accounts.md):

- ``CASCADE`` to a soft-deletable model: those rows are soft-deleted too, with
  the same ``deleted_at``; restoring the parent restores exactly them.
- ``PROTECT`` and ``RESTRICT``: the soft delete is refused with Django's
  ``ProtectedError`` / ``RestrictedError`` while a referencing row is visible
  through its model's default manager (for a soft-deletable model: live).
- Anything else (``CASCADE`` to an ordinary model, ``SET_NULL``,
  ``SET_DEFAULT``, ``DO_NOTHING``): left as is. The soft-deleted row still
  exists, so every reference stays valid; ``hard_delete()`` later applies the
  full ``on_delete`` behaviour.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connections, models, router, transaction
from django.db.models import F, Q, signals
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.db.models.lookups import Lookup
from django.utils import timezone

if TYPE_CHECKING:
    from moa_accounts.models import SoftDeleteModel


def _cascade_relations(model: type[models.Model]) -> Iterator[models.ForeignObjectRel]:
    for relation in model._meta.get_fields(include_hidden=True):
        if (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_one or relation.one_to_many)
        ):
            yield relation  # type: ignore[misc]


def _is_soft_deletable(model: type[models.Model]) -> bool:
    from moa_accounts.models import SoftDeleteModel

    return issubclass(model, SoftDeleteModel)


def _referencing(
    relation: models.ForeignObjectRel, pks: list[Any], using: str
) -> models.QuerySet[Any]:
    related_model = relation.related_model
    assert isinstance(related_model, type)
    field_name = relation.field.name
    return related_model._default_manager.using(using).filter(**{f"{field_name}__in": pks})


def _check_protection(
    model: type[models.Model], pks: list[Any], using: str, deleting: dict[Any, set[Any]]
) -> None:
    for relation in _cascade_relations(model):
        on_delete = relation.on_delete
        if on_delete not in (models.PROTECT, models.RESTRICT):
            continue
        blockers = [
            obj
            for obj in _referencing(relation, pks, using)
            if obj.pk not in deleting.get(type(obj), set())
        ]
        if not blockers:
            continue
        related = relation.related_model
        assert isinstance(related, type)
        message = (
            "Cannot soft-delete some instances of model %r because they are "
            "referenced through %s foreign key %s.%s."
        ) % (
            model.__name__,
            "protected" if on_delete is models.PROTECT else "restricted",
            related.__name__,
            relation.field.name,
        )
        if on_delete is models.PROTECT:
            raise ProtectedError(message, set(blockers))
        raise RestrictedError(message, set(blockers))


def _collect(
    model: type[SoftDeleteModel], pks: list[Any], using: str, found: dict[Any, set[Any]]
) -> None:
    """Add ``pks`` and their soft-deletable CASCADE children to ``found``."""
    new = [pk for pk in pks if pk not in found.setdefault(model, set())]
    if not new:
        return
    found[model].update(new)
    for relation in _cascade_relations(model):
        related = relation.related_model
        if relation.on_delete is not models.CASCADE or not isinstance(related, type):
            continue
        if not _is_soft_deletable(related):
            continue
        children = list(
            related._base_manager.using(using)
            .filter(**{f"{relation.field.name}__in": new, "deleted_at__isnull": True})
            .values_list("pk", flat=True)
        )
        if children:
            _collect(related, children, using, found)  # type: ignore[arg-type]


def soft_delete(
    model: type[SoftDeleteModel],
    pks: Iterable[Any],
    using: str | None = None,
    instances: dict[Any, Any] | None = None,
) -> tuple[int, dict[str, int]]:
    """Soft-delete the live rows ``pks`` of ``model`` and their cascade.

    Return ``(total, {model label: count})`` like ``QuerySet.delete()``.
    """
    using = using or router.db_for_write(model)
    deleted_at = timezone.now()
    found: dict[Any, set[Any]] = {}
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        live = list(
            model._base_manager.using(using)
            .filter(pk__in=list(pks), deleted_at__isnull=True)
            .values_list("pk", flat=True)
        )
        _collect(model, live, using, found)
        for each_model, each_pks in found.items():
            _check_protection(each_model, list(each_pks), using, found)
        for each_model, each_pks in found.items():
            values = each_model.get_soft_delete_values(deleted_at)
            count = (
                each_model._base_manager.using(using)
                .filter(pk__in=list(each_pks), deleted_at__isnull=True)
                .update(**values)
            )
            if count:
                counts[each_model._meta.label] = count
            known = instances if each_model is model else None
            each_model.soft_deleted(sorted(each_pks), values, using, known or {})
    return sum(counts.values()), counts


def restore_children(
    model: type[SoftDeleteModel], pk: Any, deleted_at: datetime, using: str
) -> None:
    """Restore the CASCADE children soft-deleted together with row ``pk``."""
    for relation in _cascade_relations(model):
        related = relation.related_model
        if relation.on_delete is not models.CASCADE or not isinstance(related, type):
            continue
        if not _is_soft_deletable(related):
            continue
        children = related._base_manager.using(using).filter(
            **{relation.field.name: pk, "deleted_at": deleted_at}
        )
        for child in children:
            child.restore(using=using)  # type: ignore[attr-defined]


class _AnyOf(Lookup):  # type: ignore[type-arg,unused-ignore]
    """``column = ANY(%s)`` with the values as one PostgreSQL array parameter.

    A thousand-value ``IN (...)`` costs Django and psycopg a thousand parameters
    to prepare and convert on every query; one array parameter costs one.
    """

    lookup_name = "moa_any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


class _PkCollector(Collector):
    """Django's deletion collector, matching related rows by primary key values.

    The stock collector filters related models with ``fk__in=[instances]``;
    normalizing a thousand instances per relation costs more than the query.
    On PostgreSQL the key values travel as one array parameter.
    """

    def related_objects(
        self, related_model: type[models.Model], related_fields: Any, objs: Any
    ) -> models.QuerySet[Any]:
        pks = [obj.pk for obj in objs]
        manager = related_model._base_manager.using(self.using)
        if connections[self.using].vendor == "postgresql":
            lookups: list[Any] = [_AnyOf(F(field.attname), pks) for field in related_fields]
            predicate = Q.create(lookups, connector=Q.OR)
        else:
            predicate = Q.create(
                [(f"{field.name}__in", pks) for field in related_fields], connector=Q.OR
            )
        return manager.filter(predicate)


@dataclass(frozen=True)
class Batch:
    """One committed batch of a batched hard delete."""

    deleted: int
    seconds: float


def hard_delete_in_batches(
    queryset: models.QuerySet[Any], *, batch_size: int, using: str | None = None
) -> Iterator[Batch]:
    """Hard-delete the rows of ``queryset`` in short transactions, in pk order.

    Each batch locks its rows (``SELECT ... FOR UPDATE`` re-checks the filter on
    PostgreSQL and MariaDB), so a row that stops matching while the command
    runs (a user who verifies their email) is never deleted. Django's deletion
    collector removes related rows with each batch.
    """
    model = queryset.model
    using = using or router.db_for_write(model)
    slim = not (signals.pre_delete.has_listeners(model) or signals.post_delete.has_listeners(model))
    last_pk: Any = None
    while True:
        started = time.perf_counter()
        with transaction.atomic(using=using):
            batch = queryset.using(using)
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            pks = list(
                batch.order_by("pk").select_for_update().values_list("pk", flat=True)[:batch_size]
            )
            if not pks:
                return
            if slim:
                # The rows are locked and known: no need to load them again.
                attname = model._meta.pk.attname
                doomed: Any = [model.from_db(using, [attname], [pk]) for pk in pks]
            else:
                doomed = model._base_manager.using(using).filter(pk__in=pks)
            collector = _PkCollector(using=using)
            collector.collect(doomed)
            _, per_model = collector.delete()
        last_pk = pks[-1]
        yield Batch(per_model.get(model._meta.label, 0), time.perf_counter() - started)
