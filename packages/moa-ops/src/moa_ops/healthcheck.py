"""Container health check command that needs no curl.

    python -m moa_ops.healthcheck http://127.0.0.1:8000/health/live/

Exits 0 only on a 2xx answer. A redirect is a failure: a probe that gets
redirected is not reaching the health endpoint (for example because
``SECURE_SSL_REDIRECT`` answered it instead).
"""

from __future__ import annotations

import argparse
import http.client
import ssl
import sys
import urllib.parse
from collections.abc import Sequence


def probe(url: str, *, timeout_s: float = 5.0, insecure: bool = False) -> tuple[bool, str]:
    """Request ``url`` once; return whether it answered 2xx and a one-line reason."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False, f"not an http(s) URL: {url!r}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout_s, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    try:
        connection.request("GET", path, headers={"User-Agent": "moa-ops-probe"})
        response = connection.getresponse()
        status = response.status
        location = response.getheader("Location")
        response.read(65536)
    except (OSError, http.client.HTTPException) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    if 200 <= status < 300:
        return True, f"{status}"
    if 300 <= status < 400:
        return False, f"{status} redirect to {location!r}: the probe must not be redirected"
    return False, f"{status}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m moa_ops.healthcheck",
        description="Exit 0 if URL answers 2xx (redirects fail).",
    )
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000/health/live/")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    parser.add_argument("--insecure", action="store_true", help="skip TLS verification")
    args = parser.parse_args(argv)
    ok, reason = probe(args.url, timeout_s=args.timeout, insecure=args.insecure)
    print(f"{'healthy' if ok else 'unhealthy'}: {args.url} {reason}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
