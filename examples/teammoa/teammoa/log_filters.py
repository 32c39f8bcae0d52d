"""Logging filters of the demo."""

from __future__ import annotations

import logging


class OmitClientErrorTraceback(logging.Filter):
    """Keep a 4xx response's log line but drop the traceback Django attaches to it.

    A ``PermissionDenied`` is an answer, not a bug: one line says which path was
    refused. Server errors (5xx) keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int) and 400 <= status_code < 500:
            record.exc_info = None
            record.exc_text = None
        return True
