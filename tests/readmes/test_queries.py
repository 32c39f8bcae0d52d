"""moa-queries' README, followed in a new project: the middleware and the detector."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from project import Client, Project


@pytest.fixture(scope="module")
def project(follow_readme: Callable[[str], Project]) -> Project:
    project = follow_readme("moa-queries")
    project.manage("migrate")  # the detector needs rows; the README's settings need no table
    return project


def test_check_passes(project: Project) -> None:
    """``manage.py check`` finds nothing with the README's settings."""
    assert "System check identified no issues (0 silenced)." in project.manage("check")


def test_pages_pass_through_the_middleware(client: Client) -> None:
    """A page served with ``NPlusOneMiddleware`` installed answers as before."""
    assert client.request("/admin/login/").status == 200


def test_detect_raises_on_n_plus_one(project: Project) -> None:
    """``with moa_queries.detect("raise"):`` names the relation loaded row by row."""
    printed = project.shell(
        "import moa_queries\n"
        "from django.contrib.auth.models import Permission\n"
        "try:\n"
        "    with moa_queries.detect('raise'):\n"
        "        [p.content_type for p in Permission.objects.all()]\n"
        "except moa_queries.NPlusOneError as error:\n"
        "    print(type(error).__name__, error)\n",
    )
    assert printed.startswith("NPlusOneError")
    assert "content_type" in printed
