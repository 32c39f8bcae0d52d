"""Fan-out of one mindmap to many clients, against a bare broadcast measured in the same run.

    cd benchmarks/mindmap
    python fanout.py [--rounds 3] [--seconds 2] [--clients 50] [--rates 10,50,100]
                     [--only bare --only memory --only redis --only naive]

Prints JSON. Every server is started once and stays up; within each round, each
rate is measured on every server in a shuffled order, so a burst of load from
elsewhere hits the baseline and the subject alike. Ten of the clients send ops
at the offered total rate; the latency of a delivery is from the op's sending to
one client receiving it. Each step reports its p99, the deliveries lost (counted
per client by op id, and the gaps in the sequence numbers it saw) and the CPU time
of the server processes (and of redis-server) per delivery, beside wall time.

Subjects: ``bare`` (a ``websockets`` broadcast, no Django: the baseline),
``memory`` (moa-mindmap on one uvicorn process, in-memory layer), ``redis`` (two
processes sharing Redis on 127.0.0.1:6379) and ``naive`` (the tutorial consumer:
one save and one group_send per message); ``memory_nodeflate`` is ``memory`` with
permessage-deflate refused, and ``--before SRC`` adds ``memory_before`` and
``redis_before`` on another checkout's moa_mindmap, in the same rounds. Clients offer
permessage-deflate, as browsers do. All Django servers share one SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # measure.py

from measure import load, percentile, ratio_spread, sustained_rate  # noqa: E402

from moa_testsupport.servers import free_port, uvicorn_command  # noqa: E402

SENDERS = 10
P99_BUDGET_MS = 100.0
DEFAULT_RATES = "10,25,50,100,200,400,800"
# How long a step waits for deliveries still in flight after the last op is sent.
DRAIN_S = 3.0
SETTLE_S = 0.5
# Connecting 50 clients, settling, closing: beyond this a step counts as failed.
STEP_SLACK_S = 90.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def redis_server_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "redis-server":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class Server:
    """One subject: its processes, where clients connect, and how a step is set up."""

    def __init__(self, name: str, ports: list[int], processes: list[Any], cookies: list[str]):
        self.name = name
        self.ports = ports
        self.processes = processes
        self.cookies = cookies
        self.uses_redis = name.startswith("redis")
        self.is_moa = name.startswith(("memory", "redis"))

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]


async def wait_port(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def start(command: list[str], env: dict[str, str], port: int) -> Any:
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=HERE)
    await wait_port(port)
    return process


def prepare_database(env: dict[str, str], clients: int) -> list[str]:
    """Migrate the SQLite file and return a session cookie for each client's user."""
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, cwd=HERE, check=True
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    cookies = []
    for number in range(clients):
        user, _ = get_user_model().objects.get_or_create(username=f"user{number}")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        cookies.append(f"sessionid={session.session_key}")
    return cookies


def create_mindmap(title: str, clients: int) -> int:
    from django.contrib.auth import get_user_model

    from moa_mindmap.models import Mindmap

    users = list(get_user_model().objects.filter(username__startswith="user").order_by("pk"))
    mindmap = Mindmap.objects.create(title=title, owner=users[0])
    mindmap.members.add(*users[1:clients])
    return int(mindmap.pk)


async def start_servers(
    only: set[str], env: dict[str, str], cookies: list[str], before: str | None
) -> dict[str, Server]:
    servers: dict[str, Server] = {}
    if before:
        # The same subjects on another checkout's moa_mindmap, measured in the same rounds.
        path = os.pathsep.join([str(HERE), before])
        earlier = await start_servers(
            only & {"memory", "redis"}, env | {"PYTHONPATH": path}, cookies, None
        )
        servers |= {f"{name}_before": server for name, server in earlier.items()}
        for name, server in earlier.items():
            server.name = f"{name}_before"
    if "bare" in only:
        port = free_port()
        process = await start([sys.executable, "bare.py", str(port)], env, port)
        servers["bare"] = Server("bare", [port], [process], [""] * len(cookies))
    if "memory" in only:
        port = free_port()
        process = await start(
            uvicorn_command("asgi:application", port, log_level="error"), env, port
        )
        servers["memory"] = Server("memory", [port], [process], cookies)
    if "memory_nodeflate" in only:
        # The same server with permessage-deflate refused: each socket's copy of a
        # broadcast frame is no longer compressed on its own.
        port = free_port()
        command = uvicorn_command(
            "asgi:application", port, "--ws-per-message-deflate", "false", log_level="error"
        )
        process = await start(command, env, port)
        servers["memory_nodeflate"] = Server("memory_nodeflate", [port], [process], cookies)
    if "redis" in only:
        redis_env = env | {
            "MOA_BENCH_REDIS_URL": "redis://127.0.0.1:6379/2",
            "MOA_BENCH_REDIS_PREFIX": f"moa-bench-{uuid.uuid4().hex[:8]}",
        }
        ports = [free_port(), free_port()]
        processes = [
            await start(uvicorn_command("asgi:application", p, log_level="error"), redis_env, p)
            for p in ports
        ]
        servers["redis"] = Server("redis", ports, processes, cookies)
    if "naive" in only:
        port = free_port()
        process = await start(
            uvicorn_command("naive:application", port, log_level="error"), env, port
        )
        servers["naive"] = Server("naive", [port], [process], [""] * len(cookies))
    return servers


