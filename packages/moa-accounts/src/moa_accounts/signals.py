"""Signals sent when a user is soft-deleted or restored.

Both are sent with ``sender`` the user model, ``user`` the instance and
``using`` the database alias, inside the transaction that made the change.
"""

from __future__ import annotations

from django.dispatch import Signal

user_soft_deleted = Signal()
user_restored = Signal()
