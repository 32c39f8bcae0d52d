"""Each shape of the scenario suite under moa-queries and django-zeal, in one new process.

    DJANGO_SETTINGS_MODULE=tests.settings_zeal python -m tests.peer_scenarios  # prints JSON

from packages/moa-queries.

django-zeal patches the ORM when its app is ready, so it runs here, in a process of
its own, never inside the test session. Each shape runs at 3 rows with plain
managers under ``detect("raise")`` and then under ``zeal_context()``; the output
says which of the two reported it. ``MOA_TEST_DB`` picks the database, as in the
tests; ``tests.settings_zeal`` gives the tables a database of their own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import django

django.setup()

from django.db import connections  # noqa: E402
from zeal import zeal_context  # noqa: E402
from zeal.errors import ZealError  # noqa: E402

from moa_queries import NPlusOneError, detect  # noqa: E402
from tests.scenarios import SCENARIOS, add_rows  # noqa: E402

Detector = tuple[str, Callable[[], AbstractContextManager[Any]], type[Exception]]
DETECTORS: list[Detector] = [
    ("moa", lambda: detect("raise"), NPlusOneError),
    ("zeal", zeal_context, ZealError),
]


def reported(run: Callable[[str], object], context: Callable[[], Any], error: type) -> bool:
    try:
        with context():
            run("plain")
    except error:
        return True
    return False


def main() -> None:
    connection = connections["default"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        add_rows(3)
        rows = []
        for scenario in SCENARIOS:
            row: dict[str, Any] = {"shape": scenario.name, "n_plus_one": scenario.n_plus_one}
            for name, context, error in DETECTORS:
                row[name] = reported(scenario.run, context, error)
            rows.append(row)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    json.dump(
        {"django": django.get_version(), "vendor": connection.vendor, "rows": rows}, sys.stdout
    )
    print()


if __name__ == "__main__":
    main()
