"""The demo served as ``make demo`` serves it, and the emails it prints."""

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


class DemoServer:
    """``manage.py runserver`` (daphne) on a fresh SQLite database, as ``make demo`` runs it.

    Its standard output is kept: the console email backend prints there, and a
    person running ``make demo`` reads the activation email from it.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = workdir / "runserver.log"
        self.env = {
            **os.environ,
            "TEAMMOA_DB": str(workdir / "demo.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "teammoa.settings",
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=DEMO_DIR,
            env=self.env,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("load_demo_data")
        with self.output.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=DEMO_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def emails_to(self, address: str, count: int = 1, timeout_s: float = 10) -> list[str]:
        """Wait for ``count`` emails to ``address`` in the console output; return them raw.

        Raw means as printed: what a person sees in the terminal, encoded
        transfer and all.
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

    def link_in(self, message: str, path: str) -> str:
        """The first link to this server under ``path``, as a person would copy it."""
        match = re.search(rf"{re.escape(self.url + path)}\S*", message)
        assert match, f"no link to {path} in:\n{message}"
        return match.group(0)
