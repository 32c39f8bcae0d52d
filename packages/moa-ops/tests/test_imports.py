"""What importing moa-ops and starting Django with it loads.

django-health-check 4.8 imports dnspython and redis (when installed) as soon as any
part of it is imported: about 80 ms of a process's start. moa-ops loads it when a
readiness check is first built, not when Django starts.
"""

from __future__ import annotations

import pytest

from .live import loaded_after

HEALTH_CHECK = {"redis", "dns", "health_check"}


def test_import_moa_ops_loads_neither_redis_nor_dnspython() -> None:
    """``import moa_ops`` and its modules load no django-health-check, redis or dns."""
    code = "import moa_ops, moa_ops.health, moa_ops.views, moa_ops.middleware, moa_ops.urls\n"
    assert HEALTH_CHECK.isdisjoint(loaded_after(code))


def test_django_setup_without_redis_checks_loads_neither() -> None:
    """Starting Django with moa-ops and no Redis-backed check configured loads neither."""
    assert HEALTH_CHECK.isdisjoint(loaded_after("import django\ndjango.setup()\n"))


def test_the_first_readiness_probe_loads_the_checks() -> None:
    """The check classes still come from django-health-check when a probe needs them."""
    code = (
        "import django\ndjango.setup()\n"
        "from moa_ops import health\n"
        "assert health.DatabaseCheck.__mro__[1].__module__ == 'health_check.checks'\n"
    )
    assert "health_check" in loaded_after(code)


def test_unknown_attribute_is_an_attribute_error() -> None:
    """The lazy attributes of ``moa_ops.health`` do not hide a misspelt name."""
    from moa_ops import health

    with pytest.raises(AttributeError, match="DatabaseChek"):
        health.DatabaseChek  # noqa: B018
