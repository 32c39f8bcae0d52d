"""Exceptions and warnings of moa-queries."""

from __future__ import annotations


class NPlusOneError(Exception):
    """A relation was loaded one row at a time, or one SQL shape repeated.

    Raised by the detector in ``raise`` mode at the line of code that triggered
    the repeated queries.
    """


class NPlusOneWarning(UserWarning):
    """Issued by the detector in ``warn`` mode, pointing at the triggering line."""
