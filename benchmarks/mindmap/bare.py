"""The ceiling: a bare ``websockets`` broadcast, no Django (``python bare.py PORT``).

Each op is numbered and broadcast to every connection of its path, serialized once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections import defaultdict
from typing import Any


async def serve_forever(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    rooms: defaultdict[str, set[Any]] = defaultdict(set)
    counters: defaultdict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))

    async def handler(connection: Any) -> None:
        room = connection.request.path
        rooms[room].add(connection)
        try:
            async for message in connection:
                data = json.loads(message)
                frame = {"type": "applied", "id": data["id"], "seq": next(counters[room])}
                broadcast(rooms[room], json.dumps(frame))
        finally:
            rooms[room].discard(connection)

    async with serve(handler, "127.0.0.1", port, max_queue=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(serve_forever(int(sys.argv[1])))
