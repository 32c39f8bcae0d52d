"""moa-queries: a list page on declared ``QueryDefaults`` against the same joins written by hand.

The page lists 1,000 clubs with their owner and member count. ``Club`` (moa-queries'
test app) declares ``select_related = ("owner",)`` and ``prefetch_related = ("members",)``;
the baseline is a plain ``QuerySet(Club).select_related("owner").prefetch_related("members")``
rendering the same template. Both run in one process, interleaved in every round; a
sample is ``BATCH`` renders back to back, so the garbage collector's pauses, which fall
on whichever page runs when a generation fills, are spread over both rather than
deciding a round. CPU time per render is the headline; wall time is beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from measure import row

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "packages" / "moa-queries"
ROUNDS = int(os.environ.get("BENCH_DEFAULTS_ROUNDS", "15"))
BATCH = int(os.environ.get("BENCH_BATCH", "5"))
SIZE = 1000

PAGE_SCRIPT = """
import json, os, random, sys, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.template import Context, Template
from tests.testapp.models import Club, Person

call_command("migrate", verbosity=0, run_syncdb=True)
size, rounds, batch = (int(arg) for arg in sys.argv[1:4])
owners = Person.objects.bulk_create(Person(name=f"owner{i}") for i in range(size))
members = Person.objects.bulk_create(Person(name=f"member{i}") for i in range(2 * size))
clubs = Club.objects.bulk_create(Club(name=f"club{i}", owner=o) for i, o in enumerate(owners))
through = Club.members.through
through.objects.bulk_create(
    through(club=club, person=members[2 * i + j]) for i, club in enumerate(clubs) for j in range(2)
)
page = Template(
    "{% for club in clubs %}<li>{{ club.name }} {{ club.owner.name }} "
    "{{ club.members.count }}</li>{% endfor %}"
)
subjects = {
    "defaults": lambda: Club.objects.all(),
    "by_hand": lambda: QuerySet(Club).select_related("owner").prefetch_related("members"),
}

def sample(make):
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(batch):
        page.render(Context({"clubs": make()}))
    return {"wall_ms": 1000 * (time.perf_counter() - wall) / batch,
            "cpu_ms": 1000 * (time.process_time() - cpu) / batch}

for make in subjects.values():
    sample(make)
out = {name: [] for name in subjects}
order = list(subjects)
shuffle = random.Random(17).shuffle
for _ in range(rounds):
    shuffle(order)
    for name in order:
        out[name].append(sample(subjects[name]))
out["vendor"] = connection.vendor
print(json.dumps(out))
"""


def main() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "MOA_TEST_DB": "sqlite"}
    done = subprocess.run(
        [sys.executable, "-c", PAGE_SCRIPT, str(SIZE), str(ROUNDS), str(BATCH)],
        cwd=PACKAGE,
        env={**env, "PYTHONPATH": os.pathsep.join(filter(None, [env.get("PYTHONPATH"), "."]))},
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        row(
            f"{SIZE}-club list page, declared QueryDefaults, {label} per render",
            "ms",
            [r[key] for r in runs["defaults"]],
            [r[key] for r in runs["by_hand"]],
            "select_related/prefetch_related by hand, same rounds",
            goal="ratio <= 1.2" if key == "cpu_ms" else None,
        )
        for key, label in (("cpu_ms", "CPU"), ("wall_ms", "wall"))
    ]
    print(
        json.dumps(
            {
                "name": "moa-queries defaults",
                "setup": f"{runs['vendor']}, {ROUNDS} rounds interleaved, "
                f"{BATCH} renders per sample, 3 queries each",
                "rows": rows,
                "raw": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
