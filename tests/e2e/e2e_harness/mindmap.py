"""A client speaking moa-mindmap's protocol (docs/reference/protocol.md), for tests."""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from e2e_harness.client import loopback_socket
from e2e_harness.stack import DOMAIN

Frame = dict[str, Any]
ORIGIN = f"https://{DOMAIN}"


class MindmapClient:
    """One connection to ``ws/mindmap/<id>/`` on a loopback port, with a logged-in session."""

    def __init__(
        self,
        port: int,
        mindmap_id: int,
        session_key: str,
        *,
        tls: ssl.SSLContext | None = None,
        cookie_name: str = "sessionid",
        origin: str = ORIGIN,
    ) -> None:
        scheme = "wss" if tls else "ws"
        self.url = f"{scheme}://{DOMAIN}/ws/mindmap/{mindmap_id}/"
        self.port = port
        self.tls = tls
        self.cookie = f"{cookie_name}={session_key}"
        self.origin = origin
        self.ws: ClientConnection | None = None
        self.snapshot: Frame = {}
        self.seq = 0
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(4)
        self.pending: list[Frame] = []

    def connect(self, timeout_s: float = 10) -> Frame:
        """Open the socket and return the join snapshot."""
        self._exit_stack = contextlib.ExitStack()
        self.ws = self._exit_stack.enter_context(
            connect(
                self.url,
                sock=loopback_socket(self.port, timeout_s),
                ssl=self.tls,
                server_hostname=DOMAIN if self.tls else None,
                origin=Origin(self.origin),
                additional_headers={"Cookie": self.cookie},
                open_timeout=timeout_s,
                close_timeout=2,
                # Read every frame as it arrives, as a browser does: a client that stops
                # reading makes the server block on its socket (and stall its shutdown).
                max_queue=None,
            )
        )
        try:
            self.snapshot = self.wait_for(lambda frame: frame["type"] == "snapshot", timeout_s)
        except BaseException:
            self.close()
            raise
        self.seq = int(self.snapshot["seq"])
        return self.snapshot

    def close(self) -> None:
        if self.ws is not None:
            self._exit_stack.close()
            self.ws = None

    def __enter__(self) -> MindmapClient:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def new_op_id(self) -> str:
        return f"e2e-{self._prefix}-{next(self._ids)}"

    def send(self, frame: Frame) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps(frame))

    def send_op(self, op: str, **fields: Any) -> str:
        """Send an op with a fresh client op id; return the id."""
        op_id = self.new_op_id()
        self.send({"type": "op", "op": op, "id": op_id, **fields})
        return op_id

    def frames(self, timeout_s: float) -> Iterator[Frame]:
        """Yield frames (batches unpacked) until ``timeout_s`` passes; ConnectionClosed ends it."""
        assert self.ws is not None
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = self.ws.recv(timeout=left)
            except TimeoutError:
                return
            frame = json.loads(raw)
            for item in frame["frames"] if frame.get("type") == "batch" else [frame]:
                if item.get("type") in ("applied", "tick", "replay"):
                    self.seq = max(self.seq, int(item.get("seq", 0)))
                yield item

    def wait_for(self, predicate: Callable[[Frame], bool], timeout_s: float = 10) -> Frame:
        """Return the first frame matching ``predicate``; TimeoutError after ``timeout_s``."""
        for frame in self.frames(timeout_s):
            if predicate(frame):
                return frame
        raise TimeoutError(f"no matching frame within {timeout_s}s on {self.url}")

    def apply(self, op: str, timeout_s: float = 10, **fields: Any) -> Frame:
        """Send an op and return its acknowledgement (``applied``), or fail on anything else."""
        op_id = self.send_op(op, **fields)
        frame = self.wait_for(
            lambda frame: frame.get("id") == op_id and frame["type"] != "cursor", timeout_s
        )
        assert frame["type"] == "applied", frame
        return frame

    def create_node(self, text: str, timeout_s: float = 10) -> Frame:
        """Create a root node; return its state from the acknowledgement."""
        applied = self.apply("node.create", timeout_s, parent=None, text=text, x=10.0, y=20.0)
        return applied["nodes"][0]


def close_code(error: ConnectionClosed) -> int | None:
    """The close code the server sent (None when the connection just dropped)."""
    return error.rcvd.code if error.rcvd is not None else None
