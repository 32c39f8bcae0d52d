"""Run one package's tests once per database it supports, each in its own process.

    python tools/run_package_tests.py moa-ops [pytest args...]

SQLite always; PostgreSQL when ``DATABASE_URL`` points at it; MariaDB when the
package lists ``mysql`` in ``[tool.moa] test-databases`` and ``MARIADB_URL``
is set. With ``MOA_REQUIRE_SERVICES=1`` a missing URL is an error, not a skip.
``MOA_TEST_DATABASES=sqlite`` (a comma-separated list) runs only those.

pytest runs in Python's development mode (``-X dev``) and in a random order
(pytest-randomly, when installed; the header prints the seed: pass
``-p randomly --randomly-seed=N`` to repeat an order). Branch coverage of the
runs is combined and must reach ``[tool.moa] coverage-fail-under``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def database_urls(declared: list[str]) -> list[tuple[str, str]]:
    required = os.environ.get("MOA_REQUIRE_SERVICES") == "1"
    chosen = os.environ.get("MOA_TEST_DATABASES")
    if chosen:
        declared = [vendor for vendor in declared if vendor in chosen.split(",")]
    urls = [("sqlite", "sqlite")]
    sources = {"postgresql": "DATABASE_URL", "mysql": "MARIADB_URL"}
    for vendor, variable in sources.items():
        if vendor not in declared:
            continue
        url = os.environ.get(variable, "")
        if url.split(":", 1)[0] in ("postgres", "postgresql", "mysql", "mariadb"):
            urls.append((vendor, url.replace("mariadb://", "mysql://", 1)))
        elif required:
            sys.exit(f"{variable} must be set for {vendor} when MOA_REQUIRE_SERVICES=1")
        else:
            print(f"-- skipping {vendor}: {variable} is not set", flush=True)
    return urls


def coverage(command: str, *args: str | Path, cwd: Path) -> int:
    rcfile = f"--rcfile={ROOT / 'pyproject.toml'}"
    argv = [sys.executable, "-m", "coverage", command, rcfile, *map(str, args)]
    return subprocess.run(argv, cwd=cwd, check=False).returncode


def main(argv: list[str]) -> int:
    package, *pytest_args = argv
    package_dir = ROOT / "packages" / package
    config = tomllib.loads((package_dir / "pyproject.toml").read_text())
    moa = config.get("tool", {}).get("moa", {})
    declared = moa.get("test-databases", ["sqlite"])
    module = package.replace("-", "_")
    # Branch coverage of the package (as installed), combined over the databases.
    data_dir = Path(os.environ.get("TOX_ENV_DIR", tempfile.gettempdir()))
    data_file = data_dir / f".coverage.{package}"
    for stale in data_dir.glob(f"{data_file.name}*"):
        stale.unlink()
    order = ["--randomly-dont-reset-seed"] if importlib.util.find_spec("pytest_randomly") else []
    status = 0
    for vendor, url in database_urls(declared):
        print(f"== {package} on {vendor}", flush=True)
        env = {**os.environ, "MOA_TEST_DB": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        command = [
            sys.executable,
            # Development mode (asyncio debug, every warning, faulthandler) in the test
            # process only: servers the tests start run as they do in production.
            "-X",
            "dev",
            "-m",
            "coverage",
            "run",
            f"--rcfile={ROOT / 'pyproject.toml'}",
            f"--data-file={data_file}",
            f"--source={module}",
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(package_dir),
            "tests",
            *order,
            *pytest_args,
        ]
        results = os.environ.get("MOA_RESULTS_DIR")
        if results:
            label = os.environ.get("TOX_ENV_NAME", package)
            if package.removeprefix("moa-") not in label.split("-"):
                label = f"{label}-{package.removeprefix('moa-')}"  # an env of several packages
            junit = Path(results) / f"{label}-{vendor}.xml"
            command += [f"--junitxml={junit}", "-o", f"junit_suite_name={label}-{vendor}"]
        result = subprocess.run(command, cwd=package_dir, env=env, check=False)
        status = status or result.returncode
    print(f"== {package}: coverage over every database", flush=True)
    coverage("combine", "-q", f"--data-file={data_file}", *data_dir.glob(f"{data_file.name}.*"),
             cwd=package_dir)  # fmt: skip
    threshold = moa.get("coverage-fail-under")
    # Only a whole run holds the threshold: a selection (-k, a path) covers less.
    report = ["--precision=1"]
    if threshold is not None and not pytest_args and not os.environ.get("MOA_TEST_DATABASES"):
        report.append(f"--fail-under={threshold}")
    covered = coverage("report", f"--data-file={data_file}", *report, cwd=package_dir)
    data_file.unlink(missing_ok=True)
    return status or covered


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
