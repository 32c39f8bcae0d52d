"""The tutorial (docs/tutorial/index.md), followed as written by a new user.

Its marked blocks run in order in a new directory holding ``moa/template``, as
the tutorial asks, with the Moa packages on a local package index given to pip
through its environment only. A line ``python manage.py runserver`` is where the
reader starts the server and uses the site: the test starts it on a free port
instead of 8000 and does what the tutorial says to do there, over HTTP, as a
browser's form posts do.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from project import Client, Project
from quickstart import ROOT, Block, read_blocks

TUTORIAL = ROOT / "docs" / "tutorial" / "index.md"
RUNSERVER = "python manage.py runserver"
PASSWORD = "correct horse battery staple"
# A new user's shell: no service URLs (CI exports DATABASE_URL for other suites).
NOT_IN_A_NEW_SHELL = ("DATABASE_URL", "REDIS_URL", "MARIADB_URL", "PYTHONPATH", "PYENV_VERSION")


def stages(blocks: list[Block]) -> list[list[Block]]:
    """Split the tutorial's steps at each ``runserver`` line, which leaves its block."""
    result: list[list[Block]] = [[]]
    for block in blocks:
        lines = block.text.splitlines()
        if block.kind != "run" or RUNSERVER not in lines:
            result[-1].append(block)
            continue
        assert lines[-1] == RUNSERVER, f"line {block.line}: runserver ends its block"
        if lines[:-1]:
            result[-1].append(Block("run", block.line, "\n".join(lines[:-1]) + "\n"))
        result.append([])
    return result


def log_in(url: str, username: str) -> Client:
    client = Client(url)
    answer = client.submit("/accounts/login/", {"username": username, "password": PASSWORD})
    assert answer.status == 302, answer.text
    return client


def sign_up_and_activate(site: Project, url: str) -> None:
    """Section 3: sign up as mina, open the printed link, activate, log in."""
    client = Client(url)
    answer = client.submit(
        "/signup/",
        {
            "username": "mina",
            "email": "mina@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert answer.status == 302, answer.text
    printed = site.log.read_text()
    [link] = set(
        re.findall(r"http://127\.0\.0\.1:\d+(/signup/activate/[^\s/\"]+/[^\s/]+/)", printed)
    )
    page = client.request(link)
    assert page.status == 200
    assert "Activate my account" in page.text
    assert client.submit(link, {}).status == 302
    log_in(url, "mina")


def open_the_team_mindmap(site: Project, url: str) -> None:
    """Section 4: hana opens the Design team's mindmap from the list; mina may not."""
    hana = log_in(url, "hana")
    page = hana.request("/teams/")
    assert page.status == 200
    assert "Design, hosted by hana" in page.text
    [link] = re.findall(r'href="(/teams/\d+/mindmap/)"', page.text)
    answer = hana.request(link)
    assert answer.status == 302
    editor = answer.headers["Location"]
    assert re.fullmatch(r"/mindmap/\d+/", editor), editor
    assert hana.request(editor).status == 200
    assert hana.request(link).headers["Location"] == editor  # created once
    assert log_in(url, "mina").request(link).status == 404  # not a member


def test_every_command_of_the_tutorial_works_as_written(
    index_env: dict[str, str], tmp_path: Path
) -> None:
    """Generate, add the team list, sign up, open a team's mindmap: each step passes."""
    env = dict(index_env)
    workdir = tmp_path / "tutorial"
    (workdir / "moa").mkdir(parents=True)
    (workdir / "moa" / "template").symlink_to(ROOT / "template")
    saved = {name: os.environ.pop(name) for name in NOT_IN_A_NEW_SHELL if name in os.environ}
    try:
        venv = workdir / ".venv"
        start = Project(workdir, env, venv=venv)
        project = Project(workdir / "team_board", env, venv=venv)
    finally:
        os.environ.update(saved)
    uses: list[Callable[[Project, str], None]] = [sign_up_and_activate, open_the_team_mindmap]
    [first, *later] = stages(read_blocks(TUTORIAL.read_text()))
    assert len(later) == len(uses), "each runserver of the tutorial needs its check here"

    project.log = start.log
    try:
        # The first block makes the virtualenv and the project, then enters it.
        start.apply(first[:1])
        project.apply(first[1:])
        for blocks, use in zip(later, uses, strict=True):
            started_at = time.monotonic()
            with project.runserver() as url:
                use(project, url)
            elapsed_s = time.monotonic() - started_at
            with project.log.open("a") as log:
                log.write(f"# runserver and {use.__name__}: {elapsed_s:.1f} s\n")
            project.apply(blocks)
    finally:
        results = os.environ.get("MOA_RESULTS_DIR")
        if results and start.log.exists():
            (Path(results) / "readmes").mkdir(parents=True, exist_ok=True)
            (Path(results) / "readmes" / "tutorial.log").write_text(start.log.read_text())
    assert (workdir / "team_board" / "teams" / "migrations" / "0001_initial.py").exists()
