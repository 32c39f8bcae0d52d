"""The N+1 detector: ``detect()`` and the hooks it relies on.

Rows loaded by one query are marked with a ``LoadGroup``. A relation loaded
lazily on one such row is a *lazy load*; two lazy loads of one relation, from
one line of code, on rows of one group, are an N+1. Peer fetching and
``prefetch_related()`` load for many rows at once and are never counted.
Independently, one SQL shape repeated ``threshold`` times is reported.
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
import itertools
import logging
import os
import sys
import sysconfig
import threading
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any, TypeVar, cast

import asgiref
import django
from django.conf import settings
from django.db.models import Model
from django.db.models import query as query_module
from django.db.models.fields import related_descriptors
from django.db.models.query_utils import DeferredAttribute

import moa_queries
from moa_queries import tracking
from moa_queries.conf import NPLUSONE_MODES, app_settings
from moa_queries.exceptions import NPlusOneError, NPlusOneWarning
from moa_queries.peers import FETCH_MODES, LoadGroup, linking

logger = logging.getLogger("moa_queries")

_F = TypeVar("_F", bound=Callable[..., Any])

_session: ContextVar[DetectionSession | None] = ContextVar("moa_queries_session", default=None)
_prefetching: ContextVar[bool] = ContextVar("moa_queries_prefetching", default=False)


@dataclass(frozen=True)
class Report:
    """One N+1 found: what was loaded, where, and the message shown for it."""

    kind: str
    """``"relation"`` (a relation loaded row by row) or ``"repeated"`` (one SQL shape)."""
    model: str
    relation: str
    site: str
    message: str
    sql: str = ""


@dataclass(frozen=True)
class WhitelistEntry:
    """Lazy loads to ignore: any of model, field and site may be left out."""

    model: str | None = None
    field: str | None = None
    site: str | None = None

    def matches(self, model: str | None, relation: str | None, site: str) -> bool:
        if self.model is not None and (model is None or self.model.lower() != model.lower()):
            return False
        if self.field is not None and self.field != relation:
            return False
        return self.site is None or fnmatch.fnmatch(site, self.site)


def parse_whitelist(entries: Any) -> list[WhitelistEntry]:
    """Turn ``MOA_QUERIES_NPLUSONE_WHITELIST``-shaped dicts into entries."""
    parsed = []
    for entry in entries or ():
        if isinstance(entry, WhitelistEntry):
            parsed.append(entry)
            continue
        if not isinstance(entry, dict) or not entry or set(entry) - {"model", "field", "site"}:
            raise ValueError(
                f"Whitelist entries are dicts with keys model, field, site; got {entry!r}."
            )
        parsed.append(WhitelistEntry(**entry))
    return parsed


# --- where the user's code is -------------------------------------------------

_LIBRARY_DIRS = tuple(
    os.path.dirname(module.__file__ or "") + os.sep for module in (django, asgiref, moa_queries)
) + tuple({os.path.join(sysconfig.get_paths()[key], "") for key in ("stdlib", "platstdlib")})
_TEMPLATE_BASE = os.path.join(os.path.dirname(django.__file__ or ""), "template", "base.py")


def _is_library(filename: str) -> bool:
    return filename.startswith((*_LIBRARY_DIRS, "<"))


def _short(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


def find_site(frame: FrameType | None = None) -> tuple[str, str, int]:
    """Return ``(site, filename, lineno)`` of the innermost user code calling in.

    A template's own name and line wins over the view that rendered it.
    """
    return _find_site_frame(frame or sys._getframe(1))[:3]


def _find_site_frame(frame: FrameType | None) -> tuple[str, str, int, FrameType | None]:
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == _TEMPLATE_BASE:
            node = frame.f_locals.get("self")
            token = getattr(node, "token", None)
            origin = getattr(node, "origin", None)
            if token is not None and origin is not None and getattr(token, "lineno", None):
                name = str(getattr(origin, "template_name", None) or origin.name)
                return f"{name}:{token.lineno}", str(origin.name), int(token.lineno), None
        elif not _is_library(filename):
            return f"{_short(filename)}:{frame.f_lineno}", filename, frame.f_lineno, frame
        frame = frame.f_back
    return "<unknown>:0", "<unknown>", 0, None


_async_caller: ContextVar[tuple[str, str, int, FrameType | None] | None] = ContextVar(
    "moa_queries_async_caller", default=None
)
"""Where async code awaited the ORM call now running in a worker thread."""


def _user_site(frame: FrameType | None) -> tuple[str, str, int, FrameType | None]:
    """Like ``find_site()``, but an async ORM call (``aget()``, ...) is at its awaiting line.

    The call runs in a worker thread, or, under ``async_to_sync``, back in the thread
    that started the event loop, below that thread's own (unrelated) user frames.
    """
    return _async_caller.get() or _find_site_frame(frame)


def _remembering_caller(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``sync_to_async`` as Django's queryset module uses it (``aget()``, ...)."""

    def sync_to_async(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        inner = original(function, *args, **kwargs)

        async def call(*call_args: Any, **call_kwargs: Any) -> Any:
            session = _session.get()
            if session is None or not session.relations:
                return await inner(*call_args, **call_kwargs)
            token = _async_caller.set(_find_site_frame(sys._getframe(1)))
            try:
                return await inner(*call_args, **call_kwargs)
            finally:
                _async_caller.reset(token)

        return call

    return sync_to_async


_ROW_VALUE_TYPES = (int, str, uuid.UUID)


def _row_values(row: Model | dict[str, Any]) -> list[Any]:
    if type(row) is dict:
        # A values() row: only its keys (id, pk, *_id) say it names rows.
        return [
            v
            for k, v in row.items()
            if type(v) in _ROW_VALUE_TYPES and (k in ("id", "pk") or k.endswith("_id"))
        ]
    return [v for k, v in row.__dict__.items() if k[0] != "_" and type(v) in _ROW_VALUE_TYPES]


def _param_values(params: Any) -> set[Any]:
    values = params.values() if isinstance(params, dict) else params
    return {v for v in values if type(v) in _ROW_VALUE_TYPES and v not in ("", 0)}


_ROW_FRAMES = 3
"""How many frames of user code, from the query's line outwards, may hold its row."""


def _user_frames(frame: FrameType | None, limit: int) -> Iterator[FrameType]:
    """The frame given, then up to ``limit - 1`` callers of it that are user code."""
    seen = 0
    while frame is not None and seen < limit:
        if not _is_library(frame.f_code.co_filename):
            seen += 1
            yield frame
        frame = frame.f_back


def _driving_row(frame: FrameType, params: Any, listed: dict[Any, int]) -> Any:
    """Return a row of a result whose values the query uses, local to ``frame`` or a caller.

    A row is a model instance marked as one of several loaded together, a
    ``values()`` dict, or a value of a ``values_list()`` result (``listed``: value
    to result id), returned as ``(result id, value)``.
    """
    wanted = _param_values(params)
    if not wanted:
        return None
    for user_frame in _user_frames(frame, _ROW_FRAMES):
        row = _row_in(user_frame, wanted, listed)
        if row is not None:
            return row
    return None


def _is_result_row(value: Any) -> bool:
    """Whether ``value`` is a row of a result: a model instance loaded with others, or a
    ``values()`` dict (string keys).

    type(), not isinstance(): isinstance() would set up a lazy object (request.user),
    running a query from inside the detector.
    """
    kind = type(value)
    if issubclass(kind, Model):
        group = getattr(value._state, "moa_load", None)
        return group is not None and group.size >= 2
    return kind is dict and all(type(key) is str for key in value)


def _row_in(frame: FrameType, wanted: set[Any], listed: dict[Any, int]) -> Any:
    for value in list(frame.f_locals.values()):
        if type(value) in _ROW_VALUE_TYPES:
            if value in wanted and value in listed:
                return (listed[value], value)
        elif _is_result_row(value) and wanted.intersection(_row_values(value)):
            return value
    return None


def _current_rows(frame: FrameType | None) -> set[int]:
    """Ids of the rows of results that the user frames hold as locals."""
    return {
        id(value)
        for user_frame in _user_frames(frame, _ROW_FRAMES)
        for value in list(user_frame.f_locals.values())
        if _is_result_row(value) and (type(value) is not dict or _row_values(value))
    }


# --- the session ----------------------------------------------------------------


@dataclass
class DetectionSession:
    """What one ``detect()`` block (or one request) has seen so far."""

    mode: str
    threshold: int | None
    whitelist: list[WhitelistEntry]
    relations: bool = True
    """Whether relations loaded row by row are tracked (needs the ORM hooks)."""
    reports: list[Report] = field(default_factory=list)
    _lazy: dict[tuple[str, str, str], dict[int, int]] = field(default_factory=dict)
    _groups: list[LoadGroup] = field(default_factory=list)
    _shapes: dict[str, int] = field(default_factory=dict)
    _reported: set[tuple[str, ...]] = field(default_factory=set)
    _relation_sites: set[str] = field(default_factory=set)
    _lazy_sites: set[str] = field(default_factory=set)
    _row_queries: dict[tuple[str, str], set[Any]] = field(default_factory=dict)
    _shape_rows: dict[str, set[int]] = field(default_factory=dict)
    listed: dict[Any, int] = field(default_factory=dict)
    """Values of ``values_list()`` results of several rows: value to result id."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _guard(self, action: Callable[[], None]) -> None:
        if self.mode != "log":
            action()
            return
        try:
            action()
        except Exception:  # the detector must never break a production request
            logger.debug("moa_queries: the N+1 detector failed", exc_info=True)

    def lazy_load(self, instance: Model, relation: str, hint: str) -> None:
        """Count one relation loaded for one row; report the second from a site."""
        if not self.relations or linking.get() or _prefetching.get():
            return
        self._guard(lambda: self._lazy_load(instance, relation, hint))

    def _lazy_load(self, instance: Model, relation: str, hint: str) -> None:
        group = getattr(instance._state, "moa_load", None)
        if group is None or group.size < 2:
            return
        model = instance._meta.label
        site, filename, lineno, _frame = _user_site(sys._getframe(1))
        with self._lock:
            self._lazy_sites.add(site)
        if any(entry.matches(model, relation, site) for entry in self.whitelist):
            return
        key = (model, relation, site)
        with self._lock:
            counts = self._lazy.setdefault(key, {})
            if group.id not in counts:
                self._groups.append(group)
            counts[group.id] = seen = counts.get(group.id, 0) + 1
            if seen < 2 or key in self._reported:
                return
            self._reported.add(key)
            self._relation_sites.add(site)
        name = instance._meta.object_name
        message = f"N+1 queries: {name}.{relation} is loaded one row at a time at {site}. {hint}"
        self._report(Report("relation", model, relation, site, message), filename, lineno)

    def query_executed(self, alias: str, sql: str, params: Any = None) -> None:
        """Count one query's shape; report a query run per row, or a shape repeated."""
        if linking.get() or _prefetching.get():
            return
        if self.threshold is None and not self.relations:
            return
        self._guard(lambda: self._query_executed(alias, sql, params))

    def _query_executed(self, alias: str, sql: str, params: Any) -> None:
        shape = tracking.fingerprint(sql)
        found = None
        if self.relations:
            found = _user_site(sys._getframe(1))
            if params and shape[:6].upper() == "SELECT":
                self._per_row_query(shape, params, found)
        if self.threshold is None:
            return
        # With rows tracked, a repetition is reported only when a loop over the
        # rows of a result runs it (a different row each time): a fixed number
        # of runs, such as twelve monthly counts, holds no such row. A template's
        # loop keeps its row out of reach: a site in a template counts as driven.
        # Production log mode tracks no rows, and looks at no frame until the
        # threshold is reached.
        rows = _current_rows(found[3]) if found is not None and found[3] is not None else None
        with self._lock:
            self._shapes[shape] = count = self._shapes.get(shape, 0) + 1
            seen = self._shape_rows.setdefault(shape, set())
            if rows is not None:
                seen.update(rows)
            driven = rows is None or len(seen) >= 2
            if count < self.threshold or not driven or ("repeated", shape) in self._reported:
                return
            self._reported.add(("repeated", shape))
        site, filename, lineno, _frame = found or _user_site(sys._getframe(1))
        if site in self._relation_sites:
            return
        if any(entry.matches(None, None, site) for entry in self.whitelist if not entry.model):
            return
        message = (
            f"Repeated queries: the same SQL ran {count} times on {alias!r}, last at "
            f"{site}: {shape[:300]}. Load the rows in one query (select_related, "
            "prefetch_related, in_bulk or a filter on a list). If it runs a fixed number "
            "of times, not once per row, add "
            f'{{"site": "{site}"}} to MOA_QUERIES_NPLUSONE_WHITELIST.'
        )
        self._report(Report("repeated", "", "", site, message, sql=shape), filename, lineno)

    def _per_row_query(
        self, shape: str, params: Any, found: tuple[str, str, int, FrameType | None]
    ) -> None:
        """Report one SELECT run for two rows of one result, from one line of code."""
        site, filename, lineno, frame = found
        if frame is None or site in self._lazy_sites:
            return
        row = _driving_row(frame, params, self.listed)
        if row is None:
            return
        model = row._meta.label if isinstance(row, Model) else ""
        row_key = row if type(row) is tuple else id(row)
        if any(entry.matches(model or None, None, site) for entry in self.whitelist):
            return
        key = (shape, site)
        with self._lock:
            rows = self._row_queries.setdefault(key, set())
            if key in self._reported:
                return
            rows.add(row_key)
            if len(rows) < 2:
                return
            self._reported.add(key)
            self._relation_sites.add(site)
        message = (
            f"N+1 queries: the same SQL runs once per row of a result at {site}: "
            f"{shape[:200]}. Load it for all rows in one query (a filter on the list "
            "of values, in_bulk, an annotation or Prefetch(queryset=...))."
        )
        self._report(Report("row", model, "", site, message, sql=shape), filename, lineno)

    def _report(self, report: Report, filename: str, lineno: int) -> None:
        with self._lock:
            self.reports.append(report)
        if self.mode == "raise":
            raise NPlusOneError(report.message)
        if self.mode == "warn":
            warnings.warn_explicit(
                report.message, NPlusOneWarning, filename, lineno, module="moa_queries"
            )
        elif self.mode == "log":
            logger.warning(
                "%s",
                report.message,
                extra={"nplusone_site": report.site, "nplusone_model": report.model},
            )


def current_session() -> DetectionSession | None:
    """Return the detection session active in this context, if any."""
    return _session.get()


def _on_query(alias: str, sql: str, params: Any) -> None:
    session = _session.get()
    if session is not None:
        session.query_executed(alias, sql, params)


# --- hooks into Django ------------------------------------------------------------

_hooks_installed = False
_hooks_lock = threading.Lock()


def _mark_rows(rows: Iterator[Any], select_related: bool) -> Iterator[Any]:
    group = LoadGroup()
    joined: dict[str, LoadGroup] = {}
    for row in rows:
        if isinstance(row, Model):
            group.size += 1
            row._state.moa_load = group  # type: ignore[attr-defined]
            if select_related:
                for name, value in row._state.fields_cache.items():
                    if isinstance(value, Model):
                        joined_group = joined.setdefault(name, LoadGroup())
                        joined_group.size += 1
                        value._state.moa_load = joined_group  # type: ignore[attr-defined]
        yield row


def _lazy(instance: Model | None, relation: str, hint: str) -> None:
    session = _session.get()
    if session is not None and instance is not None:
        session.lazy_load(instance, relation, hint)


SELECT_HINT = 'Add select_related("{0}") or list the rows with a SafeQuerySet.'
PREFETCH_HINT = 'Add prefetch_related("{0}") or list the rows with a SafeQuerySet.'
DEFER_HINT = "Drop {0!r} from defer()/only() or list the rows with a SafeQuerySet."


def _related_manager_hook(factory: Callable[..., type]) -> Callable[..., type]:
    @functools.wraps(factory)
    def create(superclass: type, rel: Any, *args: Any, **kwargs: Any) -> type:
        manager_class = factory(superclass, rel, *args, **kwargs)
        reverse = kwargs.get("reverse", args[0] if args else True)
        if (
            factory.__name__ == "create_forward_many_to_many_manager" and not reverse
        ) or factory.__name__ == "create_generic_related_manager":
            accessor = rel.field.name
        else:
            accessor = rel.get_accessor_name()

        class DetectingManager(manager_class):  # type: ignore[valid-type,misc]
            def get_queryset(self) -> Any:
                session = _session.get()
                if session is not None:
                    cache = getattr(self.instance, "_prefetched_objects_cache", {})
                    name = getattr(self, "prefetch_cache_name", None)
                    if name is None:
                        name = self.field.remote_field.cache_name
                    if name not in cache:
                        session.lazy_load(self.instance, accessor, PREFETCH_HINT.format(accessor))
                return super().get_queryset()

        DetectingManager.__name__ = manager_class.__name__
        DetectingManager.__qualname__ = manager_class.__qualname__
        return DetectingManager

    create.moa_hook = True  # type: ignore[attr-defined]
    return create


def _forget_manager_classes() -> None:
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        for klass in model.__mro__:
            for value in list(vars(klass).values()):
                if isinstance(value, related_descriptors.ReverseManyToOneDescriptor):
                    value.__dict__.pop("related_manager_cls", None)


def tracks_relations(mode: str) -> bool:
    """Return whether a session in ``mode`` tracks relations (and so hooks the ORM).

    ``raise`` and ``warn`` do, and any mode while ``DEBUG`` is on; ``log``
    mode in production watches SQL only, through ``connection.execute_wrapper``.
    """
    return mode in ("raise", "warn") or bool(settings.DEBUG)


_query_hook_installed = threading.Event()


def install_query_hook() -> None:
    """Send every query to the active session: an execute wrapper, no ORM patch (once)."""
    if _query_hook_installed.is_set():
        return
    tracking.install_query_tracking()
    tracking.set_session_hook(_on_query)
    _query_hook_installed.set()


def _marking(original: Callable[[Any], Iterator[Any]]) -> Callable[[Any], Iterator[Any]]:
    """Wrap a model iterable's ``__iter__`` to mark the rows of each result."""

    def iterate(self: Any) -> Iterator[Any]:
        rows = original(self)
        session = _session.get()
        if session is None or not session.relations:
            return rows
        select_related = getattr(self.queryset.query, "select_related", False)
        return _mark_rows(rows, bool(select_related))

    return iterate


_LISTED_LIMIT = 10_000
"""How many ``values_list()`` values one session remembers."""

_result_ids = itertools.count()


def _listing(original: Callable[[Any], Iterator[Any]]) -> Callable[[Any], Iterator[Any]]:
    """Wrap a ``values_list()`` iterable's ``__iter__`` to remember the values it lists."""

    def iterate(self: Any) -> Iterator[Any]:
        session = _session.get()
        if session is None or not session.relations:
            return original(self)
        return _list_values(session, original(self))

    return iterate


def _list_values(session: DetectionSession, rows: Iterator[Any]) -> Iterator[Any]:
    result = next(_result_ids)
    pending: list[Any] = []
    listed = session.listed
    for count, row in enumerate(rows):
        if len(listed) < _LISTED_LIMIT:
            values = row if isinstance(row, tuple) else (row,)
            for value in values:
                if type(value) in _ROW_VALUE_TYPES and value not in ("", 0):
                    # One row alone drives no N+1: values count from the second row.
                    if count:
                        listed.setdefault(value, result)
                    else:
                        pending.append(value)
            if count == 1:
                for value in pending:
                    listed.setdefault(value, result)
        yield row


def install_detection_hooks() -> None:
    """Wrap Django's lazy-loading points so the detector sees them (once)."""
    global _hooks_installed
    with _hooks_lock:
        if _hooks_installed:
            return
        install_query_hook()

        query_module.sync_to_async = _remembering_caller(query_module.sync_to_async)  # type: ignore[attr-defined]
        for iterable in (query_module.ModelIterable, query_module.RawModelIterable):
            iterable.__iter__ = _marking(iterable.__iter__)  # type: ignore[method-assign]
        for listing in (
            query_module.ValuesListIterable,
            query_module.FlatValuesListIterable,
            query_module.NamedValuesListIterable,
        ):
            listing.__iter__ = _listing(listing.__iter__)  # type: ignore[method-assign]

        queryset_class: Any = query_module.QuerySet
        setstate = queryset_class.__setstate__

        def unpickle(self: Any, state: dict[str, Any]) -> None:
            setstate(self, state)
            session = _session.get()
            if session is not None and session.relations and self._result_cache:
                for _row in _mark_rows(iter(self._result_cache), False):
                    pass

        queryset_class.__setstate__ = unpickle

        prefetch_one_level = query_module.prefetch_one_level

        @functools.wraps(prefetch_one_level)
        def prefetch_level(*args: Any, **kwargs: Any) -> Any:
            instances, _prefetcher, lookup, level = args[:4]
            if len(instances) == 1:
                # prefetch_related_objects([row], ...) for one row of a result.
                name = lookup.get_current_to_attr(level)[0]
                _lazy(instances[0], name, PREFETCH_HINT.format(lookup.prefetch_through))
            token = _prefetching.set(True)
            try:
                return prefetch_one_level(*args, **kwargs)
            finally:
                _prefetching.reset(token)

        query_module.prefetch_one_level = prefetch_level

        forward = related_descriptors.ForwardManyToOneDescriptor
        get_object = forward.get_object

        def forward_get_object(self: Any, instance: Model) -> Any:
            name = self.field.name
            _lazy(instance, name, SELECT_HINT.format(name))
            return get_object(self, instance)

        forward.get_object = forward_get_object  # type: ignore[method-assign]

        reverse_one = related_descriptors.ReverseOneToOneDescriptor
        if FETCH_MODES:
            _wrap_fetch_one(reverse_one, lambda d: d.related.get_accessor_name(), SELECT_HINT)
            _wrap_fetch_one(DeferredAttribute, lambda d: d.field.attname, DEFER_HINT)
        else:
            reverse_get = reverse_one.__get__

            def reverse_one_get(self: Any, instance: Model | None, cls: Any = None) -> Any:
                if (
                    instance is not None
                    and instance.pk is not None
                    and not self.related.is_cached(instance)
                ):
                    name = self.related.get_accessor_name()
                    _lazy(instance, name, SELECT_HINT.format(name))
                return reverse_get(self, instance, cls)

            reverse_one.__get__ = reverse_one_get  # type: ignore[method-assign]

            deferred_get = DeferredAttribute.__get__

            def deferred(self: Any, instance: Model | None, cls: Any = None) -> Any:
                if (
                    instance is not None
                    and self.field.attname not in instance.__dict__
                    and self._check_parent_chain(instance) is None
                ):
                    name = self.field.attname
                    _lazy(instance, name, DEFER_HINT.format(name))
                return deferred_get(self, instance, cls)

            DeferredAttribute.__get__ = deferred  # type: ignore[method-assign]

        related_descriptors.create_reverse_many_to_one_manager = _related_manager_hook(
            related_descriptors.create_reverse_many_to_one_manager
        )
        related_descriptors.create_forward_many_to_many_manager = _related_manager_hook(
            related_descriptors.create_forward_many_to_many_manager
        )
        _install_generic_hooks()
        _forget_manager_classes()
        _hooks_installed = True


def _always(descriptor: Any, instance: Model) -> bool:
    return True


def _generic_target_set(field: Any, instance: Model) -> bool:
    """Return whether a generic foreign key names a row (an empty one runs no query)."""
    content_type = field.model._meta.get_field(field.ct_field)
    return getattr(instance, content_type.attname, None) is not None


def _wrap_fetch_one(
    klass: Any,
    relation: Callable[[Any], str],
    hint: str,
    queries: Callable[[Any, Model], bool] = _always,
) -> None:
    fetch_one = klass.fetch_one

    def wrapped(self: Any, instance: Model) -> Any:
        if queries(self, instance):
            name = relation(self)
            _lazy(instance, name, hint.format(name))
        return fetch_one(self, instance)

    klass.fetch_one = wrapped


def _install_generic_hooks() -> None:
    from django.apps import apps

    if not apps.is_installed("django.contrib.contenttypes"):
        return
    from django.contrib.contenttypes import fields as generic

    generic.create_generic_related_manager = _related_manager_hook(
        generic.create_generic_related_manager
    )
    if FETCH_MODES:
        descriptor = generic.GenericForeignKeyDescriptor
        _wrap_fetch_one(
            descriptor,
            lambda d: d.field.name,
            PREFETCH_HINT,
            lambda d, instance: _generic_target_set(d.field, instance),
        )
        return
    gfk: Any = generic.GenericForeignKey
    gfk_get = gfk.__get__

    def gfk_get_hooked(self: Any, instance: Model | None, cls: Any = None) -> Any:
        if (
            instance is not None
            and not self.is_cached(instance)
            and _generic_target_set(self, instance)
        ):
            _lazy(instance, self.name, PREFETCH_HINT.format(self.name))
        return gfk_get(self, instance, cls)

    gfk.__get__ = gfk_get_hooked


# --- the public context manager / decorator -------------------------------------


class detect:
    """Detect N+1 queries in a block, a function or a coroutine function.

    ``mode`` is ``raise``, ``warn``, ``log`` or ``off`` (default: the
    ``MOA_QUERIES_NPLUSONE_MODE`` setting). ``threshold`` is how many times one
    SQL shape may repeat (default: ``MOA_QUERIES_REPEATED_QUERY_THRESHOLD``;
    ``None`` turns that check off). ``whitelist`` adds entries to
    ``MOA_QUERIES_NPLUSONE_WHITELIST``. Entering returns the session, whose
    ``reports`` lists what was found.
    """

    _UNSET: Any = object()

    def __init__(
        self,
        mode: str | None = None,
        *,
        threshold: int | None = _UNSET,
        whitelist: list[dict[str, str]] | None = None,
    ) -> None:
        if mode is not None and mode not in NPLUSONE_MODES:
            raise ValueError(f"mode must be one of {NPLUSONE_MODES}, not {mode!r}.")
        self.mode = mode
        self.threshold = threshold
        self.whitelist = parse_whitelist(whitelist)
        self._tokens: list[Token[DetectionSession | None]] = []

    def _new_session(self) -> DetectionSession | None:
        mode = self.mode or app_settings.MOA_QUERIES_NPLUSONE_MODE
        if mode not in NPLUSONE_MODES:
            raise ValueError(
                f"MOA_QUERIES_NPLUSONE_MODE must be one of {NPLUSONE_MODES}, not {mode!r}."
            )
        if mode == "off":
            return None
        threshold = self.threshold
        if threshold is detect._UNSET:
            threshold = app_settings.MOA_QUERIES_REPEATED_QUERY_THRESHOLD
        whitelist = parse_whitelist(app_settings.MOA_QUERIES_NPLUSONE_WHITELIST)
        relations = tracks_relations(mode)
        if relations:
            install_detection_hooks()
        else:
            install_query_hook()
        return DetectionSession(mode, threshold, [*whitelist, *self.whitelist], relations)

    def __enter__(self) -> DetectionSession | None:
        session = self._new_session()
        self._tokens.append(_session.set(session))
        return session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _session.reset(self._tokens.pop())

    async def __aenter__(self) -> DetectionSession | None:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def _copy(self) -> detect:
        copy = detect(self.mode, threshold=self.threshold)
        copy.whitelist = self.whitelist
        return copy

    def __call__(self, function: _F) -> _F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._copy():
                    return await cast(Callable[..., Awaitable[Any]], function)(*args, **kwargs)

            return cast(_F, run_async)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._copy():
                return function(*args, **kwargs)

        return cast(_F, run)
