"""The lock files: compiled by the generated ``requirements/lock.sh``, installed exactly.

Compiling needs package data from an index, and these tests download nothing:
lock_cache.py, which tox runs before them, fills a uv cache and a wheelhouse for
each representative project, and the tests compile with ``UV_OFFLINE=1`` and
install with pip's ``--no-index`` from there. Without that cache they skip, or
fail under MOA_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from baking import bake, dockerfile_run_step
from generated import REPRESENTATIVE, collect_static, make_venv, run
from lock_cache import directory as lock_cache_directory
from lock_cache import pip_env, uv_env
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from moa_testsupport.services import services_required

BIN = Path(sys.executable).parent
# The build stage's pip step, less the lock it installs.
PIP_INSTALL = ["/venv/bin/pip", "install", "--require-hashes", "-r"]
LOCKS = {
    "requirements/production.lock": ["requirements/production.txt"],
    "requirements/dev.lock": ["requirements/local.txt", "requirements/production.txt"],
}
REQUIREMENT_LINE = re.compile(
    r"(?P<name>[a-z0-9][a-z0-9._-]*)==(?P<version>[^\s;]+)(?: ; (?P<marker>.+?))? \\"
)
HASH_LINE = re.compile(r" {4}--hash=sha256:(?P<hash>[0-9a-f]{64})(?: \\)?")


class Pin(NamedTuple):
    name: str
    version: str
    marker: str | None
    hashes: list[str]


def pins(lock: Path) -> list[Pin]:
    """Every entry of a lock file; fail on a line that is neither a pin, a hash nor a comment."""
    found: list[Pin] = []
    for line in lock.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if pin := REQUIREMENT_LINE.fullmatch(line):
            found.append(Pin(pin["name"], pin["version"], pin["marker"], []))
        elif (sha256 := HASH_LINE.fullmatch(line)) and found:
            found[-1].hashes.append(sha256["hash"])
        else:
            pytest.fail(f"{lock.name}: not a pin or its hash: {line!r}")
    return found


def requirements(path: Path) -> list[Requirement]:
    """The requirements of a requirements file, following its ``-r`` includes."""
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += requirements(path.parent / line.removeprefix("-r "))
        elif line:
            found.append(Requirement(line))
    return found


def readme_lock_command(path: Path) -> str:
    """The first command of the README's "Locked dependencies" section."""
    section = (path / "README.md").read_text().split("## Locked dependencies\n", 1)[1]
    return section.split("```console\n", 1)[1].splitlines()[0]


def frozen(venv: Path, cwd: Path) -> dict[str, str]:
    """The version of each package installed in ``venv``, pip's own included."""
    lines = run([venv / "bin" / "pip", "freeze", "--all"], cwd).stdout.splitlines()
    return {canonicalize_name(name): version for name, version in (x.split("==") for x in lines)}


def run_pip(venv: Path, args: list[str | Path], cwd: Path, lock_cache: Path):
    """Run the virtualenv's pip offline; return the finished process, whatever its status."""
    env = pip_env(lock_cache / "wheelhouse")
    return run([venv / "bin" / "pip", *args], cwd, env, 600, check=False)


def entry(lock: str, package: str) -> str:
    """The lines of ``package``'s one entry in the text of a lock: pin, hashes and comments."""
    [text] = [
        text
        for text in re.split(r"^(?=\S)", lock, flags=re.MULTILINE)
        if text.startswith(f"{package}==")
    ]
    return text


