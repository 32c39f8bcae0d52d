"""Atomic signup: the inactive user and its activation email commit together."""
