"""Reject invalid answers before anything is written."""

from __future__ import annotations

import ipaddress
import keyword
import re
import sys

ANSWERS = {
    "project_slug": "{{ cookiecutter.project_slug }}",
    "domain": "{{ cookiecutter.domain }}",
    "database": "{{ cookiecutter.database }}",
    "channel_layer": "{{ cookiecutter.channel_layer }}",
    "ci": "{{ cookiecutter.ci }}",
    "deploy_target": "{{ cookiecutter.deploy_target }}",
    "load_balancer_cidr": "{{ cookiecutter.load_balancer_cidr }}",
}

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def problems(values: dict[str, str]) -> list[str]:
    """Return one message per invalid answer or impossible combination."""
    found = []
    slug = values["project_slug"]
    if not slug.isidentifier() or keyword.iskeyword(slug) or slug != slug.lower():
        found.append(
            f"project_slug {slug!r} is not a lowercase Python identifier: "
            "use letters, digits and underscores, e.g. 'moa_project'."
        )
    if not DOMAIN.match(values["domain"]):
        found.append(
            f"domain {values['domain']!r} is not a lowercase host name: "
            "give the bare name, e.g. 'app.example.com' (no scheme, port or path)."
        )
    if values["channel_layer"] == "in-memory" and values["deploy_target"] != "none":
        found.append(
            f"channel_layer=in-memory cannot be used with deploy_target="
            f"{values['deploy_target']}: that deploy runs two app instances and "
            "the in-memory layer lives in one process, so WebSocket messages "
            "would not reach clients of the other one. Use channel_layer=redis."
        )
    if values["database"] == "sqlite" and values["deploy_target"] == "aws-alb":
        found.append(
            "database=sqlite cannot be used with deploy_target=aws-alb: each server "
            "behind the load balancer would have its own database file. Use "
            "database=postgresql."
        )
    if values["deploy_target"] == "aws-alb" and values["ci"] != "github":
        found.append(
            "deploy_target=aws-alb is a GitHub Actions workflow: answer ci=github "
            "or choose deploy_target=single-host or none."
        )
    try:
        ipaddress.ip_network(values["load_balancer_cidr"])
    except ValueError:
        found.append(
            f"load_balancer_cidr {values['load_balancer_cidr']!r} is not a network: "
            "give the load balancer's VPC or subnet range, e.g. '172.31.0.0/16'."
        )
    return found


def main() -> int:
    """Print each problem with the answers; return the exit status (1: refuse them)."""
    messages = problems(ANSWERS)
    for message in messages:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if messages else 0


if __name__ == "__main__":
    sys.exit(main())
