"""Remove the files the chosen options do not need."""

from __future__ import annotations

import shutil
from pathlib import Path

ci = "{{ cookiecutter.ci }}"
deploy_target = "{{ cookiecutter.deploy_target }}"
use_signup = "{{ cookiecutter.use_signup }}"
use_mindmap = "{{ cookiecutter.use_mindmap }}"
package = "{{ cookiecutter.project_slug }}"

unneeded = {
    f"{package}/templates/moa_signup": use_signup != "yes",
    "tests/test_signup.py": use_signup != "yes",
    # Only signups leave accounts that never verify their email: without
    # moa-signup, the cleanup would delete users created by an admin.
    "deploy/cron": use_signup != "yes",
    "deploy/systemd": use_signup != "yes",
    "tests/test_mindmap.py": use_mindmap != "yes",
    f"{package}/templates/moa_mindmap": use_mindmap != "yes",
    ".github": ci == "none",
    ".github/workflows/deploy.yml": deploy_target != "aws-alb",
    "deploy/alb-rolling-update.sh": deploy_target != "aws-alb",
    "deploy/rolling-restart.sh": deploy_target != "single-host",
}

for relative, remove in unneeded.items():
    path = Path(relative)
    if not remove or not path.exists():
        continue
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()

deploy_dir = Path("deploy")
if deploy_dir.is_dir() and not any(deploy_dir.iterdir()):
    deploy_dir.rmdir()
