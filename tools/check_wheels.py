"""Install each package by name from a local index into a clean virtualenv, run its tests.

The distributions come from ``moa_testsupport.index.dist_dir()`` (``dist/`` under
``make test``) and are checked with ``twine check --strict`` first. The tests run
from a copy of the package's ``tests/`` outside the checkout, so only what the
wheel ships (templates, static, migrations, locale) is there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from moa_testsupport.index import (
    dist_dir,
    distribution_files,
    package_dirs,
    pip_env,
    serve_index,
)

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, **kwargs: object) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, **kwargs)  # type: ignore[call-overload]


def uv(*args: str | Path) -> None:
    run(sys.executable, "-m", "uv", *args)


def main() -> int:
    packages = package_dirs(ROOT)
    dist = dist_dir()
    run(sys.executable, "-m", "twine", "check", "--strict", *distribution_files(dist))
    for wheel in sorted(dist.glob("*.whl")):
        names = zipfile.ZipFile(wheel).namelist()
        print(f"{wheel.name}: {len(names)} files", flush=True)
    # Wheels only for Moa's packages: the sdists are on the index too.
    only_wheels = [arg for package in packages for arg in ("--only-binary", package.name)]
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="moa-wheels-") as tmp, serve_index(dist) as index_url:
        index_env = {**os.environ, **pip_env(index_url)}
        for package in packages:
            name = package.name
            version = tomllib.loads((package / "pyproject.toml").read_text())["project"]["version"]
            venv = Path(tmp) / f"venv-{name}"
            uv("venv", "-q", "--python", sys.executable, venv)
            python = venv / "bin" / "python"
            run(
                sys.executable,
                "-m",
                "uv",
                "pip",
                "install",
                "-q",
                "--python",
                python,
                f"{name}=={version}",
                *only_wheels,
                ROOT / "tools" / "moa-testsupport",
                "--group",
                f"{package / 'pyproject.toml'}:test",
                env=index_env,
            )
            workdir = Path(tmp) / f"tests-{name}"
            shutil.copytree(package / "tests", workdir / "tests")
            shutil.copy(package / "pyproject.toml", workdir / "pyproject.toml")
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
            env.pop("MOA_TEST_DB", None)
            results = os.environ.get("MOA_RESULTS_DIR")
            junit = [f"--junitxml={results}/wheel-{name}.xml"] if results else []
            print(f"== {name} against its installed wheel", flush=True)
            result = subprocess.run(
                [
                    str(python),
                    "-m",
                    "pytest",
                    "-c",
                    str(ROOT / "pyproject.toml"),
                    "--rootdir",
                    str(workdir),
                    "tests",
                    "-q",
                    *junit,
                ],
                cwd=workdir,
                env=env,
                check=False,
            )
            if result.returncode:
                failed.append(name)
    if failed:
        print("wheel tests failed for: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
