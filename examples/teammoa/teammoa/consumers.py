"""A WebSocket that answers "ping" with "pong".

It lets a smoke test, the load test and you in a browser console check that
WebSockets get through every layer: nginx's upgrade headers and the ASGI server.
It accepts any Origin on purpose: it reads no cookie, answers everyone alike
and holds nothing a cross-site page could steal, like health/live/.
"""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncWebsocketConsumer

MAX_MESSAGE_LENGTH = 64


class PingConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data == "ping":
            await self.send(text_data="pong")
            return
        received = text_data[:MAX_MESSAGE_LENGTH] if text_data else None
        await self.send(
            text_data=json.dumps({"error": "send the text 'ping'", "received": received})
        )
