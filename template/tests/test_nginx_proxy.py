"""The generated nginx in front of the Dockerfile's uvicorn command, attacked on loopback.

Every address in 127.0.0.0/8 is this machine, so a client can pick its source:
127.0.0.2 plays the ALB (the project is generated with
``load_balancer_cidr=127.0.0.2/32``), 127.0.0.3 an untrusted peer on the
internet, and nginx reaches uvicorn from 127.0.0.1, the one address uvicorn
trusts (as compose trusts only its network). Behind uvicorn an ASGI app echoes
the client address and scheme the request arrived with: what Django would see
as ``REMOTE_ADDR`` and ``request.scheme``.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from baking import bake, dockerfile_cmd
from nginx_site import RunningNginx, running_nginx

from moa_testsupport.servers import free_port, wait_for_port

ALB = "127.0.0.2"
STRANGER = "127.0.0.3"
NGINX_PEER = "127.0.0.1"

ECHO_APP = """
import json


async def app(scope, receive, send):
    assert scope["type"] == "http"
    body = json.dumps({"client": scope["client"][0], "scheme": scope["scheme"]}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
"""


STYLESHEET = "body { margin: 0; }\n" * 100


@contextmanager
def echo_behind_uvicorn(project: Path, directory: Path) -> Iterator[int]:
    """The Dockerfile's uvicorn command and options, serving the echo app on loopback."""
    (directory / "echo.py").write_text(ECHO_APP)
    port = free_port()
    cmd = dockerfile_cmd(project)
    assert cmd[0] == "uvicorn"
    cmd[1] = "echo:app"
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    env = {**os.environ, "FORWARDED_ALLOW_IPS": NGINX_PEER}
    with (directory / "uvicorn.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *cmd, "--lifespan", "off"],
            cwd=directory,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            wait_for_port(port, process)
            yield port
        finally:
            process.terminate()
            process.wait(30)


@pytest.fixture(scope="module")
def sites(tmp_path_factory, nginx, certificate) -> Iterator[dict[str, tuple[RunningNginx, int]]]:
    """nginx and uvicorn for an aws-alb project and a single-host one."""
    answers = {
        "aws-alb": {"load_balancer_cidr": f"{ALB}/32"},
        "single-host": {"deploy_target": "single-host"},
    }
    running = {}
    with ExitStack() as stack:
        for name, values in answers.items():
            directory = tmp_path_factory.mktemp(name)
            project = bake(directory, **values)
            upstream = stack.enter_context(echo_behind_uvicorn(project, directory))
            static = directory / "static"
            static.mkdir()
            (static / "site.css").write_text(STYLESHEET)
            site = stack.enter_context(
                running_nginx(
                    project / "nginx" / "site.conf",
                    nginx,
                    certificate,
                    f"127.0.0.1:{upstream}",
                    directory / "nginx",
                    static_root=static,
                )
            )
            running[name] = (site, upstream)
        yield running


def get(
    port: int, path: str = "/", source: str = STRANGER, tls: bool = False, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` on 127.0.0.1:``port`` from the loopback address ``source``."""
    headers = {"Host": "example.com", **{k.replace("_", "-"): v for k, v in headers.items()}}
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=10, source_address=(source, 0), context=context
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=10, source_address=(source, 0)
        )
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def seen_by_app(port: int, **kwargs) -> dict[str, str]:
    status, _, body = get(port, **kwargs)
    assert status == 200, (status, body)
    return json.loads(body)


def through_alb(site: RunningNginx, forwarded_for: str) -> dict[str, str]:
    """What the app sees of a request the ALB forwards over HTTP, as it forwards them."""
    return seen_by_app(
        site.http_port, source=ALB, X_Forwarded_For=forwarded_for, X_Forwarded_Proto="https"
    )


# Finding 4: the client's address behind the ALB ------------------------------


def test_behind_the_alb_the_app_sees_each_client_address(sites):
    """Clients behind the ALB are told apart; a forged hop in front is not believed."""
    site, _ = sites["aws-alb"]

    first = through_alb(site, "203.0.113.5")
    second = through_alb(site, "198.51.100.9")
    # The client wrote its own X-Forwarded-For; the ALB appended what it saw.
    forged_hop = through_alb(site, "10.1.2.3, 203.0.113.5")

    assert first["client"] == "203.0.113.5"
    assert second["client"] == "198.51.100.9"
    assert forged_hop["client"] == "203.0.113.5"


def test_x_forwarded_for_from_anyone_but_the_alb_is_ignored(sites):
    """A peer outside load_balancer_cidr is seen as itself, whatever it claims."""
    for name in ("aws-alb", "single-host"):
        site, _ = sites[name]

        seen = seen_by_app(
            site.https_port, source=STRANGER, tls=True, X_Forwarded_For="203.0.113.5"
        )

        assert seen["client"] == STRANGER, name


# Finding 10: the scheme --------------------------------------------------------


def test_a_forged_x_forwarded_proto_is_redirected_not_served_as_https(sites):
    """Plain HTTP claiming https is redirected unless the ALB itself says so."""
    for name in ("aws-alb", "single-host"):
        site, _ = sites[name]

        status, headers, _ = get(site.http_port, source=STRANGER, X_Forwarded_Proto="https")

        assert status == 301, name
        assert headers["Location"] == "https://example.com/", name

    alb, _ = sites["aws-alb"]
    assert seen_by_app(alb.http_port, source=ALB, X_Forwarded_Proto="https")["scheme"] == "https"
    assert seen_by_app(alb.https_port, tls=True)["scheme"] == "https"


def test_uvicorn_takes_the_scheme_only_from_the_proxy_it_trusts(sites):
    """Without nginx in between, a stranger's X-Forwarded-Proto does not make a request https."""
    _, upstream = sites["single-host"]

    stranger = seen_by_app(upstream, source=STRANGER, X_Forwarded_Proto="https")
    proxy = seen_by_app(upstream, source=NGINX_PEER, X_Forwarded_Proto="https")

    assert stranger["scheme"] == "http"
    assert proxy["scheme"] == "https"


# Finding 17: who may read readiness and the full report ------------------------


@pytest.mark.parametrize("path", ["/health/", "/health/ready/"])
def test_readiness_and_the_full_report_are_refused_to_strangers(sites, path):
    """Only the probing networks reach readiness and the report; liveness is open."""
    alb, _ = sites["aws-alb"]
    single, _ = sites["single-host"]

    assert get(alb.http_port, path, source=STRANGER)[0] == 403
    assert get(alb.https_port, path, source=STRANGER, tls=True)[0] == 403
    # A client behind the ALB is a stranger too, whatever it claims to be.
    assert get(alb.http_port, path, source=ALB, X_Forwarded_For="203.0.113.5")[0] == 403
    assert get(alb.http_port, path, source=ALB, X_Forwarded_For=f"{ALB}, 203.0.113.5")[0] == 403
    assert get(single.http_port, path, source=STRANGER)[0] == 403
    # The ALB's own health check, and a probe on the host itself.
    assert get(alb.http_port, path, source=ALB)[0] == 200
    assert get(single.http_port, path, source="127.0.0.1")[0] == 200


def test_liveness_answers_anyone(sites):
    for name in ("aws-alb", "single-host"):
        site, _ = sites[name]

        assert get(site.http_port, "/health/live/", source=STRANGER)[0] == 200, name
        assert get(site.https_port, "/health/live/", source=STRANGER, tls=True)[0] == 200, name


# Finding 12: what nginx says about itself, TLS and HTTP/2 ----------------------


def test_nginx_hides_its_version(sites):
    """The Server header, on pages and nginx's own error pages, names no version."""
    site, _ = sites["aws-alb"]

    page = get(site.https_port, tls=True)
    refused = get(site.http_port, "/health/", source=STRANGER)

    assert page[1]["Server"] == "nginx"
    assert refused[1]["Server"] == "nginx"
    assert b"nginx/" not in refused[2]


def test_tls_listener_offers_http2(sites):
    """curl negotiates HTTP/2 with the TLS listener (ALPN)."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    site, _ = sites["single-host"]
    url = f"https://example.com:{site.https_port}/"
    resolve = f"example.com:{site.https_port}:127.0.0.1"

    h2 = subprocess.run(
        [curl, "-sk", "--http2", "--resolve", resolve, "-o", "/dev/null", "-w",
         "%{http_version}", url],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip

    assert h2.stdout == "2", h2.stderr


# Compression ---------------------------------------------------------------


def test_static_text_is_compressed_and_pages_are_not(sites):
    """CSS leaves gzipped; a proxied page never does (BREACH: its CSRF token)."""
    for name in ("aws-alb", "single-host"):
        site, _ = sites[name]

        status, headers, body = get(
            site.https_port, "/static/site.css", tls=True, Accept_Encoding="gzip"
        )
        _, page_headers, _ = get(site.https_port, "/", tls=True, Accept_Encoding="gzip")

        assert status == 200, name
        assert headers.get("Content-Encoding") == "gzip", name
        assert gzip.decompress(body).decode() == STYLESHEET
        assert headers.get("Vary") == "Accept-Encoding"
        assert "Content-Encoding" not in page_headers, name
