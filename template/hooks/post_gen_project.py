"""Remove the files the chosen options do not need; write ``.env`` with a fresh secret."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

ANSWERS = {
    "ci": "{{ cookiecutter.ci }}",
    "database": "{{ cookiecutter.database }}",
    "deploy_target": "{{ cookiecutter.deploy_target }}",
    "use_signup": "{{ cookiecutter.use_signup }}",
    "use_mindmap": "{{ cookiecutter.use_mindmap }}",
    "package": "{{ cookiecutter.project_slug }}",
}


def unneeded_paths(answers: dict[str, str]) -> list[Path]:
    """Return the generated paths that ``answers`` leave unused."""
    package = answers["package"]
    no_signup = answers["use_signup"] != "yes"
    no_mindmap = answers["use_mindmap"] != "yes"
    # The backup scripts dump the compose service `db`, which only single-host runs
    # (aws-alb's managed database is backed up by its provider).
    no_backups = answers["deploy_target"] != "single-host" or answers["database"] != "postgresql"
    unneeded = {
        f"{package}/templates/moa_signup": no_signup,
        "tests/test_signup.py": no_signup,
        # Only signups leave accounts that never verify their email: without
        # moa-signup, the cleanup would delete users created by an admin.
        "deploy/cron/delete-unverified-users": no_signup,
        f"deploy/systemd/{package}-delete-unverified-users.service": no_signup,
        f"deploy/systemd/{package}-delete-unverified-users.timer": no_signup,
        "deploy/backup.sh": no_backups,
        "deploy/restore.sh": no_backups,
        "deploy/cron/backup": no_backups,
        f"deploy/systemd/{package}-backup.service": no_backups,
        f"deploy/systemd/{package}-backup.timer": no_backups,
        "tests/test_mindmap.py": no_mindmap,
        f"{package}/templates/moa_mindmap": no_mindmap,
        ".github": answers["ci"] == "none",
        ".github/workflows/deploy.yml": answers["deploy_target"] != "aws-alb",
        "deploy/alb-rolling-update.sh": answers["deploy_target"] != "aws-alb",
        "deploy/rolling-restart.sh": answers["deploy_target"] != "single-host",
    }
    return [Path(relative) for relative, remove in unneeded.items() if remove]


def remove(path: Path) -> None:
    """Delete a file or a directory tree; nothing if it is already gone."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def write_env(example: Path, env: Path) -> None:
    """Write ``env`` from ``example`` with secrets of its own (once).

    A new random ``DJANGO_SECRET_KEY`` and, where the example has one (the
    single-host PostgreSQL service), ``POSTGRES_PASSWORD``: URL-safe, as compose
    puts it into ``DATABASE_URL``.
    """
    if env.exists() or not example.exists():
        return
    key = secrets.token_urlsafe(50)
    text, count = re.subn(
        r"^DJANGO_SECRET_KEY=.*$", f"DJANGO_SECRET_KEY={key}", example.read_text(), flags=re.M
    )
    assert count == 1, ".env.example must set DJANGO_SECRET_KEY once"
    password = secrets.token_urlsafe(24)
    text = re.sub(r"^POSTGRES_PASSWORD=.*$", f"POSTGRES_PASSWORD={password}", text, flags=re.M)
    env.write_text(text)
    env.chmod(0o600)


def main() -> None:
    """Remove what the answers leave unused, then the ``deploy/`` directories left empty."""
    for path in unneeded_paths(ANSWERS):
        remove(path)
    for directory in (Path("deploy/cron"), Path("deploy/systemd"), Path("deploy")):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    # .gitignore and .dockerignore keep it out of the repository and the image.
    write_env(Path(".env.example"), Path(".env"))


if __name__ == "__main__":
    main()
