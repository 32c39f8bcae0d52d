"""Incident 1, the HTTPS redirect loop: TLS ends at nginx, Django must still know it was https."""

from __future__ import annotations

import pytest
from e2e_harness.client import fetch
from e2e_harness.stack import DOMAIN, Stack

# An address uvicorn trusts instead of nginx's (127.0.0.1): uvicorn then ignores nginx's
# X-Forwarded-Proto, as the postmortem's daphne did, and Django never learns it was https.
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
    ("forwarded_allow_ips", "expected"),
    [
        pytest.param("127.0.0.1", [200], id="uvicorn-trusts-nginx"),
        pytest.param(UNTRUSTED_PROXY, [301, 301, 301, 301], id="uvicorn-trusts-another-address"),
    ],
)
def test_trusting_nginx_is_what_stops_the_loop(
    stack: Stack, spawn, forwarded_allow_ips: str, expected: list[int]
) -> None:
    """With SECURE_SSL_REDIRECT on, https loops to itself unless uvicorn trusts nginx.

    The production settings leave SECURE_PROXY_SSL_HEADER unset (any client could send
    the header): the scheme reaches Django only through uvicorn's --proxy-headers, from
    the addresses in FORWARDED_ALLOW_IPS.
    """
    instance = spawn.instance(
        "redirect-" + ("trusted" if forwarded_allow_ips == "127.0.0.1" else "untrusted"),
        FORWARDED_ALLOW_IPS=forwarded_allow_ips,
    )
    nginx = spawn.nginx("nginx-redirect", [instance.port])

    responses = fetch(f"https://{DOMAIN}/", nginx, stack.cert, max_redirects=3)

    assert [response.status for response in responses] == expected
    if len(expected) > 1:
        # The browser's ERR_TOO_MANY_REDIRECTS: https redirects to the very same https URL.
        assert {response.location for response in responses} == {f"https://{DOMAIN}/"}
