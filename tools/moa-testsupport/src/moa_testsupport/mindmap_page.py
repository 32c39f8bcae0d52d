"""What a person does on moa-mindmap's editor page, for Playwright tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def node_box(page: Page, text: str) -> dict[str, float]:
    """The on-screen box of the node labelled ``text``, read in one step.

    A peer's edit may replace elements between two Playwright calls, so a
    locator resolved in one call can be detached by the next; reading the box
    inside the page avoids that race.
    """
    handle = page.wait_for_function(
        """text => { const g = [...document.querySelectorAll('.mm-node')]
                      .find(g => g.querySelector('text').textContent === text);
                    if (!g) { return null; }
                    const r = g.getBoundingClientRect();
                    return r.width > 0 ? {x: r.x, y: r.y, width: r.width, height: r.height}
                                       : null; }""",
        arg=text,
    )
    box: dict[str, float] = handle.json_value()
    return box


def drag_node(page: Page, text: str, dx: float, dy: float, steps: int = 10) -> None:
    """Press on the node labelled ``text``, move by (``dx``, ``dy``) in steps, release."""
    box = node_box(page, text)
    x, y = box["x"] + 20, box["y"] + 10
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, steps + 1):
        page.mouse.move(x + dx * step / steps, y + dy * step / steps)
    page.mouse.up()


def name_node(page: Page, text: str) -> None:
    """Type ``text`` into the open node editor and confirm with Enter."""
    page.locator("input.mm-edit").fill(text)
    page.locator("input.mm-edit").press("Enter")


def map_shape(page: Page) -> dict[str, list[list[str | None]]]:
    """The map as the editor holds it, by text: ``(text, parent's text)`` and edges.

    Ids are left out, so a node recreated by an undo compares equal to the original.
    """
    shape: dict[str, list[list[str | None]]] = page.evaluate(
        """() => { const s = window.moaMindmap.state;
             const text = id => s.nodes.get(id)?.text ?? null;
             const nodes = [...s.nodes.values()].map(n => [n.text, text(n.parent)]);
             const edges = [...s.edges.values()].map(e => [text(e.source), text(e.target)]);
             return { nodes: nodes.sort(), edges: edges.sort() }; }"""
    )
    return shape


def node_boxes(page: Page) -> list[dict[str, dict[str, float] | None]]:
    """Each node's on-screen boxes: its frame (``rect``), its ``text``, its fold ``toggle``."""
    boxes: list[dict[str, dict[str, float] | None]] = page.evaluate(
        """() => [...document.querySelectorAll('.mm-node')].map(g => {
             const box = e => { if (!e) { return null; } const r = e.getBoundingClientRect();
               return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                       width: r.width}; };
             return {rect: box(g.querySelector('rect')), text: box(g.querySelector('text')),
                     toggle: box(g.querySelector('.mm-toggle circle'))}; })"""
    )
    return boxes
