"""Presence and cursors: who is here and where they point; never stored.

:class:`PresenceMixin` is the part of
:class:`~moa_mindmap.consumers.MindmapConsumer` that relays them: a client's
cursor at most once per ``MOA_MINDMAP_CURSOR_INTERVAL`` (the latest position
wins), and ``join`` / ``here`` / ``leave`` announcements to the mindmap's group.

A join is answered once per server process, by one of its connections on
behalf of all of them (one ``here`` naming every local peer), rather than once
per connection: 50 clients joining at once cost the channel layer about 50
answers per process instead of 2,500, which on Redis overflowed the
process's queue and dropped ops along with presence.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from channels.exceptions import ChannelFull

from moa_mindmap.conf import app_settings

# The connections of each mindmap in this process, by event loop, channel layer
# alias and group, in the order they joined: channel name -> {session, user}.
_rosters: dict[tuple[Any, str, str], dict[str, dict[str, Any]]] = {}


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
    _cursor: tuple[float, float] | None
    _cursor_sent_at: float
    _cursor_task: asyncio.Task[None] | None
    # The consumer's: queue a frame for this client (a newer one with the same key replaces it).
    queue_frame: Callable[..., None]

    async def receive_cursor(self, x: float, y: float) -> None:
        # Keep only the latest position; relay it at most once per interval.
        self._cursor = (x, y)
        if self._cursor_task is None or self._cursor_task.done():
            self._cursor_task = asyncio.create_task(self.relay_cursor())

    async def relay_cursor(self) -> None:
        wait = self._cursor_sent_at + app_settings.MOA_MINDMAP_CURSOR_INTERVAL
        await asyncio.sleep(max(0.0, wait - time.monotonic()))
        if self._cursor is None:
            return
        (x, y), self._cursor = self._cursor, None
        self._cursor_sent_at = time.monotonic()
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "mindmap.cursor",
                "session": self.session,
                "user": self.user_info,
                "x": x,
                "y": y,
            },
        )

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
