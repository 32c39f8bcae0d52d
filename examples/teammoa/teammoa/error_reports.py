"""What an error report shows, such as the mail to ADMINS for each 500 in production.

Django's report lists the settings and hides those named like secrets (SECRET_KEY,
passwords, tokens). DATABASE_URL and REDIS_URL are named like nothing secret, yet carry
the password (postgres://app:secret@db/app), and so do the settings built from them
(CACHES, CHANNEL_LAYERS): this filter also hides the credentials inside any URL.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# The user:password@ of a URL, as in postgres://app:secret@db:5432/app.
URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


class ErrorReportFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding credentials in URLs and settings named like a DSN."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DSN", flags=re.IGNORECASE
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return URL_CREDENTIALS.sub(rf"\g<scheme>{self.cleansed_substitute}@", cleansed)
        return cleansed
