"""Failed-login throttling, counted in a Django cache.

Three counters of failed logins, each in a fixed window:

- per account and client (strict): one client guessing one account's password;
- per client (any account): one client spraying passwords over many accounts;
- per account (any client, loose and short): a distributed guess at one account.
  It never applies to a client that logged in to that account before, so an
  attacker who trips it cannot lock the owner out from the owner's own devices.

A login is refused before its password is checked while any counter it falls
under is at its limit, so a refused attempt tells nothing about the password.
Refused attempts are not counted. A successful login clears the account's
counters (per account and client, per account) and remembers the client.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest

from moa_accounts.conf import app_settings

KEY_PREFIX = "moa_accounts:login:"
# Set on the request when a login was refused by the throttle.
THROTTLED_ATTRIBUTE = "moa_accounts_login_throttled"


def client_ip(request: HttpRequest | None) -> str:
    """Return the address a request's client is counted by (``REMOTE_ADDR``).

    Behind a proxy, have the server set it from the proxy's forwarded header
    (uvicorn ``--proxy-headers --forwarded-allow-ips``).
    """
    address = None if request is None else request.META.get("REMOTE_ADDR")
    return str(address or "unknown")


def account_key(username: object) -> str:
    """Return what identifies the account a login names, ignoring case."""
    return str(username or "").strip().casefold()


def _key(kind: str, *parts: str) -> str:
    # Hashed: the cache holds no username or address in clear.
    digest = hashlib.sha256("\x1f".join((kind, *parts)).encode()).hexdigest()
    return f"{KEY_PREFIX}{kind}:{digest}"


def _cache() -> Any:
    return caches[app_settings.MOA_ACCOUNTS_CACHE]


def _limits(account: str, client: str) -> list[tuple[str, int, int]]:
    """Return ``(key, limit, window_s)`` for each counter this login falls under."""
    conf = app_settings
    window_s = conf.MOA_ACCOUNTS_LOGIN_WINDOW_S
    limits = [
        (
            _key("account_client", account, client),
            conf.MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT,
            window_s,
        ),
        (_key("client", client), conf.MOA_ACCOUNTS_LOGIN_FAILURES_PER_CLIENT, window_s),
    ]
    if not _cache().get(_key("known", account, client)):
        limits.append(
            (
                _key("account", account),
                conf.MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT,
                conf.MOA_ACCOUNTS_LOGIN_ACCOUNT_WINDOW_S,
            )
        )
    return limits


def login_allowed(username: object, request: HttpRequest | None) -> bool:
    """Return whether a login for ``username`` from this client may be tried now."""
    account, client = account_key(username), client_ip(request)
    limits = _limits(account, client)
    counts = _cache().get_many([key for key, _, _ in limits])
    return all(int(counts.get(key, 0)) < limit for key, limit, _ in limits)


def record_failure(username: object, request: HttpRequest | None) -> None:
    """Count one failed login for ``username`` from this client."""
    account, client = account_key(username), client_ip(request)
    cache = _cache()
    for key, _, window_s in _limits(account, client):
        cache.add(key, 0, timeout=window_s)
        try:
            cache.incr(key)
        except ValueError:  # the counter expired between add() and incr()
            cache.set(key, 1, timeout=window_s)


def record_success(username: object, request: HttpRequest | None) -> None:
    """Clear the account's counters and remember this client for the account."""
    account, client = account_key(username), client_ip(request)
    cache = _cache()
    cache.delete_many([_key("account_client", account, client), _key("account", account)])
    known_s = app_settings.MOA_ACCOUNTS_LOGIN_KNOWN_CLIENT_DAYS * 24 * 60 * 60
    cache.set(_key("known", account, client), 1, timeout=known_s)


def mark_throttled(request: HttpRequest | None) -> None:
    """Note on the request that the throttle refused its login."""
    if request is not None:
        setattr(request, THROTTLED_ATTRIBUTE, True)


def was_throttled(request: HttpRequest | None) -> bool:
    """Return whether the throttle refused a login of this request."""
    return bool(getattr(request, THROTTLED_ATTRIBUTE, False))
