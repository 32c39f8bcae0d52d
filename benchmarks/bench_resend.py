"""moa-signup: resend's response time for a pending address against an unknown one.

A real uvicorn serves the benchmark's signup project (``signup.settings_resend``) on a
SQLite file, with a real SMTP server on 127.0.0.1. One account waits for activation.
Each round sends ``REQUESTS`` resend POSTs (with CSRF) over one keep-alive connection, pending and
unknown addresses shuffled, and takes each kind's median response time. The figure
is the pending median against the unknown median measured in the same round; the
spread is over the rounds. Goal: ratio 1.00 within the noise, since the request does
the same work for both (the lookup and the email run in a background thread).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from moa_testsupport.mailserver import running_mail_server, send_mail_to
from moa_testsupport.servers import free_port, migrate_database, uvicorn_command, wait_for_port
from moa_testsupport.settings import overlay_settings, sqlite_databases

HERE = Path(__file__).resolve().parent

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))  # per round, half of each kind
WARMUP = 60
PENDING = "pending@example.com"
UNKNOWN = "nobody-%d@example.com"


class Session:
    """One keep-alive connection with moa-signup's CSRF cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> bytes:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, data, headers)
        response = self.connection.getresponse()
        content = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("csrftoken="):
            self.cookie = cookie.split(";", 1)[0]
        assert response.status in (200, 302), (response.status, content[:300])
        return content

    def token(self, path: str) -> str:
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', self.request("GET", path))
        assert match
        return match.group(1).decode()

    def resend_s(self, email: str, token: str) -> float:
        started = time.perf_counter()
        self.request("POST", "/signup/resend/", {"csrfmiddlewaretoken": token, "email": email})
        return time.perf_counter() - started


def measure(port: int) -> list[tuple[float, float]]:
    """Return (pending median, unknown median) in ms for each round."""
    session = Session(port)
    token = session.token("/signup/")
    session.request(
        "POST",
        "/signup/",
        {
            "csrfmiddlewaretoken": token,
            "username": "pending",
            "email": PENDING,
            "password1": "secret-Pass-123",
            "password2": "secret-Pass-123",
        },
    )
    token = session.token("/signup/resend/")
    rng = random.Random(12)
    for number in range(WARMUP):
        session.resend_s(PENDING if number % 2 else UNKNOWN % number, token)
    rounds = []
    for round_number in range(ROUNDS):
        kinds = ["pending", "unknown"] * (REQUESTS // 2)
        rng.shuffle(kinds)
        times: dict[str, list[float]] = {"pending": [], "unknown": []}
        for number, kind in enumerate(kinds):
            email = PENDING if kind == "pending" else UNKNOWN % (round_number * REQUESTS + number)
            times[kind].append(session.resend_s(email, token) * 1000)
        rounds.append((statistics.median(times["pending"]), statistics.median(times["unknown"])))
    return rounds


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, running_mail_server() as mail:
        mailer = SimpleNamespace()
        send_mail_to(mailer, mail.port, timeout_s=5)
        overlay = overlay_settings(
            Path(tmp),
            "signup.settings_resend",
            pythonpath=HERE,
            DATABASES=sqlite_databases(Path(tmp) / "db.sqlite3"),
            **vars(mailer),
        )
        env = {**os.environ, **overlay}
        migrate_database(env, HERE)
        port = free_port()
        command = uvicorn_command("django.core.asgi:get_asgi_application", port, "--factory")
        server = subprocess.Popen(command, env=env, cwd=HERE)
        try:
            wait_for_port(port, server)
            rounds = measure(port)
        finally:
            server.terminate()
            server.wait(10)
        sent = len(mail.messages)
    pending = statistics.median(p for p, _ in rounds)
    unknown = statistics.median(u for _, u in rounds)
    ratios = [p / u for p, u in rounds]
    differences_us = [(p - u) * 1000 for p, u in rounds]
    row = {
        "what": "resend response time, pending address (median)",
        "unit": "ms",
        "value": pending,
        "baseline": unknown,
        "baseline_what": "unknown address, same rounds",
        "ratio": pending / unknown,
        "spread": {
            "min": min(p for p, _ in rounds),
            "max": max(p for p, _ in rounds),
            "cv_pct": 100 * statistics.pstdev(ratios) / statistics.mean(ratios),
        },
        "goal": "ratio 1.00 within the spread",
    }
    print(
        json.dumps(
            {
                "name": "signup-resend-timing",
                "setup": (
                    f"uvicorn, SQLite file, SMTP on loopback; {ROUNDS} rounds of {REQUESTS} "
                    "shuffled resend POSTs on one keep-alive connection"
                ),
                "rows": [row],
                "raw": {
                    "rounds_ms": rounds,
                    "pending_minus_unknown_us": differences_us,
                    "emails_sent": sent,
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
