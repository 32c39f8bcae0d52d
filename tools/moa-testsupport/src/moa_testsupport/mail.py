"""The one rule for a mailer's timeout, as cases both moa-ops and moa-signup test.

moa_ops.W005 and moa_signup.E001 apply the same rule, each with its own
``mailers_without_timeout()`` (neither package depends on the other). Both
test suites run their function over :data:`MAILER_TIMEOUT_CASES`, so the two
cannot drift apart::

    @pytest.mark.parametrize(("values", "expected"), MAILER_TIMEOUT_CASES)
    def test_rule(settings, values, expected):
        configure_mail(settings, values)
        assert list(checks.mailers_without_timeout()) == expected
"""

from __future__ import annotations

from typing import Any

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
# Any backend that is not one of Django's in-process ones talks to a network.
THIRD_PARTY = "anymail.backends.mailgun.EmailBackend"


def _mailers(**entries: Any) -> dict[str, Any]:
    """``MAILERS`` from ``alias=timeout`` (SMTP) or ``alias=(backend, timeout)``."""
    mailers: dict[str, Any] = {}
    for alias, entry in entries.items():
        backend, timeout = entry if isinstance(entry, tuple) else (SMTP, entry)
        options: dict[str, Any] = {"host": "127.0.0.1"} if backend == SMTP else {}
        if timeout is not None:
            options["timeout"] = timeout
        mailers[alias] = {"BACKEND": backend, "OPTIONS": options}
    return mailers


# (settings, the mailers the rule reports, in settings order)
MAILER_TIMEOUT_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"EMAIL_BACKEND": SMTP, "EMAIL_TIMEOUT": None}, ["EMAIL_TIMEOUT"]),
    ({"EMAIL_BACKEND": SMTP, "EMAIL_TIMEOUT": 0}, ["EMAIL_TIMEOUT"]),
    ({"EMAIL_BACKEND": SMTP, "EMAIL_TIMEOUT": -1}, ["EMAIL_TIMEOUT"]),
    ({"EMAIL_BACKEND": SMTP, "EMAIL_TIMEOUT": True}, ["EMAIL_TIMEOUT"]),
    ({"EMAIL_BACKEND": SMTP, "EMAIL_TIMEOUT": "10"}, ["EMAIL_TIMEOUT"]),
    ({"EMAIL_BACKEND": SMTP, "EMAIL_TIMEOUT": 10}, []),
    ({"EMAIL_BACKEND": SMTP, "EMAIL_TIMEOUT": 0.5}, []),
    ({"EMAIL_BACKEND": THIRD_PARTY, "EMAIL_TIMEOUT": None}, ["EMAIL_TIMEOUT"]),
    ({"EMAIL_BACKEND": CONSOLE, "EMAIL_TIMEOUT": None}, []),
    ({"EMAIL_BACKEND": LOCMEM, "EMAIL_TIMEOUT": None}, []),
    ({"MAILERS": _mailers(default=10)}, []),
    ({"MAILERS": _mailers(default=None)}, ["MAILERS['default']"]),
    ({"MAILERS": _mailers(default=0)}, ["MAILERS['default']"]),
    ({"MAILERS": _mailers(default=5, bulk=None)}, ["MAILERS['bulk']"]),
    (
        {"MAILERS": _mailers(default=None, bulk=(THIRD_PARTY, None))},
        ["MAILERS['default']", "MAILERS['bulk']"],
    ),
    ({"MAILERS": _mailers(default=(CONSOLE, None))}, []),
    ({"MAILERS": {"default": {}}}, ["MAILERS['default']"]),
    ({"MAILERS": {}}, []),
]


def configure_mail(settings: Any, values: dict[str, Any]) -> None:
    """Apply one case to pytest-django's ``settings`` fixture.

    A case without ``MAILERS`` removes it, since Django 6.1 refuses the
    legacy ``EMAIL_*`` settings beside it.
    """
    if "MAILERS" not in values and hasattr(settings, "MAILERS"):
        del settings.MAILERS
    for name, value in values.items():
        setattr(settings, name, value)
