"""Install the Moa packages the way users do: by name, from a package index.

``dist_dir()`` finds or builds the sdists and wheels, ``serve_index()`` serves
them as a PEP 503 simple index on 127.0.0.1, and ``pip_env()`` is the
environment that points pip and uv at that index besides the ones this machine
already uses. Nothing here rewrites a command: a README line runs as written.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from email.parser import HeaderParser
from functools import partial
from pathlib import Path

# Files of a package directory that say nothing about what it builds.
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "build", "dist"}


def repo_dir() -> Path:
    """Return the Moa checkout: ``$MOA_REPO_DIR``, else the cwd or its nearest parent in it."""
    if os.environ.get("MOA_REPO_DIR"):
        return Path(os.environ["MOA_REPO_DIR"]).resolve()
    for directory in (Path.cwd(), *Path.cwd().parents):
        if (directory / "packages").is_dir() and (directory / "tools" / "moa-testsupport").is_dir():
            return directory
    raise RuntimeError("run from inside the Moa checkout or set MOA_REPO_DIR")


def package_dirs(root: Path | None = None) -> list[Path]:
    """Return the directories of the Moa packages (``packages/*`` with a pyproject.toml)."""
    packages = (root or repo_dir()) / "packages"
    return sorted(path.parent for path in packages.glob("*/pyproject.toml"))


def sources_digest(packages: list[Path]) -> str:
    """Return a SHA-256 over every source file of ``packages``: their builds' cache key."""
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted(package.rglob("*")):
            relative = path.relative_to(package.parent)
            if path.is_dir() or SKIPPED_PARTS & set(relative.parts) or path.suffix == ".pyc":
                continue
            if any(part.endswith(".egg-info") for part in relative.parts):
                continue
            digest.update(f"{relative}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build_distributions(packages: list[Path], out_dir: Path) -> None:
    """Build an sdist and, from it, a wheel of each package into ``out_dir`` (hatchling)."""
    for package in packages:
        subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out_dir), "."],
            cwd=package,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def dist_dir() -> Path:
    """Return the directory of the packages' built sdists and wheels.

    ``$MOA_DIST_DIR`` when it is set (``make test`` builds ``dist/`` once and
    sets it); otherwise build every package once per state of their sources into
    a shared temporary directory. A lock makes tox's parallel environments wait
    for one build, and a rename makes the directory appear complete or not at all.
    """
    if os.environ.get("MOA_DIST_DIR"):
        dist = Path(os.environ["MOA_DIST_DIR"]).resolve()
        if not any(dist.glob("*.whl")):
            raise RuntimeError(f"MOA_DIST_DIR={str(dist)!r} holds no wheel: run `make dist`")
        return dist
    packages = package_dirs()
    cache = Path(tempfile.gettempdir()) / f"moa-dist-{sources_digest(packages)[:20]}"
    with open(f"{cache}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.is_dir():
            partial_dir = Path(tempfile.mkdtemp(prefix=f"{cache.name}-", dir=cache.parent))
            try:
                build_distributions(packages, partial_dir)
                partial_dir.rename(cache)
            finally:
                shutil.rmtree(partial_dir, ignore_errors=True)
    return cache


def normalize(name: str) -> str:
    """Return the PEP 503 normalized form of a project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_name(filename: str) -> str:
    """Return the normalized project name of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        return normalize(filename.split("-")[0])
    return normalize(filename.removesuffix(".tar.gz").rsplit("-", 1)[0])


def requires_python(path: Path) -> str | None:
    """Return the distribution's ``Requires-Python``, read from its metadata."""
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as wheel:
            name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
            text = wheel.read(name).decode()
    else:
        with tarfile.open(path) as sdist:
            members = sdist.getmembers()
            member = next(m for m in members if re.fullmatch(r"[^/]+/PKG-INFO", m.name))
            extracted = sdist.extractfile(member)
            assert extracted is not None
            text = extracted.read().decode()
    return HeaderParser().parsestr(text).get("Requires-Python")


def distribution_files(dist: Path) -> list[Path]:
    """Return the sdists and wheels in ``dist``, leaving out anything else a build wrote there."""
    return sorted(path for path in dist.iterdir() if path.name.endswith((".whl", ".tar.gz")))


def write_simple_tree(dist: Path, root: Path) -> None:
    """Lay out ``root/simple/`` (PEP 503) for the sdists and wheels in ``dist``."""
    projects: dict[str, list[Path]] = {}
    for path in distribution_files(dist):
        projects.setdefault(project_name(path.name), []).append(path)
    simple = root / "simple"
    simple.mkdir(parents=True)
    links = "".join(f'<a href="{name}/">{name}</a><br>\n' for name in sorted(projects))
    (simple / "index.html").write_text(page("Simple index", links))
    for name, files in projects.items():
        (simple / name).mkdir()
        anchors = []
        for path in files:
            shutil.copy2(path, simple / name / path.name)
            sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
            python = requires_python(path)
            attribute = f' data-requires-python="{html.escape(python)}"' if python else ""
            href = f"{html.escape(path.name)}#sha256={sha256}"
            anchors.append(f'<a href="{href}"{attribute}>{html.escape(path.name)}</a><br>\n')
        (simple / name / "index.html").write_text(page(f"Links for {name}", "".join(anchors)))


def page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>\n{body}</body></html>\n"
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files without logging each request to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_index(dist: Path) -> Iterator[str]:
    """Serve the distributions in ``dist`` as a simple index on 127.0.0.1; yield its URL.

    The URL ends in ``/simple/``. The server runs in a background thread and
    stops when the block exits.
    """
    with tempfile.TemporaryDirectory(prefix="moa-index-") as root:
        write_simple_tree(dist, Path(root))
        handler = partial(QuietHandler, directory=root)
        with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
            thread = threading.Thread(target=server.serve_forever, name="moa-index", daemon=True)
            thread.start()
            try:
                yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
            finally:
                server.shutdown()
                thread.join(timeout=10)


def pip_config_list() -> str:
    """Return ``pip config list`` of this Python's pip, else of the first pip on PATH."""
    # Environments made by uv have no pip; the pip on PATH reads the same files.
    pips = [[sys.executable, "-m", "pip"]]
    pips += [[path] for path in (shutil.which("pip3"), shutil.which("pip")) if path]
    for pip in pips:
        result = subprocess.run(
            [*pip, "config", "list"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        if result.returncode == 0:
            return result.stdout
    return ""


def configured_extra_index_urls() -> list[str]:
    """Return the extra index URLs pip uses here: its environment first, then its config."""
    if "PIP_EXTRA_INDEX_URL" in os.environ:
        return os.environ["PIP_EXTRA_INDEX_URL"].split()
    values = {}
    for line in pip_config_list().splitlines():
        key, _, value = line.partition("=")
        values[key] = value.strip().strip("'\"")
    # pip reads the [install] section over [global] for `pip install`.
    return (
        values.get("install.extra-index-url") or values.get("global.extra-index-url") or ""
    ).split()


def pip_env(index_url: str) -> dict[str, str]:
    """Return the environment variables that add ``index_url`` to pip's and uv's indexes.

    ``PIP_EXTRA_INDEX_URL`` replaces pip's configured extra indexes, so it lists
    them before ``index_url``. uv reads no pip configuration; it asks its extra
    indexes in order, so ``index_url`` comes first, and ``first-index`` (its
    default, stated here) keeps a same-named project on another index from
    shadowing the local Moa packages.
    """
    pip_urls = [*configured_extra_index_urls(), index_url]
    uv_urls = [index_url, *os.environ.get("UV_EXTRA_INDEX_URL", "").split()]
    return {
        "PIP_EXTRA_INDEX_URL": " ".join(dict.fromkeys(pip_urls)),
        "UV_EXTRA_INDEX_URL": " ".join(dict.fromkeys(uv_urls)),
        "UV_INDEX_STRATEGY": "first-index",
    }


@contextlib.contextmanager
def local_index() -> Iterator[dict[str, str]]:
    """Serve ``dist_dir()`` as a local index; yield ``pip_env()`` for it."""
    with serve_index(dist_dir()) as index_url:
        yield pip_env(index_url)
