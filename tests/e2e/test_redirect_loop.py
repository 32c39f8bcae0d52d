"""Incident 1, the HTTPS redirect loop: TLS ends at nginx, Django must still know it was https."""

from __future__ import annotations

import pytest
from e2e_harness.client import fetch
from e2e_harness.stack import DOMAIN, Stack

# A server that ignores X-Forwarded-Proto (uvicorn trusting no proxy here; the postmortem's
# daphne did the same): only SECURE_PROXY_SSL_HEADER tells Django the request was https.
UNTRUSTED_PROXY = "192.0.2.1"


def test_https_through_nginx_returns_the_page(stack: Stack) -> None:
    """https:// through the template's nginx answers 200 at once: no redirect at all."""
    responses = fetch(f"https://{DOMAIN}/", stack.nginx, stack.cert, max_redirects=3)

    assert [response.status for response in responses] == [200]


def test_http_gets_exactly_one_redirect_to_https(stack: Stack) -> None:
    """http:// gets one 301 to the same URL on https, which then answers 200."""
    responses = fetch(
        f"http://{DOMAIN}/admin/login/?next=/", stack.nginx, stack.cert, max_redirects=3
    )

    assert [response.status for response in responses] == [301, 200]
    assert responses[0].location == f"https://{DOMAIN}/admin/login/?next=/"


@pytest.mark.parametrize(
    ("settings_body", "expected"),
    [
        pytest.param("", [200], id="with-SECURE_PROXY_SSL_HEADER"),
        pytest.param("SECURE_PROXY_SSL_HEADER = None", [301, 301, 301, 301], id="without"),
    ],
)
def test_secure_proxy_ssl_header_is_what_stops_the_loop(
    stack: Stack, spawn, settings_body: str, expected: list[int]
) -> None:
    """With SECURE_SSL_REDIRECT on, removing SECURE_PROXY_SSL_HEADER loops https to itself."""
    instance = spawn.instance(
        "redirect-" + ("with" if not settings_body else "without"),
        settings_body,
        FORWARDED_ALLOW_IPS=UNTRUSTED_PROXY,
    )
    nginx = spawn.nginx("nginx-redirect", [instance.port])

    responses = fetch(f"https://{DOMAIN}/", nginx, stack.cert, max_redirects=3)

    assert [response.status for response in responses] == expected
    if len(expected) > 1:
        # The browser's ERR_TOO_MANY_REDIRECTS: https redirects to the very same https URL.
        assert {response.location for response in responses} == {f"https://{DOMAIN}/"}
