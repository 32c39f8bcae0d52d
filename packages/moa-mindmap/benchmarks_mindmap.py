"""Fan-out benchmark of moa-mindmap, with its baselines measured in the same run.

    cd packages/moa-mindmap
    python benchmarks_mindmap.py [--seconds 2] [--clients 50] [--rounds 3]

Prints JSON. Ops are sent by 10 of the clients at increasing total rates; the
latency of an op is the time from sending it to each client receiving it. The
sustainable rate is the highest rate whose p99 stays under 100 ms with every
delivery made (a sweep stops at the first rate that fails). Each round sweeps
every server in turn, so the ratios of one round share the machine's load at
that time; the summary gives the median and range over the rounds.

Measured for: moa-mindmap on one uvicorn process (in-memory layer), on two
processes sharing Redis (when Redis runs on 127.0.0.1:6379), a naive Channels
consumer (one save and one group_send per message, the tutorial pattern), and
a bare ``websockets`` broadcast server without Django (the ceiling on this
machine). All on the same on-disk SQLite database settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from moa_testsupport.servers import free_port, uvicorn_command

HERE = Path(__file__).resolve().parent
RATES = [5, 10, 25, 50, 100, 200, 300, 400, 600, 800, 1200]
SENDERS = 10
P99_BUDGET_S = 0.100
# Sweeps go on past the budget up to this p99, to compare raw throughput too.
LOOSE_P99_BUDGET_S = 1.0

if os.environ.get("MOA_BENCH_APP") == "naive":
    # The tutorial pattern: save, then group_send, for every message.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.core.asgi import get_asgi_application

    get_asgi_application()
    from channels.db import database_sync_to_async
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    from moa_mindmap.models import Node

    class NaiveConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
        async def connect(self) -> None:
            self.mindmap_id = int(self.scope["url_route"]["kwargs"]["mindmap_id"])
            await self.channel_layer.group_add("naive", self.channel_name)
            await self.accept()

        async def disconnect(self, code: int) -> None:
            await self.channel_layer.group_discard("naive", self.channel_name)

        async def receive(self, text_data: str | None = None, bytes_data: Any = None) -> None:
            data = json.loads(text_data or "{}")
            await database_sync_to_async(Node.objects.create)(
                mindmap_id=self.mindmap_id, text=data["text"]
            )
            await self.channel_layer.group_send("naive", {"type": "relay", "id": data["id"]})

        async def relay(self, message: dict[str, Any]) -> None:
            await self.send(text_data=json.dumps({"type": "applied", "id": message["id"]}))

    application = ProtocolTypeRouter(
        {"websocket": URLRouter([path("ws/naive/<int:mindmap_id>/", NaiveConsumer.as_asgi())])}
    )


async def wait_port(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def start(command: list[str], env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=HERE)
    await wait_port(port)
    return process


async def uvicorn(app: str, env: dict[str, str]) -> tuple[int, asyncio.subprocess.Process]:
    port = free_port()
    command = uvicorn_command(app, port, log_level="error")
    return port, await start(command, env, port)


async def bare_server(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    clients: set[Any] = set()

    async def handler(connection: Any) -> None:
        clients.add(connection)
        try:
            async for message in connection:
                data = json.loads(message)
                broadcast(clients, json.dumps({"type": "applied", "id": data["id"]}))
        finally:
            clients.discard(connection)

    async with serve(handler, "127.0.0.1", port, max_queue=None):
        await asyncio.Future()


def login(base: str, name: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/login/{name}/", timeout=10).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


async def measure(
    urls: list[str], cookies: list[str], origin: list[str], kind: str, rate: int, seconds: float
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    sent: dict[str, float] = {}
    latencies: list[float] = []
    clients = []
    for index, url in enumerate(urls):
        headers = {"Origin": origin[index]}
        if cookies[index]:
            headers["Cookie"] = cookies[index]
        clients.append(await connect(url, additional_headers=headers, max_queue=None))

    async def reader(connection: Any) -> None:
        async for message in connection:
            frame = json.loads(message)
            for item in frame["frames"] if frame["type"] == "batch" else [frame]:
                if item["type"] == "applied" and item["id"] in sent:
                    latencies.append(time.monotonic() - sent[item["id"]])

    readers = [asyncio.create_task(reader(c)) for c in clients]
    await asyncio.sleep(0.5)  # snapshots and presence settle

    async def sender(number: int) -> None:
        interval = SENDERS / rate
        count = int(seconds * rate / SENDERS)
        begin = time.monotonic()
        for step in range(count):
            await asyncio.sleep(max(0.0, begin + step * interval - time.monotonic()))
            op_id = f"{kind}-{rate}-{number}-{step}-{os.getpid()}"
            sent[op_id] = time.monotonic()
            frame = {
                "type": "op",
                "op": "node.create",
                "id": op_id,
                "text": "x",
                "x": step,
                "y": number,
            }
            await clients[number].send(json.dumps(frame))

    await asyncio.gather(*(sender(n) for n in range(SENDERS)))
    expected = len(sent) * len(clients)
    deadline = time.monotonic() + 5
    while len(latencies) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    for connection in clients:
        await connection.close()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("inf")
    delivered = len(latencies) / expected if expected else 0.0
    return {
        "rate": rate,
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(p99 * 1000, 1),
        "delivered": round(delivered, 4),
        "ok": p99 <= P99_BUDGET_S and delivered >= 0.999,
        "ok_1s": p99 <= LOOSE_P99_BUDGET_S and delivered >= 0.999,
    }


async def sweep(label: str, make_urls: Any, seconds: float) -> dict[str, Any]:
    steps = []
    for rate in RATES:
        urls, cookies, origins = await make_urls(rate)
        result = await measure(urls, cookies, origins, label, rate, seconds)
        steps.append(result)
        if not result["ok_1s"]:
            break

    def sustained(key: str) -> int:
        # The highest rate that passed with every lower rate passing too.
        best = 0
        for step in steps:
            if not step[key]:
                break
            best = step["rate"]
        return best

    return {
        "sustained_ops_per_s": sustained("ok"),
        "sustained_ops_per_s_p99_1s": sustained("ok_1s"),
        "steps": steps,
    }


async def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--only",
        choices=["memory", "redis", "naive", "bare"],
        action="append",
        help="run only these sweeps (repeatable); default: all four",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="moa-mindmap-bench-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("MOA_")}
    base_env |= {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(HERE),
        "MOA_MINDMAP_TEST_SQLITE_FILE": str(workdir / "db.sqlite3"),
        "MOA_MINDMAP_TEST_MAX_NODES": "1000000",
        "MOA_MINDMAP_TEST_MAX_OPS": "100000",
    }
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "django", "migrate", "-v", "0", env=base_env, cwd=HERE
    )
    await migrate.wait()
    results: dict[str, Any] = {
        "clients": args.clients,
        "senders": SENDERS,
        "seconds_per_rate": args.seconds,
        "p99_budget_ms": 100,
        "rates": RATES,
        "rounds": [],
    }
    processes: list[asyncio.subprocess.Process] = []
    sweep_number = 0

    async def moa(label: str, env: dict[str, str], count: int) -> dict[str, Any]:
        nonlocal sweep_number
        sweep_number += 1
        ports = []
        for _ in range(count):
            port, process = await uvicorn("tests.asgi:application", env)
            ports.append(port)
            processes.append(process)
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        owner_cookie = login(bases[0], "owner")
        opener = urllib.request.build_opener()
        opener.addheaders = [("Cookie", owner_cookie)]
        names = [f"user{i}" for i in range(args.clients)]
        cookies = [login(bases[i % count], name) for i, name in enumerate(names)]

        async def make(rate: int) -> tuple[list[str], list[str], list[str]]:
            title = f"{label}-{sweep_number}-{rate}"
            body = opener.open(f"{bases[0]}/make/{title}/", timeout=10).read()
            mindmap_id = json.loads(body)["id"]
            for name in names:
                opener.open(f"{bases[0]}/share/{mindmap_id}/{name}/", timeout=10).read()
            urls = [
                bases[i % count].replace("http", "ws") + f"/ws/mindmap/{mindmap_id}/"
                for i in range(args.clients)
            ]
            origins = [bases[i % count] for i in range(args.clients)]
            return urls, cookies, origins

        try:
            return await sweep(label, make, args.seconds)
        finally:
            await stop(processes)

    async def naive_sweep() -> dict[str, Any]:
        naive_port, naive = await uvicorn(
            "benchmarks_mindmap:application", base_env | {"MOA_BENCH_APP": "naive"}
        )
        processes.append(naive)
        naive_url = f"ws://127.0.0.1:{naive_port}/ws/naive/1/"

        async def make_naive(rate: int) -> tuple[list[str], list[str], list[str]]:
            n = args.clients
            return [naive_url] * n, [""] * n, ["http://127.0.0.1"] * n

        try:
            return await sweep("naive", make_naive, args.seconds)
        finally:
            await stop(processes)

    async def bare_sweep() -> dict[str, Any]:
        bare_port = free_port()
        bare = await start(
            [sys.executable, __file__, "--serve-bare", str(bare_port)], base_env, bare_port
        )
        processes.append(bare)

        async def make_bare(rate: int) -> tuple[list[str], list[str], list[str]]:
            n = args.clients
            return [f"ws://127.0.0.1:{bare_port}/"] * n, [""] * n, ["http://127.0.0.1"] * n

        try:
            return await sweep("bare", make_bare, args.seconds)
        finally:
            await stop(processes)

    from moa_testsupport.services import service_available

    only = set(args.only or ["memory", "redis", "naive", "bare"])

    try:
        for _ in range(args.rounds):
            # Servers run one at a time, so no sweep competes with another server.
            one: dict[str, Any] = {}
            if "memory" in only:
                one["moa_inmemory_1_process"] = await moa("memory", base_env, 1)
            if "redis" in only and service_available("127.0.0.1", 6379):
                redis_env = base_env | {"MOA_MINDMAP_TEST_REDIS_URL": "redis://127.0.0.1:6379/2"}
                one["moa_redis_2_processes"] = await moa("redis", redis_env, 2)
            if "naive" in only:
                one["naive_consumer_1_process"] = await naive_sweep()
            if "bare" in only:
                one["bare_websockets_ceiling"] = await bare_sweep()
            if {"memory", "naive", "bare"} <= only:
                one |= ratios(one)
            results["rounds"].append(one)
    finally:
        await stop(processes)
    results["summary"] = summarize(results["rounds"])
    return results


async def stop(processes: list[asyncio.subprocess.Process]) -> None:
    while processes:
        process = processes.pop()
        if process.returncode is None:
            process.terminate()
            await process.wait()


def ratios(one: dict[str, Any]) -> dict[str, Any]:
    """Return our rate against the naive consumer's and the ceiling's, in one round."""
    figures: dict[str, Any] = {}
    for suffix, key in (("", "sustained_ops_per_s"), ("_p99_1s", "sustained_ops_per_s_p99_1s")):
        ours = one["moa_inmemory_1_process"][key]
        naive_rate = one["naive_consumer_1_process"][key]
        ceiling = one["bare_websockets_ceiling"][key]
        # A naive consumer failing even the lowest rate is slower than that rate:
        # ours / lowest rate is then a lower bound of the speedup.
        figures[f"speedup_vs_naive{suffix}"] = round(ours / (naive_rate or RATES[0]), 2)
        figures[f"speedup_is_lower_bound{suffix}"] = naive_rate == 0
        figures[f"fraction_of_ceiling{suffix}"] = round(ours / ceiling, 2) if ceiling else None
        # The ceiling passed the highest rate tried: the fraction is an upper bound.
        figures[f"ceiling_capped{suffix}"] = ceiling == RATES[-1]
    return figures


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the median, minimum and maximum of each figure over the rounds."""

    def spread(values: list[Any]) -> dict[str, Any] | None:
        values = sorted(v for v in values if v is not None)
        if not values:
            return None
        return {"median": values[len(values) // 2], "min": values[0], "max": values[-1]}

    summary: dict[str, Any] = {}
    for key in rounds[0] if rounds else []:
        if isinstance(rounds[0][key], dict):
            for figure in ("sustained_ops_per_s", "sustained_ops_per_s_p99_1s"):
                values = [r[key][figure] for r in rounds if key in r]
                summary[f"{key}.{figure}"] = spread(values)
        elif isinstance(rounds[0][key], bool):
            summary[key] = any(r[key] for r in rounds)
        else:
            summary[key] = spread([r.get(key) for r in rounds])
    return summary


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        asyncio.run(bare_server(int(sys.argv[2])))
    else:
        print(json.dumps(asyncio.run(main()), indent=2))
