"""Post Django forms to a live server over real HTTP, as a browser without JavaScript does.

client = FormClient(port, source_address="127.0.0.2")
status, location, body = client.submit("/login/", {"username": "alice", "password": "x"})
"""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class FormClient:
    """A client of 127.0.0.1:``port`` that keeps its cookies and follows no redirect.

    ``source_address`` is the loopback address requests come from (one per
    simulated client, for per-IP limits); the kernel's choice when ``None``.
    """

    def __init__(self, port: int, source_address: str | None = None, timeout_s: float = 30) -> None:
        self.port = port
        self.source_address = source_address
        self.timeout_s = timeout_s
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, fields: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """Send one request (``fields`` form-encoded); return status, Location and body."""
        connection = http.client.HTTPConnection(
            "127.0.0.1",
            self.port,
            timeout=self.timeout_s,
            source_address=(self.source_address, 0) if self.source_address else None,
        )
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if fields is not None:
            data = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, data, headers)
            response = connection.getresponse()
            body = response.read().decode()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", body
        finally:
            connection.close()

    def submit(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """GET the form at ``path``, POST ``fields`` with its CSRF token; return as ``request``."""
        status, _, form = self.request("GET", path)
        assert status == 200, (status, form)
        match = CSRF_FIELD.search(form)
        assert match, form
        return self.request("POST", path, {"csrfmiddlewaretoken": match.group(1), **fields})
