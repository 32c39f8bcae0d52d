"""Assert that a checks module's id constants and its docs page agree.

    from moa_testsupport.checks import assert_check_ids

    def test_check_ids_documented() -> None:
        assert_check_ids(checks, DOCS / "ops.md")

An id constant is a module-level string such as ``BAD_TIMEOUT_ID = "moa_ops.E001"``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ID = re.compile(r"^(?P<app>[a-z][a-z0-9_]*)\.[CEWID]\d{3}$")


def check_ids(module: ModuleType) -> dict[str, str]:
    """Return ``{constant name: id}`` for the id constants of ``module``."""
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and isinstance(value, str) and ID.match(value)
    }


def assert_check_ids(module: ModuleType, docs_page: Path) -> None:
    """Assert each id constant of ``module`` is unique and on ``docs_page``, and vice versa.

    Skips the comparison with the docs when ``docs_page`` does not exist (an
    installed wheel tested outside the repository); uniqueness is checked first.
    """
    constants = check_ids(module)
    assert constants, f"{module.__name__} defines no check id constants"
    repeated = sorted(value for value, count in Counter(constants.values()).items() if count > 1)
    assert repeated == [], f"ids defined twice in {module.__name__}: {repeated}"
    apps = {ID.match(value).group("app") for value in constants.values()}  # type: ignore[union-attr]
    if not docs_page.exists():
        pytest.skip(f"{docs_page} is absent")
    text = docs_page.read_text(encoding="utf-8")
    documented = {
        found
        for app in apps
        for found in re.findall(rf"(?<![\w.]){re.escape(app)}\.[CEWID]\d{{3}}(?!\d)", text)
    }
    defined = set(constants.values())
    undocumented = sorted(defined - documented)
    assert undocumented == [], f"ids missing from {docs_page.name}: {undocumented}"
    unknown = sorted(documented - defined)
    assert unknown == [], f"ids on {docs_page.name} that {module.__name__} lacks: {unknown}"
