"""The signup project for ``bench_resend.py``: every request reaches the resend path."""

from __future__ import annotations

from signup.settings import *  # noqa: F403

MOA_SIGNUP_RESEND_PER_ADDRESS = 10**9
MOA_SIGNUP_RESEND_PER_IP = 10**9
