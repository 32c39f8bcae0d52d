"""Tell open mindmap sockets that someone's access may have changed.

Every :class:`~moa_mindmap.consumers.MindmapConsumer` joins its mindmap's group
and its user's group. :func:`access_changed` sends either group a message that
makes each consumer in it reload its user and ask the permission hook again;
a consumer whose user is gone, inactive or soft-deleted closes with 4401, one
that may no longer ``view`` closes with 4403, one whose mindmap is gone with
4404. The receivers in :mod:`moa_mindmap.receivers` call it for the changes
moa-mindmap can see; a project calls it when its own rules change.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.db import transaction

from moa_mindmap.layers import is_layer_outage

logger = logging.getLogger("moa_mindmap")

# The message each consumer in the group handles with ``mindmap_recheck``.
RECHECK = {"type": "mindmap.recheck"}


def mindmap_group_name(mindmap_id: Any) -> str:
    """Return the channel-layer group of one mindmap's connections."""
    return f"moa_mindmap.{mindmap_id}"


def user_group_name(user_id: Any) -> str:
    """Return the channel-layer group of one user's connections, on every mindmap."""
    return f"moa_mindmap.user.{user_id}"


def _groups(user: Any, mindmap: Any) -> list[str]:
    # Names are taken now: a deleted instance loses its pk before the commit.
    groups = []
    if user is not None and user.pk is not None:
        groups.append(user_group_name(user.pk))
    if mindmap is not None and mindmap.pk is not None:
        groups.append(mindmap_group_name(mindmap.pk))
    return groups


def _log_outage(error: BaseException) -> None:
    # The heartbeat re-checks every socket anyway; the caller's change stands.
    logger.warning("Mindmap access change not sent: %s", type(error).__name__)


def _send(groups: list[str], alias: str) -> None:
    layer = get_channel_layer(alias)
    if layer is None:
        return
    try:
        for group in groups:
            async_to_sync(layer.group_send)(group, RECHECK)
    except Exception as error:
        if not is_layer_outage(error):
            raise
        _log_outage(error)


def access_changed(
    *,
    user: Any = None,
    mindmap: Any = None,
    using: str | None = None,
    alias: str = DEFAULT_CHANNEL_LAYER,
) -> None:
    """Re-check the open sockets of ``user`` (on every mindmap) and of ``mindmap``.

    Call it after a change to who may view a mindmap that moa-mindmap cannot
    see (your permission hook's own data: a team membership, a role). Inside a
    transaction of ``using`` the message leaves when it commits, so consumers
    read the new state. A channel layer that cannot be reached is logged as a
    warning, not raised: the heartbeat re-checks every socket in any case.
    """
    groups = _groups(user, mindmap)
    if groups:
        transaction.on_commit(partial(_send, groups, alias), using=using)


async def aaccess_changed(
    *, user: Any = None, mindmap: Any = None, alias: str = DEFAULT_CHANNEL_LAYER
) -> None:
    """Async :func:`access_changed`: send the re-check now (there is no transaction)."""
    layer = get_channel_layer(alias)
    if layer is None:
        return
    try:
        for group in _groups(user, mindmap):
            await layer.group_send(group, RECHECK)
    except Exception as error:
        if not is_layer_outage(error):
            raise
        _log_outage(error)
