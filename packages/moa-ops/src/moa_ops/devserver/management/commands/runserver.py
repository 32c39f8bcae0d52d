"""``runserver`` served by daphne: HTTP and WebSockets through ``ASGI_APPLICATION``.

Django imports this module only to run ``runserver`` (or print its help), so Twisted
loads then and not when Django starts. Options are daphne's ``runserver``'s.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

try:
    from daphne.management.commands.runserver import Command as BaseCommand

    DAPHNE_MISSING: ImportError | None = None
except ImportError as error:  # pragma: no cover - run in a subprocess by the tests
    from django.core.management.commands.runserver import Command as BaseCommand

    DAPHNE_MISSING = error


class Command(BaseCommand):  # type: ignore[misc]
    help = "Starts a development server for HTTP and WebSockets (daphne, ASGI_APPLICATION)."

    def handle(self, *args: Any, **options: Any) -> None:
        if DAPHNE_MISSING is not None:
            raise CommandError(
                "moa_ops.devserver runs runserver on daphne, which is not installed "
                "(pip install daphne)."
            )
        super().handle(*args, **options)
