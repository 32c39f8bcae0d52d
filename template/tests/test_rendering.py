"""Every option combination renders cleanly, or is rejected with a clear message."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from baking import (
    SLUG,
    TEMPLATE_DIR,
    all_combinations,
    bake,
    combo_id,
    dotenv,
    expected_rejections,
)
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

COMBINATIONS = all_combinations()
BIN = Path(sys.executable).parent


def generated_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file()]


@pytest.mark.parametrize("combo", COMBINATIONS, ids=[combo_id(c) for c in COMBINATIONS])
def test_combination_renders_or_is_rejected(combo, valid_projects, tmp_path, capfd):
    """Valid answers leave no template syntax behind; invalid ones write nothing."""
    reasons = expected_rejections(combo)
    if not reasons:
        project = valid_projects[combo_id(combo)]
        leftovers = [
            str(path.relative_to(project))
            for path in generated_files(project)
            if "cookiecutter" in path.read_text() or "{{" in path.name
        ]
        assert leftovers == []
        return

    with pytest.raises(FailedHookException):
        bake(tmp_path, **combo)

    stderr = capfd.readouterr().err
    for reason in reasons:
        assert reason in stderr
    assert not (tmp_path / SLUG).exists()


def test_defaults_generate_without_input(tmp_path):
    """`cookiecutter template/ --no-input` works: every default is valid."""
    project = Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            output_dir=str(tmp_path),
            default_config={"replay_dir": str(tmp_path / ".replay")},
        )
    )

    assert project.name == "moa_project"
    assert (project / "moa_project" / "settings" / "production.py").is_file()


def test_each_project_gets_an_env_with_a_secret_key_of_its_own(tmp_path):
    """.env is .env.example with a fresh DJANGO_SECRET_KEY, private, and never committed."""
    first, second = bake(tmp_path / "first"), bake(tmp_path / "second")
    example = dotenv(first / ".env.example")
    keys = [dotenv(project / ".env")["DJANGO_SECRET_KEY"] for project in (first, second)]

    assert keys[0] != keys[1]
    assert example["DJANGO_SECRET_KEY"] not in keys
    # What Django's security.W009 asks of a production key.
    assert all(len(key) >= 50 and len(set(key)) >= 5 for key in keys)
    generated = {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"}
    rest = {name: value for name, value in example.items() if name not in generated}
    assert {k: v for k, v in dotenv(first / ".env").items() if k not in generated} == rest
    assert (first / ".env").stat().st_mode & 0o777 == 0o600
    assert ".env" in (first / ".gitignore").read_text().splitlines()
    assert ".env" in (first / ".dockerignore").read_text().splitlines()


def test_each_single_host_database_gets_a_password_of_its_own(tmp_path):
    """.env replaces .env.example's POSTGRES_PASSWORD placeholder with a random one.

    compose.yaml puts it into DATABASE_URL unquoted, so it stays URL-safe.
    """
    answers = {"deploy_target": "single-host", "database": "postgresql"}
    first = bake(tmp_path / "first", **answers)
    second = bake(tmp_path / "second", **answers)
    example = dotenv(first / ".env.example")
    passwords = [dotenv(project / ".env")["POSTGRES_PASSWORD"] for project in (first, second)]

    assert example["POSTGRES_PASSWORD"] == "change-me"
    assert passwords[0] != passwords[1]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32,}", password) for password in passwords)
    assert "${POSTGRES_PASSWORD:?" in (first / "compose.yaml").read_text()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_slug": "my-project"}, "project_slug 'my-project' is not a lowercase Python"),
        ({"project_slug": "class"}, "project_slug 'class' is not a lowercase Python"),
        ({"project_slug": "2fast"}, "project_slug '2fast' is not a lowercase Python"),
        ({"domain": "https://example.com"}, "domain 'https://example.com' is not a lowercase"),
        ({"domain": "example.com:8443"}, "domain 'example.com:8443' is not a lowercase"),
        ({"load_balancer_cidr": "10.0.0.1/16"}, "load_balancer_cidr '10.0.0.1/16' is not a"),
        ({"load_balancer_cidr": "10.0.0.0/16; allow all"}, "load_balancer_cidr '10.0.0.0/16; "),
    ],
)
def test_invalid_answers_are_rejected(answers, message, tmp_path, capfd):
    """The pre-generation hook names the bad answer and what to give instead."""
    with pytest.raises(FailedHookException):
        bake(tmp_path, **answers)

    assert message in capfd.readouterr().err
    assert list(tmp_path.glob("*/manage.py")) == []


def test_generated_python_passes_ruff(valid_projects):
    """The generated code passes its own lint and format configuration."""
    projects = [str(path) for path in valid_projects.values()]

    check = subprocess.run(
        [BIN / "ruff", "check", "--no-cache", *projects],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    fmt = subprocess.run(
        [BIN / "ruff", "format", "--check", "--no-cache", *projects],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert check.returncode == 0, check.stdout
    assert fmt.returncode == 0, fmt.stdout


def test_shell_scripts_pass_shellcheck(valid_projects):
    """The deploy scripts pass shellcheck and are executable."""
    scripts = sorted(
        {script for project in valid_projects.values() for script in project.glob("deploy/*.sh")}
    )

    result = subprocess.run(
        [BIN / "shellcheck", *scripts], capture_output=True, text=True, timeout=120, check=False
    )

    assert len(scripts) >= 2
    assert result.returncode == 0, result.stdout
    assert all(script.stat().st_mode & 0o111 for script in scripts)


@pytest.mark.parametrize(
    ("answers", "present", "absent"),
    [
        (
            {},
            [
                ".github/workflows/ci.yml",
                ".github/workflows/deploy.yml",
                "deploy/alb-rolling-update.sh",
            ],
            ["deploy/rolling-restart.sh"],
        ),
        (
            {"deploy_target": "single-host"},
            [".github/workflows/ci.yml", "deploy/rolling-restart.sh"],
            [".github/workflows/deploy.yml", "deploy/alb-rolling-update.sh"],
        ),
        (
            {"deploy_target": "none", "ci": "none"},
            [
                "Dockerfile",
                "compose.yaml",
                "nginx/site.conf",
                "loadtest/locustfile.py",
                "deploy/cron/delete-unverified-users",
                f"deploy/systemd/{SLUG}-delete-unverified-users.timer",
                "tests/test_signup.py",
                "tests/test_mindmap.py",
                f"{SLUG}/templates/moa_signup/base.html",
                f"{SLUG}/templates/moa_mindmap/base.html",
            ],
            [".github", "deploy/rolling-restart.sh", "deploy/alb-rolling-update.sh"],
        ),
        (
            {"deploy_target": "none", "ci": "none", "use_signup": "no", "use_mindmap": "no"},
            ["tests/test_accounts.py", "tests/test_queries.py"],
            [
                ".github",
                "deploy",
                "tests/test_signup.py",
                "tests/test_mindmap.py",
                f"{SLUG}/templates/moa_signup",
                f"{SLUG}/templates/moa_mindmap",
            ],
        ),
    ],
    ids=["aws-alb", "single-host", "none", "no-optional-apps"],
)
def test_options_choose_the_files(answers, present, absent, tmp_path):
    """Each option gets its files and none of the others'.

    The cleanup schedule comes with signup: without it no account waits for
    activation, and the cleanup would delete users an admin created.
    """
    project = bake(tmp_path, **answers)

    assert [name for name in present if not (project / name).exists()] == []
    assert [name for name in absent if (project / name).exists()] == []
