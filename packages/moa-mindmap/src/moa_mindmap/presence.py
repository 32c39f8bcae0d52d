"""Presence and cursors: who is here and where they point; never stored.

:class:`PresenceMixin` is the part of
:class:`~moa_mindmap.consumers.MindmapConsumer` that relays them: a client's
cursor at most once per ``MOA_MINDMAP_CURSOR_INTERVAL`` (the latest position
wins), and ``join`` / ``here`` / ``leave`` announcements to the mindmap's group.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from channels.exceptions import ChannelFull

from moa_mindmap.conf import app_settings


class PresenceMixin:
    """Relay presence and cursors between the connections of one mindmap."""

    # Set by the consumer on connect.
    channel_layer: Any
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

    async def announce(self, event: str, to: str | None = None) -> None:
        message = {
            "type": "mindmap.presence",
            "event": event,
            "session": self.session,
            "user": self.user_info,
            "channel": self.channel_name,
        }
        if to is None:
            await self.channel_layer.group_send(self.group, message)
        else:
            # A peer whose queue is full misses one presence frame; its own
            # heartbeat corrects that, so this must not break our connection.
            with contextlib.suppress(ChannelFull):
                await self.channel_layer.send(to, message)

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
        self.queue_frame(
            {
                "type": "presence",
                "event": message["event"],
                "session": message["session"],
                "user": message["user"],
            }
        )
        if message["event"] == "join":
            await self.announce("here", to=message["channel"])
