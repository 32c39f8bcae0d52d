"""The tutorial pattern, for comparison (``naive:application``): save, then group_send."""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

from django.core.asgi import get_asgi_application

get_asgi_application()

from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from moa_mindmap.models import Node  # noqa: E402


class NaiveConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """One save and one group_send per message; the sequence number is the node's pk."""

    async def connect(self) -> None:
        self.mindmap_id = int(self.scope["url_route"]["kwargs"]["mindmap_id"])
        await self.channel_layer.group_add(f"naive-{self.mindmap_id}", self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(f"naive-{self.mindmap_id}", self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: Any = None) -> None:
        data = json.loads(text_data or "{}")
        node = await database_sync_to_async(Node.objects.create)(
            mindmap_id=self.mindmap_id, text=data["text"]
        )
        await self.channel_layer.group_send(
            f"naive-{self.mindmap_id}", {"type": "relay", "id": data["id"], "seq": node.pk}
        )

    async def relay(self, message: dict[str, Any]) -> None:
        frame = {"type": "applied", "id": message["id"], "seq": message["seq"]}
        await self.send(text_data=json.dumps(frame))


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/mindmap/<int:mindmap_id>/", NaiveConsumer.as_asgi())])}
)
