"""``manage.py drain``: flip readiness to 503 on this host, keep serving."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moa_ops.conf import app_settings
from moa_ops.drain import begin_drain, end_drain, is_draining


class Command(BaseCommand):
    help = (
        "Write MOA_OPS_DRAIN_FILE (by default a file in the temporary directory "
        "named after the settings file) so every process on this host answers 503 on "
        "health/ready/ while it goes on serving, then wait MOA_OPS_DRAIN_TIMEOUT "
        "seconds for load balancers to notice. --undo makes the host ready again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--undo", action="store_true", help="remove the drain file")
        parser.add_argument("--status", action="store_true", help="print the drain state")
        parser.add_argument(
            "--no-wait", action="store_true", help="return at once instead of waiting"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        drain_file = app_settings.MOA_OPS_DRAIN_FILE
        if drain_file is None:
            raise CommandError(
                "MOA_OPS_DRAIN_FILE is None: remove the setting to use the default "
                "drain file, or set it to a path every server process can read."
            )
        if options["status"]:
            self.stdout.write("draining" if is_draining() else "ready")
            return
        if options["undo"]:
            end_drain(remove_file=True)
            self.stdout.write(f"Ready again: removed {str(drain_file)!r}.")
            return
        try:
            begin_drain(write_file=True)
        except OSError as exc:
            raise CommandError(f"Cannot write {str(drain_file)!r}: {exc}") from exc
        self.stdout.write(f"Draining: wrote {str(drain_file)!r}; readiness answers 503.")
        if not options["no_wait"]:
            wait_s = app_settings.MOA_OPS_DRAIN_TIMEOUT
            self.stdout.write(f"Waiting {wait_s:g}s for load balancers and in-flight work.")
            time.sleep(wait_s)
