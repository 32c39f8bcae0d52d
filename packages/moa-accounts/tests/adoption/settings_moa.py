"""The project after adoption: ``moa_accounts`` installed, its User the user model."""

from __future__ import annotations

from tests.adoption.settings import *  # noqa: F403
from tests.adoption.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "moa_accounts"]
AUTH_USER_MODEL = "moa_accounts.User"
