"""moa-signup: signups per second through the atomic service, against a plain path.

Both paths, in the same run, against the same local SMTP server (the tests' own,
moa_testsupport.mailserver, on 127.0.0.1) and database (``DATABASE_URL``: the SQLite
file ``bench_signup.py`` makes, or PostgreSQL, in a test database of its own):
- atomic: ``SignupService.register()`` (lock, checks, user, signup row, email, all
  in one transaction);
- plain (baseline): the same checks, user, signup row and email in autocommit,
  sending after the rows are committed, as commit-first signup code does.
Passwords use the MD5 hasher in both, so hashing does not hide the difference.

    cd benchmarks && DJANGO_SETTINGS_MODULE=signup.settings python -m signup.register

Prints one JSON document (see benchmarks/run.py for its shape).
"""

from __future__ import annotations

import json
import os
import statistics
import time

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from moa_signup.emails import send_email  # noqa: E402
from moa_signup.models import Signup  # noqa: E402
from moa_signup.services import SignupService  # noqa: E402
from moa_signup.users import find_conflict  # noqa: E402
from moa_testsupport.mailserver import running_mail_server, send_mail_to  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SIGNUPS = int(os.environ.get("BENCH_SIGNUPS", "200"))


def main() -> None:
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
        send_mail_to(settings, server.port, timeout_s=5)
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
