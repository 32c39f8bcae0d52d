"""moa-accounts' README, followed in a new project and tried on an existing one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from project import Client, Project, StepFailed
from quickstart import read_blocks, readme_of

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def project(follow_readme: Callable[[str], Project]) -> Project:
    project = follow_readme("moa-accounts")
    project.createsuperuser("ann", PASSWORD)
    return project


def test_check_passes(project: Project) -> None:
    """``manage.py check`` passes as is, as the README says."""
    assert "System check identified no issues (0 silenced)." in project.manage("check")


def test_user_model_is_moa_accounts(project: Project) -> None:
    """The project's user model is the README's, soft-deleting on delete()."""
    printed = project.shell(
        "from django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        "ann = User.objects.get(username='ann')\n"
        "print(User._meta.label, ann.is_superuser)",
    )
    assert printed == "moa_accounts.User True"


def test_username_is_unique_among_live_users(project: Project) -> None:
    """A deleted user's username and email are free again for a new account."""
    printed = project.shell(
        "from moa_accounts.models import User\n"
        "User.objects.create_user('bob', 'bob@example.com', 'x')\n"
        "User.objects.get(username='bob').delete()\n"
        "User.objects.create_user('bob', 'BOB@example.com', 'x')\n"
        "print(User.objects.filter(username='bob').count(),"
        " User.all_objects.filter(username='bob').count())",
    )
    assert printed == "1 2"


def test_admin_login(client: Client) -> None:
    """The superuser that createsuperuser made logs in to the admin over HTTP."""
    answer = client.submit("/admin/login/", {"username": "ann", "password": PASSWORD})
    assert answer.status == 302, answer.text
    assert client.request("/admin/moa_accounts/user/").status == 200


def test_delete_unverified_users_dry_run(project: Project) -> None:
    """The README's cleanup command runs on the new project."""
    project.manage("delete_unverified_users", "--days", "3", "--dry-run")


def test_new_project_steps_fail_on_a_migrated_project(
    project: Project, index_env: dict[str, str]
) -> None:
    """The README's new-project steps on an already migrated project stop loudly.

    moa-accounts' check ``E004`` stops ``migrate`` (before Django's
    ``InconsistentMigrationHistory`` would): the README says so and what to run instead.
    """
    existing = Project(project.root / "existing", index_env, venv=project.venv)
    existing.root.mkdir()
    existing.create()
    existing.manage("migrate")
    with pytest.raises(StepFailed, match=r"moa_accounts\.E004"):
        existing.apply(read_blocks(readme_of("moa-accounts").read_text()))