@pytest.fixture(scope="session")
def lock_cache() -> Path:
    """The directory lock_cache.py filled, or skip, or fail under MOA_REQUIRE_SERVICES=1."""
    cache_dir = lock_cache_directory()
    if not (cache_dir / "uv-cache").is_dir() or not (cache_dir / "wheelhouse").is_dir():
        message = (
            f"no lock cache in {str(cache_dir)!r}: run `python template/tests/lock_cache.py` "
            "with this Python (tox -e template does)"
        )
        if services_required():
            pytest.fail(message + " and MOA_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)
    return cache_dir


@pytest.fixture(scope="session")
def locked_projects(tmp_path_factory, lock_cache) -> dict[str, Path]:
    """Each representative project after the README's lock command, run offline as written."""
    projects = {}
    for name, answers in REPRESENTATIVE.items():
        path = bake(tmp_path_factory.mktemp(f"locked-{name}"), **answers)
        env = uv_env(lock_cache / "uv-cache", UV_OFFLINE="1")
        run(["bash", "-c", readme_lock_command(path)], path, env, timeout=300)
        projects[name] = path
    return projects


@pytest.fixture
def venv(tmp_path) -> Path:
    """A fresh virtualenv with pip only: it sees none of this environment's packages."""
    make_venv(tmp_path / "venv")
    return tmp_path / "venv"


def test_readme_lock_command_writes_both_locks(locked_projects):
    """`requirements/lock.sh` writes the production and the dev lock, each naming the script."""
    for path in locked_projects.values():
        assert readme_lock_command(path) == "requirements/lock.sh"
        for lock in LOCKS:
            header = (path / lock).read_text().splitlines()[:2]

            assert header[1] == "#    requirements/lock.sh", (lock, header)


def test_lock_script_passes_upgrade_on_to_uv(locked_projects, lock_cache):
    """`lock.sh --upgrade` runs uv with it; with nothing newer, it rewrites the same locks."""
    path = locked_projects["embedded"]
    before = {lock: (path / lock).read_text() for lock in LOCKS}
    env = uv_env(lock_cache / "uv-cache", UV_OFFLINE="1")

    run(["requirements/lock.sh", "--upgrade"], path, env)
    refused = run(["requirements/lock.sh", "--no-such-option"], path, env, 60, check=False)

    assert {lock: (path / lock).read_text() for lock in LOCKS} == before
    assert refused.returncode != 0
    assert "--no-such-option" in refused.stderr


@pytest.mark.parametrize("name", list(REPRESENTATIVE))
@pytest.mark.parametrize("lock", list(LOCKS))
def test_each_lock_pins_every_requirement_with_hashes(locked_projects, name, lock):
    """Each line is a pin with hashes; each requirement of its inputs is pinned within range."""
    path = locked_projects[name]
    found = pins(path / lock)
    versions: dict[str, set[str]] = {}
    for pin in found:
        versions.setdefault(pin.name, set()).add(pin.version)

    assert all(pin.hashes for pin in found), [pin.name for pin in found if not pin.hashes]
    for source in LOCKS[lock]:
        for requirement in requirements(path / source):
            pinned = versions.get(canonicalize_name(requirement.name), set())
            assert pinned, f"{lock} does not pin {requirement} of {source}"
            assert all(requirement.specifier.contains(v) for v in pinned), (requirement, pinned)


@pytest.mark.parametrize("name", list(REPRESENTATIVE))
def test_dev_lock_pins_the_production_packages_alike(locked_projects, name):
    """CI installs the dev lock: it tests the very versions the image runs."""
    path = locked_projects[name]

    def versions(lock: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for pin in pins(path / lock):
            found.setdefault(pin.name, set()).add(pin.version)
        return found

    production, dev = versions("requirements/production.lock"), versions("requirements/dev.lock")

    assert {package: dev.get(package) for package in production} == production
    assert len(dev) > len(production)


@pytest.mark.parametrize("name", list(REPRESENTATIVE))
def test_the_images_install_step_installs_exactly_the_production_lock(
    locked_projects, lock_cache, venv, name
):
    """The build stage's pip step, as written, installs the lock's pins for this Python only.

    The virtualenv sees nothing else, so `pip check` and the image's next step,
    collectstatic with the production settings, show the lock is complete.
    """
    path = locked_projects[name]
    variables, argv = dockerfile_run_step(path, "pip install")
    assert (variables, argv) == ({}, [*PIP_INSTALL, "requirements/production.lock"])
    seeded = frozen(venv, path)

    run([venv / "bin" / "pip", *argv[1:]], path, pip_env(lock_cache / "wheelhouse"), timeout=600)

    expected = {
        pin.name: pin.version
        for pin in pins(path / "requirements/production.lock")
        if pin.marker is None or Marker(pin.marker).evaluate()
    }
    assert frozen(venv, path) == {**seeded, **expected}
    run([venv / "bin" / "pip", "check"], path)
    assert "static files copied" in collect_static(path, venv / "bin" / "python").stdout


def test_a_file_whose_hash_differs_from_the_lock_is_refused(locked_projects, lock_cache, venv):
    """With every hash of Django's dependency sqlparse changed, pip installs nothing."""
    path = locked_projects["embedded"]
    text = (path / "requirements/production.lock").read_text()
    sqlparse = entry(text, "sqlparse")
    changed = re.sub(
        r"(?<=sha256:)\w{64}", lambda m: hashlib.sha256(m[0].encode()).hexdigest(), sqlparse
    )
    (path / "tampered.lock").write_text(text.replace(sqlparse, changed))

    result = run_pip(venv, [*PIP_INSTALL[1:], "tampered.lock"], path, lock_cache)

    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr
    assert "sqlparse==" in result.stderr
    assert "django" not in run([venv / "bin" / "pip", "freeze"], path).stdout.lower()


def test_a_dependency_missing_from_the_lock_is_refused(locked_projects, lock_cache, venv):
    """A lock without Django's dependency sqlparse fails to install: it never installs unpinned.

    So the Dockerfile needs no --no-deps, which would build an image without sqlparse.
    """
    path = locked_projects["embedded"]
    text = (path / "requirements/production.lock").read_text()
    (path / "short.lock").write_text(text.replace(entry(text, "sqlparse"), ""))

    result = run_pip(venv, [*PIP_INSTALL[1:], "short.lock"], path, lock_cache)

    assert result.returncode != 0
    assert "all requirements must have their versions pinned" in result.stderr
    assert "sqlparse" in result.stderr


def test_every_dockerfile_copies_and_installs_only_the_production_lock(valid_projects):
    """The build stage copies the production lock, then installs it with --require-hashes."""
    for path in valid_projects.values():
        dockerfile = (path / "Dockerfile").read_text()
        variables, argv = dockerfile_run_step(path, "pip install")

        assert (variables, argv) == ({}, [*PIP_INSTALL, "requirements/production.lock"])
        copy = dockerfile.index("\nCOPY requirements/production.lock requirements/\n")
        assert copy < dockerfile.index("\nRUN /venv/bin/pip install")


def test_ci_installs_the_dev_lock_with_hashes_before_any_check(valid_projects):
    """The test job's first command installs requirements/dev.lock; its pip cache follows it."""
    workflows = [
        path / ".github/workflows/ci.yml"
        for path in valid_projects.values()
        if (path / ".github/workflows/ci.yml").exists()
    ]
    assert workflows
    for workflow in workflows:
        steps = yaml.safe_load(workflow.read_text())["jobs"]["test"]["steps"]
        [setup] = [step for step in steps if "setup-python" in step.get("uses", "")]
        runs = [step["run"] for step in steps if "run" in step]

        assert [command for command in runs if "pip" in command] == [runs[0]]
        assert runs[0] == "python -m pip install --require-hashes -r requirements/dev.lock"
        assert setup["with"]["cache-dependency-path"] == "requirements/*.lock"


def test_lock_script_passes_shellcheck_and_is_executable(valid_projects):
    """`requirements/lock.sh` passes shellcheck and is executable in every combination."""
    scripts = sorted({path / "requirements" / "lock.sh" for path in valid_projects.values()})

    result = subprocess.run(
        [BIN / "shellcheck", *scripts], capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stdout
    assert all(script.stat().st_mode & 0o111 for script in scripts)
