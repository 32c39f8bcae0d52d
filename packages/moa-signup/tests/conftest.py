from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.core.cache import cache

from tests.mailserver import MailServer, running_mail_server, text_of
from tests.settings import MAIL_TIMEOUT_S

LINK = re.compile(r"https?://\S+/activate/[^/\s]+/[^/\s]+/")


@pytest.fixture(scope="session")
def _mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def mailbox(_mail_server: MailServer, settings: Any) -> MailServer:
    """A real SMTP server on 127.0.0.1, accepting mail, that Django sends to."""
    _mail_server.reset("accept")
    send_mail_to(settings, _mail_server.port)
    return _mail_server


def send_mail_to(settings: Any, port: int) -> None:
    """Point Django's default mailer at SMTP on 127.0.0.1:``port``."""
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    if django.VERSION >= (6, 1):
        options = {"host": "127.0.0.1", "port": port, "timeout": MAIL_TIMEOUT_S}
        settings.MAILERS = {"default": {"BACKEND": smtp, "OPTIONS": options}}
    else:
        settings.EMAIL_BACKEND = smtp
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_TIMEOUT = MAIL_TIMEOUT_S


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
