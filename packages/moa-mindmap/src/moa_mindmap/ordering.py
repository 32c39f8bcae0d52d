"""Order keys: strings that sort siblings, with room between any two.

A key is read as a base-36 fraction ``0.k1k2k3...`` that never ends in ``0``,
so there is always a key strictly between two different keys; inserting a
node never renumbers its siblings. Keys compare as plain strings (in Python
and in JavaScript), never through a database collation.
"""

from __future__ import annotations

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)


def _digit(key: str, index: int) -> int:
    return DIGITS.index(key[index]) if index < len(key) else 0


def _between(low: str, high: str | None) -> str:
    """Return a key between ``low`` (``""``: zero) and ``high`` (``None``: one)."""
    low_digit = _digit(low, 0)
    if high is None:
        # Appending steps up one digit, so a long run of appends grows slowly.
        if low_digit < BASE - 1:
            return DIGITS[low_digit + 1]
        return DIGITS[-1] + _between(low[1:], None)
    prefix = 0
    while prefix < len(high) and _digit(low, prefix) == _digit(high, prefix):
        prefix += 1
    if prefix:
        return high[:prefix] + _between(low[prefix:], high[prefix:])
    high_digit = _digit(high, 0)
    if not low and high_digit > 1:
        # Prepending steps down one digit, for the same reason.
        return DIGITS[high_digit - 1]
    if high_digit - low_digit > 1:
        return DIGITS[(low_digit + high_digit) // 2]
    if len(high) > 1:
        # high is high[0] followed by something above zero: high[0] alone fits.
        return high[0]
    rest = low[1:]
    return DIGITS[low_digit] + (DIGITS[-1] if not rest else _between(rest, None))


def key_between(before: str | None, after: str | None) -> str:
    """Return an order key that sorts after ``before`` and before ``after``.

    ``None`` stands for "no neighbour on that side".
    """
    if before is not None and after is not None and not before < after:
        raise ValueError(f"{before!r} must sort before {after!r}.")
    if before is None and after is None:
        return "i"
    return _between(before or "", after)


def is_valid_key(key: object) -> bool:
    """Return whether ``key`` is a well-formed order key."""
    return (
        isinstance(key, str)
        and 0 < len(key) <= 255
        and all(char in DIGITS for char in key)
        and not key.endswith("0")
    )
