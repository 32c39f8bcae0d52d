"""Clients that reach the stack the way a browser reaches the real site, on loopback."""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from e2e_harness.stack import DOMAIN, Nginx


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    location: str | None
    body: bytes


def tls_context(cafile: Path) -> ssl.SSLContext:
    """Verify the stack's self-signed certificate, as a browser that trusts it would."""
    context = ssl.create_default_context(cafile=str(cafile))
    context.check_hostname = True
    return context


def resolve(url: str, nginx: Nginx) -> tuple[str, int, str]:
    """Map a URL of the public site to (scheme, loopback port, path): DNS for the test."""
    parts = urlsplit(url)
    assert parts.hostname == DOMAIN, f"only {DOMAIN} is served here, not {url!r}"
    default = 443 if parts.scheme == "https" else 80
    assert (parts.port or default) == default, f"unexpected port in {url!r}"
    port = nginx.https_port if parts.scheme == "https" else nginx.http_port
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, port, path


def fetch(
    url: str,
    nginx: Nginx,
    cafile: Path,
    *,
    max_redirects: int = 0,
    headers: dict[str, str] | None = None,
    timeout_s: float = 10,
) -> list[Response]:
    """GET ``url`` through nginx, following at most ``max_redirects``; every response."""
    responses: list[Response] = []
    while True:
        scheme, port, path = resolve(url, nginx)
        if scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=timeout_s, context=tls_context(cafile)
            )
        else:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        try:
            connection.request("GET", path, headers={"Host": DOMAIN, **(headers or {})})
            answer = connection.getresponse()
            response = Response(url, answer.status, answer.getheader("Location"), answer.read())
        finally:
            connection.close()
        responses.append(response)
        if response.status not in (301, 302, 303, 307, 308) or not response.location:
            return responses
        if len(responses) > max_redirects:
            return responses
        url = response.location


def loopback_socket(port: int, timeout_s: float = 10) -> socket.socket:
    """A TCP connection to 127.0.0.1:``port``, whatever host name the URL carries."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout_s)


class Browser:
    """A browser on the public site: HTTPS through nginx, cookies, CSRF tokens, form posts."""

    def __init__(self, nginx: Nginx, cafile: Path) -> None:
        self.nginx = nginx
        self.cafile = cafile
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.nginx.https_port, timeout=30, context=tls_context(self.cafile)
        )
        headers = {
            "Host": DOMAIN,
            "Origin": f"https://{DOMAIN}",
            "Referer": f"https://{DOMAIN}{path}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            for name, value in answer.getheaders():
                if name.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
            return Response(
                f"https://{DOMAIN}{path}",
                answer.status,
                answer.getheader("Location"),
                answer.read(),
            )
        finally:
            connection.close()

    def submit(self, path: str, fields: dict[str, str]) -> Response:
        """GET the form at ``path``, then POST ``fields`` with its CSRF token."""
        page = self.request("GET", path)
        assert page.status == 200, page
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert match, f"no CSRF token in the form at {path}"
        return self.request("POST", path, {"csrfmiddlewaretoken": match[1].decode(), **fields})
