"""A real HTTP server on 127.0.0.1 that stands in for Sentry's ingest.

sentry-sdk posts envelopes to ``<dsn host>/api/<project>/envelope/``: a JSON header
line, then items, each a JSON item header (``type``, maybe ``length``) and a payload.
The server answers 200 and keeps every item, so a test can wait (bounded) for one::

    with running_ingest() as ingest:
        env["SENTRY_DSN"] = ingest.dsn
        ...
        [event] = ingest.wait_for(lambda item: item.type == "event")
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Item:
    """One envelope item: its type (event, transaction, ...) and its decoded payload."""

    type: str
    payload: Any

    def summary(self) -> str:
        """The type and what the item is about, short enough for an assertion message."""
        if not isinstance(self.payload, dict):
            return self.type
        about = self.payload.get("transaction") or exception_types(self.payload)
        op = self.payload.get("contexts", {}).get("trace", {}).get("op", "")
        return f"{self.type} {op} {about}".strip()


def decode_body(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # only when sentry-sdk found it installed and chose it

        return bytes(brotli.decompress(body))
    return body


def parse_envelope(data: bytes) -> list[Item]:
    """The items of one envelope (https://develop.sentry.dev/sdk/data-model/envelopes/)."""
    _header, _, rest = data.partition(b"\n")
    items = []
    while rest.strip():
        item_header_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_header_line)
        if "length" in item_header:
            length = int(item_header["length"])
            payload, rest = rest[:length], rest[length + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        try:
            decoded: Any = json.loads(payload)
        except ValueError:
            decoded = payload
        items.append(Item(str(item_header.get("type")), decoded))
    return items


class Ingest:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.paths: list[str] = []
        self._changed = threading.Condition()
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                data = decode_body(body, self.headers.get("Content-Encoding", ""))
                items = parse_envelope(data) if self.path.endswith("/envelope/") else []
                with ingest._changed:
                    ingest.paths.append(self.path)
                    ingest.items.extend(items)
                    ingest._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    def of_type(self, type_: str) -> list[Item]:
        with self._changed:
            return [item for item in self.items if item.type == type_]

    def wait_for(self, predicate: Callable[[Item], bool], timeout_s: float = 15) -> list[Item]:
        """Wait (bounded) until an item matches ``predicate``; return the matching ones."""
        with self._changed:
            self._changed.wait_for(lambda: any(predicate(item) for item in self.items), timeout_s)
            matching = [item for item in self.items if predicate(item)]
        received = [item.summary() for item in self.items]
        assert matching, f"no such item within {timeout_s} s; received {received}"
        return matching


@contextmanager
def running_ingest() -> Iterator[Ingest]:
    ingest = Ingest()
    ingest._thread.start()
    try:
        yield ingest
    finally:
        ingest._server.shutdown()
        ingest._server.server_close()
        ingest._thread.join(10)


def exception_types(event: dict[str, Any]) -> list[str]:
    """The exception types an error event names, innermost last."""
    return [value.get("type", "") for value in event.get("exception", {}).get("values", [])]


def request_path(event: dict[str, Any]) -> str:
    """The path of the request an event or transaction was made for."""
    from urllib.parse import urlsplit

    return urlsplit(event.get("request", {}).get("url", "")).path
