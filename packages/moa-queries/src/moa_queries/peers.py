"""Load a relation for every row of a result at once ("peer fetching").

Rows fetched together share a list of weak references to each other (Django
6.1 calls them *peers* and fills ``_state.peers`` itself in ``FETCH_PEERS``
mode). When a relation that is not loaded is read on one row, it is loaded for
all of its peers with one ``prefetch_related_objects()`` call.

Django 6.1 does this for forward relations, reverse one-to-one, generic
foreign keys and deferred fields. On Django 5.2 the descriptors of models
whose rows are linked are replaced by subclasses that do the same. On both,
reverse foreign key, many-to-many and generic relation managers peer-fetch on
``all()``, ``count()`` and ``exists()``.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections, models
from django.db.models import Model, Prefetch, prefetch_related_objects
from django.db.models.fields import related_descriptors
from django.db.models.query_utils import DeferredAttribute
from django.utils.functional import cached_property

FETCH_MODES = hasattr(models.QuerySet, "fetch_mode")
"""Whether Django has fetch modes (6.1+), which handle forward relations."""

if FETCH_MODES:
    from django.db.models import fetch_modes

    class SafeFetchPeers(fetch_modes.FetchPeers):
        """``FETCH_PEERS`` for rows of a ``SafeQuerySet`` and the rows fetched from them.

        Django gives rows it fetches for a row that row's fetch mode, so this
        mode marks every row that opted in, and only those: a plain
        ``fetch_mode(FETCH_PEERS)`` queryset keeps Django's own behaviour.
        """

        __slots__ = ()

        def __reduce__(self) -> str:
            return "SAFE_PEERS"

    SAFE_PEERS: Any = SafeFetchPeers()

_group_ids = itertools.count(1)
linking: ContextVar[bool] = ContextVar("moa_queries_linking", default=False)
"""True while peers are being fetched or linked (the detector ignores it)."""


class PeerList(list):  # type: ignore[type-arg]
    """Weak references to rows loaded together; pickles as an empty list."""

    def __reduce__(self) -> tuple[type[PeerList], tuple[()]]:
        return (PeerList, ())


class LoadGroup:
    """Marks rows loaded by one query (or one chunk of it): how many there were."""

    __slots__ = ("__weakref__", "id", "size")

    def __init__(self, size: int = 0) -> None:
        self.size = size
        self.id = next(_group_ids)

    def __reduce__(self) -> tuple[type[LoadGroup], tuple[()]]:
        return (LoadGroup, ())


def live_peers(instance: Model) -> list[Model]:
    """Return the rows loaded together with ``instance`` that still exist."""
    refs = getattr(instance._state, "peers", ())
    return [peer for ref in refs if (peer := ref()) is not None]


def _missing_peers(instance: Model, is_loaded: Callable[[Model], bool]) -> list[Model]:
    refs = getattr(instance._state, "peers", ())
    if len(refs) < 2:
        return []
    rows = [peer for ref in refs if (peer := ref()) is not None and not is_loaded(peer)]
    return rows if len(rows) > 1 else []


def opted_in(instance: Model) -> bool:
    """Return whether ``instance`` came from a ``SafeQuerySet`` (or a row of one)."""
    if FETCH_MODES:
        return isinstance(instance._state.fetch_mode, SafeFetchPeers)
    return isinstance(getattr(instance._state, "peers", None), PeerList)


def link(rows: Iterable[Model]) -> None:
    """Make ``rows`` peers of each other, one group per model class."""
    install_all_peer_descriptors()
    # Once per row, in the order first seen; nearly always a single class.
    unique = list({id(row): row for row in rows}.values())
    if not unique:
        return
    first = type(unique[0])
    if all(type(row) is first for row in unique):
        by_class: dict[type[Model], list[Model]] = {first: unique}
    else:
        by_class = {}
        for row in unique:
            by_class.setdefault(type(row), []).append(row)
    for model, group in by_class.items():
        install_peer_descriptors(model)
        peers = PeerList(map(weakref.ref, group))
        load = LoadGroup(len(group))
        if FETCH_MODES:
            for row in group:
                state = row._state
                state.peers = peers
                state.moa_load = load  # type: ignore[attr-defined]
                state.fetch_mode = SAFE_PEERS
        else:
            for row in group:
                state = row._state
                state.peers = peers
                state.moa_load = load  # type: ignore[attr-defined]


def _related_rows(row: Model, name: str) -> list[Model]:
    cache = row._state.fields_cache
    if name in cache:
        value = cache[name]
        return [value] if isinstance(value, Model) else []
    # A relation prefetched under its own name: read it without building a manager.
    prefetched = row.__dict__.get("_prefetched_objects_cache")
    if prefetched and name in prefetched:
        return list(prefetched[name]._result_cache or ())
    if name in row.__dict__:
        value = row.__dict__[name]
        if isinstance(value, Model):
            return [value]
        if isinstance(value, list | tuple):
            return [item for item in value if isinstance(item, Model)]
        return []
    descriptor = inspect.getattr_static(type(row), name, None)
    if isinstance(descriptor, related_descriptors.ReverseManyToOneDescriptor):
        queryset = getattr(row, name).get_queryset()
        return list(queryset._result_cache or ())
    return []


def link_result(
    rows: Sequence[Model], prefetch_lookups: Iterable[str | Prefetch[Any]], select_related: Any
) -> None:
    """Link ``rows``, the rows joined to them and the rows prefetched for them."""
    token = linking.set(True)
    try:
        link(rows)
        if select_related:
            _link_joined(rows)
        for lookup in prefetch_lookups:
            path = lookup.prefetch_to if isinstance(lookup, Prefetch) else lookup
            level: list[Model] = list(rows)
            for part in path.split("__"):
                level = [child for row in level for child in _related_rows(row, part)]
                if len(level) < 2:
                    break
                link(level)
    finally:
        linking.reset(token)


def _link_joined(rows: Sequence[Model]) -> None:
    seen = {id(row) for row in rows}
    level = list(rows)
    for _depth in range(5):
        groups: dict[str, list[Model]] = {}
        for row in level:
            for name, value in row._state.fields_cache.items():
                if isinstance(value, Model) and id(value) not in seen:
                    seen.add(id(value))
                    groups.setdefault(name, []).append(value)
        if not groups:
            return
        level = []
        for group in groups.values():
            if len(group) > 1:
                link(group)
            level.extend(group)


SQLITE_BATCH_SIZE = 500
"""Rows per peer fetch on SQLite, whose expression depth limit (1,000) Django's
``OR``-joined lookups reach with larger lists."""


def _batches(rows: list[Model]) -> list[list[Model]]:
    if connections[rows[0]._state.db or "default"].vendor != "sqlite":
        return [rows]
    return [rows[i : i + SQLITE_BATCH_SIZE] for i in range(0, len(rows), SQLITE_BATCH_SIZE)]


def _fetch_for_peers(
    rows: list[Model], lookup: str, collect: Callable[[Model], list[Model]]
) -> None:
    token = linking.set(True)
    try:
        for batch in _batches(rows):
            prefetch_related_objects(batch, lookup)
        link(child for row in rows for child in collect(row))
    finally:
        linking.reset(token)


# Descriptor subclasses. Each one loads the relation for the row's peers, then
# lets Django's own descriptor answer from the cache it filled.


class PeerForwardDescriptor:
    """Forward foreign key and one-to-one (Django 5.2)."""

    field: Any

    def get_object(self, instance: Model) -> Any:
        field = self.field
        if not field.remote_field.parent_link:
            rows = _missing_peers(instance, field.is_cached)
            if rows:
                _fetch_for_peers(
                    rows,
                    field.name,
                    lambda row: [v] if (v := field.get_cached_value(row, None)) else [],
                )
                if field.is_cached(instance):
                    return field.get_cached_value(instance)
        return super().get_object(instance)  # type: ignore[misc]


class PeerReverseOneToOneDescriptor:
    """Reverse one-to-one, including multi-table inheritance children (5.2)."""

    related: Any

    def __get__(self, instance: Model | None, cls: type | None = None) -> Any:
        if instance is not None and not self.related.is_cached(instance):
            related = self.related
            rows = _missing_peers(instance, lambda row: related.is_cached(row) or row.pk is None)
            if rows:
                _fetch_for_peers(
                    rows,
                    related.get_accessor_name(),
                    lambda row: [v] if (v := related.get_cached_value(row, None)) else [],
                )
        return super().__get__(instance, cls)  # type: ignore[misc]


class PeerGenericForeignKey:
    """Generic foreign key (Django 5.2)."""

    name: str

    def is_cached(self, instance: Model) -> bool:
        return super().is_cached(instance)  # type: ignore[misc,no-any-return]

    def get_cached_value(self, instance: Model, default: Any = None) -> Any:
        return super().get_cached_value(instance, default)  # type: ignore[misc]

    def __get__(self, instance: Model | None, cls: type | None = None) -> Any:
        if instance is not None and not self.is_cached(instance):
            rows = _missing_peers(instance, self.is_cached)
            if rows:
                _fetch_for_peers(
                    rows,
                    self.name,
                    lambda row: [v] if (v := self.get_cached_value(row)) else [],
                )
        return super().__get__(instance, cls)  # type: ignore[misc]


class PeerDeferredAttribute:
    """A deferred field, loaded for every peer missing it (Django 5.2)."""

    field: Any

    def _check_parent_chain(self, instance: Model) -> Any:
        return super()._check_parent_chain(instance)  # type: ignore[misc]

    def __get__(self, instance: Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        attname = self.field.attname
        if attname not in instance.__dict__ and self._check_parent_chain(instance) is None:
            rows = _missing_peers(instance, lambda row: attname in row.__dict__ or row.pk is None)
            if rows:
                token = linking.set(True)
                try:
                    manager = type(instance)._base_manager.db_manager(instance._state.db)
                    values = dict(
                        manager.filter(pk__in=[row.pk for row in rows]).values_list("pk", attname)
                    )
                finally:
                    linking.reset(token)
                for row in rows:
                    if row.pk in values:
                        row.__dict__[attname] = values[row.pk]
        return super().__get__(instance, cls)  # type: ignore[misc]


class PeerRelatedManager:
    """Mixed into reverse foreign key, many-to-many and generic relation managers."""

    instance: Model
    moa_accessor: str

    def _moa_cache_name(self) -> str:
        name = getattr(self, "prefetch_cache_name", None)
        if name is None:
            name = self.field.remote_field.cache_name  # type: ignore[attr-defined]
        return str(name)

    def _moa_fetch_peers(self) -> None:
        instance = self.instance
        if not opted_in(instance):
            return
        cache_name = self._moa_cache_name()
        if cache_name in getattr(instance, "_prefetched_objects_cache", {}):
            return

        def is_loaded(row: Model) -> bool:
            cache = getattr(row, "_prefetched_objects_cache", {})
            return cache_name in cache or row.pk is None

        rows = _missing_peers(instance, is_loaded)
        if rows:
            _fetch_for_peers(
                rows,
                self.moa_accessor,
                lambda row: list(row._prefetched_objects_cache[cache_name]),  # type: ignore[attr-defined]
            )

    def all(self) -> Any:
        if not (_in_event_loop() and opted_in(self.instance)):
            self._moa_fetch_peers()
            return super().all()  # type: ignore[misc]
        # In async code the queryset is evaluated in a worker thread
        # (``async for`` runs ``_fetch_all`` through ``sync_to_async``): the
        # peers are fetched there, never with the event loop blocked.
        token = linking.set(True)
        try:
            queryset = super().all()  # type: ignore[misc]
        finally:
            linking.reset(token)
        if queryset._result_cache is None:
            _fetch_peers_on_evaluation(queryset, self)
        return queryset

    def count(self) -> int:
        self._moa_fetch_peers()
        return super().count()  # type: ignore[misc,no-any-return]

    def exists(self) -> bool:
        self._moa_fetch_peers()
        return super().exists()  # type: ignore[misc,no-any-return]

    def _moa_peer_loaded(self) -> Any:
        """Fetch for all peers; return this row's prefetched queryset, or ``None``."""
        if not opted_in(self.instance):
            return None
        self._moa_fetch_peers()
        cache = getattr(self.instance, "_prefetched_objects_cache", {})
        return cache.get(self._moa_cache_name())

    def _moa_end(self, method: str, index: int) -> Any:
        loaded = self._moa_peer_loaded()
        if loaded is None:
            return getattr(super(), method)()
        rows = list(loaded)
        if not loaded.ordered:  # Django orders by primary key then
            rows.sort(key=lambda row: row.pk)
        return rows[index] if rows else None

    def first(self) -> Any:
        return self._moa_end("first", 0)

    def last(self) -> Any:
        return self._moa_end("last", -1)

    async def afirst(self) -> Any:
        return await sync_to_async(self.first)()

    async def alast(self) -> Any:
        return await sync_to_async(self.last)()

    async def acount(self) -> int:
        return await sync_to_async(self.count)()

    async def aexists(self) -> bool:
        return await sync_to_async(self.exists)()


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _fetch_peers_on_evaluation(queryset: Any, manager: PeerRelatedManager) -> None:
    """Make ``queryset`` fetch ``manager``'s relation for all peers when it is evaluated."""

    def fetch_all() -> None:
        queryset.__dict__.pop("_fetch_all", None)
        if queryset._result_cache is None:
            manager._moa_fetch_peers()
            cache = getattr(manager.instance, "_prefetched_objects_cache", {})
            loaded = cache.get(manager._moa_cache_name())
            if loaded is not None:
                queryset._result_cache = list(loaded)
                queryset._prefetch_done = True
        queryset._fetch_all()

    queryset._fetch_all = fetch_all


