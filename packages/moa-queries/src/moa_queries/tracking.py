"""Observe every query on every database connection, in every thread.

One execute wrapper is added to each connection when it is created. It costs
one list check per query while nothing listens; recorders (test helpers) and
the detector subscribe to it.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

_NUMBER = re.compile(r"(?<![\w.\"'])-?\d+(?:\.\d+)?\b")
_STRING = re.compile(r"'(?:[^']|'')*'")
_PLACEHOLDER_LIST = re.compile(r"\((?:\s*(?:%s|\?)\s*,)+\s*(?:%s|\?)\s*\)")
_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=512)
def fingerprint(sql: str) -> str:
    """Return ``sql`` with literals and ``IN`` lists folded: its shape.

    Cached: a page runs the same SQL text (parameters apart) on every request.
    """
    shape = _STRING.sub("?", sql)
    shape = _NUMBER.sub("?", shape)
    shape = shape.replace("%s", "?")
    shape = _PLACEHOLDER_LIST.sub("(...)", shape)
    return _SPACE.sub(" ", shape).strip()


@dataclass(frozen=True)
class RecordedQuery:
    """One query as run: the database alias, its SQL and the thread that ran it."""

    alias: str
    sql: str
    thread: str

    @property
    def fingerprint(self) -> str:
        """The query's shape, with literals and parameter lists folded."""
        return fingerprint(self.sql)


class QueryListener(Protocol):
    def query_executed(self, query: RecordedQuery) -> None: ...


_listeners: list[QueryListener] = []
_listeners_lock = threading.Lock()
_session_hook: list[Callable[[str, str, Any], None]] = []


def add_listener(listener: QueryListener) -> None:
    """Send every query from now on, from any thread, to ``listener``."""
    install_query_tracking()
    with _listeners_lock:
        _listeners.append(listener)


def remove_listener(listener: QueryListener) -> None:
    """Stop sending queries to ``listener``."""
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


def set_session_hook(hook: Callable[[str, str, Any], None]) -> None:
    """Call ``hook(alias, sql, params)`` after each query (the detector's entry point)."""
    _session_hook[:] = [hook]


def _track_query(
    execute: Callable[..., Any],
    sql: str,
    params: Any,
    many: bool,
    context: dict[str, Any],
) -> Any:
    listeners = _listeners
    hooks = _session_hook
    if not listeners and not hooks:
        return execute(sql, params, many, context)
    alias = context["connection"].alias
    if listeners:
        query = RecordedQuery(alias, str(sql), threading.current_thread().name)
        for listener in list(listeners):
            listener.query_executed(query)
    result = execute(sql, params, many, context)
    for hook in hooks:
        hook(alias, str(sql), params)
    return result


def _add_wrapper(connection: BaseDatabaseWrapper) -> None:
    if _track_query not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _track_query)


def _on_connection_created(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    _add_wrapper(connection)


def install_query_tracking() -> None:
    """Track queries on every connection: open ones and ones opened later."""
    connection_created.connect(_on_connection_created, dispatch_uid="moa_queries.track_queries")
    for connection in connections.all(initialized_only=True):
        _add_wrapper(connection)
