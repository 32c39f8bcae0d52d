"""Generate projects from Moa's cookiecutter template, without prompts."""

from __future__ import annotations

import itertools
import json
import re
import shlex
from pathlib import Path

from moa_testsupport.index import repo_dir

SLUG = "moa_project"


def template_dir() -> Path:
    return repo_dir() / "template"


def bake(output_dir: Path, **answers: str) -> Path:
    """Generate a project from this checkout's ``template/`` into ``output_dir``.

    ``answers`` override ``cookiecutter.json``; the project's directory is returned.
    """
    return bake_from(template_dir(), output_dir, **answers)


def bake_from(template: Path, output_dir: Path, **answers: str) -> Path:
    """Generate a project from ``template`` (another checkout's, say) into ``output_dir``.

    Cookiecutter's own config and replay files stay inside ``output_dir``, so a run
    never reads or writes the user's ``~/.cookiecutterrc``.
    """
    from cookiecutter.main import cookiecutter

    context = {"project_slug": SLUG, **answers}
    config = {
        "cookiecutters_dir": str(output_dir / ".cookiecutters"),
        "replay_dir": str(output_dir / ".replay"),
    }
    return Path(
        cookiecutter(
            str(template),
            no_input=True,
            extra_context=context,
            output_dir=str(output_dir),
            default_config=config,
        )
    )


def _dockerfile_lines(project: Path) -> list[str]:
    """The generated Dockerfile's instructions, one per line (continuations joined)."""
    return re.sub(r"\\\n\s*", " ", (project / "Dockerfile").read_text()).splitlines()


def dockerfile_cmd(project: Path) -> list[str]:
    """The exec-form ``CMD`` of a generated project's Dockerfile (the app's command)."""
    commands = [line for line in _dockerfile_lines(project) if line.startswith("CMD [")]
    assert commands, f"{project / 'Dockerfile'} has no exec-form CMD"
    return list(json.loads(commands[-1].removeprefix("CMD ")))


def dockerfile_run_step(project: Path, marker: str) -> tuple[dict[str, str], list[str]]:
    """The Dockerfile's one ``RUN`` line holding ``marker``: the variables it sets, its argv."""
    [line] = [
        line for line in _dockerfile_lines(project) if line.startswith("RUN ") and marker in line
    ]
    words = shlex.split(line.removeprefix("RUN "))
    assignments = list(itertools.takewhile(lambda word: re.match(r"^[A-Z_]+=", word), words))
    return dict(word.split("=", 1) for word in assignments), words[len(assignments) :]
