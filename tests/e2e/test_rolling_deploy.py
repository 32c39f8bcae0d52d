"""Incident 9 (ALB 502s): a rolling deploy under load drops nothing; without draining it does.

The generated project's deploy/rolling-restart.sh restarts web1 then web2 (drain, SIGTERM,
start, wait healthy, undo the drain) through a stand-in for ``docker compose``
(e2e_harness/compose_shim.py) while Locust drives HTTP and mindmap WebSocket users through
nginx. The postmortem's run: 15,000 requests and 0 errors, after a fixed 300 s wait per server.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from e2e_harness.stack import DOMAIN, SERVICES, Stack, http_status

HERE = Path(__file__).resolve().parent
MIN_REQUESTS = 15_000
RESULTS: dict[str, Any] = {}
# Printed at the end of the run by conftest.py's pytest_terminal_summary.
REPORT_LINES: list[str] = []


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_deploy_under_load(
    stack: Stack,
    *,
    draining: str,
    min_requests: int,
    max_requests: int,
    run_time_s: int,
    **timings: Any,
) -> dict[str, Any]:
    """Start Locust, run the rolling restart, stop Locust; the figures of the run.

    ``timings`` go to ``Stack.write_compose_state`` (drain and first health check).
    """
    stack.write_compose_state(draining=draining, **timings)
    stack.events_file.write_text("")
    output = stack.root / f"load-{draining}.json"
    stop_file = stack.root / f"load-{draining}.stop"
    mindmap_ids = [stack.seed["mindmaps"][name] for name in ("load-a", "load-b")]
    mindmap_users = 6 if stack.has_mindmap else 0
    config = {
        "https_port": stack.nginx.https_port,
        "domain": DOMAIN,
        "cafile": str(stack.cert),
        "sessions": stack.seed["sessions"],
        "mindmap_ids": mindmap_ids or [0],
        "page_users": 30,
        "page_user_rps": 10,
        "mindmap_users": mindmap_users,
        "mindmap_user_rps": 3,
        "op_timeout_s": 30,
        "stop_file": str(stop_file),
        "min_requests": min_requests,
        "max_requests": max_requests,
        "output": str(output),
    }
    config_file = stack.root / f"load-{draining}.config.json"
    config_file.write_text(json.dumps(config))
    users = config["page_users"] + mindmap_users
    env = dict(os.environ, PYTHONPATH=str(HERE), E2E_LOAD_CONFIG=str(config_file))
    locust = stack.group.start(
        [sys.executable, "-m", "locust", "-f", HERE / "e2e_harness" / "locustfile.py",
         "--headless", "--users", str(users), "--spawn-rate", str(users),
         "--run-time", f"{run_time_s}s", "--stop-timeout", "35", "--only-summary",
         "--loglevel", "WARNING"],
        log=stack.root / f"locust-{draining}.log", env=env, stop_timeout_s=60,
    )  # fmt: skip
    try:
        time.sleep(5)  # every user connected and working before the first instance goes
        assert locust.poll() is None, (stack.root / f"locust-{draining}.log").read_text()
        deploy_started = time.time()
        deploy = subprocess.run(
            ["bash", stack.project / "deploy" / "rolling-restart.sh"],
            env=stack.shim_env(), capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        deploy_ended = time.time()
        stop_file.touch()
        locust.wait(timeout=run_time_s + 90)
    finally:
        stack.group.stop(locust)
    assert deploy.returncode == 0, f"{deploy.stdout}\n{deploy.stderr}"
    result = json.loads(output.read_text())
    samples = result["samples"]
    during = [s for s in samples if deploy_started <= s[0] <= deploy_ended]
    failures = [s for s in samples if s[4] is not None]
    figures = {
        "draining": draining,
        "requests": len(samples),
        "failures": len(failures),
        "failure_examples": sorted({f"{s[1]} {s[2]}: {s[4]}" for s in failures})[:10],
        "by_type": {
            kind: sum(1 for s in samples if s[1] == kind)
            for kind in sorted({s[1] for s in samples})
        },
        "by_name": {
            name: sum(1 for s in samples if s[2] == name)
            for name in sorted({s[2] for s in samples if s[2].startswith("/static/")})
        },
        "deploy_s": round(deploy_ended - deploy_started, 1),
        "requests_during_deploy": len(during),
        "failures_during_deploy": sum(1 for s in during if s[4] is not None),
        "p50_ms_during_deploy": round(percentile([s[3] for s in during], 0.50), 1),
        "p99_ms_during_deploy": round(percentile([s[3] for s in during], 0.99), 1),
        "mean_ms": round(statistics.fmean(s[3] for s in samples), 1) if samples else None,
        "websocket_closes": result["websocket"]["closes"],
        "deploy_events": [
            json.loads(line) for line in stack.events_file.read_text().splitlines() if line
        ],
        "nginx_retried": sum(
            1 for line in stack.nginx.access_log_lines() if "upstream=" in line and ", " in line
        ),
    }
    for event in figures["deploy_events"]:
        event["at"] = round(event["at"] - deploy_started, 2)
    figures["users"] = result["websocket"]["users"]
    RESULTS[draining] = figures
    write_results()
    summary = {
        key: value for key, value in figures.items() if key not in ("users", "deploy_events")
    }
    REPORT_LINES.append(f"rolling deploy: {json.dumps(summary)}")
    return figures


@contextmanager
def nginx_fail_timeout(stack: Stack, timeout: str) -> Iterator[None]:
    """Run with nginx counting an instance it could not reach as down for ``timeout``."""
    site_file = stack.nginx.prefix / "site.conf"
    site = site_file.read_text()
    assert "fail_timeout=10s" in site, "the generated upstream no longer sets fail_timeout"
    pid = int(stack.nginx.pid_file.read_text())
    site_file.write_text(site.replace("fail_timeout=10s", f"fail_timeout={timeout}"))
    os.kill(pid, signal.SIGHUP)
    time.sleep(1)
    try:
        yield
    finally:
        site_file.write_text(site)
        os.kill(pid, signal.SIGHUP)
        time.sleep(1)


@contextmanager
def release_with_a_new_stylesheet(stack: Stack) -> Iterator[dict[str, str]]:
    """Deploy a release whose site.css changed: its hashed name differs from the running one's.

    Yields the stylesheet's URL path in the running release (``old``) and, once the deploy
    has built the new image, in the new one (``new``).
    """
    source = stack.project / stack.answers["project_slug"] / "static" / "css" / "site.css"
    manifest = stack.project / "staticfiles" / "staticfiles.json"
    original = source.read_text()
    paths = {"old": "/static/" + json.loads(manifest.read_text())["paths"]["css/site.css"]}
    source.write_text(original + f"\n/* release {time.time_ns()} */\n")
    try:
        yield paths
        paths["new"] = "/static/" + json.loads(manifest.read_text())["paths"]["css/site.css"]
    finally:
        source.write_text(original)


def write_results() -> None:
    directory = Path(os.environ.get("MOA_RESULTS_DIR") or HERE / ".results")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "e2e-rolling-deploy.json").write_text(json.dumps(RESULTS, indent=2))


def node_states(stack: Stack, node_ids: list[int]) -> dict[str, dict[str, Any]]:
    """The nodes as the database has them now (the source of truth)."""
    code = (
        "import json; from moa_mindmap.models import Node; "
        f"print(json.dumps({{str(n.pk): {{'version': n.version, 'text': n.text}} "
        f"for n in Node.objects.filter(pk__in={node_ids!r})}}))"
    )
    return json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])


def assert_no_acknowledged_op_lost(stack: Stack, users: dict[str, Any]) -> None:
    acked = {str(user["node"]): user["acked"] for user in users.values()}
    stored = node_states(stack, [int(node) for node in acked])
    for node, state in acked.items():
        # An op applied but not yet acknowledged when the run stopped may be one ahead.
        assert stored[node]["version"] >= state["version"], (node, state, stored[node])
        if stored[node]["version"] == state["version"]:
            assert stored[node]["text"] == state["text"], (node, state, stored[node])


def test_rolling_deploy_without_draining_shows_failures(stack: Stack) -> None:
    """The postmortem's deploy (no drain, the server cut off): users see failures."""
    figures = run_deploy_under_load(
        stack, draining="off", min_requests=4_000, max_requests=20_000, run_time_s=150
    )

    assert figures["failures"] > 0, figures
    if stack.has_mindmap:
        assert_no_acknowledged_op_lost(stack, figures["users"])
    for name in SERVICES:
        stack.wait_ready(stack.instances[name])


