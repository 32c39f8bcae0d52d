"""Load during a rolling deploy: HTTP users and mindmap WebSocket users, through nginx.

Run by test_rolling_deploy.py as ``locust --headless`` in its own process (gevent).
Configuration comes from E2E_LOAD_CONFIG (a JSON file); the run ends when the deploy is over
(the stop file exists) and at least ``min_requests`` were made, at ``max_requests``, or at
``--run-time``. Every request is written to ``output`` with its time, so the test can take
the percentiles of the deploy window and count failures.

A WebSocket closed with 1012 (service restart) is what a draining instance does: the user
reconnects, resends its unacknowledged op (the server applies an op id once) and that is no
failure. Any other loss of the connection, an op not acknowledged within its timeout, or an
error frame, is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import ssl
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, User, constant_throughput, events, task
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from e2e_harness.mindmap import MindmapClient, close_code

CONFIG: dict[str, Any] = json.loads(Path(os.environ["E2E_LOAD_CONFIG"]).read_text())
SAMPLES: list[tuple[float, str, str, float, str | None]] = []
WS_REPORT: dict[str, Any] = {"closes": {}, "users": {}}
USER_NUMBERS = itertools.count()
# The static files a page names (href or src), as nginx serves them.
STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"?#]+)"')


@events.request.add_listener
def remember(
    request_type: str, name: str, response_time: float, exception: Any, **kwargs: Any
) -> None:
    SAMPLES.append(
        (
            time.time(),
            request_type,
            name,
            response_time,
            None if exception is None else repr(exception)[:200],
        )
    )


@events.test_start.add_listener
def watch_for_the_end(environment: Any, **kwargs: Any) -> None:
    def watch() -> None:
        stop_file = Path(CONFIG["stop_file"])
        while True:
            gevent.sleep(0.2)
            done = stop_file.exists() and len(SAMPLES) >= CONFIG["min_requests"]
            if done or len(SAMPLES) >= CONFIG["max_requests"]:
                environment.runner.quit()
                return

    gevent.spawn(watch)


@events.quitting.add_listener
def write_results(environment: Any, **kwargs: Any) -> None:
    Path(CONFIG["output"]).write_text(json.dumps({"samples": SAMPLES, "websocket": WS_REPORT}))


class PageUser(FastHttpUser):
    """A visitor: the home page, sometimes the liveness probe, as the template's locustfile."""

    host = f"https://127.0.0.1:{CONFIG['https_port']}"
    insecure = True  # loopback; test_redirect_loop.py verifies the certificate
    default_headers = {"Host": CONFIG["domain"]}
    wait_time = constant_throughput(CONFIG["page_user_rps"])
    weight = CONFIG["page_users"]

    @task(5)
    def home(self) -> None:
        """The page, then the static files it names, as a browser without a cache would."""
        page = self.client.get("/").text or ""
        for path in sorted(set(STATIC_LINK.findall(page))):
            # Named by path: the test tells one release's hashed file from another's.
            self.client.get(path, name=path)

    @task(1)
    def liveness(self) -> None:
        self.client.get("/health/live/")


class MindmapUser(User):
    """An editor with a mindmap open: edits its own node, one op in flight at a time."""

    wait_time = constant_throughput(CONFIG["mindmap_user_rps"])
    weight = CONFIG["mindmap_users"]

    def on_start(self) -> None:
        self.number = next(USER_NUMBERS)
        names = sorted(CONFIG["sessions"])
        self.session_key = CONFIG["sessions"][names[self.number % len(names)]]
        mindmaps = CONFIG["mindmap_ids"]
        self.mindmap_id = mindmaps[self.number % len(mindmaps)]
        self.tls = ssl.create_default_context(cafile=CONFIG["cafile"])
        self.report: dict[str, Any] = {"closes": {}, "reconnects": 0}
        WS_REPORT["users"][str(self.number)] = self.report
        self.client: MindmapClient | None = None
        self.edits = 0
        self.connect()
        applied = self.apply("node.create", parent=None, text="load-0", x=1.0, y=1.0)
        self.node = applied["nodes"][0]
        self.report["node"] = self.node["id"]
        self.record_ack(applied)

    def connect(self) -> None:
        """Connect through nginx; retry for a while (the other instance takes over)."""
        deadline = time.monotonic() + 30
        while True:
            started = time.perf_counter()
            try:
                self.client = MindmapClient(
                    CONFIG["https_port"], self.mindmap_id, self.session_key, tls=self.tls
                )
                self.client.connect(timeout_s=10)
                return
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as error:
                self.fire("connect", started, error)
                if time.monotonic() > deadline:
                    raise
                gevent.sleep(0.5)

    def fire(self, name: str, started: float, exception: BaseException | None) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )

    def apply(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send ``op`` until it is acknowledged, reconnecting as needed; one request sample."""
        assert self.client is not None
        op_id = self.client.new_op_id()
        frame = {"type": "op", "op": op, "id": op_id, **fields}
        started = time.perf_counter()
        deadline = time.monotonic() + CONFIG["op_timeout_s"]
        while True:
            try:
                self.client.send(frame)
                answer = self.client.wait_for(
                    lambda item: item.get("id") == op_id and item["type"] != "cursor",
                    timeout_s=max(0.1, deadline - time.monotonic()),
                )
            except ConnectionClosed as error:
                code = close_code(error)
                key = str(code)
                self.report["closes"][key] = self.report["closes"].get(key, 0) + 1
                WS_REPORT["closes"][key] = WS_REPORT["closes"].get(key, 0) + 1
                if code != 1012:
                    self.fire("disconnect", started, ConnectionError(f"closed with {code}"))
                self.client.close()
                self.report["reconnects"] += 1
                self.connect()
                continue  # resend the same op id: applied at most once
            except TimeoutError as error:
                self.fire(f"{op} (timeout)", started, error)
                raise
            if answer["type"] != "applied":
                self.fire(op, started, ValueError(f"{answer['type']}: {answer}"))
                raise RuntimeError(answer)
            self.fire(op, started, None)
            return answer

    def record_ack(self, applied: dict[str, Any]) -> None:
        node = applied["nodes"][0]
        self.report["acked"] = {"version": node["version"], "text": node["text"]}

    @task
    def edit(self) -> None:
        self.edits += 1
        applied = self.apply(
            "node.update",
            node=self.node["id"],
            base_version=self.report["acked"]["version"],
            text=f"load-{self.edits}",
        )
        self.record_ack(applied)

    def on_stop(self) -> None:
        if self.client is not None:
            self.client.close()
