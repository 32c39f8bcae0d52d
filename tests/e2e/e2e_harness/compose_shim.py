"""A stand-in for the ``docker`` CLI: the ``docker compose`` subset the deploy/ scripts use.

There is no Docker engine here, so the generated project's own rolling-restart script runs
against this shim: each compose service (web1, web2) is a uvicorn process on 127.0.0.1,
started with the Dockerfile's CMD and the compose file's environment. What a container gives
for free is emulated: a private drain file per service that a new "container" starts without,
and a health status that, like Docker's (25+), is first probed one start interval after
the container starts (``start_interval``, 5 s unless compose.yaml sets it).

The harness writes the state file ($E2E_COMPOSE_STATE). ``E2E_DRAINING=off`` in the state
turns the deploy into the postmortem's: no drain step, and ``stop`` kills the server at once
(in-flight requests and WebSockets are cut) instead of SIGTERM and a graceful shutdown.

The ``db`` service is the harness's PostgreSQL: ``exec`` runs the command here with the
client programs on PATH and the cluster in PGHOST and PGPORT, as the container runs it
on its socket. Services compose.yaml has and the harness does not run (the worker) are
stopped and started as nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from moa_testsupport.servers import is_alive, stop_pid


def load_state() -> dict[str, Any]:
    return json.loads(Path(os.environ["E2E_COMPOSE_STATE"]).read_text())


def record(state: dict[str, Any], event: str, service: str = "") -> None:
    """Append a timestamped event, so the harness can report the deploy's timeline."""
    with Path(state["events"]).open("a") as events:
        events.write(json.dumps({"at": time.time(), "event": event, "service": service}) + "\n")


def service_pid(service: dict[str, Any]) -> int | None:
    try:
        pid = int(Path(service["pid_file"]).read_text())
    except (OSError, ValueError):
        return None
    return pid if is_alive(pid) else None


def start_service(state: dict[str, Any], name: str) -> int:
    """Start the service's server unless it runs; return its process id."""
    service = state["services"][name]
    pid = service_pid(service)
    if pid is not None:
        return pid
    # A new container: its /tmp, and so its drain file, starts empty.
    Path(service["drain_file"]).unlink(missing_ok=True)
    with Path(service["log"]).open("ab") as log:
        process = subprocess.Popen(
            service["argv"],
            cwd=state["project_dir"],
            env=service["env"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    Path(service["pid_file"]).write_text(str(process.pid))
    Path(service["started_file"]).write_text(str(time.time()))
    record(state, "started", name)
    return process.pid


def stop_service(state: dict[str, Any], name: str) -> None:
    service = state["services"][name]
    pid = service_pid(service)
    if pid is None:
        return
    record(state, "stopping", name)
    if state["draining"] == "off":
        stop_pid(pid, signal.SIGKILL, 5)
    else:
        stop_pid(pid, signal.SIGTERM, state["grace_s"])
    record(state, "stopped", name)


def health(state: dict[str, Any], name: str) -> str:
    """Docker's health status: the compose health check, first run after its start interval."""
    service = state["services"][name]
    if service_pid(service) is None:
        return "unhealthy"
    started_at = float(Path(service["started_file"]).read_text())
    if time.time() - started_at < state["first_health_check_s"]:
        return "starting"
    try:
        with urllib.request.urlopen(service["health_url"], timeout=5) as response:
            ok = 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        ok = False
    if ok:
        record(state, "healthy", name)
        return "healthy"
    return "starting"


def run_in(state: dict[str, Any], env: dict[str, str], argv: list[str]) -> int:
    if argv and argv[0] == "python":
        argv = [state["python"], *argv[1:]]
    return subprocess.run(argv, cwd=state["project_dir"], env=env, check=False).returncode


def reload_nginx(state: dict[str, Any], name: str) -> int:
    record(state, "reload", name)
    os.kill(int(Path(state["nginx_pid_file"]).read_text()), signal.SIGHUP)
    return 0


def build(state: dict[str, Any]) -> int:
    """The new image: its static files collected by the Dockerfile's build step."""
    record(state, "build")
    step = state["build"]
    done = subprocess.run(step["argv"], cwd=state["project_dir"], env=step["env"], check=False)
    return done.returncode


def recreate_nginx(state: dict[str, Any], name: str) -> int:
    """A new nginx container: its image's static files (if it has them), its config."""
    copy = state["nginx_image_static"]
    if copy is not None:
        shutil.rmtree(copy["to"], ignore_errors=True)
        shutil.copytree(copy["from"], copy["to"])
    record(state, "recreate", name)
    return reload_nginx(state, name)


def compose(state: dict[str, Any], args: list[str]) -> int:
    command, rest = args[0], args[1:]
    options = [arg for arg in rest if arg.startswith("-")]
    names = [arg for arg in rest if not arg.startswith("-")]
    if command == "build":
        # The code under test is the generated checkout itself; the build collects static.
        return build(state)
    if command == "run":
        # run [options] SERVICE [COMMAND...]: a one-off container (migrate, static).
        position = next(index for index, arg in enumerate(rest) if not arg.startswith("-"))
        service, argv = rest[position], rest[position + 1 :]
        assert service in state["one_off"], f"compose shim: cannot run {service!r}"
        argv = argv or state["one_off"][service]["argv"]
        record(state, "run " + " ".join(argv[1:]), service)
        return run_in(state, state["one_off"][service]["env"], argv)
    if command == "exec":
        # exec [options] SERVICE COMMAND [ARGS...]: everything after the service is verbatim.
        position = next(index for index, arg in enumerate(rest) if not arg.startswith("-"))
        name, argv = rest[position], rest[position + 1 :]
        if name == "nginx":
            # The harness runs one nginx for the whole test: test or signal its master.
            if argv == ["nginx", "-t"]:
                record(state, "test", name)
                return subprocess.run(state["nginx_test"], check=False).returncode
            assert argv == ["nginx", "-s", "reload"], f"compose shim: cannot exec {argv!r}"
            return reload_nginx(state, name)
        if name == "db":
            record(state, "exec " + " ".join(argv), name)
            return run_in(state, state["db"]["env"], argv)
        if state["draining"] == "off" and argv[1:3] == ["manage.py", "drain"]:
            record(state, "drain skipped", name)
            return 0
        record(state, "exec " + " ".join(argv[1:]), name)
        code = run_in(state, state["services"][name]["env"], argv)
        record(state, "exec done", name)
        return code
    if command == "stop":
        for name in names:
            if name in state["services"]:
                stop_service(state, name)
            else:
                record(state, "not run", name)
        return 0
    if command == "up":
        for name in names:
            if name in state["services"]:
                start_service(state, name)
            elif name == "nginx":
                # The harness runs one nginx for the whole test. A recreated
                # container is a reload, with its image's static files copied anew.
                recreate_nginx(state, name)
            else:
                record(state, "not run", name)
        return 0
    if command == "ps" and "--quiet" in options:
        print(f"e2e-{names[0]}")
        return 0
    if command == "logs":
        log = Path(state["services"][names[-1]]["log"]).read_text(errors="replace")
        sys.stderr.write("\n".join(log.splitlines()[-50:]) + "\n")
        return 0
    print(f"compose shim: unsupported command {args!r}", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    state = load_state()
    if argv[:1] == ["compose"]:
        return compose(state, argv[1:])
    if argv[:1] == ["inspect"]:
        container = argv[-1]
        print(health(state, container.removeprefix("e2e-")))
        return 0
    print(f"docker shim: unsupported command {argv!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
