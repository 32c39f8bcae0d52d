"""Pick the database a package's tests run against."""

from __future__ import annotations

import os
from typing import Any

import dj_database_url


def databases_from_env(name: str = "moa_test") -> dict[str, dict[str, Any]]:
    """Return ``DATABASES`` for the backend named by ``MOA_TEST_DB``.

    ``MOA_TEST_DB`` unset (or ``sqlite``) gives an in-memory SQLite database;
    any other value is read as a database URL (``postgres://``, ``mysql://``).
    The test database name gets ``name`` so packages never share one.
    """
    url = os.environ.get("MOA_TEST_DB", "sqlite")
    if url == "sqlite":
        return {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": ":memory:",
                "TEST": {"NAME": f"file:{name}?mode=memory&cache=shared"},
            }
        }
    config: dict[str, Any] = dict(dj_database_url.parse(url))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    config["TEST"] = {"NAME": f"test_{name}_{os.getpid()}{worker}"}
    if config["ENGINE"] == "django.db.backends.mysql":
        config.setdefault("OPTIONS", {})["charset"] = "utf8mb4"
        config["TEST"]["CHARSET"] = "utf8mb4"
        config["TEST"]["COLLATION"] = "utf8mb4_unicode_ci"
    return {"default": config}


def database_vendor() -> str:
    """Return ``sqlite``, ``postgresql`` or ``mysql`` for the chosen backend."""
    engine = databases_from_env()["default"]["ENGINE"]
    return str(engine).rsplit(".", 1)[-1].replace("sqlite3", "sqlite")
