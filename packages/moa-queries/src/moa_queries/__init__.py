"""N+1-safe querysets, an N+1 detector and constant-query test helpers.

Names are imported on first use, so that importing the package (as pytest does
for its plugin) touches neither Django's settings nor its app registry.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moa_queries.detection import DetectionSession, Report, detect
    from moa_queries.exceptions import NPlusOneError, NPlusOneWarning
    from moa_queries.query import SafeManager, SafeQuerySet
    from moa_queries.testing import (
        QueryRecorder,
        assert_constant_queries,
        assert_max_queries,
        count_queries,
    )

__all__ = [
    "DetectionSession",
    "NPlusOneError",
    "NPlusOneWarning",
    "QueryRecorder",
    "Report",
    "SafeManager",
    "SafeQuerySet",
    "assert_constant_queries",
    "assert_max_queries",
    "count_queries",
    "detect",
]

_LOCATIONS = {
    "DetectionSession": "moa_queries.detection",
    "Report": "moa_queries.detection",
    "detect": "moa_queries.detection",
    "NPlusOneError": "moa_queries.exceptions",
    "NPlusOneWarning": "moa_queries.exceptions",
    "SafeManager": "moa_queries.query",
    "SafeQuerySet": "moa_queries.query",
    "QueryRecorder": "moa_queries.testing",
    "assert_constant_queries": "moa_queries.testing",
    "assert_max_queries": "moa_queries.testing",
    "count_queries": "moa_queries.testing",
}


def __getattr__(name: str) -> Any:
    if name not in _LOCATIONS:
        raise AttributeError(f"module 'moa_queries' has no attribute {name!r}")
    value = getattr(import_module(_LOCATIONS[name]), name)
    globals()[name] = value
    return value
