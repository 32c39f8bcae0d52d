"""``manage.py drain``: the drain file and its clear errors."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from moa_ops.conf import app_settings, default_drain_file
from moa_ops.drain import is_draining

SETTINGS_FILE = Path(__file__).resolve().parent / "settings.py"


@pytest.fixture
def default_drain_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Leave MOA_OPS_DRAIN_FILE unset, with the temporary directory in ``tmp_path``."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    default_drain_file.cache_clear()
    with override_settings():
        del settings.MOA_OPS_DRAIN_FILE
        yield tmp_path
    default_drain_file.cache_clear()


def test_drain_file_none_is_a_clear_error() -> None:
    """``MOA_OPS_DRAIN_FILE = None`` turns the drain file off, so ``drain`` refuses."""
    with pytest.raises(CommandError, match="MOA_OPS_DRAIN_FILE is None: remove the setting"):
        call_command("drain", "--no-wait")
    assert not is_draining()


def test_default_drain_file_is_named_after_the_settings_file(
    default_drain_setting: Path,
) -> None:
    """Unset, the drain file is in this user's directory, keyed by the settings' path."""
    digest = hashlib.sha256(str(SETTINGS_FILE).encode()).hexdigest()[:12]
    private = default_drain_setting / f"moa-ops-{os.getuid()}"
    assert private / f"drain-{digest}" == app_settings.MOA_OPS_DRAIN_FILE


def test_default_drain_file_differs_between_projects(default_drain_setting: Path) -> None:
    """Two settings modules (two projects on one host) never share a drain file."""
    assert default_drain_file("tests.settings") != default_drain_file("tests.urls")
    assert default_drain_file("tests.settings") == default_drain_file("tests.settings")
    assert default_drain_file(None).parent == default_drain_setting / f"moa-ops-{os.getuid()}"


def test_drain_works_with_the_default(default_drain_setting: Path) -> None:
    """With no setting at all, ``drain`` and ``drain --undo`` write and remove the file."""
    out = StringIO()
    call_command("drain", "--no-wait", stdout=out)
    drain_file = app_settings.MOA_OPS_DRAIN_FILE
    assert drain_file is not None
    assert drain_file.exists()
    assert f"Draining: wrote {str(drain_file)!r}" in out.getvalue()
    assert stat.S_IMODE(drain_file.parent.stat().st_mode) == 0o700
    call_command("drain", "--undo", stdout=out)
    assert not drain_file.exists()
    assert not is_draining()


def test_default_directory_open_to_others_is_refused(default_drain_setting: Path) -> None:
    """Another local user's world-writable directory at the default path is not used."""
    private = default_drain_setting / f"moa-ops-{os.getuid()}"
    private.mkdir(mode=0o777)
    private.chmod(0o777)
    with pytest.raises(CommandError, match="is open to other users"):
        call_command("drain", "--no-wait")
    assert not is_draining()


def test_planted_link_is_not_followed(default_drain_setting: Path) -> None:
    """A symlink at the drain file's path never makes ``drain`` write its target."""
    drain_file = app_settings.MOA_OPS_DRAIN_FILE
    assert drain_file is not None
    drain_file.parent.mkdir(mode=0o700)
    target = default_drain_setting / "elsewhere"
    drain_file.symlink_to(target)
    with pytest.raises(CommandError, match="is not a regular file"):
        call_command("drain", "--no-wait")
    assert not target.exists()


def test_link_in_place_of_the_directory_is_refused(default_drain_setting: Path) -> None:
    """A symlink planted where the private directory goes is refused, not followed."""
    elsewhere = default_drain_setting / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (default_drain_setting / f"moa-ops-{os.getuid()}").symlink_to(elsewhere)
    with pytest.raises(CommandError, match="is not a directory of this user"):
        call_command("drain", "--no-wait")
    assert list(elsewhere.iterdir()) == []


def test_drain_writes_and_undo_removes_the_file(tmp_path: Path) -> None:
    """``drain`` writes the configured file and waits; ``--undo`` removes it."""
    drain_file = tmp_path / "run" / "drain"
    out = StringIO()
    with override_settings(MOA_OPS_DRAIN_FILE=str(drain_file)):
        call_command("drain", stdout=out)  # waits MOA_OPS_DRAIN_TIMEOUT (0.1s here)
        assert drain_file.exists()
        assert is_draining()
        call_command("drain", "--status", stdout=out)
        call_command("drain", "--undo", stdout=out)
        assert not drain_file.exists()
        assert not is_draining()
    assert "Draining: wrote" in out.getvalue()
    assert "draining\n" in out.getvalue()


def test_drain_unwritable_location(tmp_path: Path) -> None:
    """A drain file that cannot be written is a CommandError naming it."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with (
        override_settings(MOA_OPS_DRAIN_FILE=str(blocker / "drain")),
        pytest.raises(CommandError, match="Cannot write"),
    ):
        call_command("drain", "--no-wait")
