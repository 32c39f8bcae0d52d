"""The rules that turn a README's marked blocks into steps, and every README having them."""

from __future__ import annotations

from pathlib import Path

import pytest
from quickstart import (
    ROOT,
    Block,
    QuickStartError,
    apply_block,
    apply_snippet,
    read_blocks,
    readme_of,
)

SETTINGS = """\
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
]
"""

README = """\
# moa-example

<!-- moa:run -->
```console
pip install moa-example
```

Not part of the quick start:

```console
pip install "moa-example[extra]"
```

<!-- moa:settings -->
```python
INSTALLED_APPS = [..., "moa_example"]
```
"""


def run_module(source: str) -> dict[str, object]:
    """Execute a settings module's source; return its names."""
    namespace: dict[str, object] = {}
    exec(source, namespace)
    return namespace


def test_read_blocks_returns_marked_blocks_in_order() -> None:
    """Only blocks right after a marker count, each with its kind, line and text."""
    assert read_blocks(README) == [
        Block("run", 5, "pip install moa-example\n"),
        Block("settings", 16, 'INSTALLED_APPS = [..., "moa_example"]\n'),
    ]


@pytest.mark.parametrize(
    ("readme", "message"),
    [
        ("<!-- moa:deploy -->\n```console\nx\n```\n", "unknown marker moa:deploy"),
        ("<!-- moa:run -->\n\n```console\nx\n```\n", "is not right before a fence"),
        ("<!-- moa:run -->\n```python\nx\n```\n", "marks a 'python' block, not 'console'"),
        ("<!-- moa:urls -->\n```console\nx\n```\n", "marks a 'console' block, not 'python'"),
        ("<!-- moa:run -->\n```console\nx\n", "the block is never closed"),
        ("<!-- moa:file -->\n```python\nx\n```\n", "moa:file needs a path"),
        ("<!-- moa:run a.txt -->\n```console\nx\n```\n", "moa:run takes no path"),
        ("<!-- moa:file ../a.py -->\n```python\nx\n```\n", "'../a.py' is not inside"),
        ("<!-- moa:apply a/b.py -->\n```console\nx\n```\n", "not 'python'"),
    ],
)
def test_read_blocks_rejects_a_misplaced_marker(readme: str, message: str) -> None:
    """A marker that does not mark a block of its language is an error, not skipped."""
    with pytest.raises(QuickStartError, match=message):
        read_blocks(readme)


def test_items_after_the_placeholder_are_appended() -> None:
    """``[..., "x"]`` adds ``x`` at the end of the existing list."""
    result = apply_snippet('INSTALLED_APPS = [..., "moa_example"]\n', SETTINGS)
    assert result.endswith('\nINSTALLED_APPS = [*INSTALLED_APPS, "moa_example"]\n')
    assert run_module(result)["INSTALLED_APPS"] == [
        "django.contrib.admin",
        "django.contrib.auth",
        "moa_example",
    ]


def test_items_before_the_placeholder_are_prepended() -> None:
    """``["x", ...]`` puts ``x`` first, and ``["x", ..., "y"]`` does both."""
    result = apply_snippet('MIDDLEWARE = ["a.First", ..., "a.Last"]  # first\n', SETTINGS)
    assert run_module(result)["MIDDLEWARE"] == [
        "a.First",
        "django.middleware.security.SecurityMiddleware",
        "a.Last",
    ]


def test_an_item_already_there_is_not_added_twice() -> None:
    """An item the list already holds keeps its place; quotes do not matter."""
    snippet = "INSTALLED_APPS = [..., 'django.contrib.auth', \"moa_example\"]\n"
    result = apply_snippet(snippet, SETTINGS)
    snippet = 'INSTALLED_APPS = [..., "django.contrib.admin", "moa_example", "other"]\n'
    result = apply_snippet(snippet, result)
    assert run_module(result)["INSTALLED_APPS"] == [
        "django.contrib.admin",
        "django.contrib.auth",
        "moa_example",
        "other",
    ]


def test_other_statements_are_appended_as_written() -> None:
    """Imports and plain assignments go to the end of the file, in the snippet's order."""
    snippet = 'from pathlib import Path\n\nAUTH_USER_MODEL = "moa_example.User"  # why\n'
    result = apply_snippet(snippet, SETTINGS)
    expected = '\nfrom pathlib import Path\nAUTH_USER_MODEL = "moa_example.User"  # why\n'
    assert result == SETTINGS + expected


def test_extending_a_list_the_file_lacks_is_an_error() -> None:
    """``NAME = [..., x]`` needs the file's own ``NAME``."""
    with pytest.raises(QuickStartError, match="extends TEMPLATES, which the file lacks"):
        apply_snippet('TEMPLATES = [..., "x"]\n', SETTINGS)


@pytest.mark.parametrize(
    "snippet",
    [
        "application = ProtocolTypeRouter({...})\n",
        "CACHES = {'default': ...}\n",
        "x = [..., ...]\n",
    ],
)
def test_a_placeholder_outside_one_list_is_an_error(snippet: str) -> None:
    """A marked snippet is complete: ``...`` only stands for a list's existing items."""
    with pytest.raises(QuickStartError):
        apply_snippet(snippet, SETTINGS + "x = []\n")


def test_apply_block_edits_the_project_file(tmp_path: Path) -> None:
    """A settings block edits ``mysite/settings.py`` of the project directory."""
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "settings.py").write_text(SETTINGS)
    path = apply_block(Block("settings", 1, "DEBUG = False\n"), tmp_path)
    assert path == tmp_path / "mysite" / "settings.py"
    assert path.read_text().endswith("\nDEBUG = False\n")


def test_file_and_apply_blocks_name_the_file_they_write(tmp_path: Path) -> None:
    """``moa:file PATH`` writes its block as it is; ``moa:apply PATH`` applies a snippet."""
    readme = (
        "<!-- moa:file app/templates/page.html -->\n```html\n<p>hi</p>\n```\n"
        '<!-- moa:apply conf/base.py -->\n```python\nINSTALLED_APPS = [..., "app"]\n```\n'
    )
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "base.py").write_text(SETTINGS)
    page, settings = read_blocks(readme)
    assert page == Block("file", 3, "<p>hi</p>\n", "app/templates/page.html")

    assert apply_block(page, tmp_path).read_text() == "<p>hi</p>\n"
    names = run_module(apply_block(settings, tmp_path).read_text())
    assert names["INSTALLED_APPS"] == ["django.contrib.admin", "django.contrib.auth", "app"]


PACKAGES = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "README.md").exists())


@pytest.mark.parametrize("package", PACKAGES)
def test_every_readme_has_a_tested_quick_start(package: str) -> None:
    """Each package README installs the package in a run block and configures it.

    And each one has its test module here, so a new package cannot go untested.
    """
    blocks = read_blocks(readme_of(package).read_text())
    assert blocks[0].kind == "run"
    commands = [line.partition("#")[0].strip() for line in blocks[0].text.splitlines()]
    assert f"pip install {package}" in commands
    assert "settings" in {block.kind for block in blocks}
    assert (Path(__file__).parent / f"test_{package.removeprefix('moa-')}.py").exists()
