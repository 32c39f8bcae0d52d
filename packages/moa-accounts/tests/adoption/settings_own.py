"""The project with its own user model, ``members.Member`` (an app on ``PYTHONPATH``).

``moa_accounts`` is installed for its commands, admin and translations; its User is
swapped out.
"""

from __future__ import annotations

from tests.adoption.settings import *  # noqa: F403
from tests.adoption.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "moa_accounts", "members"]
AUTH_USER_MODEL = "members.Member"
