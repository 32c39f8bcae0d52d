"""moa-signup: signups per second through the atomic service, against a plain path.

Both paths, in the same run, against the same local SMTP server (the tests' own,
moa_testsupport.mailserver, on 127.0.0.1) and database (SQLite file; PostgreSQL
with BENCH_DATABASE_URL):
- atomic: ``SignupService.register()`` (lock, checks, user, signup row, email, all
  in one transaction);
- plain (baseline): the same checks, user, signup row and email in autocommit,
  sending after the rows are committed, as commit-first signup code does.
Passwords use the MD5 hasher in both, so hashing does not hide the difference.

Prints one JSON document (see benchmarks/run.py for its shape).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SIGNUPS = int(os.environ.get("BENCH_SIGNUPS", "200"))
urlpatterns: list[Any] = []


def configure(workdir: str) -> None:
    import django
    from django.conf import settings

    database: dict[str, Any] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(workdir) / "bench.sqlite3"),
    }
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        import dj_database_url

        database = dict(dj_database_url.parse(url))
    mail: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_TIMEOUT": 5,
    }
    if django.VERSION >= (6, 1):
        mail = {"MAILERS": {"default": {"OPTIONS": {"host": "127.0.0.1", "timeout": 5}}}}
    settings.configure(
        SECRET_KEY="bench",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "moa_signup"],
        DATABASES={"default": database},
        ROOT_URLCONF="__main__",
        USE_TZ=True,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MOA_SIGNUP_SITE_URL="https://bench.example.com",
        DEFAULT_FROM_EMAIL="noreply@example.com",
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        **mail,
    )
    django.setup()


def set_port(port: int) -> None:
    from django.conf import settings

    if hasattr(settings, "MAILERS"):
        settings.MAILERS["default"]["OPTIONS"]["port"] = port
    else:
        settings.EMAIL_PORT = port


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="moa-signup-bench-") as workdir:
        configure(workdir)
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.urls import include, path

        from moa_signup.emails import send_email
        from moa_signup.models import Signup
        from moa_signup.services import SignupService
        from moa_signup.users import find_conflict
        from moa_testsupport.mailserver import running_mail_server

        urlpatterns.append(path("signup/", include("moa_signup.urls")))
        server_db = connection.vendor != "sqlite"
        if server_db:
            # A fresh database of its own (test_<NAME>), dropped at the end.
            connection.creation.create_test_db(verbosity=0, autoclobber=True)
        else:
            call_command("migrate", verbosity=0)
        User = get_user_model()
        service = SignupService()

        def atomic(name: str) -> None:
            service.register(name, f"{name}@example.com", "pw")

        def plain(name: str) -> None:
            email = f"{name}@example.com"
            assert find_conflict(name, email) is None
            user = User._default_manager.create_user(name, email, "pw", is_active=False)
            signup = Signup.objects.create(user=user)
            send_email(service.build_email(user, signup))

        rates: dict[str, list[float]] = {"atomic": [], "plain": []}
        with running_mail_server() as server:
            set_port(server.port)
            for round_ in range(ROUNDS):
                for label, signup in (("atomic", atomic), ("plain", plain)):
                    started = time.perf_counter()
                    for i in range(SIGNUPS):
                        signup(f"{label}{round_}x{i}")
                    rates[label].append(SIGNUPS / (time.perf_counter() - started))
                    server.messages.clear()
            assert User._default_manager.count() == 2 * ROUNDS * SIGNUPS
        if server_db:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)

    value = statistics.median(rates["atomic"])
    baseline = statistics.median(rates["plain"])
    spread = rates["atomic"]
    print(
        json.dumps(
            {
                "name": "moa-signup",
                "setup": (
                    f"{ROUNDS} rounds x {SIGNUPS} signups per path, alternating; local "
                    f"SMTP server on 127.0.0.1; {connection.vendor} database"
                ),
                "rows": [
                    {
                        "what": "signups/s, atomic SignupService.register()",
                        "unit": "signups/s",
                        "value": value,
                        "baseline": baseline,
                        "baseline_what": "same rows and email, no transaction",
                        "ratio": value / baseline,
                        "spread": {
                            "min": min(spread),
                            "max": max(spread),
                            "cv_pct": 100 * statistics.pstdev(spread) / statistics.mean(spread),
                        },
                        "goal": ">= 0.8x",
                    }
                ],
                "raw": rates,
            }
        )
    )


if __name__ == "__main__":
    main()
