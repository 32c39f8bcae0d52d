"""The Origin check compares scheme, host and port, like Django's CSRF check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets.sync.client as ws_client
from django.test import override_settings
from websockets.exceptions import ConnectionClosed

from moa_mindmap.consumers import origin_allowed

from .live import Server, Session, migrated_env, servers, sqlite_run_only


@pytest.fixture(scope="module")
def server(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with servers(migrated_env(migrated_sqlite, tmp_path_factory.mktemp("origin"))) as (one,):
        yield one


def first_answer(server: Server, origin: str) -> str | int:
    """Open alice's socket with ``origin``; return the first frame's type or the close code."""
    session = Session(server.url, "alice")
    mindmap_id = session.get_json("/make/Plans/")["id"]
    with ws_client.connect(
        server.url.replace("http", "ws") + f"/ws/mindmap/{mindmap_id}/",
        additional_headers={"Cookie": session.cookie_header(), "Origin": origin},
        open_timeout=10,
    ) as socket:
        try:
            return str(json.loads(socket.recv(timeout=10))["type"])
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else -1


@sqlite_run_only
def test_the_pages_own_origin_is_served(server):
    """The page's scheme, host and port: the snapshot arrives."""
    assert first_answer(server, f"http://127.0.0.1:{server.port}") == "snapshot"


@sqlite_run_only
@pytest.mark.parametrize(
    "origin",
    [
        "https://127.0.0.1:{port}",  # wrong scheme
        "http://127.0.0.1:1",  # wrong port
        "http://127.0.0.1",  # default port, not the page's
        "http://localhost:{port}",  # another allowed host, not the page's
        "http://evil.example:{port}",  # wrong host
        "null",
    ],
)
def test_other_origins_are_closed_with_4403(server, origin):
    """Scheme, host and port must all match: otherwise the handshake is accepted,
    then closed with 4403 (the documented refusal, which the editor does not retry)."""
    assert first_answer(server, origin.format(port=server.port)) == 4403


def scope(origin: str | None, host: str = "app.example.com", scheme: str = "ws", **headers: str):
    items = [(b"host", host.encode())]
    if origin is not None:
        items.append((b"origin", origin.encode()))
    items.extend((name.encode(), value.encode()) for name, value in headers.items())
    return {"type": "websocket", "scheme": scheme, "headers": items}


@override_settings(ALLOWED_HOSTS=["app.example.com"], CSRF_TRUSTED_ORIGINS=[])
def test_tls_is_the_scheme_of_the_handshake():
    """Over wss the page's origin is https://, over ws http://, never the other."""
    assert origin_allowed(scope("https://app.example.com", scheme="wss"))
    assert not origin_allowed(scope("http://app.example.com", scheme="wss"))
    assert origin_allowed(scope("http://app.example.com"))
    assert not origin_allowed(scope("https://app.example.com"))


@override_settings(
    ALLOWED_HOSTS=["app.example.com"],
    CSRF_TRUSTED_ORIGINS=[],
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_secure_proxy_ssl_header_marks_tls_behind_a_proxy():
    """Behind a TLS proxy, ``SECURE_PROXY_SSL_HEADER`` decides, as for ``is_secure()``."""
    forwarded = {"x-forwarded-proto": "https"}
    assert origin_allowed(scope("https://app.example.com", **forwarded))
    assert not origin_allowed(scope("http://app.example.com", **forwarded))


@override_settings(
    ALLOWED_HOSTS=["app.example.com"],
    CSRF_TRUSTED_ORIGINS=["https://admin.example.com:8443", "https://*.example.org"],
)
def test_csrf_trusted_origins_are_allowed_exactly():
    """``CSRF_TRUSTED_ORIGINS``: exact origins and ``*.`` subdomains, scheme and port kept."""
    assert origin_allowed(scope("https://admin.example.com:8443"))
    assert not origin_allowed(scope("https://admin.example.com"))
    assert origin_allowed(scope("https://a.example.org"))
    assert not origin_allowed(scope("http://a.example.org"))
    assert not origin_allowed(scope("https://a.example.org:1"))


@override_settings(ALLOWED_HOSTS=["app.example.com"], CSRF_TRUSTED_ORIGINS=[])
def test_a_host_outside_allowed_hosts_is_not_its_own_origin():
    """A forged ``Host`` cannot vouch for itself: it must be in ``ALLOWED_HOSTS``."""
    assert not origin_allowed(scope("http://evil.example", host="evil.example"))
    assert not origin_allowed(scope(None))
    with override_settings(ALLOWED_HOSTS=["*"]):
        assert origin_allowed(scope(None))


@override_settings(DEBUG=True, ALLOWED_HOSTS=[], CSRF_TRUSTED_ORIGINS=[])
def test_debug_without_allowed_hosts_allows_localhost():
    """As in Django: DEBUG with no ALLOWED_HOSTS stands for localhost and loopback."""
    assert origin_allowed(scope("http://localhost:8000", host="localhost:8000"))
    assert not origin_allowed(scope("http://localhost:1", host="localhost:8000"))


@override_settings(
    ALLOWED_HOSTS=["app.example.com"], CSRF_TRUSTED_ORIGINS=["https://*.example.com"]
)
def test_an_unparsable_origin_is_refused():
    assert not origin_allowed(scope("http://[::1"))
