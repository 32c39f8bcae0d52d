"""The generated project's developer tooling: pre-commit hooks, mypy, coverage, CI.

The hooks' tools run here directly, as pre-commit would run them: `pre-commit run`
would clone each hook's repository from the network first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from baking import SLUG, bake
from generated import clean_env, run
from identify.identify import tags_from_path

BIN = Path(sys.executable).parent

# Each hook of the generated .pre-commit-config.yaml: the command its repository's
# .pre-commit-hooks.yaml gives as its entry, and the file types it runs on.
HOOKS: dict[str, tuple[list[Path | str], set[str]]] = {
    "check-added-large-files": ([BIN / "check-added-large-files"], {"file"}),
    "check-yaml": ([BIN / "check-yaml"], {"yaml"}),
    "end-of-file-fixer": ([BIN / "end-of-file-fixer"], {"text"}),
    "trailing-whitespace": ([BIN / "trailing-whitespace-fixer"], {"text"}),
    "django-upgrade": ([BIN / "django-upgrade"], {"python"}),
    "ruff-check": ([BIN / "ruff", "check", "--force-exclude"], {"python", "pyi", "jupyter"}),
    "ruff-format": ([BIN / "ruff", "format", "--force-exclude"], {"python", "pyi", "jupyter"}),
}


def hooks(path: Path) -> list[dict[str, Any]]:
    """Every hook of the project's pre-commit configuration, with its repository and rev."""
    config = yaml.safe_load((path / ".pre-commit-config.yaml").read_text())
    return [
        {"repo": repo["repo"], "rev": repo["rev"], **hook}
        for repo in config["repos"]
        for hook in repo["hooks"]
    ]


def committed_files(path: Path) -> list[str]:
    """The files a first commit of ``path`` holds (all .gitignore leaves): what pre-commit sees."""
    run(["git", "init", "--quiet"], path)
    run(["git", "add", "--all"], path)
    return run(["git", "ls-files"], path).stdout.splitlines()


def coverage_threshold(path: Path) -> float:
    pyproject = tomllib.loads((path / "pyproject.toml").read_text())
    return float(pyproject["tool"]["coverage"]["report"]["fail_under"])


def test_pre_commit_config_is_valid_and_pinned_to_release_tags(tmp_path):
    """pre-commit accepts the file; every rev is a release tag, never a moving branch."""
    path = bake(tmp_path)
    base = (path / "requirements" / "base.txt").read_text()
    oldest_django = re.search(r"^django>=([\d.]+)", base, re.MULTILINE)
    assert oldest_django

    validate = run([BIN / "pre-commit", "validate-config", ".pre-commit-config.yaml"], path)
    found = hooks(path)

    assert validate.returncode == 0
    assert {hook["id"] for hook in found} == set(HOOKS)
    for hook in found:
        assert re.fullmatch(r"v?\d+(\.\d+)+", hook["rev"]), hook
    [upgrade] = [hook for hook in found if hook["id"] == "django-upgrade"]
    assert upgrade["args"] == ["--target-version", oldest_django[1]]
    [ruff_check] = [hook for hook in found if hook["id"] == "ruff-check"]
    assert ruff_check["args"] == ["--fix"]


def test_pre_commit_hooks_leave_the_generated_project_unchanged(project, tmp_path):
    """Each hook's tool, with the hook's arguments, on its files: it passes and rewrites nothing."""
    _, path, _ = project
    copy = tmp_path / "copy"
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns(".coverage", "*_cache"))
    files = committed_files(copy)

    for hook in hooks(copy):
        command, types = HOOKS[hook["id"]]
        targets = [name for name in files if types & tags_from_path(str(copy / name))]
        assert targets, hook["id"]
        result = subprocess.run(
            [str(part) for part in command] + hook.get("args", []) + targets,
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (hook["id"], result.stdout, result.stderr)

    changed = [name for name in files if (copy / name).read_bytes() != (path / name).read_bytes()]
    assert changed == []


def test_mypy_passes_on_the_generated_project(project, tmp_path):
    """`mypy` (strict, with the django-stubs plugin) checks the package and the tests."""
    _, path, python = project
    checked = [*(path / SLUG).rglob("*.py"), *(path / "tests").rglob("*.py"), path / "manage.py"]

    result = run([python, "-m", "mypy", "--cache-dir", tmp_path / "mypy"], path, clean_env())

    found = re.search(r"Success: no issues found in (\d+) source files", result.stdout)
    assert found, result.stdout
    assert int(found[1]) == len(checked)


def test_a_run_below_the_coverage_threshold_fails(project, tmp_path):
    """`pytest --cov` enforces pyproject.toml's fail_under: one test module is far below it."""
    _, path, python = project
    threshold = coverage_threshold(path)

    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_checks.py", "--cov"],
        cwd=path,
        env=clean_env(COVERAGE_FILE=str(tmp_path / ".coverage")),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert threshold >= 80
    assert "2 passed" in result.stdout
    assert f"FAIL Required test coverage of {threshold}% not reached" in result.stdout
    assert result.returncode != 0


@pytest.mark.parametrize("step", ["ruff check .", "ruff format --check .", "mypy"])
def test_ci_runs_each_check_before_the_tests_with_coverage(valid_projects, step):
    """The test job lints, formats and type-checks, then runs the suite under the threshold."""
    workflows = {
        (path / ".github/workflows/ci.yml").read_text()
        for path in valid_projects.values()
        if (path / ".github/workflows/ci.yml").exists()
    }
    assert workflows
    for text in workflows:
        runs = [s.get("run") for s in yaml.safe_load(text)["jobs"]["test"]["steps"]]

        assert runs.index(step) < runs.index("python -m pytest --cov")
