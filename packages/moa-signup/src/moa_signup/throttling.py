"""Rate limits for signup, resend and password reset requests, counted in a Django cache."""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.http import HttpRequest

from moa_signup.conf import app_settings

KEY_PREFIX = "moa_signup:"


def client_ip(request: HttpRequest | None) -> str | None:
    """Return the address the rate limits count a request's client by.

    ``REMOTE_ADDR``: behind a proxy, have the server set it from the proxy's
    forwarded header (uvicorn ``--proxy-headers --forwarded-allow-ips``).
    """
    return None if request is None else request.META.get("REMOTE_ADDR")


def _key(action: str, kind: str, value: str) -> str:
    # Hashed so the cache holds no email or IP address in clear.
    digest = hashlib.sha256(f"{kind}\x1f{value}".encode()).hexdigest()
    return f"{KEY_PREFIX}{action}:{kind}:{digest}"


def _hit(key: str, limit: int, window_s: int) -> bool:
    """Count one request under ``key``; return whether it is within ``limit``."""
    cache = caches[app_settings.MOA_SIGNUP_CACHE]
    cache.add(key, 0, timeout=window_s)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add() and incr()
        cache.set(key, 1, timeout=window_s)
        count = 1
    return count <= limit


def _allow(
    action: str,
    email: str | None,
    client_ip: str | None,
    *,
    per_address: int,
    per_ip: int,
    window_s: int,
) -> bool:
    # Both counters always count, so one limit never hides the other's state.
    address_ok = (
        _hit(_key(action, "address", email.strip().lower()), per_address, window_s)
        if email
        else True
    )
    ip_ok = _hit(_key(action, "ip", client_ip or "unknown"), per_ip, window_s)
    return address_ok and ip_ok


def allow_resend(email: str, client_ip: str | None) -> bool:
    """Count a resend request; return whether both its limits allow it.

    The address is counted whether or not an account uses it, so being
    limited reveals nothing about which addresses have accounts.
    """
    return _allow(
        "resend",
        email,
        client_ip,
        per_address=app_settings.MOA_SIGNUP_RESEND_PER_ADDRESS,
        per_ip=app_settings.MOA_SIGNUP_RESEND_PER_IP,
        window_s=app_settings.MOA_SIGNUP_RESEND_WINDOW_S,
    )


def allow_signup(email: str | None, client_ip: str | None) -> bool:
    """Count a signup attempt; return whether both its limits allow it.

    Every attempt counts against the client, valid or not (a taken username
    is an answer too); the address counts when the form had a valid one,
    whether or not an account uses it.
    """
    return _allow(
        "signup",
        email,
        client_ip,
        per_address=app_settings.MOA_SIGNUP_SIGNUP_PER_ADDRESS,
        per_ip=app_settings.MOA_SIGNUP_SIGNUP_PER_IP,
        window_s=app_settings.MOA_SIGNUP_SIGNUP_WINDOW_S,
    )


def allow_password_reset(email: str, client_ip: str | None) -> bool:
    """Count a password reset request; return whether both its limits allow it.

    Like resend, the address counts whether or not an account uses it.
    """
    return _allow(
        "password_reset",
        email,
        client_ip,
        per_address=app_settings.MOA_SIGNUP_PASSWORD_RESET_PER_ADDRESS,
        per_ip=app_settings.MOA_SIGNUP_PASSWORD_RESET_PER_IP,
        window_s=app_settings.MOA_SIGNUP_PASSWORD_RESET_WINDOW_S,
    )
