from __future__ import annotations

from pathlib import Path

import pytest
from baking import bake, combo_id, valid_combinations
from nginx_site import nginx_binary

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
