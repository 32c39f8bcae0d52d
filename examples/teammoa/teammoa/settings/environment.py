"""Read typed values from the environment, failing early with a clear message."""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable ``name``; without a default, it must be set and non-empty."""
    value = os.environ.get(name) or default
    if value is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return ``name`` read as a boolean ("1", "true", "yes", "on" or their opposites)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    """Return ``name`` read as an integer."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_float(name: str, default: float) -> float:
    """Return ``name`` read as a number, like ``0.25``."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """Return ``name`` read as a comma-separated list."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_prefixed(prefix: str) -> dict[str, str]:
    """Return every variable whose name starts with ``prefix``, keyed by the rest of it."""
    return {
        name.removeprefix(prefix): value
        for name, value in sorted(os.environ.items())
        if name.startswith(prefix) and len(name) > len(prefix)
    }


def env_path(name: str, default: str) -> str:
    """Return ``name`` read as a URL path relative to the site root, like ``"staff/"``."""
    value = os.environ.get(name) or default
    if value.startswith("/") or not value.endswith("/") or "//" in value:
        raise ImproperlyConfigured(
            f"{name} must be a path like 'staff-3f9c2a/': no leading slash, one at the end, "
            f"not {value!r}."
        )
    return value


# One entry of an address list: "Name <address>", '"Last, First" <address>' or an address.
ADDRESS_ENTRY = re.compile(
    r'(?P<name>"[^"]*"|[^"<>,]*?)\s*<(?P<address>[^<>\s]+)>'  # Name <address>
    r'|(?P<bare>[^"<>\s]+)'  # address
)


def env_addresses(name: str) -> list[tuple[str, str]]:
    """Return ``name`` read as comma-separated email addresses, each ``(name, address)``.

    ``Ops <ops@example.com>, b@example.com`` gives ``[("Ops", "ops@example.com"),
    ("", "b@example.com")]``; a name with a comma goes in double quotes. An entry that is
    no address fails at start-up rather than when the first error mail is due.
    """
    value = os.environ.get(name, "")
    # Commas outside double quotes separate the entries.
    entries = re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', value)
    addresses = []
    for entry in filter(None, (entry.strip() for entry in entries)):
        match = ADDRESS_ENTRY.fullmatch(entry)
        address = str(match["address"] or match["bare"]) if match else ""
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not an email address: write 'Name <address>' or "
                "'address', and separate the entries with commas."
            ) from None
        display_name = str(match["name"] or "") if match else ""
        addresses.append((display_name.strip('"'), address))
    return addresses


# What a URL names when it points at a service of this host (or container) only:
# the compose services of a single-host deploy, loopback, a Unix socket, a file.
HOST_LOCAL_NAMES = frozenset({"db", "redis", "localhost", "ip6-localhost", ""})


def is_host_local(url: str) -> bool:
    """Return whether ``url`` names a service only this host (or container) can reach."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite") or parts.scheme == "unix":
        return True
    host = (parts.hostname or "").lower()
    if host in HOST_LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def env_shared_url(name: str) -> str:
    """Return the URL ``name`` of a service every instance shares; refuse a host-local one.

    Behind a load balancer each instance must reach the same database and Redis:
    a URL naming this host (``db``, ``redis``, ``localhost``, a loopback address, a
    file) would give every instance its own. ``DJANGO_ALLOW_HOST_LOCAL_SERVICES=true``
    accepts one anyway, to try the production settings on a single machine.
    """
    url = env_str(name)
    if is_host_local(url) and not env_bool("DJANGO_ALLOW_HOST_LOCAL_SERVICES", False):
        raise ImproperlyConfigured(
            f"{name} names a service on this host ({urlsplit(url).hostname or url!r}): "
            "behind the load balancer every instance must share one database and one "
            f"Redis. Set {name} in .env to the shared service's address (RDS, "
            "ElastiCache or a host of your own)."
        )
    return url
