"""``SafeQuerySet`` and ``SafeManager``: lists that cannot run 1 + N queries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections, models
from django.db.models import Model, Prefetch, prefetch_related_objects
from django.db.models.query import ModelIterable, RawQuerySet

from moa_queries import peers
from moa_queries.peers import FETCH_MODES, link_result

_M = TypeVar("_M", bound=Model)
_T = TypeVar("_T")

DEFAULTS_ATTRIBUTE = "QueryDefaults"
ITERATOR_CHUNK_SIZE = 2000


@dataclass(frozen=True)
class QueryDefaults:
    """The relations a model declares to load for every list of its rows."""

    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str | Prefetch[Any], ...] = ()


def query_defaults(model: type[Model]) -> QueryDefaults:
    """Read the ``QueryDefaults`` inner class declared on ``model``."""
    declared = getattr(model, DEFAULTS_ATTRIBUTE, None)
    if declared is None:
        return QueryDefaults()
    select = getattr(declared, "select_related", ())
    prefetch = getattr(declared, "prefetch_related", ())
    if isinstance(select, str) or isinstance(prefetch, str | Prefetch):
        raise TypeError(
            f"{model.__qualname__}.{DEFAULTS_ATTRIBUTE} must list its relations "
            "in a tuple or list, not a single string."
        )
    return QueryDefaults(tuple(select), tuple(prefetch))


def _lookup_path(lookup: str | Prefetch[Any]) -> str:
    return lookup.prefetch_to if isinstance(lookup, Prefetch) else lookup


if TYPE_CHECKING:
    _RawQuerySet = RawQuerySet[Any]
else:
    _RawQuerySet = RawQuerySet  # not subscriptable at run time


class SafeRawQuerySet(_RawQuerySet):
    """The ``raw()`` of a ``SafeQuerySet``: its rows are peers of each other."""

    _moa_peers = True

    def _clone(self) -> SafeRawQuerySet:
        clone: SafeRawQuerySet = super()._clone()  # type: ignore[misc]
        clone._moa_peers = self._moa_peers
        return clone

    def using(self, alias: str | None) -> SafeRawQuerySet:
        plain = super().using(alias)
        clone: Any = self._clone()
        clone.query = plain.query
        clone._db = alias
        return clone  # type: ignore[no-any-return]

    def _fetch_all(self) -> None:
        queryset: Any = self  # Django's private API, absent from the stubs
        fresh = queryset._result_cache is None
        super()._fetch_all()  # type: ignore[misc]
        rows = queryset._result_cache
        if fresh and self._moa_peers and rows and isinstance(rows[0], Model):
            link_result(rows, queryset._prefetch_related_lookups, None)


class SafeQuerySet(models.QuerySet[_M, _T]):
    """A queryset whose rows load their relations for all peers at once.

    - The relations in the model's ``QueryDefaults`` are joined or prefetched
      whenever rows are listed; ``without_defaults()`` opts out.
    - A relation read on a row that is not loaded is loaded for every row of
      the same result (or ``iterator()`` chunk) in one query;
      ``without_peers()`` opts out.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._moa_select_defaults = True
        self._moa_prefetch_defaults = True
        self._moa_peers = True
        if FETCH_MODES:
            self._fetch_mode = peers.SAFE_PEERS

    def _clone(self) -> SafeQuerySet[_M, _T]:
        clone: SafeQuerySet[_M, _T] = super()._clone()  # type: ignore[misc]
        clone._moa_select_defaults = self._moa_select_defaults
        clone._moa_prefetch_defaults = self._moa_prefetch_defaults
        clone._moa_peers = self._moa_peers
        return clone

    def without_defaults(self) -> SafeQuerySet[_M, _T]:
        """Return a queryset that skips the model's ``QueryDefaults``."""
        clone = self._clone()
        clone._moa_select_defaults = False
        clone._moa_prefetch_defaults = False
        return clone

    def without_peers(self) -> SafeQuerySet[_M, _T]:
        """Return a queryset whose rows load missing relations one row at a time."""
        clone = self._clone()
        clone._moa_peers = False
        if FETCH_MODES:
            unsafe: Any = clone
            unsafe._fetch_mode = models.FETCH_ONE
        return clone

    def select_related(self, *fields: Any) -> SafeQuerySet[_M, _T]:
        clone: SafeQuerySet[_M, _T] = super().select_related(*fields)
        if fields == (None,):
            clone._moa_select_defaults = False
        return clone

    def prefetch_related(self, *lookups: Any) -> SafeQuerySet[_M, _T]:
        clone: SafeQuerySet[_M, _T] = super().prefetch_related(*lookups)
        if lookups == (None,):
            clone._moa_prefetch_defaults = False
        return clone

    def raw(
        self,
        raw_query: Any,
        params: Any = (),
        translations: dict[str, str] | None = None,
        using: str | None = None,
    ) -> SafeRawQuerySet:
        unsafe: Any = self
        extra = {"fetch_mode": unsafe._fetch_mode} if FETCH_MODES else {}
        raw: Any = SafeRawQuerySet(
            raw_query,
            model=self.model,
            params=params,
            translations=translations,
            using=using or self.db,
            **extra,
        )
        raw._prefetch_related_lookups = self._lookups()
        raw._moa_peers = self._tracks_peers()
        return raw  # type: ignore[no-any-return]

    def _tracks_peers(self) -> bool:
        if FETCH_MODES:
            return self._moa_peers and bool(self._fetch_mode.track_peers)
        return self._moa_peers

    def _lists_models(self) -> bool:
        return issubclass(self._iterable_class, ModelIterable)

    def _apply_defaults(self) -> None:
        """Add the model's default relations to this queryset, in place."""
        if not self._lists_models():
            return
        defaults = query_defaults(self.model)
        query = self.query
        if (
            self._moa_select_defaults
            and defaults.select_related
            and query.select_related is not True
            and not query.select_for_update
            and not query.combinator
        ):
            names = [name for name in defaults.select_related if self._loads(name)]
            if names:
                query.add_select_related(names)
        if self._moa_prefetch_defaults and defaults.prefetch_related:
            unsafe: Any = self
            current: tuple[Any, ...] = unsafe._prefetch_related_lookups
            present = [_lookup_path(lookup) for lookup in current]
            extra = [
                lookup
                for lookup in defaults.prefetch_related
                if not any(
                    path == _lookup_path(lookup) or path.startswith(_lookup_path(lookup) + "__")
                    for path in present
                )
            ]
            lookups: tuple[Any, ...] = (*current, *extra)
            unsafe._prefetch_related_lookups = lookups
        self._moa_select_defaults = False
        self._moa_prefetch_defaults = False

    def _loads(self, path: str) -> bool:
        """Return whether the field ``path`` starts with is loaded (not deferred)."""
        names, defer = self.query.deferred_loading
        first = path.split("__", 1)[0]
        if defer:
            return first not in names
        return not names or first in names

    def _lookups(self) -> tuple[Any, ...]:
        unsafe: Any = self  # a private attribute the stubs do not declare
        return tuple(unsafe._prefetch_related_lookups)

    def _link(self, rows: Sequence[Any]) -> None:
        if rows and self._tracks_peers() and isinstance(rows[0], Model):
            link_result(rows, self._lookups(), self.query.select_related)

    def _fetch_all(self) -> None:
        queryset: Any = self  # Django's private API, absent from the stubs
        if queryset._result_cache is None:
            self._apply_defaults()
            queryset._result_cache = list(queryset._iterable_class(queryset))
            if queryset._prefetch_related_lookups and not queryset._prefetch_done:
                queryset._prefetch_related_objects()
            self._link(queryset._result_cache)
        if queryset._prefetch_related_lookups and not queryset._prefetch_done:
            queryset._prefetch_related_objects()

    def _iterator(self, use_chunked_fetch: bool, chunk_size: int | None) -> Iterator[_T]:
        queryset: Any = self._clone()
        queryset._apply_defaults()
        if not (queryset._tracks_peers() and queryset._lists_models()):
            parent: Any = super(SafeQuerySet, queryset)
            yield from parent._iterator(use_chunked_fetch, chunk_size)
            return
        size = chunk_size or ITERATOR_CHUNK_SIZE
        rows = iter(
            queryset._iterable_class(queryset, chunked_fetch=use_chunked_fetch, chunk_size=size)
        )
        while batch := list(islice(rows, size)):
            queryset._finish_batch(batch)
            yield from batch

    def _finish_batch(self, batch: list[Any]) -> None:
        if lookups := self._lookups():
            prefetch_related_objects(batch, *lookups)
        self._link(batch)

    async def aiterator(self, chunk_size: int = ITERATOR_CHUNK_SIZE) -> AsyncIterator[_T]:
        """Iterate asynchronously, loading relations for each chunk's peers."""
        if chunk_size <= 0:
            raise ValueError("Chunk size must be strictly positive.")
        queryset: Any = self._clone()
        queryset._apply_defaults()
        use_chunked_fetch = not connections[queryset.db].settings_dict.get(
            "DISABLE_SERVER_SIDE_CURSORS"
        )
        iterable = queryset._iterable_class(
            queryset, chunked_fetch=use_chunked_fetch, chunk_size=chunk_size
        )
        batch: list[Any] = []
        async for row in iterable:
            batch.append(row)
            if len(batch) >= chunk_size:
                await sync_to_async(queryset._finish_batch)(batch)
                for item in batch:
                    yield item
                batch = []
        if batch:
            await sync_to_async(queryset._finish_batch)(batch)
            for item in batch:
                yield item

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)  # type: ignore[misc]
        if self._result_cache is not None:
            self._link(self._result_cache)


if TYPE_CHECKING:

    class SafeManager(models.Manager[_M]):
        def get_queryset(self) -> SafeQuerySet[_M, _M]: ...
        def without_defaults(self) -> SafeQuerySet[_M, _M]: ...
        def without_peers(self) -> SafeQuerySet[_M, _M]: ...

else:

    class SafeManager(models.Manager.from_queryset(SafeQuerySet)):
        """The manager of ``SafeQuerySet``: ``objects = SafeManager()``."""
