"""The moa-queries pytest plugin (entry point ``pytest11``).

It is loaded wherever the package is installed, so it does nothing until a
test asks for one of its fixtures or markers: no imports of Django, no
settings read, no warnings.

Fixtures: ``assert_max_queries``, ``assert_constant_queries``,
``count_queries`` (a recorder for the whole test) and ``nplusone`` (the test
body runs under ``detect("raise")``).
Markers: ``@pytest.mark.nplusone(mode="raise")`` and
``@pytest.mark.max_queries(n)``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from moa_queries.detection import DetectionSession
    from moa_queries.testing import QueryRecorder


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "nplusone(mode='raise'): run the test under moa_queries.detect(mode).",
    )
    config.addinivalue_line(
        "markers",
        "max_queries(n): fail when the test body runs more than n queries.",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    nplusone = item.get_closest_marker("nplusone")
    max_queries = item.get_closest_marker("max_queries")
    if nplusone is None and max_queries is None:
        return (yield)
    with ExitStack() as stack:
        if nplusone is not None:
            from moa_queries.detection import detect

            mode = nplusone.kwargs.get("mode", nplusone.args[0] if nplusone.args else "raise")
            stack.enter_context(detect(mode))
        if max_queries is not None:
            from moa_queries.testing import assert_max_queries

            if len(max_queries.args) != 1:
                raise pytest.UsageError("Use @pytest.mark.max_queries(n) with one number.")
            stack.enter_context(assert_max_queries(max_queries.args[0]))
        return (yield)


@pytest.fixture(name="assert_max_queries")
def _assert_max_queries() -> Callable[..., Any]:
    """``with assert_max_queries(3): ...`` fails when the block runs more queries."""
    from moa_queries.testing import assert_max_queries

    return assert_max_queries


@pytest.fixture(name="assert_constant_queries")
def _assert_constant_queries() -> Callable[..., Any]:
    """``assert_constant_queries(make_rows, action, sizes=(1, 2, 5))``."""
    from moa_queries.testing import assert_constant_queries

    return assert_constant_queries


@pytest.fixture(name="count_queries")
def _count_queries() -> Iterator[QueryRecorder]:
    """A recorder of every query the test runs from here on."""
    from moa_queries.testing import QueryRecorder

    with QueryRecorder() as recorder:
        yield recorder


@pytest.fixture(name="nplusone")
def _nplusone() -> Iterator[DetectionSession | None]:
    """Run the rest of the test under ``detect("raise")``; yield the session."""
    from moa_queries.detection import detect

    with detect("raise") as session:
        yield session
