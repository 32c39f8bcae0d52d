"""moa-signup's test settings on moa_accounts.User (``pytest --ds tests.settings_accounts``)."""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS[:-1], "moa_accounts", INSTALLED_APPS[-1]]
AUTH_USER_MODEL = "moa_accounts.User"
