"""The demo, ``examples/teammoa``: the template rendered with its answers, plus its own files.

``examples/teammoa/.cookiecutter.json`` holds the answers (cookiecutter's replay format);
everything else in the demo is either what the template renders from them or listed in
``DEMO_ONLY``. ``python -m moa_testsupport.demo`` (``make demo-render``) renders the
template over the demo again after the template changed.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from moa_testsupport.index import repo_dir
from moa_testsupport.template import bake

# The demo's own files and directories, beside what the template renders: the teams app,
# its pages, the settings, URLs and views that add them, and the demo's tests.
DEMO_ONLY = (
    ".cookiecutter.json",
    "requirements.txt",
    "check_port.py",
    "teams",
    "teammoa/settings/demo.py",
    "teammoa/demo_urls.py",
    "teammoa/views.py",
    "teammoa/log_filters.py",
    "templates",
    "static",
    "tests/demo",
)
# Never compared: what running the demo leaves behind (as the rendered .gitignore lists
# it), and .env, which the template writes with a secret of its own on every rendering.
LEFT_BEHIND = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".mypy_cache",
        ".coverage",
        "htmlcov",
        "staticfiles",
        "media",
        "db.sqlite3",
        ".env",
    }
)


def demo_dir() -> Path:
    return repo_dir() / "examples" / "teammoa"


def answers(demo: Path) -> dict[str, str]:
    """The template answers the demo was rendered with (``.cookiecutter.json``)."""
    context = json.loads((demo / ".cookiecutter.json").read_text())["cookiecutter"]
    return {name: str(value) for name, value in context.items() if not name.startswith("_")}


def render(demo: Path, output_dir: Path) -> Path:
    """Render the template with the demo's answers into ``output_dir``; return the project."""
    return bake(output_dir, **answers(demo))


def _is_demo_only(relative: str) -> bool:
    return any(relative == path or relative.startswith(f"{path}/") for path in DEMO_ONLY)


def project_files(project: Path, *, skip_demo_only: bool) -> dict[str, Path]:
    """The files of ``project`` by path relative to it, without what running it leaves."""
    files = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_dir() or LEFT_BEHIND.intersection(relative.parts):
            continue
        if path.suffix == ".pyc" or (skip_demo_only and _is_demo_only(relative.as_posix())):
            continue
        files[relative.as_posix()] = path
    return files


def differences(rendered: Path, demo: Path) -> list[str]:
    """Say how ``demo``, without its ``DEMO_ONLY`` files, differs from ``rendered``."""
    ours = project_files(rendered, skip_demo_only=False)
    theirs = project_files(demo, skip_demo_only=True)
    found = [f"missing from the demo: {name}" for name in sorted(ours.keys() - theirs.keys())]
    found += [
        f"not rendered by the template (nor listed in DEMO_ONLY): {name}"
        for name in sorted(theirs.keys() - ours.keys())
    ]
    for name in sorted(ours.keys() & theirs.keys()):
        if ours[name].read_bytes() != theirs[name].read_bytes():
            found.append(f"differs from the rendering: {name}")
        elif (ours[name].stat().st_mode ^ theirs[name].stat().st_mode) & 0o111:
            found.append(f"executable bit differs from the rendering: {name}")
    return found


def render_in_place(demo: Path) -> list[str]:
    """Write the rendering over ``demo``; return the demo's files the template no longer renders.

    Those are left in place, to be deleted or added to ``DEMO_ONLY`` by hand.
    """
    with tempfile.TemporaryDirectory() as scratch:
        rendered = render(demo, Path(scratch))
        ours = project_files(rendered, skip_demo_only=False)
        for name, source in ours.items():
            target = demo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        theirs = project_files(demo, skip_demo_only=True)
        return sorted(theirs.keys() - ours.keys())


def main() -> int:
    stale = render_in_place(demo_dir())
    for name in stale:
        print(f"not rendered by the template: examples/teammoa/{name}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
