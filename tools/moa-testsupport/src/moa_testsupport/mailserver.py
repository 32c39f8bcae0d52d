"""A small real SMTP server on a loopback socket that can also misbehave.

The one SMTP harness of the repository's suites (moa-signup's tests and benchmarks,
the template tests)::

    with running_mail_server() as mail:
        ...  # send to 127.0.0.1:mail.port
        [message] = mail.wait_for_messages(1)

Modes: ``accept`` (stores each message), ``refuse`` (rejects the recipient
with 550), ``drop`` (resets the connection when the message is sent),
``hang`` (accepts the TCP connection and never says a word), ``gate`` (holds
its reply to the message until ``release()``: a slow server).
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class MailServer:
    def __init__(self) -> None:
        self.mode = "accept"
        self.messages: list[email.message.EmailMessage] = []
        self.connections = 0
        self.at_gate = threading.Semaphore(0)
        self._gate = threading.Event()
        self._received = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._session, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()

        self._gate.set()
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def reset(self, mode: str = "accept") -> None:
        self.mode = mode
        self.messages.clear()
        self.connections = 0
        self._gate.clear()
        self.at_gate = threading.Semaphore(0)

    def release(self) -> None:
        """Let gated messages through."""
        self._gate.set()

    def wait_for_messages(
        self, count: int, timeout_s: float = 10
    ) -> list[email.message.EmailMessage]:
        """Wait until ``count`` messages arrived (bounded); return them all."""
        with self._received:
            self._received.wait_for(lambda: len(self.messages) >= count, timeout_s)
        return list(self.messages)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        mode = self.mode
        try:
            if mode == "hang":
                await reader.read()  # until the client gives up and closes
                return
            writer.write(b"220 localhost ESMTP moa-tests\r\n")
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(b"250-localhost\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    writer.write(b"250 OK\r\n")
                elif verb == b"RCPT":
                    if mode == "refuse":
                        writer.write(b"550 5.1.1 Mailbox unavailable\r\n")
                    else:
                        writer.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    if mode == "drop":
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        writer.transport.abort()
                        return
                    if mode == "gate":
                        self.at_gate.release()
                        await asyncio.get_running_loop().run_in_executor(None, self._gate.wait, 30)
                    body = data[: -len(b"\r\n.\r\n")].replace(b"\r\n..", b"\r\n.")
                    message = email.message_from_bytes(body, policy=email.policy.default)
                    with self._received:
                        self.messages.append(message)
                        self._received.notify_all()
                    writer.write(b"250 OK queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 Bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


@contextmanager
def running_mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def text_of(message: email.message.EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def send_mail_to(settings: Any, port: int, *, timeout_s: float) -> None:
    """Point Django's default mailer at SMTP on 127.0.0.1:``port`` (pytest-django's ``settings``).

    Django 6.1 configures mail with ``MAILERS``; Django 5.2 knows only the ``EMAIL_*`` settings.
    """
    import django

    smtp = "django.core.mail.backends.smtp.EmailBackend"
    if django.VERSION >= (6, 1):
        options = {"host": "127.0.0.1", "port": port, "timeout": timeout_s}
        settings.MAILERS = {"default": {"BACKEND": smtp, "OPTIONS": options}}
    else:
        settings.EMAIL_BACKEND = smtp
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_TIMEOUT = timeout_s
