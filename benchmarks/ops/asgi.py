from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ops.settings")

from django.core.asgi import get_asgi_application

application = get_asgi_application()

from moa_ops.asgi import LiveProbeASGIMiddleware  # noqa: E402

# The same project with the liveness probe answered at the ASGI layer.
wrapped = LiveProbeASGIMiddleware(application)
