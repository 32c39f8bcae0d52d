"""A project generated from the template, installed and run as its README says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sites import Site

from moa_testsupport.index import local_index
from moa_testsupport.template import bake

# The two option sets a journey walks: the defaults, and the smallest project.
OPTION_SETS = {
    "defaults": {},
    "smallest": {
        "database": "sqlite",
        "channel_layer": "in-memory",
        "use_signup": "no",
        "use_mindmap": "no",
        "ci": "none",
        "deploy_target": "none",
    },
}
INSTALL_TIMEOUT_S = 600
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "MARIADB_URL")


def readme_commands(readme: Path, heading: str) -> list[str]:
    """The lines of the first ``console`` block under ``## heading`` in ``readme``."""
    section = readme.read_text().split(f"\n## {heading}\n", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, f"no console block under {heading!r} in {readme}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def generated_site(workdir: Path, name: str) -> Site:
    """Generate a project, make its virtualenv and run its README's "Run it" block.

    The block's commands run as written, in a shell whose ``python`` is the
    virtualenv's; the Moa packages come from a local index given to pip through
    its environment only. ``runserver`` itself is left to ``Site.start()``,
    which adds a free port.
    """
    project = bake(workdir, **OPTION_SETS[name])
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {
        **os.environ,
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    # A new user's shell: no service URLs (the README's defaults are SQLite and the
    # in-memory layer; CI exports DATABASE_URL for other suites), no Django settings.
    for variable in (*SERVICE_VARIABLES, "PYTHONPATH", "DJANGO_SETTINGS_MODULE", "PYENV_VERSION"):
        env.pop(variable, None)
    with local_index() as index_env:
        for line in readme_commands(project / "README.md", "Run it"):
            # "migrate && runserver": the server is started by the site, on a free port.
            command = re.sub(r"\s*&&\s*python manage.py runserver\s*$", "", line)
            if command.strip() == "python manage.py runserver":
                continue
            subprocess.run(
                ["bash", "-c", command],
                cwd=project,
                env={**env, **index_env},
                check=True,
                timeout=INSTALL_TIMEOUT_S,
                stdout=subprocess.DEVNULL,
            )
    return Site(f"generated-{name}", project, workdir, str(venv / "bin" / "python"), env)
