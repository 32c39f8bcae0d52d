"""Render the template: option combinations and the rules they obey."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from moa_testsupport.template import SLUG, bake, dockerfile_cmd, dockerfile_run_step

__all__ = ["SLUG", "bake", "dockerfile_cmd", "dockerfile_run_step"]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = TEMPLATE_DIR.parent
OPTIONS: dict[str, Any] = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
CHOICES: dict[str, list[str]] = {
    name: value for name, value in OPTIONS.items() if isinstance(value, list)
}
DEFAULTS = {name: choices[0] for name, choices in CHOICES.items()}


def all_combinations() -> list[dict[str, str]]:
    """Every combination of the choice options."""
    names = list(CHOICES)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(CHOICES[name] for name in names))
    ]


def expected_rejections(combo: dict[str, str]) -> list[str]:
    """The part of the message the pre-generation hook must print for each problem."""
    reasons = []
    if combo["channel_layer"] == "in-memory" and combo["deploy_target"] != "none":
        reasons.append("channel_layer=in-memory cannot be used with deploy_target=")
    if combo["database"] == "sqlite" and combo["deploy_target"] == "aws-alb":
        reasons.append("database=sqlite cannot be used with deploy_target=aws-alb")
    if combo["deploy_target"] == "aws-alb" and combo["ci"] != "github":
        reasons.append("deploy_target=aws-alb is a GitHub Actions workflow")
    return reasons


def valid_combinations() -> list[dict[str, str]]:
    return [combo for combo in all_combinations() if not expected_rejections(combo)]


def combo_id(combo: dict[str, str]) -> str:
    """A short readable id: only the answers that differ from the defaults."""
    changed = [f"{name}={value}" for name, value in combo.items() if DEFAULTS[name] != value]
    return ",".join(changed) or "defaults"


def dotenv(path: Path) -> dict[str, str]:
    """The variables of an .env file (``NAME=value`` lines; comments skipped)."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs if not name.startswith("#")}
