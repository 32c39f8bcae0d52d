"""The template's ``ws/ping/`` consumer, unauthenticated, for the frame-limit tests."""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncWebsocketConsumer


class PingConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data == "ping":
            await self.send(text_data="pong")
            return
        # The size it read: what the server let reach the application.
        await self.send(text_data=json.dumps({"received_bytes": len(text_data or "")}))
