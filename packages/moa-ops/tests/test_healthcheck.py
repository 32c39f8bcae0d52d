"""``moa_ops.probe`` in-process, against a small real HTTP server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moa_ops.probe import main, probe


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = int(self.path.strip("/").split("?")[0] or 200)
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "https://example.com/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(("status", "ok"), [(200, True), (204, True), (503, False), (404, False)])
def test_status_decides(base_url: str, status: int, ok: bool) -> None:
    """Only a 2xx answer is healthy."""
    assert probe(f"{base_url}/{status}")[0] is ok


def test_redirect_is_unhealthy(base_url: str) -> None:
    """A redirect means the probe never reached the endpoint: unhealthy, with the reason."""
    ok, reason = probe(f"{base_url}/301")
    assert not ok
    assert "redirect to 'https://example.com/'" in reason


def test_refused_connection(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listening: exit 1 and a one-line reason, no traceback."""
    assert main(["http://127.0.0.1:1/health/live/", "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unhealthy: http://127.0.0.1:1/health/live/ ConnectionRefusedError")


def test_main_exit_codes(base_url: str) -> None:
    assert main([f"{base_url}/200"]) == 0
    assert main([f"{base_url}/500?x=1"]) == 1
    assert main(["not a url"]) == 1
