"""The activation link of a message the test mail server received."""

from __future__ import annotations

import re

from moa_testsupport.mailserver import MailServer, text_of

LINK = re.compile(r"https?://\S+/activate/[^/\s]+/[^/\s]+/")


def activation_link(server: MailServer, index: int = -1) -> str:
    """Return the activation link of a received message."""
    [message] = server.wait_for_messages(1)[index:] if index == -1 else [server.messages[index]]
    match = LINK.search(text_of(message))
    assert match, text_of(message)
    return match.group(0)


def link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]
