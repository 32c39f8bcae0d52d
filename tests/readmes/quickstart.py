"""Read a README's marked blocks and apply them to a project, as a reader would.

A fenced block is part of the quick start when the line right before its opening
fence is one of these markers (an HTML comment, so it renders as nothing on the
package index and on GitHub):

``<!-- moa:run -->``
    a ``console`` block: its lines run in the project directory, in a shell with
    the project's virtualenv activated, stopping at the first failing line.
``<!-- moa:settings -->``, ``<!-- moa:urls -->``, ``<!-- moa:asgi -->``
    a ``python`` block applied to ``mysite/settings.py``, ``mysite/urls.py`` or
    ``mysite/asgi.py`` of ``django-admin startproject mysite .``.
``<!-- moa:apply PATH -->``
    a ``python`` block applied to the project's file ``PATH`` (a generated
    project's ``<slug>/settings/base.py``, say), by the same rules.
``<!-- moa:file PATH -->``
    a block of any language written, as it is, to the project's file ``PATH``
    (created with its directories, or replaced): the tutorial's new modules and
    templates.

A Python snippet is applied one top-level statement at a time, in order:

- ``NAME = [a, ..., b]``, a list with one ``...``, extends the file's existing
  ``NAME``: the items before ``...`` go in front of it, the items after it at its
  end, and an item the list already holds is not added twice. It is written as
  ``NAME = [a, *NAME, b]`` at the end of the file, so the file's ``NAME`` must exist.
- Every other statement (imports included) is appended to the end of the file as
  written, so a later assignment replaces the generated one.

``...`` anywhere else is an error: a marked snippet must be complete.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^<!-- moa:(?P<kind>[a-z]+)(?: (?P<path>[\w./-]+))? -->$")
FENCE = re.compile(r"^(?P<fence>```+)(?P<info>[^`]*)$")
ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"settings": "settings.py", "urls": "urls.py", "asgi": "asgi.py"}
LANGUAGES = {"run": "console", "apply": "python", **dict.fromkeys(TARGETS, "python")}
# Markers that name the file they write; ``file`` takes a block of any language.
WITH_PATH = {"apply", "file"}


class QuickStartError(Exception):
    """A README's marked block cannot be read or applied as the rules say."""


@dataclass(frozen=True)
class Block:
    """One marked fenced block: its marker, first line number (1-based), text and path."""

    kind: str
    line: int
    text: str
    path: str | None = None


def read_blocks(readme: str) -> list[Block]:
    """Return the README's marked blocks in document order."""
    lines = readme.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        marker = MARKER.match(lines[index].strip())
        index += 1
        if marker is None:
            continue
        kind, path = marker["kind"], marker["path"]
        if kind not in LANGUAGES and kind not in WITH_PATH:
            raise QuickStartError(f"line {index}: unknown marker moa:{kind}")
        if (path is None) == (kind in WITH_PATH):
            needs = "needs a path" if path is None else "takes no path"
            raise QuickStartError(f"line {index}: moa:{kind} {needs}")
        if path is not None and (path.startswith("/") or ".." in path.split("/")):
            raise QuickStartError(f"line {index}: {path!r} is not inside the project")
        fence = FENCE.match(lines[index]) if index < len(lines) else None
        if fence is None:
            raise QuickStartError(f"line {index}: moa:{kind} is not right before a fence")
        language = fence["info"].strip().split(" ")[0]
        if kind in LANGUAGES and language != LANGUAGES[kind]:
            raise QuickStartError(
                f"line {index}: moa:{kind} marks a {language!r} block, not {LANGUAGES[kind]!r}"
            )
        start = index + 1
        end = start
        while end < len(lines) and lines[end].strip() != fence["fence"]:
            end += 1
        if end == len(lines):
            raise QuickStartError(f"line {index}: the block is never closed")
        blocks.append(Block(kind, start + 1, "\n".join(lines[start:end]) + "\n", path))
        index = end + 1
    return blocks


def readme_of(package: str) -> Path:
    """Return the README of ``packages/<package>/`` in this checkout."""
    return ROOT / "packages" / package / "README.md"


def _is_ellipsis(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _existing_items(module: ast.Module, name: str) -> list[str] | None:
    """Return the items of the file's list ``name`` (as source), or None without one."""
    items: list[str] | None = None
    for statement in module.body:
        if not (
            isinstance(statement, ast.Assign)
            and [ast.unparse(t) for t in statement.targets] == [name]
            and isinstance(statement.value, ast.List | ast.Tuple)
        ):
            continue
        previous = items or []
        items = []
        for element in statement.value.elts:
            if isinstance(element, ast.Starred) and ast.unparse(element.value) == name:
                items.extend(previous)
            else:
                items.append(ast.unparse(element))
    return items


def _extension(statement: ast.Assign, source: str, target: str) -> str | None:
    """Return ``NAME = [a, *NAME, b]`` for a list with one ``...``, else None."""
    value = statement.value
    if not isinstance(value, ast.List) or not any(_is_ellipsis(e) for e in value.elts):
        return None
    name = ast.unparse(statement.targets[0])
    if len(statement.targets) != 1 or sum(_is_ellipsis(e) for e in value.elts) != 1:
        raise QuickStartError(f"{name}: one target and one ... per list")
    existing = _existing_items(ast.parse(target), name)
    if existing is None:
        raise QuickStartError(f"{name} = [..., ...] extends {name}, which the file lacks")
    split = next(i for i, e in enumerate(value.elts) if _is_ellipsis(e))

    def new_items(elements: list[ast.expr]) -> list[str]:
        return [
            ast.get_source_segment(source, element) or ast.unparse(element)
            for element in elements
            if ast.unparse(element) not in existing
        ]

    items = [*new_items(value.elts[:split]), f"*{name}", *new_items(value.elts[split + 1 :])]
    return f"{name} = [{', '.join(items)}]"


def apply_snippet(snippet: str, target: str) -> str:
    """Return ``target`` (a module's source) with the Python ``snippet`` applied."""
    try:
        module = ast.parse(snippet)
    except SyntaxError as exc:
        raise QuickStartError(f"the snippet is not Python: {exc}") from exc
    lines = snippet.splitlines()
    result = target.rstrip("\n") + "\n\n"
    for statement in module.body:
        extension = None
        if isinstance(statement, ast.Assign):
            extension = _extension(statement, snippet, result)
        # Whole lines, so that a statement keeps its comments.
        text = extension or "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
        if extension is None and any(_is_ellipsis(n) for n in ast.walk(statement)):
            raise QuickStartError(f"line {statement.lineno}: ... outside a list to extend")
        result += f"{text}\n"
    return result


def apply_block(block: Block, project_dir: Path) -> Path:
    """Apply a settings, urls, asgi, apply or file block to the project; return the file."""
    if block.kind == "file":
        path = project_dir / str(block.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.text)
        return path
    path = project_dir / (block.path or f"mysite/{TARGETS[block.kind]}")
    path.write_text(apply_snippet(block.text, path.read_text()))
    return path
