"""The demo is the template rendered with its answers, plus the files listed as its own."""

from __future__ import annotations

import shutil
from pathlib import Path

from moa_testsupport.demo import DEMO_ONLY, differences, render, render_in_place

from .conftest import DEMO_DIR


def test_the_demo_is_the_template_rendered_with_its_answers(tmp_path: Path) -> None:
    """Nothing but DEMO_ONLY differs from a new rendering: run `make demo-render` if this fails."""
    rendered = render(DEMO_DIR, tmp_path)

    assert differences(rendered, DEMO_DIR) == []


def test_every_demo_only_path_exists() -> None:
    """DEMO_ONLY lists the demo's own files, not ones it no longer has."""
    assert [path for path in DEMO_ONLY if not (DEMO_DIR / path).exists()] == []


def test_differences_names_missing_extra_changed_and_executable_files(tmp_path: Path) -> None:
    """Each kind of drift is reported; DEMO_ONLY paths, .env and caches are not compared."""
    rendered, demo = tmp_path / "rendered", tmp_path / "demo"
    for project in (rendered, demo):
        (project / "teammoa").mkdir(parents=True)
        (project / "same.py").write_text("same\n")
        (project / "run.sh").write_text("#!/bin/sh\n")
        (project / ".env").write_text(f"DJANGO_SECRET_KEY={project.name}\n")
    (rendered / "run.sh").chmod(0o755)
    (rendered / "gone.py").write_text("\n")
    (rendered / "teammoa" / "urls.py").write_text("rendered\n")
    (demo / "teammoa" / "urls.py").write_text("edited by hand\n")
    (demo / "extra.py").write_text("\n")
    (demo / "teams").mkdir()
    (demo / "teams" / "models.py").write_text("\n")
    (demo / "teammoa" / "__pycache__").mkdir()
    (demo / "teammoa" / "__pycache__" / "urls.cpython-311.pyc").write_bytes(b"\0")

    assert differences(rendered, demo) == [
        "missing from the demo: gone.py",
        "not rendered by the template (nor listed in DEMO_ONLY): extra.py",
        "executable bit differs from the rendering: run.sh",
        "differs from the rendering: teammoa/urls.py",
    ]


def test_render_in_place_restores_the_rendering_and_keeps_the_demos_files(
    tmp_path: Path,
) -> None:
    """`make demo-render` rewrites rendered files, keeps DEMO_ONLY, names what is left over."""
    demo = tmp_path / "teammoa"
    shutil.copytree(DEMO_DIR, demo, ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3*"))
    (demo / "teammoa" / "urls.py").write_text("edited by hand\n")
    (demo / "manage.py").unlink()
    (demo / "leftover.py").write_text("\n")

    left_over = render_in_place(demo)

    assert left_over == ["leftover.py"]
    (demo / "leftover.py").unlink()
    assert differences(render(demo, tmp_path / "again"), demo) == []
    kept = "teams/models.py"
    assert (demo / kept).read_bytes() == (DEMO_DIR / kept).read_bytes()
