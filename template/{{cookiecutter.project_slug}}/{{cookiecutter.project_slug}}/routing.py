"""WebSocket routes, mounted by asgi.py.

Each consumer that acts for the logged-in user checks the handshake's Origin
itself (moa-mindmap's does); asgi.py adds no origin check of its own.
"""

from __future__ import annotations

from django.urls import path
{%- if cookiecutter.use_mindmap == "yes" %}
from moa_mindmap.routing import websocket_urlpatterns as mindmap_websocket_urlpatterns
{%- endif %}

from {{ cookiecutter.project_slug }}.consumers import PingConsumer

websocket_urlpatterns = [
    # django-stubs types path() for views; Channels routes consumers with it too.
    path("ws/ping/", PingConsumer.as_asgi()),  # type: ignore[arg-type]
{%- if cookiecutter.use_mindmap == "yes" %}
    # ws/mindmap/<id>/: the editor's live connection (moa-mindmap).
    *mindmap_websocket_urlpatterns,
{%- endif %}
]
