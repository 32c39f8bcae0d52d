"""A 1,000-club list page on declared ``QueryDefaults`` against the same joins by hand.

    cd benchmarks && DJANGO_SETTINGS_MODULE=queries.settings \
        python -m queries.declared_defaults SIZE ROUNDS BATCH

(``bench_query_defaults.py`` runs it so.) Prints the CPU and wall time of every sample
of both pages as one JSON document on its last line.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from django.template import Context, Template  # noqa: E402

from queries.pages.models import Club  # noqa: E402
from queries.pages.rows import add_clubs  # noqa: E402

PAGE = Template(
    "{% for club in clubs %}<li>{{ club.name }} {{ club.owner.name }} "
    "{{ club.members.count }}</li>{% endfor %}"
)
SUBJECTS: dict[str, Callable[[], QuerySet[Club]]] = {
    "defaults": lambda: Club.objects.all(),
    "by_hand": lambda: QuerySet(Club).select_related("owner").prefetch_related("members"),
}


def sample(make: Callable[[], QuerySet[Club]], batch: int) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(batch):
        PAGE.render(Context({"clubs": make()}))
    return {
        "wall_ms": 1000 * (time.perf_counter() - wall) / batch,
        "cpu_ms": 1000 * (time.process_time() - cpu) / batch,
    }


def main(size: int, rounds: int, batch: int) -> dict[str, Any]:
    call_command("migrate", verbosity=0)
    add_clubs(size)
    for make in SUBJECTS.values():
        sample(make, batch)
    out: dict[str, Any] = {name: [] for name in SUBJECTS}
    order = list(SUBJECTS)
    shuffle = random.Random(17).shuffle
    for _ in range(rounds):
        shuffle(order)
        for name in order:
            out[name].append(sample(SUBJECTS[name], batch))
    out["vendor"] = connection.vendor
    return out


if __name__ == "__main__":
    size, rounds, batch = (int(arg) for arg in sys.argv[1:4])
    print(json.dumps(main(size, rounds, batch)))
