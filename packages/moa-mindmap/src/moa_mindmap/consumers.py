"""``MindmapConsumer``: the WebSocket end of the mindmap protocol."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from moa_mindmap import access, snapshots
from moa_mindmap.batching import submit_op
from moa_mindmap.conf import app_settings
from moa_mindmap.exceptions import LimitExceeded, OpError
from moa_mindmap.layers import is_layer_outage
from moa_mindmap.presence import PresenceMixin
from moa_mindmap.protocol import ParsedOp, decode_frame, error_frame, parse_cursor, parse_sync
from moa_mindmap.registry import parse_op
from moa_mindmap.revocation import mindmap_group_name, user_group_name

logger = logging.getLogger("moa_mindmap")


# Close codes in the 4000-4999 range tell the client to stop reconnecting.
# 4401: not logged in, or the user was deleted, deactivated or soft-deleted.
CLOSE_UNAUTHENTICATED = 4401
# 4403: the permission hook refuses ``view`` (at connect or since), or a bad Origin.
CLOSE_FORBIDDEN = 4403
# 4404: no such mindmap (at connect or since).
CLOSE_NOT_FOUND = 4404
REFUSAL_CODES = {
    "user": CLOSE_UNAUTHENTICATED,
    "mindmap": CLOSE_NOT_FOUND,
    "view": CLOSE_FORBIDDEN,
}
# 4408: the client does not read what it is sent (MOA_MINDMAP_MAX_OUTBOX_BYTES,
# MOA_MINDMAP_SEND_TIMEOUT_S); the editor reconnects with backoff and resyncs.
CLOSE_TOO_SLOW = 4408
# 4429: over MOA_MINDMAP_MAX_FRAMES_PER_SECOND, or more than
# MOA_MINDMAP_MAX_CONNECTIONS_PER_USER sockets on one mindmap; the editor backs off.
CLOSE_TOO_MANY = 4429
# RFC 6455 "try again later": the channel layer is unreachable; clients retry with backoff.
CLOSE_TRY_AGAIN_LATER = 1013
# How long a close frame may wait for a client that does not read before the
# connection is dropped without it.
CLOSE_GRACE_S = 1.0
# Broadcast frames wait this long so a burst leaves as one ``batch`` frame.
BATCH_DELAY_S = 0.01
# Messages handled without Channels' per-message ``close_old_connections()``
# hop to the database thread: their handlers reach the database only through
# ``database_sync_to_async``, which closes stale connections in the thread
# that owns them. (One hop per broadcast per member queued every delivery
# behind the op transactions running on that thread.)
NO_DATABASE_HOP = frozenset(
    {
        "websocket.receive",
        "mindmap.applied",
        "mindmap.cursor",
        "mindmap.cursors",
        "mindmap.presence",
        "mindmap.recheck",
    }
)
# How long a closing connection waits for the ops it sent to be applied.
OP_DRAIN_TIMEOUT_S = 10.0


def group_name(mindmap_id: int) -> str:
    """Return the channel-layer group of one mindmap's connections."""
    return mindmap_group_name(mindmap_id)


# Sockets open per (user pk, mindmap id) in this process.
open_sockets: Counter[tuple[Any, int]] = Counter()


