"""WebSockets through the project's ASGI application."""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator

from teammoa.asgi import application

SAME_ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.mark.django_db(transaction=True)
async def test_ping_is_answered_with_pong():
    """A same-origin client connects and gets its answer."""
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=SAME_ORIGIN)
    connected, _ = await communicator.connect(timeout=5)

    await communicator.send_to(text_data="ping")
    answer = await communicator.receive_from(timeout=5)
    await communicator.disconnect()

    assert connected
    assert answer == "pong"


@pytest.mark.django_db(transaction=True)
async def test_other_text_gets_an_error_frame():
    """Bad input gets a clear error frame, and the connection stays open."""
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=SAME_ORIGIN)
    await communicator.connect(timeout=5)

    await communicator.send_to(text_data="hello")
    answer = json.loads(await communicator.receive_from(timeout=5))
    await communicator.send_to(text_data="ping")
    second = await communicator.receive_from(timeout=5)
    await communicator.disconnect()

    assert answer == {"error": "send the text 'ping'", "received": "hello"}
    assert second == "pong"


@pytest.mark.django_db(transaction=True)
async def test_ping_answers_any_origin():
    """ws/ping/ holds nothing for a cross-site page to steal: asgi.py adds no origin check."""
    headers = [(b"origin", b"https://evil.example"), (b"host", b"testserver")]
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=headers)

    connected, _ = await communicator.connect(timeout=5)
    await communicator.send_to(text_data="ping")
    answer = await communicator.receive_from(timeout=5)
    await communicator.disconnect()

    assert connected
    assert answer == "pong"
