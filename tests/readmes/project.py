"""A fresh ``django-admin startproject`` in its own virtualenv, driven from outside.

Everything runs in subprocesses of the project's own Python, as a user's shell
would: the test process never imports the project or the Moa packages.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quickstart import Block, apply_block

from moa_testsupport.servers import free_port, wait_for_port

STEP_TIMEOUT_S = 300
"""Bound on one step; a pip install of a package with a few dependencies."""


class StepFailed(AssertionError):
    """A README step (or one the test runs for it) exited non-zero."""


@dataclass(frozen=True)
class Response:
    """An HTTP answer as the client received it (redirects are not followed)."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """Return the body decoded as UTF-8."""
        return self.body.decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    """A cookie-keeping HTTP client that sends what a browser's form POST sends."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # traffic stays on 127.0.0.1
            urllib.request.HTTPCookieProcessor(self.cookies),
            _NoRedirect(),
        )

    def cookie(self, name: str) -> str | None:
        """Return the value of the cookie ``name``, if the server set it."""
        return next((c.value for c in self.cookies if c.name == name), None)

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request to ``path`` and return the answer, whatever its status."""
        body = None if data is None else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=headers or {}
        )
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            request.add_header("Origin", self.base_url)
            request.add_header("Referer", self.base_url + path)
        try:
            with self._opener.open(request, timeout=30) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, dict(error.headers), error.read())

    def submit(self, path: str, fields: dict[str, str]) -> Response:
        """GET the form at ``path`` for its CSRF cookie, then POST ``fields`` to it."""
        self.request(path)
        token = self.cookie("csrftoken") or ""
        return self.request(path, method="POST", data={"csrfmiddlewaretoken": token, **fields})


class Project:
    """``django-admin startproject mysite .`` in ``root``, with a virtualenv in ``root/.venv``."""

    def __init__(self, root: Path, pip_env: dict[str, str], venv: Path | None = None) -> None:
        self.root = root
        self.venv = venv or root / ".venv"
        self.log = root / "steps.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        self.env = {
            **environ,
            **pip_env,
            "VIRTUAL_ENV": str(self.venv),
            "PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("PYTHONHOME", None)

    def create(self) -> None:
        """Make the virtualenv, install Django in it and start a project, as a user does."""
        if not self.venv.exists():
            self.sh(f"{sys.executable} -m venv {self.venv}")
            self.sh("pip install -q django")
        self.sh("django-admin startproject mysite .")

    def sh(self, script: str, *, timeout_s: float = STEP_TIMEOUT_S) -> str:
        """Run ``script`` in bash in the project directory; fail on the first failing line."""
        started_at = time.monotonic()
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        with self.log.open("a") as log:
            elapsed_s = time.monotonic() - started_at
            output = f"{result.stdout}{result.stderr}"
            log.write(f"$ {script}\n{output}[exit {result.returncode}, {elapsed_s:.1f} s]\n")
        if result.returncode != 0:
            raise StepFailed(
                f"{script!r} exited with {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result.stdout + result.stderr

    def manage(self, *args: str, timeout_s: float = STEP_TIMEOUT_S) -> str:
        """Run ``python manage.py ARGS`` and return its output."""
        return self.sh(" ".join(["python", "manage.py", *args]), timeout_s=timeout_s)

    def shell(self, code: str) -> str:
        """Run ``code`` in ``manage.py shell`` and return what it printed."""
        return self.sh(f"python manage.py shell -v 0 -c {shlex.quote(code)}").strip()

    def createsuperuser(self, username: str, password: str) -> None:
        """Create a superuser with ``createsuperuser --noinput``, as a script would."""
        self.sh(
            f"DJANGO_SUPERUSER_PASSWORD={shlex.quote(password)} python manage.py "
            f"createsuperuser --noinput --username {username} --email {username}@example.com"
        )

    def apply(self, blocks: list[Block]) -> None:
        """Follow the README: run its run blocks and apply its snippets, in order."""
        for block in blocks:
            if block.kind == "run":
                self.sh(block.text)
            else:
                path = apply_block(block, self.root)
                with self.log.open("a") as log:
                    log.write(f"# applied README line {block.line} to {path.name}\n")

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start ``args`` in the project's environment; the caller stops it."""
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            return subprocess.Popen(
                list(args), cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    @contextmanager
    def runserver(self) -> Iterator[str]:
        """Serve the project with ``manage.py runserver`` on a free port; yield its URL."""
        port = free_port()
        python = str(self.venv / "bin" / "python")
        server = self.start(python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload")
        try:
            wait_for_port(port, server, timeout_s=60)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
