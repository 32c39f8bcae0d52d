"""Sites a journey visits: the demo and generated projects, served by ``runserver``.

Each runs as its README or ``make demo`` says, on a fresh SQLite database, with
the console email backend: the emails are read from the server's output, as a
person running it reads them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from moa_testsupport.servers import free_port, wait_for_port

REPO_DIR = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO_DIR / "examples" / "teammoa"
# What the console email backend prints after each message.
MESSAGE_SEPARATOR = "-" * 79


class Site:
    """``manage.py runserver`` (daphne) of one project, its output kept in a file."""

    def __init__(
        self, name: str, project_dir: Path, workdir: Path, python: str, env: dict[str, str]
    ) -> None:
        self.name = name
        self.project_dir = project_dir
        self.python = python
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = workdir / "runserver.log"
        self.env = {**env, "PYTHONUNBUFFERED": "1"}
        self.process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> None:
        subprocess.run(
            [self.python, "manage.py", *args],
            cwd=self.project_dir,
            env=self.env,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        # The address is the one thing added to what a person types: a free port.
        command = [self.python, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        with self.output.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.project_dir, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for_port(self.port, self.process, timeout_s=60)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def emails_to(self, address: str, count: int = 1, timeout_s: float = 10) -> list[str]:
        """Wait for ``count`` emails to ``address`` in the console output; return them raw.

        Raw means as printed: what a person sees in the terminal, transfer
        encoding and all.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            found = [
                message
                for message in self.log().split(MESSAGE_SEPARATOR)
                if re.search(rf"^To: {re.escape(address)}$", message, re.MULTILINE)
            ]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"{len(found)} emails to {address}:\n{self.log()}"
                return found
            time.sleep(0.1)

    def link_in(self, message: str, path: str) -> str:
        """The first link to this site under ``path``, as a person would copy it."""
        match = re.search(rf"{re.escape(self.url + path)}\S*", message)
        assert match, f"no link to {path} in:\n{message}"
        return match.group(0)

    def tracebacks(self) -> list[str]:
        """The tracebacks the server printed (none is expected for anything a person does)."""
        return re.findall(r"Traceback \(most recent call last\):.*?(?=\n\S|\Z)", self.log(), re.S)


def demo_site(workdir: Path) -> Site:
    """The demo as ``make demo`` serves it: migrated, with its demo data."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "teammoa.settings.demo",
    }
    site = Site("demo", DEMO_DIR, workdir, sys.executable, env)
    site.manage("migrate", "--noinput", "-v0")
    site.manage("load_demo_data")
    return site
