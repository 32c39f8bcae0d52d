from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation

from moa_testsupport.mailserver import MailServer, running_mail_server, send_mail_to
from tests.settings import MAIL_TIMEOUT_S


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language.

    LocaleMiddleware activates a request's language in the thread and leaves it
    there: a test posting with ``Accept-Language: ko`` would otherwise make the
    next test's emails Korean (tests run in a random order).
    """
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def _mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def mailbox(_mail_server: MailServer, settings: Any) -> MailServer:
    """A real SMTP server on 127.0.0.1, accepting mail, that Django sends to."""
    _mail_server.reset("accept")
    send_mail_to(settings, _mail_server.port, timeout_s=MAIL_TIMEOUT_S)
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
