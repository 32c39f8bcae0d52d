"""Presence and cursors: who is here and where they point; never stored.

:class:`PresenceMixin` is the part of
:class:`~moa_mindmap.consumers.MindmapConsumer` that relays them: a client's
cursor at most once per ``MOA_MINDMAP_CURSOR_INTERVAL`` (the latest position
wins; one group message carries every local connection's), and ``join`` /
``here`` / ``leave`` announcements to the mindmap's group.

A join is answered once per server process, by one of its connections on
behalf of all of them (one ``here`` naming every local peer), rather than once
per connection: 50 clients joining at once cost the channel layer about 50
answers per process instead of 2,500, which on Redis overflowed the
process's queue and dropped ops along with presence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from channels.exceptions import ChannelFull

from moa_mindmap.conf import app_settings

# The connections of each mindmap in this process, by event loop, channel layer
# alias and group, in the order they joined: channel name -> {session, user}.
_rosters: dict[tuple[Any, str, str], dict[str, dict[str, Any]]] = {}
# Each mindmap's cursor relay in this process, by the same key, while cursors are pending.
_cursor_relays: dict[tuple[Any, str, str], CursorRelay] = {}
logger = logging.getLogger("moa_mindmap")


class CursorRelay:
    """Relay the cursors of one mindmap's connections in this process, together.

    At most one group message per ``MOA_MINDMAP_CURSOR_INTERVAL`` carries the
    latest position of every local connection that moved: cursors cost the
    channel layer one message per process and interval, however many clients
    move them, so they cannot crowd ops out of a Redis queue.
    """

    def __init__(self, key: tuple[Any, str, str], layer: Any, group: str) -> None:
        self.key = key
        self.layer = layer
        self.group = group
        self.pending: dict[str, dict[str, Any]] = {}
        self.sent_at = -float("inf")
        self.task: asyncio.Task[None] | None = None

    def add(self, cursor: dict[str, Any]) -> None:
        self.pending[cursor["session"]] = cursor
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        while self.pending:
            wait = self.sent_at + app_settings.MOA_MINDMAP_CURSOR_INTERVAL - time.monotonic()
            await asyncio.sleep(max(0.0, wait))
            cursors, self.pending = list(self.pending.values()), {}
            self.sent_at = time.monotonic()
            try:
                await self.layer.group_send(
                    self.group, {"type": "mindmap.cursors", "cursors": cursors}
                )
            except Exception as error:
                # Cursors are never stored: the next move sends a fresh position.
                logger.warning("Mindmap cursors not relayed: %s", type(error).__name__)
        if _cursor_relays.get(self.key) is self:
            del _cursor_relays[self.key]


class PresenceMixin:
    """Relay presence and cursors between the connections of one mindmap."""

    # Set by the consumer on connect.
    channel_layer: Any
    channel_layer_alias: str
    channel_name: str
    group: str
    session: str
    user_info: dict[str, Any]
    _outbox: list[tuple[str | None, str]]
    _outbox_bytes: int
    # The consumer's: queue a frame for this client (a newer one with the same key replaces it).
    queue_frame: Callable[..., None]

    async def receive_cursor(self, x: float, y: float) -> None:
        # The latest position wins; this process relays its connections' cursors together.
        key = self._roster_key()
        relay = _cursor_relays.get(key)
        if relay is None:
            relay = _cursor_relays[key] = CursorRelay(key, self.channel_layer, self.group)
        relay.add({"session": self.session, "user": self.user_info, "x": x, "y": y})

    def _roster_key(self) -> tuple[Any, str, str]:
        return (asyncio.get_running_loop(), self.channel_layer_alias, self.group)

    def enter_roster(self) -> None:
        """Count this connection among the mindmap's in this process."""
        roster = _rosters.setdefault(self._roster_key(), {})
        roster[self.channel_name] = {"session": self.session, "user": self.user_info}

    def leave_roster(self) -> None:
        key = self._roster_key()
        roster = _rosters.get(key, {})
        roster.pop(self.channel_name, None)
        if not roster:
            _rosters.pop(key, None)

    async def announce(self, event: str) -> None:
        await self.channel_layer.group_send(self.group, self.presence_message(event))

    def presence_message(self, event: str) -> dict[str, Any]:
        return {
            "type": "mindmap.presence",
            "event": event,
            "session": self.session,
            "user": self.user_info,
            "channel": self.channel_name,
        }

    async def answer_join(self, joiner: str) -> None:
        """Tell ``joiner`` who is here in this process, if this connection answers for it.

        The oldest local connection other than the joiner answers; a joiner that
        misses the answer hears each peer's heartbeat instead.
        """
        roster = _rosters.get(self._roster_key(), {})
        peers = [channel for channel in roster if channel != joiner]
        if not peers or peers[0] != self.channel_name:
            return
        message = self.presence_message("here")
        message["peers"] = [roster[channel] for channel in peers]
        # A joiner whose queue is full misses this frame; heartbeats correct
        # that, so it must not break this connection.
        with contextlib.suppress(ChannelFull):
            await self.channel_layer.send(joiner, message)

    async def mindmap_cursors(self, message: dict[str, Any]) -> None:
        for cursor in message["cursors"]:
            await self.mindmap_cursor(cursor)

    async def mindmap_cursor(self, message: dict[str, Any]) -> None:
        if message["session"] == self.session:
            return
        frame = {key: message[key] for key in ("session", "user", "x", "y")}
        frame["type"] = "cursor"
        # A newer cursor of the same peer replaces one not yet sent.
        key = f"cursor:{frame['session']}"
        self._outbox = [queued for queued in self._outbox if queued[0] != key]
        self._outbox_bytes = sum(len(text) for _, text in self._outbox)
        self.queue_frame(frame, key)

    async def mindmap_presence(self, message: dict[str, Any]) -> None:
        if message["session"] == self.session:
            return
        # One answer to a join names every peer of its process.
        peers = message.get("peers", [message])
        for peer in peers:
            if peer["session"] != self.session:
                self.queue_frame(
                    {
                        "type": "presence",
                        "event": message["event"],
                        "session": peer["session"],
                        "user": peer["user"],
                    }
                )
        if message["event"] == "join":
            await self.answer_join(message["channel"])
