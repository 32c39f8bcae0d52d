"""The lock tests' offline cache: uv's index data and the files the locks pin.

The template tests download nothing, yet test_lock.py compiles each representative
project's locks with its ``requirements/lock.sh`` and installs them. So tox runs
this module before the tests (``commands_pre``), while package indexes are
reachable::

    python template/tests/lock_cache.py

It compiles those locks once against the index into a uv cache of its own, from
which the tests compile them again with ``UV_OFFLINE=1``, and downloads the files
the production locks pin for this Python into a wheelhouse, from which the tests
install them with pip's ``--no-index``. Both live in ``directory()``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from baking import bake
from generated import REPRESENTATIVE, clean_env, make_venv, run

from moa_testsupport.index import dist_dir


def directory() -> Path:
    """``lock-cache`` in this Python's environment: one per tox env and its Python."""
    return Path(sys.prefix).resolve() / "lock-cache"


def uv_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of ``requirements/lock.sh``: this uv, its cache, the Moa packages.

    ``UV_FIND_LINKS`` is what the generated README has a user set until the Moa
    packages are on PyPI.
    """
    env = clean_env(UV_CACHE_DIR=str(cache), UV_FIND_LINKS=str(dist_dir()), **extra)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def pip_env(wheelhouse: Path) -> dict[str, str]:
    """The environment in which pip installs only from ``wheelhouse`` and the Moa packages."""
    return clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=f"{wheelhouse} {dist_dir()}")


def fill(cache_dir: Path) -> None:
    """Compile every representative project's locks; download what its production lock pins."""
    cache, wheelhouse = cache_dir / "uv-cache", cache_dir / "wheelhouse"
    # Files of earlier runs' pins would let an install pass that a fresh cache fails.
    shutil.rmtree(wheelhouse, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="moa-lock-cache-") as tmp:
        pip = make_venv(Path(tmp) / "venv").parent / "pip"
        for name, answers in REPRESENTATIVE.items():
            project = bake(Path(tmp) / name, **answers)
            run(["requirements/lock.sh"], project, uv_env(cache), timeout=600)
            download: list[str | Path] = [pip, "download", "--quiet", "--require-hashes"]
            download += ["--dest", wheelhouse, "--find-links", dist_dir()]
            run(
                [*download, "-r", "requirements/production.lock"], project, clean_env(), timeout=600
            )


if __name__ == "__main__":
    fill(directory())