def test_rolling_deploy_with_draining_drops_nothing(stack: Stack) -> None:
    """Drain, graceful SIGTERM, health wait: 0 failed out of at least 15,000 requests.

    The script must not depend on its own pace against nginx's ``fail_timeout``: with short
    timings (a 1 s drain, Docker's first health check after 1 s) and nginx counting a
    refused instance as down for 60 s, the second instance stops while nginx still counts
    the first one down after its restart. Only the script's nginx reload after each
    restart keeps that from answering 502 "no live upstreams".
    """
    with nginx_fail_timeout(stack, "60s"), release_with_a_new_stylesheet(stack) as stylesheet:
        figures = run_deploy_under_load(
            stack,
            draining="on",
            min_requests=MIN_REQUESTS,
            max_requests=40_000,
            run_time_s=200,
            drain_timeout_s=1,
            first_health_check_s=1.0,
        )

    assert figures["failures"] == 0, figures["failure_examples"]
    assert figures["requests"] >= MIN_REQUESTS
    assert figures["requests_during_deploy"] > 0
    steps = [(event["event"], event["service"]) for event in figures["deploy_events"]]
    for name in SERVICES:
        # Drained, stopped gracefully, started, healthy, undrained: in that order.
        mine = [step for step, service in steps if service == name]
        assert mine == [
            "exec manage.py drain", "exec done", "stopping", "stopped", "started", "healthy",
            "exec manage.py drain --undo", "exec done",
        ], mine  # fmt: skip
        assert http_status(f"{stack.instances[name].base_url}/health/ready/") == 200
    # Pages of the old and the new release were served, and each found its stylesheet: the
    # new release's static files were in nginx's volume before the first instance restarted.
    assert stylesheet["old"] != stylesheet["new"], stylesheet
    assert figures["by_name"].get(stylesheet["old"], 0) > 0, figures["by_name"]
    assert figures["by_name"].get(stylesheet["new"], 0) > 0, figures["by_name"]
    assert steps.index(
        ("run manage.py collectstatic --noinput --verbosity 0", "static")
    ) < steps.index(("stopping", SERVICES[0])), steps
    # nginx is only ever reloaded, never replaced: open WebSockets stay up (below).
    assert ("recreate", "nginx") not in steps, steps
    # nginx is reloaded after each instance is healthy, before the next one drains.
    for first, second in itertools.pairwise(SERVICES):
        healthy = steps.index(("healthy", first))
        assert steps[healthy + 1 : healthy + 2] == [("reload", "nginx")], steps
        assert steps.index(("exec manage.py drain", second)) > healthy + 1, steps
    # A bound that catches a hung deploy, not a speed claim: on a shared 2-core machine the
    # same deploy took 41 s idle and 161 s beside other suites. Its duration is printed above.
    assert figures["deploy_s"] < 300
    if stack.has_mindmap:
        # Every editor was on an instance that restarted: closed with 1012, reconnected.
        for user in figures["users"].values():
            assert set(user["closes"]) == {"1012"}, user
        assert_no_acknowledged_op_lost(stack, figures["users"])
