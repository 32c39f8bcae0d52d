"""The local package index the tests install Moa from, as users install it."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from moa_testsupport.index import dist_dir, package_dirs, pip_env, serve_index

ROOT = Path(__file__).resolve().parents[3]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


@pytest.fixture(scope="module")
def dist() -> Path:
    return dist_dir()


@pytest.fixture(scope="module")
def index_url(dist) -> Iterator[str]:
    with serve_index(dist) as url:
        yield url


def test_every_package_has_a_wheel_and_an_sdist(dist):
    """dist_dir() holds one wheel and one sdist per package, at its pyproject version."""
    names = {path.name for path in dist.iterdir()}

    for package in package_dirs(ROOT):
        project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
        stem = f"{project['name'].replace('-', '_')}-{project['version']}"
        assert {f"{stem}-py3-none-any.whl", f"{stem}.tar.gz"} <= names


def test_the_root_page_lists_normalized_project_names(index_url):
    """The root page links every project by its PEP 503 normalized name."""
    page = fetch(index_url)

    assert re.findall(r'href="([^"]+)/"', page) == sorted(p.name for p in package_dirs(ROOT))


def test_project_pages_link_files_with_their_sha256_and_requires_python(index_url):
    """Each file's anchor carries its sha256 fragment and data-requires-python."""
    page = fetch(f"{index_url}moa-ops/")

    anchors = re.findall(r'<a href="([^"#]+)#sha256=([0-9a-f]{64})" ([^>]*)>', page)
    assert sorted(name for name, _, _ in anchors) == [
        "moa_ops-0.1.0-py3-none-any.whl",
        "moa_ops-0.1.0.tar.gz",
    ]
    for name, sha256, attributes in anchors:
        content = urllib.request.urlopen(f"{index_url}moa-ops/{name}", timeout=10).read()
        assert hashlib.sha256(content).hexdigest() == sha256
        assert attributes == 'data-requires-python="&gt;=3.11"'


def test_pip_env_adds_the_index_to_the_configured_ones(monkeypatch):
    """PIP_EXTRA_INDEX_URL keeps the extra indexes already in use, and lists the local one."""
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///mirror/simple file:///more/simple")
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", "file:///mirror/simple")

    env = pip_env("http://127.0.0.1:1/simple/")

    assert env == {
        "PIP_EXTRA_INDEX_URL": (
            "file:///mirror/simple file:///more/simple http://127.0.0.1:1/simple/"
        ),
        "UV_EXTRA_INDEX_URL": "http://127.0.0.1:1/simple/ file:///mirror/simple",
        "UV_INDEX_STRATEGY": "first-index",
    }


def test_pip_env_reads_pip_config_when_the_environment_sets_no_extra_index(monkeypatch, tmp_path):
    """Without PIP_EXTRA_INDEX_URL, the extra indexes of pip's configuration are kept."""
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nextra-index-url = file:///mirror/simple\n")
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))

    env = pip_env("http://127.0.0.1:1/simple/")

    assert env["PIP_EXTRA_INDEX_URL"] == "file:///mirror/simple http://127.0.0.1:1/simple/"


def test_pip_installs_moa_ops_by_name_from_the_index(index_url, tmp_path):
    """`pip install moa-ops` in a fresh virtualenv gets the version in its pyproject."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    version = tomllib.loads((ROOT / "packages/moa-ops/pyproject.toml").read_text())["project"][
        "version"
    ]
    env = {**os.environ, **pip_env(index_url)}

    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "moa-ops"],
        env=env,
        check=True,
        timeout=300,
    )

    installed = subprocess.run(
        [python, "-c", "from importlib.metadata import version; print(version('moa-ops'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert installed.stdout.strip() == version
