"""Run one package's tests once per database it supports, each in its own process.

    python tools/run_package_tests.py moa-ops [pytest args...]

SQLite always; PostgreSQL when ``DATABASE_URL`` points at it; MariaDB when the
package lists ``mysql`` in ``[tool.moa] test-databases`` and ``MARIADB_URL``
is set. With ``MOA_REQUIRE_SERVICES=1`` a missing URL is an error, not a skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def database_urls(declared: list[str]) -> list[tuple[str, str]]:
    required = os.environ.get("MOA_REQUIRE_SERVICES") == "1"
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


def main(argv: list[str]) -> int:
    package, *pytest_args = argv
    package_dir = ROOT / "packages" / package
    config = tomllib.loads((package_dir / "pyproject.toml").read_text())
    declared = config.get("tool", {}).get("moa", {}).get("test-databases", ["sqlite"])
    status = 0
    for vendor, url in database_urls(declared):
        print(f"== {package} on {vendor}", flush=True)
        env = {**os.environ, "MOA_TEST_DB": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        module = package.replace("-", "_")
        # Branch coverage of the package (as installed) is measured on every run.
        data_dir = Path(os.environ.get("TOX_ENV_DIR", tempfile.gettempdir()))
        data_file = data_dir / f".coverage.{package}.{vendor}"
        command = [
            sys.executable,
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
            *pytest_args,
        ]
        results = os.environ.get("MOA_RESULTS_DIR")
        if results:
            label = os.environ.get("TOX_ENV_NAME", package)
            junit = Path(results) / f"{label}-{vendor}.xml"
            command += [f"--junitxml={junit}", "-o", f"junit_suite_name={label}-{vendor}"]
        result = subprocess.run(command, cwd=package_dir, env=env, check=False)
        status = status or result.returncode
        subprocess.run(
            [
                sys.executable,
                "-m",
                "coverage",
                "combine",
                "-q",
                f"--rcfile={ROOT / 'pyproject.toml'}",
                f"--data-file={data_file}",
                *data_dir.glob(f"{data_file.name}.*"),
            ],
            cwd=package_dir,
            check=False,
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "coverage",
                "report",
                f"--rcfile={ROOT / 'pyproject.toml'}",
                f"--data-file={data_file}",
            ],
            cwd=package_dir,
            check=False,
        )
        data_file.unlink(missing_ok=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
