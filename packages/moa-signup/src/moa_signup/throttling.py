"""Rate limits for resend requests, counted in a Django cache."""

from __future__ import annotations

import hashlib

from django.core.cache import caches

from moa_signup.conf import app_settings

KEY_PREFIX = "moa_signup:resend:"


def _key(kind: str, value: str) -> str:
    # Hashed so the cache holds no email or IP address in clear.
    digest = hashlib.sha256(f"{kind}\x1f{value}".encode()).hexdigest()
    return f"{KEY_PREFIX}{kind}:{digest}"


def _hit(key: str, limit: int) -> bool:
    """Count one request under ``key``; return whether it is within ``limit``."""
    cache = caches[app_settings.MOA_SIGNUP_CACHE]
    window_s = app_settings.MOA_SIGNUP_RESEND_WINDOW_S
    cache.add(key, 0, timeout=window_s)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add() and incr()
        cache.set(key, 1, timeout=window_s)
        count = 1
    return count <= limit


def allow_resend(email: str, client_ip: str | None) -> bool:
    """Count a resend request; return whether both its limits allow it.

    The address is counted whether or not an account uses it, so being
    limited reveals nothing about which addresses have accounts.
    """
    address_ok = _hit(
        _key("address", email.strip().lower()), app_settings.MOA_SIGNUP_RESEND_PER_ADDRESS
    )
    ip_ok = _hit(_key("ip", client_ip or "unknown"), app_settings.MOA_SIGNUP_RESEND_PER_IP)
    return address_ok and ip_ok
