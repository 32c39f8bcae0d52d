from __future__ import annotations

from pathlib import Path

import pytest
from baking import bake, combo_id, valid_combinations


@pytest.fixture(scope="session")
def valid_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every valid combination, generated once for the whole session."""
    projects = {}
    for combo in valid_combinations():
        name = combo_id(combo)
        projects[name] = bake(tmp_path_factory.mktemp("combo"), **combo)
    return projects
