"""``NPlusOneMiddleware``: run each request under the N+1 detector."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from moa_queries.conf import NPLUSONE_MODES, app_settings
from moa_queries.detection import detect

logger = logging.getLogger("moa_queries")


def request_detector() -> AbstractContextManager[object]:
    """Return the detector to run one request under, already entered.

    A do-nothing context when the mode is ``off`` or unknown, or when the
    detector cannot start: a request must not fail because of the detector.
    """
    stack = ExitStack()
    try:
        mode = app_settings.MOA_QUERIES_NPLUSONE_MODE
        if mode == "off":
            return stack
        if mode not in NPLUSONE_MODES:
            # The system check reports it.
            logger.error("moa_queries: unknown MOA_QUERIES_NPLUSONE_MODE %r", mode)
            return stack
        stack.enter_context(detect(mode))
    except Exception:
        logger.exception("moa_queries: the N+1 detector could not start")
    return stack


class NPlusOneMiddleware:
    """Report N+1 queries of each request per ``MOA_QUERIES_NPLUSONE_MODE``.

    Each report names the model, the relation and the line of code (or
    template line) that triggered it, once per site per request.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        with request_detector():
            return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        with request_detector():
            return await self.get_response(request)  # type: ignore[misc,no-any-return]
