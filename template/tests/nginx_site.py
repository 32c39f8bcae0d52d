"""Run a generated nginx/site.conf with real nginx on loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from moa_testsupport.servers import free_port, wait_for_port


def nginx_binary() -> str:
    """Real nginx; skip without it, fail without it when ``MOA_REQUIRE_SERVICES=1``."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        if os.environ.get("MOA_REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is required (apt-get install nginx)")
        pytest.skip("nginx is not installed")
    return binary


def nginx_version(binary: str) -> tuple[int, ...]:
    output = subprocess.run(
        [binary, "-v"], capture_output=True, text=True, timeout=30, check=False
    ).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", output)
    assert match, output
    return tuple(int(part) for part in match.groups())


def local_site(
    text: str,
    binary: str,
    certificate: tuple[Path, Path],
    upstream: str = "127.0.0.1:8000",
    ports: tuple[int, int] | None = None,
    static_root: Path | None = None,
    media_root: Path | None = None,
) -> str:
    """The site with loopback stand-ins for what exists only inside compose.

    Only those change: the upstream host names (nginx resolves them at startup),
    the certificate paths and, given ``ports``, ``static_root`` and ``media_root``,
    the listen addresses and the directories of the static files and the uploads
    (the volumes at ``/srv/static/`` and ``/srv/media/``). nginx
    before 1.25.1 (Debian 12's 1.22) knows HTTP/2 only as a ``listen``
    parameter, not as the ``http2`` directive the image's nginx 1.27 reads.
    """
    text = re.sub(r"server web\d?:8000", f"server {upstream}", text)
    text = text.replace("/etc/nginx/certs/fullchain.pem", str(certificate[0]))
    text = text.replace("/etc/nginx/certs/privkey.pem", str(certificate[1]))
    if static_root is not None:
        text = text.replace("alias /srv/static/;", f"alias {static_root}/;")
    if media_root is not None:
        text = text.replace("alias /srv/media/;", f"alias {media_root}/;")
    if ports is not None:
        text = text.replace("listen 80;", f"listen 127.0.0.1:{ports[0]};")
        text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{ports[1]} ssl;")
    if nginx_version(binary) < (1, 25, 1) and "    http2 on;\n" in text:
        text = text.replace("    http2 on;\n", "")
        text = re.sub(r"(listen \S+ ssl);", r"\1 http2;", text)
    return text


def main_conf(prefix: Path) -> str:
    """An nginx.conf around ``prefix/site.conf`` that writes only inside ``prefix``."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {prefix}/tmp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\n"
        "daemon off;\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"    access_log {prefix}/access.log;\n"
        f"{temp}"
        f"    include {prefix}/site.conf;\n"
        "}\n"
    )


def check_config(binary: str, prefix: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``prefix/nginx.conf``."""
    return subprocess.run(
        [binary, "-t", "-q", "-p", prefix, "-c", prefix / "nginx.conf"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@dataclass
class RunningNginx:
    http_port: int
    https_port: int
    prefix: Path


@contextmanager
def running_nginx(
    site: Path,
    binary: str,
    certificate: tuple[Path, Path],
    upstream: str,
    prefix: Path,
    static_root: Path | None = None,
    media_root: Path | None = None,
) -> Iterator[RunningNginx]:
    """Serve the generated ``site`` with real nginx on two free loopback ports."""
    ports = (free_port(), free_port())
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    text = local_site(
        site.read_text(), binary, certificate, upstream, ports, static_root, media_root
    )
    (prefix / "site.conf").write_text(text)
    (prefix / "nginx.conf").write_text(main_conf(prefix))
    result = check_config(binary, prefix)
    assert result.returncode == 0, result.stderr
    with (prefix / "stderr.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, "-p", prefix, "-c", prefix / "nginx.conf"], stdout=log, stderr=log
        )
        try:
            wait_for_port(ports[0], process)
            wait_for_port(ports[1], process)
            yield RunningNginx(*ports, prefix)
        finally:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
