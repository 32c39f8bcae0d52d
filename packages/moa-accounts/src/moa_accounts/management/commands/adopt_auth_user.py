"""Move a project's django.contrib.auth users to moa_accounts.User, keeping every row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS

from moa_accounts.adoption import adopt_auth_user


class Command(BaseCommand):
    help = (
        "Adopt the users of django.contrib.auth's auth_user table as moa_accounts.User "
        "(same ids, passwords, groups, permissions, sessions and foreign keys), in one "
        "transaction. Run it once, after setting AUTH_USER_MODEL = 'moa_accounts.User' "
        "and before 'migrate'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="Database alias (default: %(default)r).",
        )
        parser.add_argument(
            "--mark-emails-verified",
            action="store_true",
            help=(
                "Set email_verified_at for every adopted user, so that "
                "delete_unverified_users never selects them."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Run the whole adoption, report it, and roll it back.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        adoption = adopt_auth_user(
            using, mark_emails_verified=options["mark_emails_verified"], dry_run=options["dry_run"]
        )
        if adoption is None:
            self.stdout.write(f"Nothing to adopt: database {using!r} has no auth_user table.")
            return
        verb = "Would adopt" if adoption.dry_run else "Adopted"
        self.stdout.write(
            f"{verb} {adoption.users} users as moa_accounts.User, with "
            f"{adoption.group_memberships} group memberships and "
            f"{adoption.user_permissions} user permissions."
        )
        for reference in adoption.references:
            self.stdout.write(f"  kept references from {reference}")
        if adoption.emails_marked_verified:
            self.stdout.write("Marked the email of every adopted user as verified.")
        if adoption.unverified_never_logged_in:
            self.stdout.write(
                self.style.WARNING(
                    f"{adoption.unverified_never_logged_in} adopted users have no verified "
                    "email and never logged in: delete_unverified_users deletes such users.\n"
                    "  Adopt with --mark-emails-verified to keep them, or set "
                    "email_verified_at."
                )
            )
        if adoption.dry_run:
            self.stdout.write("Dry run: rolled back, nothing changed.")
            return
        self.stdout.write(
            "Recorded migration moa_accounts.0001_initial as applied. Run 'manage.py migrate' next."
        )
