"""Load test for TeamMoa: HTTP and WebSocket users.

Run it during a deploy to prove it drops nothing:

    pip install -r requirements/loadtest.txt
    locust -f loadtest/locustfile.py --headless --host https://example.com \\
        --users 50 --spawn-rate 10 --run-time 5m

The run exits 1 when more than LOADTEST_MAX_FAILURES requests (default 0) failed.
"""

from __future__ import annotations

import os
import re
import time
from urllib.parse import urlsplit

from locust import HttpUser, User, between, events, task
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

# The close code uvicorn sends to WebSockets when it shuts down gracefully.
SERVICE_RESTART = 1012

MAX_FAILURES = int(os.environ.get("LOADTEST_MAX_FAILURES", "0"))
# The static files a page names (href or src): a deploy must not lose them.
STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"?#]+)"')


class WebsiteUser(HttpUser):
    wait_time = between(0.5, 2)

    @task(5)
    def home(self) -> None:
        """The page, then the static files it names, as a browser without a cache would."""
        page = self.client.get("/").text or ""
        for path in sorted(set(STATIC_LINK.findall(page))):
            # Named by path: each release's hashed files are counted apart.
            self.client.get(path, name=path)

    @task(1)
    def liveness(self) -> None:
        self.client.get("/health/live/")


class WebSocketUser(User):
    """Keeps one WebSocket open and measures ping round trips over it."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        parts = urlsplit(self.host)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.url = f"{scheme}://{parts.netloc}/ws/ping/"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.socket = None

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()

    @task
    def ping(self) -> None:
        started = time.perf_counter()
        exception = None
        try:
            if self.socket is None:
                # legacy=True: this client holds one connection across tasks on purpose.
                self.socket = connect(self.url, origin=self.origin, open_timeout=10, legacy=True)
            self.socket.send("ping")
            answer = self.socket.recv(timeout=10)
            if answer != "pong":
                exception = ValueError(f"unexpected answer {answer!r}")
        except ConnectionClosed as closed:
            self.socket = None
            if closed.rcvd is not None and closed.rcvd.code == SERVICE_RESTART:
                # A draining instance closes with 1012: reconnect, it is no failure.
                return
            exception = closed
        except Exception as error:  # every other failure counts, whatever its kind
            exception = error
            self.socket = None
        self.environment.events.request.fire(
            request_type="WS",
            name="/ws/ping/",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=4,
            exception=exception,
            context={},
        )


@events.quitting.add_listener
def fail_on_errors(environment, **kwargs) -> None:
    """Gate: a deploy that made requests fail makes the load test fail."""
    failures = environment.stats.total.num_failures
    if failures > MAX_FAILURES:
        print(f"{failures} failed requests (allowed: {MAX_FAILURES})")
        environment.process_exit_code = 1
