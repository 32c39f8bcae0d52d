"""A small keep-alive HTTP/1.1 load generator on asyncio streams (loopback only)."""

from __future__ import annotations

import asyncio
import time


async def _client(
    host: str, port: int, request: bytes, count: int, latencies: list[float], failures: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            chunked = False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readline()).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            else:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not status_line.startswith((b"HTTP/1.1 2", b"HTTP/1.0 2")):
                failures.append(int(status_line.split()[1]) if status_line else 0)
    finally:
        writer.close()


async def run_load(
    host: str, port: int, path: str, *, total: int, connections: int, host_header: str
) -> dict[str, float]:
    """Send ``total`` GETs over ``connections`` keep-alive connections; return figures."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    per_connection = total // connections
    latencies: list[float] = []
    failures: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _client(host, port, request, per_connection, latencies, failures)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": len(failures),
        "rps": len(latencies) / elapsed,
        "median_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }
