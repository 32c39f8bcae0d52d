from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
from baking import bake, combo_id, valid_combinations
from generated import MOA_PACKAGES, REPRESENTATIVE, make_venv, run
from nginx_site import nginx_binary

from moa_testsupport.index import local_index
from moa_testsupport.tls import make_certificate


@pytest.fixture(scope="session")
def valid_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every valid combination, generated once for the whole session."""
    projects = {}
    for combo in valid_combinations():
        name = combo_id(combo)
        projects[name] = bake(tmp_path_factory.mktemp("combo"), **combo)
    return projects


@pytest.fixture(scope="session")
def nginx() -> str:
    """The path of real nginx (skips, or fails under MOA_REQUIRE_SERVICES=1, without it)."""
    return nginx_binary()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate and key for nginx's TLS listener."""
    return make_certificate(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def index_env() -> Iterator[dict[str, str]]:
    """The environment variables that let pip find the Moa packages on a local index."""
    with local_index() as env:
        yield env


@pytest.fixture(scope="session")
def venv_python(tmp_path_factory, index_env) -> Path:
    """One virtualenv for every generated project, with the Moa packages installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    python = make_venv(venv)
    site_packages = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=venv
    ).stdout.strip()
    parents = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(site_packages) / "_template_tests.pth").write_text("\n".join(sorted(parents)) + "\n")
    run(
        [python, "-m", "pip", "install", "--quiet", *MOA_PACKAGES],
        cwd=venv,
        env={**os.environ, **index_env},
    )
    return python


@pytest.fixture(scope="session", params=list(REPRESENTATIVE))
def project(request, tmp_path_factory, venv_python) -> tuple[str, Path, Path]:
    """A generated project whose requirements are installed in the shared virtualenv."""
    path = bake(tmp_path_factory.mktemp(request.param), **REPRESENTATIVE[request.param])
    run(
        [
            venv_python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "-r",
            "requirements/local.txt",
            "-r",
            "requirements/production.txt",
        ],
        cwd=path,
    )
    return request.param, path, venv_python
