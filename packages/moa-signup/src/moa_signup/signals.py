"""Signals sent by moa-signup.

Both are sent with ``sender`` = the user model, ``user`` and ``request`` (or
``None``). ``user_signed_up`` is sent inside the signup transaction, before the
activation email: a receiver that raises undoes the signup, and database work
done by receivers commits or rolls back with it. Use
``transaction.on_commit`` for side effects outside the database.
"""

from __future__ import annotations

from django.dispatch import Signal

user_signed_up = Signal()
user_activated = Signal()
