"""Soft-deletable Django users, unique among live accounts on every database."""