async def measure_step(server: Server, rate: int, seconds: float, clients: int) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    if not server.is_moa:
        mindmap_id = random.randrange(1, 2**31)
    else:
        title = f"{server.name}-{rate}-{uuid.uuid4().hex[:6]}"
        mindmap_id = await asyncio.to_thread(create_mindmap, title, clients)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    received: list[set[str]] = [set() for _ in range(clients)]
    seqs: list[list[int]] = [[] for _ in range(clients)]
    connections = []
    for number in range(clients):
        port = server.ports[number % len(server.ports)]
        headers = {"Origin": f"http://127.0.0.1:{port}"}
        if server.cookies[number]:
            headers["Cookie"] = server.cookies[number]
        url = f"ws://127.0.0.1:{port}/ws/mindmap/{mindmap_id}/"
        connections.append(
            await connect(url, additional_headers=headers, max_queue=None, open_timeout=30)
        )

    async def reader(number: int) -> None:
        async for message in connections[number]:
            arrived = time.monotonic()
            frame = json.loads(message)
            for item in frame["frames"] if frame["type"] == "batch" else [frame]:
                if item["type"] == "applied" and item["id"] in sent:
                    received[number].add(item["id"])
                    seqs[number].append(item["seq"])
                    latencies.append(arrived - sent[item["id"]])

    readers = [asyncio.create_task(reader(number)) for number in range(clients)]
    await asyncio.sleep(SETTLE_S)  # snapshots and presence settle
    pids = server.pids
    redis_pids = redis_server_pids() if server.uses_redis else []
    cpu_before = [cpu_seconds(pid) for pid in pids]
    redis_before = [cpu_seconds(pid) for pid in redis_pids]
    started = time.monotonic()

    async def sender(number: int) -> None:
        interval = SENDERS / rate
        count = max(1, int(seconds * rate / SENDERS))
        begin = time.monotonic()
        for step in range(count):
            await asyncio.sleep(max(0.0, begin + step * interval - time.monotonic()))
            op_id = f"{server.name}-{rate}-{number}-{step}-{uuid.uuid4().hex[:6]}"
            frame = {"type": "op", "op": "node.create", "id": op_id, "text": "x"}
            frame |= {"x": step, "y": number}
            sent[op_id] = time.monotonic()
            await connections[number].send(json.dumps(frame))

    await asyncio.gather(*(sender(number) for number in range(SENDERS)))
    expected = len(sent) * clients
    deadline = time.monotonic() + DRAIN_S
    while len(latencies) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    wall_s = time.monotonic() - started
    cpu_s = sum(cpu_seconds(pid) for pid in pids) - sum(cpu_before)
    redis_cpu_s = sum(cpu_seconds(pid) for pid in redis_pids) - sum(redis_before)
    for task in readers:
        task.cancel()
    for connection in connections:
        await connection.close()
    delivered = sum(len(ids) for ids in received)
    # A client that saw seq 3 and 5 but not 4 has a gap, whoever else did or did not.
    gaps = sum(max(s) - min(s) + 1 - len(set(s)) for s in seqs if s)
    return {
        "rate": rate,
        "p99_ms": round(percentile(latencies, 99) * 1000, 1) if latencies else math.inf,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else math.inf,
        "due": expected,
        "lost": expected - delivered,
        "seq_gaps": gaps,
        "wall_s": round(wall_s, 3),
        "cpu_s": round(cpu_s, 3),
        "redis_cpu_s": round(redis_cpu_s, 3),
        "cpu_us_per_delivery": round(1e6 * cpu_s / delivered, 2) if delivered else None,
        "redis_cpu_us_per_delivery": (
            round(1e6 * redis_cpu_s / delivered, 2) if delivered and redis_pids else None
        ),
    }


async def bounded_step(server: Server, rate: int, seconds: float, clients: int) -> dict[str, Any]:
    """Measure one step; one that never ends (a server that stopped answering) fails."""
    try:
        return await asyncio.wait_for(
            measure_step(server, rate, seconds, clients), seconds + DRAIN_S + STEP_SLACK_S
        )
    except TimeoutError:
        return {
            "rate": rate,
            "p99_ms": math.inf,
            "p50_ms": math.inf,
            "due": 0,
            "lost": 0,
            "seq_gaps": 0,
            "wall_s": None,
            "cpu_s": None,
            "redis_cpu_s": None,
            "cpu_us_per_delivery": None,
            "redis_cpu_us_per_delivery": None,
            "timed_out": True,
        }


