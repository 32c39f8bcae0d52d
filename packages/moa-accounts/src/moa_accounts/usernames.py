# The lookalike letters below are the point of this module.
# ruff: noqa: RUF001, RUF002
"""The key that makes usernames unique: case-folded, without accents, lookalikes merged.

``username_key()`` maps every username that a person would read as the same
name to one string:

1. NFKC normalization (what Django's ``normalize_username()`` does): fullwidth
   ``ａｌｉｃｅ`` and mathematical ``𝐚𝐥𝐢𝐜𝐞`` become ``alice``;
2. Unicode case folding (``str.casefold()``), the same on every database:
   ``Ölaf`` and ``ölaf``, ``STRASSE`` and ``straße``;
3. accents dropped (combining marks U+0300–U+036F after NFD): ``Ölaf`` and
   ``Olaf``, as MariaDB's ``utf8mb4_unicode_ci`` collation compares them;
4. each character of ``CONFUSABLES`` replaced by the Latin letter or digit it
   looks like: Cyrillic ``јun`` and Latin ``jun``, ``paypa1`` and ``paypal``.

``CONFUSABLES`` is a small, deliberate subset of Unicode's confusables
(UTS #39): the Cyrillic, Greek and Latin letters that look like a lowercase
ASCII letter in common fonts, and the digits ``0`` and ``1``. It is applied after
case folding, so the key is case-insensitive for every script; uppercase-only
lookalikes (Cyrillic ``Н``, ``В``) are caught through their lowercase forms.
Not covered: lookalikes across several characters (``rn`` and ``m``), and
scripts outside Latin, Greek and Cyrillic.
"""

from __future__ import annotations

import unicodedata

CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "ԁ": "d",
    "е": "e",
    "һ": "h",
    "н": "h",
    "і": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "ѕ": "s",
    "т": "t",
    "у": "y",
    "ԝ": "w",
    "х": "x",
    # Greek
    "α": "a",
    "β": "b",
    "ϲ": "c",
    "ε": "e",
    "γ": "y",
    "ι": "i",
    "ϳ": "j",
    "κ": "k",
    "η": "n",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "ω": "w",
    "χ": "x",
    "ζ": "z",
    # Latin
    "ɑ": "a",
    "ɡ": "g",
    "ı": "i",
    "ɩ": "i",
    "ȷ": "j",
    # Digits
    "0": "o",
    "1": "l",
}
_TABLE = str.maketrans(CONFUSABLES)
_MARKS = range(0x0300, 0x0370)


def username_key(username: str) -> str:
    """Return the key two usernames share when people would read them as one name."""
    folded = unicodedata.normalize("NFKC", username).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    bare = "".join(char for char in decomposed if ord(char) not in _MARKS)
    return unicodedata.normalize("NFC", bare.translate(_TABLE))
