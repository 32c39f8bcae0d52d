"""Production log mode (DEBUG off) watches SQL only and patches nothing in Django."""

from __future__ import annotations

from tests.fresh_process import run_in_fresh_process

SCRIPT = """
import logging
from django.conf import settings
from django.contrib.contenttypes import fields as generic
from django.db.models import query
from django.db.models.fields import related_descriptors as rd
from django.db.models.query_utils import DeferredAttribute
from django.test import Client
from tests.testapp.models import Person, Team

def hooks():
    found = {
        "ModelIterable.__iter__": vars(query.ModelIterable)["__iter__"],
        "prefetch_one_level": query.prefetch_one_level,
        "query.sync_to_async": query.sync_to_async,
        "QuerySet.__setstate__": vars(query.QuerySet)["__setstate__"],
        "RawModelIterable.__iter__": vars(query.RawModelIterable)["__iter__"],
        "ForwardManyToOneDescriptor.get_object": vars(rd.ForwardManyToOneDescriptor)["get_object"],
        "ReverseOneToOneDescriptor.__get__": vars(rd.ReverseOneToOneDescriptor)["__get__"],
        "DeferredAttribute.__get__": vars(DeferredAttribute)["__get__"],
        "GenericForeignKey.__get__": vars(generic.GenericForeignKey).get("__get__"),
        "create_reverse_many_to_one_manager": rd.create_reverse_many_to_one_manager,
        "create_forward_many_to_many_manager": rd.create_forward_many_to_many_manager,
        "create_generic_related_manager": generic.create_generic_related_manager,
    }
    for klass in (rd.ReverseOneToOneDescriptor, DeferredAttribute,
                  getattr(generic, "GenericForeignKeyDescriptor", None)):
        if klass is not None and "fetch_one" in vars(klass):
            found[klass.__name__ + ".fetch_one"] = vars(klass)["fetch_one"]
    return found

settings.DEBUG = False
settings.MOA_QUERIES_NPLUSONE_MODE = "log"
for i in range(12):
    host = Person.plain.create(name=f"h{i}")
    Team.plain.create(name=f"t{i}", host=host)

messages = []
class Collect(logging.Handler):
    def emit(self, record):
        messages.append(record.getMessage())
logging.getLogger("moa_queries").addHandler(Collect())

before = hooks()
statuses = [Client().get(url).status_code for url in ("/teams/", "/teams/repeated/")]
after = hooks()
changed = sorted(name for name in before if before[name] is not after[name])
print(json.dumps([statuses, changed, [m.split(":")[0] for m in messages]]))
"""


def test_production_log_mode_installs_no_orm_hook() -> None:
    """After requests through the middleware, Django's ORM objects are the original ones.

    Repeated SQL is still logged (12 gets of one shape, over the threshold of 10).
    """
    statuses, changed, messages = run_in_fresh_process(SCRIPT)
    assert statuses == [200, 200]
    assert changed == []
    assert messages == ["Repeated queries", "Repeated queries"]
