"""``moa_ops.healthcheck`` in-process, against a small real HTTP server on loopback."""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moa_ops.healthcheck import main, probe


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


def run_module(module: str, url: str, *python_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python_args, "-m", module, url],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_command_and_its_former_name_answer_alike(base_url: str) -> None:
    """``python -m moa_ops.probe`` (existing Dockerfiles) exits and prints as the new command."""
    for status, code in ((200, 0), (503, 1)):
        new = run_module("moa_ops.healthcheck", f"{base_url}/{status}")
        old = run_module("moa_ops.probe", f"{base_url}/{status}")
        assert (new.returncode, old.returncode) == (code, code)
        assert old.stderr == new.stderr
        assert new.stderr.startswith("healthy:" if code == 0 else "unhealthy:")


def test_former_name_warns_developers(base_url: str) -> None:
    """With warnings shown, the former command names its replacement."""
    result = run_module("moa_ops.probe", f"{base_url}/200", "-W", "default")
    assert result.returncode == 0
    assert "DeprecationWarning: moa_ops.probe is deprecated; use moa_ops.healthcheck" in (
        result.stderr
    )


def test_importing_the_former_module_warns() -> None:
    """``from moa_ops.probe import probe`` still works, with a DeprecationWarning."""
    sys.modules.pop("moa_ops.probe", None)
    with pytest.warns(DeprecationWarning, match="use moa_ops.healthcheck"):
        module = importlib.import_module("moa_ops.probe")
    assert module.probe is probe