class PeerManagerDescriptor:
    """Gives a related manager descriptor a peer-fetching manager class."""

    moa_accessor: str

    @cached_property
    def related_manager_cls(self) -> type:
        base = super().related_manager_cls  # type: ignore[misc]
        return type(
            base.__name__,
            (PeerRelatedManager, base),
            {"moa_accessor": self.moa_accessor, "__module__": base.__module__},
        )


_subclasses: dict[tuple[type, type], type] = {}
_installed: set[type[Model]] = set()
_install_lock = threading.RLock()
_all_installed = threading.Event()


def _peer_subclass(base: type, mixin: type) -> type:
    key = (base, mixin)
    if key not in _subclasses:
        _subclasses[key] = type("Peer" + base.__name__, (mixin, base), {"__module__": __name__})
    return _subclasses[key]


def _replace(model: type[Model], name: str, descriptor: Any, mixin: type) -> None:
    if isinstance(descriptor, mixin):
        return
    replacement: Any = object.__new__(_peer_subclass(type(descriptor), mixin))
    replacement.__dict__.update(descriptor.__dict__)
    replacement.__dict__.pop("related_manager_cls", None)
    if mixin is PeerManagerDescriptor:
        replacement.moa_accessor = name
    setattr(model, name, replacement)


def _generic_foreign_key_class() -> type | None:
    from django.apps import apps

    if not apps.is_installed("django.contrib.contenttypes"):
        return None
    from django.contrib.contenttypes.fields import GenericForeignKey

    return GenericForeignKey


