from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tests.mailserver import MailServer, running_mail_server, text_of

LINK = re.compile(r"https?://\S+/activate/[^/\s]+/[^/\s]+/")


@pytest.fixture(scope="session")
def _mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def mailbox(_mail_server: MailServer, settings: Any) -> MailServer:
    """A real SMTP server on 127.0.0.1, accepting mail, that Django sends to."""
    _mail_server.reset("accept")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _mail_server.port
    return _mail_server


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def activation_link(server: MailServer, index: int = -1) -> str:
    """Return the activation link of a received message."""
    [message] = server.wait_for_messages(1)[index:] if index == -1 else [server.messages[index]]
    match = LINK.search(text_of(message))
    assert match, text_of(message)
    return match.group(0)


def link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]
