"""moa-queries' test settings with django-zeal installed too, for ``tests.peer_scenarios``.

django-zeal patches the ORM when its app is ready, so these settings only ever load
in a process of their own. Its tables live in a test database of their own.
"""

from __future__ import annotations

from moa_testsupport.databases import databases_from_env
from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]
DATABASES = {**DATABASES, "default": databases_from_env("moa_peers")["default"]}
