"""``manage.py drain``: the drain file and its clear errors."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from moa_ops.drain import is_draining


def test_drain_without_file_setting_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="MOA_OPS_DRAIN_FILE is not set"):
        call_command("drain", "--no-wait")
    assert not is_draining()


def test_drain_writes_and_undo_removes_the_file(tmp_path: Path) -> None:
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
    blocker = tmp_path / "file"
    blocker.write_text("")
    with (
        override_settings(MOA_OPS_DRAIN_FILE=str(blocker / "drain")),
        pytest.raises(CommandError, match="Cannot write"),
    ):
        call_command("drain", "--no-wait")
