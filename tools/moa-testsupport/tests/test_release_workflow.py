"""The release workflow: a tag moa-<name>-v<version> builds, checks and publishes that package."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from moa_testsupport.index import package_dirs

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW_PATH = ROOT / ".github/workflows/release.yml"
WORKFLOW: dict[Any, Any] = yaml.safe_load(WORKFLOW_PATH.read_text())
# YAML 1.1 reads the key `on` as True.
TRIGGER: dict[str, Any] = WORKFLOW["on"] if "on" in WORKFLOW else WORKFLOW[True]
BUILD_STEPS = WORKFLOW["jobs"]["build"]["steps"]
PACKAGE_STEP = next(step for step in BUILD_STEPS if step.get("id") == "package")


def version_of(package: Path) -> str:
    return str(tomllib.loads((package / "pyproject.toml").read_text())["project"]["version"])


def run_package_step(tag: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the step that maps the tag to a package directory, as the runner would."""
    output = tmp_path / "github_output"
    output.touch()
    result = subprocess.run(
        ["bash", "-e", "-c", PACKAGE_STEP["run"]],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "TAG": tag, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        check=False,
    )
    return result, output.read_text()


def test_the_workflow_is_valid_for_github_actions():
    """The workflow passes the GitHub Actions schema that check-jsonschema ships."""
    check_jsonschema = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [check_jsonschema, "--builtin-schema", "vendor.github-workflows", WORKFLOW_PATH],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tag_comes_from_the_environment_not_from_the_script():
    """The tag reaches the script as $TAG, so no tag text is ever run as shell code."""
    assert PACKAGE_STEP["env"] == {"TAG": "${{ github.ref_name }}"}
    assert "${{" not in PACKAGE_STEP["run"]


@pytest.mark.parametrize("package", package_dirs(ROOT), ids=lambda path: path.name)
def test_each_package_tag_maps_to_its_directory(package, tmp_path):
    """moa-<name>-v<version> at the pyproject's version triggers and finds packages/moa-<name>."""
    tag = f"{package.name}-v{version_of(package)}"

    result, output = run_package_step(tag, tmp_path)

    assert any(fnmatch.fnmatchcase(tag, pattern) for pattern in TRIGGER["push"]["tags"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert output == f"directory=packages/{package.name}\n"


def test_a_tag_whose_version_differs_from_pyproject_fails(tmp_path):
    """The build stops before anything is built when the tag's version is not pyproject's."""
    result, output = run_package_step("moa-ops-v9.9.9", tmp_path)

    assert result.returncode == 1
    version = version_of(ROOT / "packages/moa-ops")
    assert result.stdout == (
        "::error::tag moa-ops-v9.9.9 says version 9.9.9, "
        f"packages/moa-ops/pyproject.toml says {version}\n"
    )
    assert output == ""


def test_a_tag_naming_no_package_fails(tmp_path):
    result, _ = run_package_step("moa-nothing-v0.1.0", tmp_path)

    assert result.returncode == 1
    assert "names no package" in result.stdout


def test_the_build_checks_the_distributions_strictly():
    """twine check --strict runs on what was built, before the artifact is uploaded."""
    runs = [step.get("run", "") for step in BUILD_STEPS]

    assert any("python -m build --outdir dist" in run for run in runs)
    assert "python -m twine check --strict dist/*" in runs


def test_publishing_uses_trusted_publishing_in_the_pypi_environment():
    """The publish job gets an OIDC token, in the `pypi` environment, and no other permission."""
    publish = WORKFLOW["jobs"]["publish"]

    assert WORKFLOW["permissions"] == {}
    assert publish["needs"] == "build"
    assert publish["environment"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish["steps"][-1]  # no password: trusted publishing