def _header(scope: dict[str, Any], wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin1"))
    return None


def _is_secure(scope: dict[str, Any]) -> bool:
    """Return whether the handshake came over TLS, as ``HttpRequest.is_secure()`` decides."""
    if scope.get("scheme") == "wss":
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy_header:
        return False
    name, secure_value = proxy_header
    # "HTTP_X_FORWARDED_PROTO" -> b"x-forwarded-proto"
    wanted = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
    value = _header(scope, wanted)
    return value is not None and value.split(",", 1)[0].strip() == secure_value


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Return whether the ``Origin`` header names a trusted origin, as Django's CSRF does.

    Scheme, host and port are compared. Allowed: the handshake's own origin
    (``https://`` over TLS or ``SECURE_PROXY_SSL_HEADER``, else ``http://``, then
    the ``Host`` header, which must match ``ALLOWED_HOSTS``), and each entry of
    ``CSRF_TRUSTED_ORIGINS`` (exactly, or ``https://*.example.com`` for any
    subdomain). A missing Origin is refused unless ``ALLOWED_HOSTS`` holds ``"*"``.
    """
    allowed_hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    origin = _header(scope, b"origin")
    if origin is None:
        return "*" in allowed_hosts
    host = _header(scope, b"host")
    if host is not None and validate_host(split_domain_port(host)[0], allowed_hosts):
        own_origin = "{}://{}".format("https" if _is_secure(scope) else "http", host)
        if origin == own_origin:
            return True
    trusted = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    if origin in trusted:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        parsed.scheme == urlsplit(entry).scheme
        and is_same_domain(parsed.netloc, urlsplit(entry).netloc.lstrip("*"))
        for entry in trusted
        if "*" in entry
    )


def _log_task_failure(task: asyncio.Task[None]) -> None:
    """Retrieve the heartbeat's exception (asyncio would log it as never retrieved)."""
    if task.cancelled():
        return
    error = task.exception()
    if error is None or isinstance(error, OSError):
        return  # Done, or the client left.
    if is_layer_outage(error):
        logger.warning(
            "Mindmap heartbeat stopped: channel layer unavailable: %s", type(error).__name__
        )
    else:
        logger.error("Mindmap heartbeat failed", exc_info=error)


class TokenBucket:
    """Allow ``rate`` events per second with bursts of up to ``rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.updated_at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated_at) * self.rate)
        self.updated_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class MindmapConsumer(PresenceMixin, AsyncWebsocketConsumer):  # type: ignore[misc]
    """Serve one client of one mindmap (``ws/mindmap/<int:mindmap_id>/``).

    Every client frame counts against ``MOA_MINDMAP_MAX_FRAMES_PER_SECOND``; ops
    also against ``MOA_MINDMAP_MAX_OPS_PER_SECOND``; syncs merge and are answered
    at most once per ``MOA_MINDMAP_SYNC_INTERVAL_S``; a client that does not read
    what it is sent is dropped before its queue costs more than
    ``MOA_MINDMAP_MAX_OUTBOX_BYTES``.
    """

    mindmap_id: int
    group: str
    user_group: str
    session: str
    # Refused at connect, or not connected yet: never joined a group.
    refused: bool = True
    # Closed since (access lost): frames in and out are dropped until disconnect.
    closing: bool = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Set to end the connection from any task, even while a send to a
        # client that does not read is stuck: the server's next message is
        # then a disconnect, whatever the client does.
        self._dropped = asyncio.Event()

        async def receive_unless_dropped() -> Any:
            if self._dropped.is_set():
                return {"type": "websocket.disconnect", "code": CLOSE_TOO_SLOW}
            received = asyncio.ensure_future(receive())
            dropped = asyncio.ensure_future(self._dropped.wait())
            try:
                await asyncio.wait({received, dropped}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                received.cancel()
                raise
            finally:
                dropped.cancel()
            if received.done():
                return received.result()
            received.cancel()
            return {"type": "websocket.disconnect", "code": CLOSE_TOO_SLOW}

        try:
            await super().__call__(scope, receive_unless_dropped, send)
        except Exception as error:
            if not is_layer_outage(error):
                raise
            # The channel layer (Redis) went away under the receive loop: close with
            # 1013 so the editor reconnects with backoff, instead of a bare 1006.
            logger.warning(
                "Mindmap %s: channel layer unavailable: %s",
                scope.get("url_route", {}).get("kwargs", {}).get("mindmap_id"),
                type(error).__name__,
            )
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    async def connect(self) -> None:
        self.refused = True
        self.closing = False
        self.session = uuid.uuid4().hex[:12]
        self.mindmap_id = int(self.scope["url_route"]["kwargs"]["mindmap_id"])
        self.group = group_name(self.mindmap_id)
        # Serialized frames waiting to be sent, each with a key when a newer
        # frame replaces it (a peer's cursor).
        self._outbox: list[tuple[str | None, str]] = []
        self._flush_task: asyncio.Task[None] | None = None
        self._op_tasks: set[asyncio.Task[None]] = set()
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._outbox_bytes = 0
        # Sends handed to the server and not yet taken by it.
        self._sending = 0
        self._ops = TokenBucket(app_settings.MOA_MINDMAP_MAX_OPS_PER_SECOND)
        self._frames = TokenBucket(app_settings.MOA_MINDMAP_MAX_FRAMES_PER_SECOND)
        # The smallest ``since`` asked for and not yet answered (syncs merge).
        self._sync_since: int | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._sync_answered_at = -float("inf")
        self._counted: tuple[Any, int] | None = None
        # Accept first, then close with a 44xx code: browsers only report
        # the code of a connection that was accepted.
        await self.accept()
        code = await self.refusal_code()
        if code:
            await self.close(code=code)
            return
        key = (self.scope["user"].pk, self.mindmap_id)
        if open_sockets[key] >= app_settings.MOA_MINDMAP_MAX_CONNECTIONS_PER_USER:
            await self.close(code=CLOSE_TOO_MANY)
            return
        open_sockets[key] += 1
        self._counted = key
        self.refused = False
        self.user_group = user_group_name(self.scope["user"].pk)
        self.user_info = {
            "id": self.scope["user"].pk,
            "name": self.scope["user"].get_username(),
        }
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
            # Revoking the user's access reaches their sockets on every mindmap.
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        except Exception as error:
            if not is_layer_outage(error):
                raise
            # Redis down or restarting: say so with a close code the client retries,
            # instead of a dropped socket (1006) and a traceback.
            logger.warning(
                "Mindmap %s: channel layer unavailable: %s", self.mindmap_id, type(error).__name__
            )
            self.refused = True
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        self.enter_roster()
        snapshot = await snapshots.abuild_snapshot(self.mindmap_id)
        snapshot["you"] = {"session": self.session, "user": self.user_info}
        snapshot["present"] = [{"session": self.session, "user": self.user_info}]
        await self.send_frame(snapshot)
        await self.announce("join")
        self._heartbeat_task = asyncio.create_task(self.heartbeat())
        self._heartbeat_task.add_done_callback(_log_task_failure)

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type", "")
        if self.refused and kind.startswith("mindmap."):
            return  # A group message that raced the handshake: not a member yet.
        if kind in NO_DATABASE_HOP:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def refusal_code(self) -> int | None:
        """Return the close code refusing this connection, or ``None``."""
        if not origin_allowed(self.scope):
            return CLOSE_FORBIDDEN
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return CLOSE_UNAUTHENTICATED
        return await self.access_refusal_code()

    async def access_refusal_code(self) -> int | None:
        """Reload the user and ask ``view`` again; return the close code, or ``None``.

        Nothing is cached between two checks; the fresh user replaces the one
        in the scope, so the next op is judged on it too.
        """
        user, refusal = await access.acheck_access(self.scope["user"].pk, self.mindmap_id)
        if refusal is not None:
            return REFUSAL_CODES[refusal]
        self.scope["user"] = user
        return None

    async def keep_access(self) -> bool:
        """Re-check access; close the socket and return ``False`` when it is lost."""
        if self.closing:
            return False
        code = await self.access_refusal_code()
        if code is None or self.closing:
            return not self.closing
        await self.close_for(code)
        return False

    async def close_for(self, code: int) -> None:
        """Close with ``code``; nothing queued leaves, and nothing is read any more.

        A client that does not read cannot receive the close frame: after
        ``CLOSE_GRACE_S`` the connection is dropped without it.
        """
        if self.closing:
            return
        self.closing = True
        self._outbox = []
        self._outbox_bytes = 0
        try:
            await asyncio.wait_for(self.close(code=code), CLOSE_GRACE_S)
        except (TimeoutError, OSError):
            self._dropped.set()

    def fall_behind(self) -> None:
        """Close a client that does not read (4408) before its queue grows further."""
        if not self.closing:
            logger.info("Mindmap %s: closing a client that does not read", self.mindmap_id)
            task = asyncio.create_task(self.close_for(CLOSE_TOO_SLOW))
            task.add_done_callback(_log_task_failure)

    async def disconnect(self, code: int) -> None:
        tasks = (self._heartbeat_task, self._flush_task, self._sync_task)
        for task in tasks:
            if task is not None:
                task.cancel()
        if self._counted is not None:
            open_sockets[self._counted] -= 1
            if open_sockets[self._counted] <= 0:
                del open_sockets[self._counted]
            self._counted = None
        if self._op_tasks:
            # Ops the client sent before leaving are applied all the same.
            await asyncio.wait(self._op_tasks, timeout=OP_DRAIN_TIMEOUT_S)
        if self.refused:
            return
        self.leave_roster()
        await self.announce("leave")
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.channel_layer.group_discard(self.user_group, self.channel_name)

    # Frames from the client.

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.refused or self.closing:
            return
        if not self._frames.take():
            # A flood of any frame type: answering each would cost as much again.
            logger.info("Mindmap %s: closing a client over the frame rate", self.mindmap_id)
            await self.close_for(CLOSE_TOO_MANY)
            return
        op_id = None
        try:
            frame = decode_frame(text_data, bytes_data)
            op_id = frame.get("id") if isinstance(frame.get("id"), str) else None
            kind = frame["type"]
            if kind == "op":
                await self.receive_op(frame)
            elif kind == "sync":
                await self.receive_sync(parse_sync(frame))
            elif kind == "cursor":
                await self.receive_cursor(*parse_cursor(frame))
            else:
                await self.send_frame({"type": "pong"})
        except (OpError, DatabaseError) as error:
            await self.send_failure(error, op_id)

    async def send_failure(self, error: Exception, op_id: str | None) -> None:
        """Answer a refused op or frame, or one the server failed on, with its frame."""
        if isinstance(error, DatabaseError):
            logger.error("Mindmap %s: database error: %s", self.mindmap_id, error)
        elif not isinstance(error, OpError):
            # A bug (a permission hook raising, say) must not leave the client waiting.
            logger.error("Mindmap %s: op %s failed", self.mindmap_id, op_id, exc_info=error)
        await self.send_frame(error_frame(error, op_id))

    async def receive_op(self, frame: dict[str, Any]) -> None:
        op = parse_op(frame)
        if not self._ops.take():
            limit = app_settings.MOA_MINDMAP_MAX_OPS_PER_SECOND
            raise LimitExceeded(
                f"At most {limit} ops per second; resend this one later.",
                code="rate_limited",
            )
        # The op joins the mindmap's next transaction; this connection reads
        # its next frame meanwhile (its ops still apply in the order sent).
        future = submit_op(
            self.mindmap_id,
            self.scope["user"],
            op,
            layer=self.channel_layer,
            alias=self.channel_layer_alias,
            group=self.group,
        )
        task = asyncio.create_task(self.answer_op(op, future))
        self._op_tasks.add(task)
        task.add_done_callback(self._op_tasks.discard)

    async def answer_op(
        self, op: ParsedOp, future: asyncio.Future[tuple[dict[str, Any], bool]]
    ) -> None:
        """Acknowledge a resent op, or answer a refused one; new ops were broadcast."""
        try:
            applied, is_new = await future
            if not is_new:
                await self.send_frame(applied)
        except OSError:
            pass  # The client left; it resends unacknowledged ops when back.
        except Exception as error:
            with contextlib.suppress(OSError):
                await self.send_failure(error, op.id)

    async def receive_sync(self, since: int) -> None:
        # Syncs merge into one pending answer (the smallest ``since`` wins), so
        # a thousand syncs cost one replay or snapshot per interval, not a thousand.
        if self._sync_since is None or since < self._sync_since:
            self._sync_since = since
        if self._sync_task is None or self._sync_task.done():
            self._sync_task = asyncio.create_task(self.answer_syncs())
            self._sync_task.add_done_callback(_log_task_failure)

    async def answer_syncs(self) -> None:
        """Answer the pending sync, at most once per ``MOA_MINDMAP_SYNC_INTERVAL_S``."""
        while self._sync_since is not None and not self.closing:
            wait = self._sync_answered_at + app_settings.MOA_MINDMAP_SYNC_INTERVAL_S
            await asyncio.sleep(max(0.0, wait - time.monotonic()))
            since, self._sync_since = self._sync_since, None
            self._sync_answered_at = time.monotonic()
            try:
                if not await self.keep_access():
                    return
                replay = await snapshots.areplay_ops(self.mindmap_id, since)
                if replay is None:
                    replay = await snapshots.abuild_snapshot(self.mindmap_id)
                    replay["you"] = {"session": self.session, "user": self.user_info}
                await self.send_frame(replay)
            except DatabaseError as error:
                await self.send_failure(error, None)

    async def heartbeat(self) -> None:
        """Re-announce presence and the current sequence number periodically.

        Clients expire peers they stop hearing from (a server that died without
        running ``disconnect`` leaves no one to announce the leave), and a
        ``tick`` lets them notice ops they missed at the end of a burst.
        """
        while True:
            await asyncio.sleep(app_settings.MOA_MINDMAP_HEARTBEAT_INTERVAL)
            try:
                with contextlib.suppress(DatabaseError):
                    # A revocation message that never arrived is caught here.
                    if not await self.keep_access():
                        return
                    seq = await snapshots.acurrent_seq(self.mindmap_id)
                    await self.send_frame({"type": "tick", "seq": seq})
                await self.announce("here")
            except OSError:
                return  # The client left; disconnect() follows.

    # Messages from the channel layer.

    async def mindmap_recheck(self, message: dict[str, Any]) -> None:
        # Sent by moa_mindmap.access_changed(): the user's access may be gone.
        with contextlib.suppress(DatabaseError):
            await self.keep_access()

    async def mindmap_applied(self, message: dict[str, Any]) -> None:
        # The frames arrive serialized once for every member (see batching.py).
        for text in message["frames"]:
            self.enqueue(text)
        self.schedule_flush()

    # Sending.

    def enqueue(self, text: str, key: str | None = None) -> None:
        """Queue a serialized frame; close a client that lets too much pile up."""
        if self.closing:
            return
        self._outbox.append((key, text))
        self._outbox_bytes += len(text)
        # What waits behind a send the server has not taken yet is what a
        # client that does not read makes us hold.
        if self._sending and self._outbox_bytes > app_settings.MOA_MINDMAP_MAX_OUTBOX_BYTES:
            self.fall_behind()

    def queue_frame(self, frame: dict[str, Any], key: str | None = None) -> None:
        """Queue a broadcast frame; a burst leaves as one ``batch`` frame."""
        self.enqueue(json.dumps(frame), key)
        self.schedule_flush()

    def schedule_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self.flush_later())

    async def flush_later(self) -> None:
        await asyncio.sleep(BATCH_DELAY_S)
        with contextlib.suppress(OSError):  # The client left meanwhile.
            # Frames queued while a send is in flight find this task still running
            # (``schedule_flush`` starts no other): they leave with the next send.
            while self._outbox and not self.closing:
                await self.flush()

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """Send a frame now, after anything queued before it."""
        self.enqueue(json.dumps(frame))
        await self.flush()

    async def flush(self) -> None:
        queued, self._outbox = self._outbox, []
        self._outbox_bytes = 0
        if self.closing or not queued:
            return
        if len(queued) == 1:
            text = queued[0][1]
        else:
            # Frames are serialized JSON objects: join them without decoding.
            texts = ",".join(text for _, text in queued)
            text = f'{{"type": "batch", "frames": [{texts}]}}'
        # uvicorn holds a send back while the client's TCP window is full; daphne
        # never does (its buffer grows instead: see docs/explanation/security/mindmap.md).
        self._sending += 1
        try:
            await asyncio.wait_for(
                self.send(text_data=text), app_settings.MOA_MINDMAP_SEND_TIMEOUT_S
            )
        except TimeoutError:
            self.fall_behind()
        finally:
            self._sending -= 1