def summarize(steps: dict[str, list[list[dict[str, Any]]]], rates: list[int]) -> dict[str, Any]:
    """Pool each subject's rounds: median p99 per rate, ratios to ``bare`` and their spread."""
    summary: dict[str, Any] = {}
    bare = steps.get("bare")
    for name, rounds in steps.items():
        per_rate = []
        for index, rate in enumerate(rates):
            ours = [one[index] for one in rounds]
            entry: dict[str, Any] = {
                "rate": rate,
                "pooled_median_p99_ms": statistics.median(step["p99_ms"] for step in ours),
                "lost": sum(step["lost"] for step in ours),
                "due": sum(step["due"] for step in ours),
                "seq_gaps": sum(step["seq_gaps"] for step in ours),
                "cpu_us_per_delivery": median_of(step["cpu_us_per_delivery"] for step in ours),
                "redis_cpu_us_per_delivery": median_of(
                    step["redis_cpu_us_per_delivery"] for step in ours
                ),
                "wall_s": median_of(step["wall_s"] for step in ours),
            }
            if bare is not None and name != "bare":
                theirs = [one[index] for one in bare]
                entry["p99_ratio_to_bare"] = ratios(ours, theirs, "p99_ms")
                entry["cpu_ratio_to_bare"] = ratios(ours, theirs, "cpu_us_per_delivery")
            per_rate.append(entry)
        # A step that lost deliveries fails, whatever its p99.
        sweeps = [
            {step["rate"]: step["p99_ms"] if step["lost"] == 0 else math.inf for step in one}
            for one in rounds
        ]
        rate, note = sustained_rate(sweeps, limit=P99_BUDGET_MS)
        summary[name] = {"rates": per_rate, "sustained_ops_per_s": rate, "sustained_note": note}
    if bare is not None:
        for name in steps:
            if name == "bare":
                continue
            ours, theirs = (
                summary[name]["sustained_ops_per_s"],
                summary["bare"]["sustained_ops_per_s"],
            )
            per_round = [
                (round_rate(one) or 0) / (round_rate(other) or math.inf)
                for one, other in zip(steps[name], bare, strict=True)
            ]
            summary[name]["sustained_ratio_to_bare"] = (
                ours / theirs if ours is not None and theirs else None
            )
            summary[name]["sustained_ratio_spread"] = ratio_spread(per_round)
    return summary


def round_rate(one: list[dict[str, Any]]) -> int | None:
    """One round's highest passing rate: for the ratio's spread only, never reported alone."""
    best = None
    for step in one:
        if step["lost"] or step["p99_ms"] > P99_BUDGET_MS:
            break
        best = step["rate"]
    return best


def median_of(values: Any) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def ratios(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    values = [
        a[key] / b[key]
        for a, b in zip(ours, theirs, strict=True)
        if a[key] is not None and b[key] and math.isfinite(a[key]) and math.isfinite(b[key])
    ]
    if not values:
        return {"median": None}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


async def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rates", default=DEFAULT_RATES)
    parser.add_argument(
        "--only",
        choices=["bare", "memory", "memory_nodeflate", "redis", "naive"],
        action="append",
    )
    parser.add_argument(
        "--before", help="a moa-mindmap src directory to measure too (as memory_before, ...)"
    )
    args = parser.parse_args()
    rates = [int(rate) for rate in args.rates.split(",")]
    only = set(args.only or ["bare", "memory", "redis", "naive"])
    workdir = Path(tempfile.mkdtemp(prefix="moa-mindmap-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOA_", "DJANGO_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        "MOA_BENCH_SQLITE": str(workdir / "db.sqlite3"),
    }
    sys.path.insert(0, str(HERE))
    cookies = await asyncio.to_thread(prepare_database, env, args.clients)
    servers = await start_servers(only, env, cookies, args.before)
    load_before = load()
    steps: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in servers}
    shuffle = random.Random(17).shuffle
    try:
        for _ in range(args.rounds):
            for name in servers:
                steps[name].append([])
            for rate in rates:
                order = list(servers)
                shuffle(order)
                for name in order:
                    step = await bounded_step(servers[name], rate, args.seconds, args.clients)
                    steps[name][-1].append(step)
    finally:
        for server in servers.values():
            for process in server.processes:
                if process.returncode is None:
                    process.terminate()
                    await process.wait()
    return {
        "clients": args.clients,
        "senders": SENDERS,
        "seconds_per_step": args.seconds,
        "rounds": args.rounds,
        "rates": rates,
        "p99_budget_ms": P99_BUDGET_MS,
        "load_before": load_before,
        "load_after": load(),
        "summary": summarize(steps, rates),
        "steps": steps,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), indent=2, default=str))
