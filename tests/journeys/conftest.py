from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sites import Site, demo_site

from moa_testsupport.browser import chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One demo server per test module, on its own fresh database."""
    server = demo_site(Path(tmp_path_factory.mktemp("demo")))
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.tracebacks(), server.log()
