"""Fixtures: the Moa packages on a local index, and a README applied to a new project."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from project import Client, Project
from quickstart import read_blocks, readme_of

from moa_testsupport.index import dist_dir, pip_env, serve_index


@pytest.fixture(scope="session")
def index_env() -> Iterator[dict[str, str]]:
    """Pip's environment for a user who installs Moa from a package index."""
    with serve_index(dist_dir()) as index_url:
        yield pip_env(index_url)


@pytest.fixture(scope="session")
def follow_readme(
    index_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Project]]:
    """Return a function that follows a package README's quick start in a new project.

    Each project's steps and their output are kept in ``$MOA_RESULTS_DIR/readmes/``.
    """
    projects: list[tuple[str, Project]] = []

    def follow(package: str) -> Project:
        project = Project(tmp_path_factory.mktemp(package), index_env)
        projects.append((package, project))
        project.create()
        project.apply(read_blocks(readme_of(package).read_text()))
        return project

    yield follow
    results = os.environ.get("MOA_RESULTS_DIR")
    for package, project in projects:
        if results and project.log.exists():
            (Path(results) / "readmes").mkdir(parents=True, exist_ok=True)
            shutil.copy(project.log, Path(results) / "readmes" / f"{package}.log")


@pytest.fixture(scope="module")
def client(project: Project) -> Iterator[Client]:
    """Serve the module's ``project`` with ``manage.py runserver``; a client for it."""
    with project.runserver() as url:
        yield Client(url)
