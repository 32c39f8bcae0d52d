"""Test helpers: count queries, cap them, and prove they do not grow with rows."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction

from moa_queries.detection import DetectionSession, detect
from moa_queries.tracking import RecordedQuery, add_listener, remove_listener


class QueryRecorder:
    """Record every query, on every database and from every thread, while active.

    Use it as a context manager; ``queries`` and ``count`` hold what ran.
    """

    def __init__(self) -> None:
        self.queries: list[RecordedQuery] = []
        self._lock = threading.Lock()

    def query_executed(self, query: RecordedQuery) -> None:
        with self._lock:
            self.queries.append(query)

    @property
    def count(self) -> int:
        """How many queries ran."""
        return len(self.queries)

    def shapes(self) -> Counter[str]:
        """Count the queries by shape (SQL with literals folded)."""
        return Counter(query.fingerprint for query in self.queries)

    def __enter__(self) -> QueryRecorder:
        add_listener(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        remove_listener(self)


def count_queries() -> QueryRecorder:
    """Return a recorder: ``with count_queries() as queries: ...``."""
    return QueryRecorder()


def _listing(queries: Sequence[RecordedQuery]) -> str:
    return "\n".join(
        f"{number}. [{query.alias}] {query.sql}" for number, query in enumerate(queries, 1)
    )


@contextmanager
def assert_max_queries(n: int) -> Iterator[QueryRecorder]:
    """Fail when the block runs more than ``n`` queries (all databases, all threads)."""
    given: object = n  # callers without a type checker pass anything
    if isinstance(given, bool) or not isinstance(given, int) or given < 0:
        raise ValueError(f"n must be a number of queries (an int >= 0), not {n!r}.")
    with QueryRecorder() as recorder:
        yield recorder
    if recorder.count > n:
        raise AssertionError(
            f"{recorder.count} queries ran, more than the {n} allowed:\n"
            + _listing(recorder.queries)
        )


def _measure(
    make_rows: Callable[[int], object],
    action: Callable[[], object],
    size: int,
    databases: Sequence[str],
) -> QueryRecorder:
    with ExitStack() as stack:
        for alias in databases:
            stack.enter_context(transaction.atomic(using=alias))
        make_rows(size)
        with QueryRecorder() as recorder:
            action()
        for alias in databases:
            transaction.set_rollback(True, using=alias)
    return recorder


def assert_constant_queries(
    make_rows: Callable[[int], object],
    action: Callable[[], object],
    sizes: Sequence[int] = (1, 2, 5),
    *,
    databases: Sequence[str] = (DEFAULT_DB_ALIAS,),
) -> list[int]:
    """Fail when ``action()`` runs more queries when there are more rows.

    For each size, ``make_rows(size)`` creates that many rows inside a
    transaction on ``databases`` that is rolled back afterwards, then the
    queries of ``action()`` are counted. ``action`` runs once first, at the
    smallest size, so caches it fills do not count. Return the counts.
    """
    ordered = sorted(set(sizes))
    if len(ordered) < 2 or ordered[0] < 0:
        raise ValueError(f"sizes must hold two or more row counts >= 0, not {sizes!r}.")
    _measure(make_rows, action, ordered[0], databases)
    recorders = [_measure(make_rows, action, size, databases) for size in ordered]
    counts = [recorder.count for recorder in recorders]
    if all(count <= counts[0] for count in counts):
        return counts
    smallest, largest = recorders[0], recorders[-1]
    before, after = smallest.shapes(), largest.shapes()
    grew = [
        f"- {before[shape]} -> {after[shape]} times: {shape}"
        for shape in after
        if after[shape] > before[shape]
    ]
    table = ", ".join(f"{count} at {size}" for size, count in zip(ordered, counts, strict=True))
    raise AssertionError(
        f"The query count grows with the number of rows ({table} rows). "
        "Queries that grew:\n" + "\n".join(grew)
    )


class QueryAssertionsMixin:
    """``assertMaxQueries`` and ``assertConstantQueries`` for unittest test cases."""

    def assertMaxQueries(self, n: int) -> Any:
        """Return a context manager failing when its block runs more than ``n`` queries."""
        return assert_max_queries(n)

    def assertConstantQueries(
        self,
        make_rows: Callable[[int], object],
        action: Callable[[], object],
        sizes: Sequence[int] = (1, 2, 5),
        *,
        databases: Sequence[str] = (DEFAULT_DB_ALIAS,),
    ) -> list[int]:
        """Fail when ``action()`` runs more queries with more rows.

        See ``moa_queries.assert_constant_queries``.
        """
        return assert_constant_queries(make_rows, action, sizes, databases=databases)


class NPlusOneDetectionMixin:
    """Run every test of a unittest test case under ``detect("raise")``."""

    nplusone_mode = "raise"
    nplusone: DetectionSession | None

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.nplusone = self.enterContext(detect(self.nplusone_mode))  # type: ignore[attr-defined]
