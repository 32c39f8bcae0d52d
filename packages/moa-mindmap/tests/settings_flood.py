"""moa-mindmap's test settings with the outbox limits low enough to reach in seconds."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

MOA_MINDMAP_SEND_TIMEOUT_S = 1.0
MOA_MINDMAP_MAX_OUTBOX_BYTES = 65536
MOA_MINDMAP_SYNC_INTERVAL_S = 0.1
