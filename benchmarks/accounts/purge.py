"""Benchmark of ``delete_unverified_users`` on PostgreSQL, printed as JSON.

    cd benchmarks && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        DJANGO_SETTINGS_MODULE=accounts.settings python -m accounts.purge

(``bench_accounts.py`` runs it so.) Each round fills a fresh
table with 200,000 unverified and 200,000 verified users, interleaved, and then
deletes the unverified ones, once with the command's batched engine and once
with a single unbatched ``DELETE`` of the same rows (the baseline). Reported:
rows deleted per second for both, and the longest time one batch held its row
locks (its transaction). Goal: at least half the single statement's throughput,
no batch over 200 ms. ``MOA_BENCH_USERS`` and ``MOA_BENCH_ROUNDS`` shrink a run.

Needs moa-accounts, psycopg, dj-database-url and Django; ``accounts.settings`` is its
project.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from moa_accounts.deletion import hard_delete_in_batches  # noqa: E402
from moa_accounts.models import User  # noqa: E402

PER_KIND = int(os.environ.get("MOA_BENCH_USERS", "200000"))
ROUNDS = int(os.environ.get("MOA_BENCH_ROUNDS", "3"))
BATCH_SIZE = int(os.environ.get("MOA_BENCH_BATCH_SIZE", "1000"))
TABLE = User._meta.db_table


def populate() -> None:
    """Fill the table: odd numbers unverified, even numbers verified, all 10 days old."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE} RESTART IDENTITY CASCADE")
        cursor.execute(
            f"""
            INSERT INTO {TABLE} (password, is_superuser, first_name, last_name, is_staff,
                                 is_active, date_joined, username, email, email_verified_at)
            SELECT '!', false, '', '', false, true, now() - interval '10 days',
                   'user' || g, 'user' || g || '@example.com',
                   CASE WHEN g %% 2 = 0 THEN now() END
            FROM generate_series(1, %s) AS g
            """,
            [2 * PER_KIND],
        )
        cursor.execute(f"ANALYZE {TABLE}")


def doomed() -> Any:
    return User.all_objects.filter(
        email_verified_at__isnull=True,
        last_login__isnull=True,
        is_staff=False,
        is_superuser=False,
        date_joined__lt=timezone.now() - timedelta(days=3),
    )


def single_statement() -> tuple[int, float]:
    """One unbatched DELETE of the same rows, in one transaction."""
    queryset = doomed()
    sql, params = queryset.values("pk").query.sql_with_params()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id IN ({sql})", params)
        deleted = cursor.rowcount
    return deleted, time.perf_counter() - started


def batched() -> tuple[int, float, float]:
    started = time.perf_counter()
    batches = list(hard_delete_in_batches(doomed(), batch_size=BATCH_SIZE))
    elapsed = time.perf_counter() - started
    return sum(b.deleted for b in batches), elapsed, max(b.seconds for b in batches)


def spread(values: list[float]) -> dict[str, float]:
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / mean * 100 if mean else 0.0
    return {"min": round(min(values), 1), "max": round(max(values), 1), "cv_pct": round(cv, 1)}


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL.")
    old = setup_databases(verbosity=0, interactive=False)
    try:
        single_rates, batched_rates, longest = [], [], []
        for _ in range(ROUNDS):
            populate()
            deleted, seconds = single_statement()
            assert deleted == PER_KIND, deleted
            single_rates.append(deleted / seconds)
            populate()
            deleted, seconds, slowest = batched()
            assert deleted == PER_KIND, deleted
            assert User.all_objects.count() == PER_KIND
            batched_rates.append(deleted / seconds)
            longest.append(slowest * 1000)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    single = statistics.median(single_rates)
    rate = statistics.median(batched_rates)
    worst = max(longest)
    print(
        json.dumps(
            {
                "name": "moa-accounts: delete_unverified_users",
                "setup": (
                    f"PostgreSQL, {PER_KIND:,} unverified + {PER_KIND:,} verified users, "
                    f"batch size {BATCH_SIZE}, median of {ROUNDS} rounds"
                ),
                "rows": [
                    {
                        "what": "batched delete throughput",
                        "unit": "rows/s",
                        "value": round(rate),
                        "baseline": round(single),
                        "baseline_what": "one unbatched DELETE of the same rows",
                        "ratio": round(rate / single, 2),
                        "spread": spread(batched_rates),
                        "goal": ">= 0.5x the single statement",
                    },
                    {
                        "what": "longest lock hold of one batch",
                        "unit": "ms",
                        "value": round(worst, 1),
                        "baseline": round(PER_KIND / single * 1000, 1),
                        "baseline_what": "the single DELETE holds all its locks this long",
                        "ratio": round(worst / (PER_KIND / single * 1000), 3),
                        "spread": spread(longest),
                        "goal": "<= 200 ms",
                    },
                ],
                "raw": {
                    "single_rows_per_s": single_rates,
                    "batched_rows_per_s": batched_rates,
                    "longest_batch_ms": longest,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
