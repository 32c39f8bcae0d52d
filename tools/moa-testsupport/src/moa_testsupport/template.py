"""Generate projects from Moa's cookiecutter template, without prompts."""

from __future__ import annotations

from pathlib import Path

from moa_testsupport.index import repo_dir

SLUG = "moa_project"


def template_dir() -> Path:
    return repo_dir() / "template"


def bake(output_dir: Path, *, template: Path | None = None, **answers: str) -> Path:
    """Generate a project into ``output_dir`` with ``answers``; return its directory.

    ``template`` is this checkout's ``template/`` unless given (another
    checkout's, say). Cookiecutter's own config and replay files stay inside
    ``output_dir``, so a run never reads or writes the user's ``~/.cookiecutterrc``.
    """
    from cookiecutter.main import cookiecutter

    context = {"project_slug": SLUG, **answers}
    config = {
        "cookiecutters_dir": str(output_dir / ".cookiecutters"),
        "replay_dir": str(output_dir / ".replay"),
    }
    return Path(
        cookiecutter(
            str(template or template_dir()),
            no_input=True,
            extra_context=context,
            output_dir=str(output_dir),
            default_config=config,
        )
    )
