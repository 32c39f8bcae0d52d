"""The pytest11 plugin: inert unless used, fixtures and markers when used."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
INI = """
[pytest]
filterwarnings = error
asyncio_default_fixture_loop_scope = function
addopts = -p no:cacheprovider
"""


def _environment(monkeypatch: pytest.MonkeyPatch, *, django: bool) -> None:
    if django:
        monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.settings")
        path = os.pathsep.join(filter(None, [str(PACKAGE_DIR), os.environ.get("PYTHONPATH")]))
        monkeypatch.setenv("PYTHONPATH", path)
    else:
        monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setenv("MOA_TEST_DB", "sqlite")


def test_plugin_is_inert_without_django_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project without Django settings runs its tests with no error or warning."""
    _environment(monkeypatch, django=False)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        def test_plain():
            assert 1 + 1 == 2
        """
    )
    result = pytester.runpytest_subprocess("--strict-markers")
    result.assert_outcomes(passed=1)
    assert "warning" not in result.stdout.str().lower()


def test_markers_and_fixtures(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nplusone and max_queries markers and the fixtures work in a Django project."""
    _environment(monkeypatch, django=True)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest
        from moa_queries import NPlusOneError
        from tests.testapp.models import Person, Team

        def make(n):
            for i in range(n):
                Team.objects.create(name=str(i), host=Person.objects.create(name=str(i)))

        @pytest.mark.django_db
        @pytest.mark.nplusone
        def test_marker_catches_n_plus_one():
            make(3)
            with pytest.raises(NPlusOneError):
                [t.host.name for t in Team.plain.all()]

        @pytest.mark.django_db
        @pytest.mark.max_queries(1)
        def test_max_queries_marker_fails():
            Person.objects.count()
            Person.objects.count()

        @pytest.mark.django_db
        def test_fixtures(assert_max_queries, assert_constant_queries, count_queries):
            with assert_max_queries(2):
                list(Team.objects.all())
            assert assert_constant_queries(
                make, lambda: [t.host.name for t in Team.objects.all()]
            ) == [2, 2, 2]
            assert count_queries.count > 0

        @pytest.mark.django_db
        def test_nplusone_fixture(nplusone):
            make(2)
            with pytest.raises(NPlusOneError):
                [t.host.name for t in Team.plain.all()]
        """
    )
    result = pytester.runpytest_subprocess("--strict-markers")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_max_queries_marker_fails*", "*2 queries ran, more than the 1 allowed*"]
    )
