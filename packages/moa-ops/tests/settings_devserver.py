"""moa-ops' test settings with ``moa_ops.devserver`` where the others have ``daphne``."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

INSTALLED_APPS = ["moa_ops.devserver", *[a for a in INSTALLED_APPS if a != "daphne"]]  # noqa: F405