def install_peer_descriptors(model: type[Model]) -> None:
    """Make ``model``'s relation descriptors load for all peers of a row."""
    if model in _installed:
        return
    with _install_lock:
        if model in _installed:
            return
        generic_fk = None if FETCH_MODES else _generic_foreign_key_class()
        for name in dir(model):
            if name.startswith("__"):
                continue
            descriptor = inspect.getattr_static(model, name, None)
            if isinstance(descriptor, related_descriptors.ReverseManyToOneDescriptor):
                _replace(model, name, descriptor, PeerManagerDescriptor)
            elif FETCH_MODES:
                continue
            elif isinstance(descriptor, related_descriptors.ForwardManyToOneDescriptor):
                _replace(model, name, descriptor, PeerForwardDescriptor)
            elif isinstance(descriptor, related_descriptors.ReverseOneToOneDescriptor):
                _replace(model, name, descriptor, PeerReverseOneToOneDescriptor)
            elif isinstance(descriptor, DeferredAttribute):
                _replace(model, name, descriptor, PeerDeferredAttribute)
            elif generic_fk is not None and isinstance(descriptor, generic_fk):
                _replace(model, name, descriptor, PeerGenericForeignKey)
        _installed.add(model)


def install_all_peer_descriptors() -> None:
    """Install the peer descriptors on every installed model (once).

    Rows fetched for a ``SafeQuerySet`` row may be of any model, so every
    model gets them before the first row is linked: a relation read on such a
    row costs the same whatever ran earlier in the process. On rows that did
    not opt in, the descriptors do exactly what Django's do.
    """
    if _all_installed.is_set():
        return
    from django.apps import apps

    with _install_lock:
        if _all_installed.is_set():
            return
        for model in apps.get_models(include_auto_created=True):
            install_peer_descriptors(model)
        _all_installed.set()
