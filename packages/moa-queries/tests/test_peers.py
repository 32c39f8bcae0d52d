"""moa-queries against django-zeal, shape by shape: every N+1 zeal reports, moa reports.

django-zeal runs in a process of its own (``tests/peer_scenarios.py`` with
``tests.settings_zeal``), on the
database these tests use, so its ORM patches never reach this session.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fresh_process import run_json


@pytest.fixture(scope="module")
def shapes() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = run_json(
        ["-m", "tests.peer_scenarios"],
        {"DJANGO_SETTINGS_MODULE": "tests.settings_zeal"},
        timeout=300,
    )["rows"]
    return rows


def test_moa_reports_every_n_plus_one_and_no_look_alike(shapes: list[dict[str, Any]]) -> None:
    """In a process where zeal is installed too, moa's verdict is right on every shape."""
    wrong = [row["shape"] for row in shapes if row["moa"] is not row["n_plus_one"]]
    assert wrong == []


def test_moa_reports_whatever_zeal_reports(shapes: list[dict[str, Any]]) -> None:
    """No shape that zeal reports as an N+1 goes unreported by moa, and zeal is working."""
    zeal_only = [row["shape"] for row in shapes if row["zeal"] and not row["moa"]]
    assert zeal_only == []
    assert any(row["zeal"] for row in shapes), "zeal reported nothing: is it installed?"
