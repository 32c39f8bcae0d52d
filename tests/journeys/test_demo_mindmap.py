"""Two team members edit their team's mindmap in two browsers and see each other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import expect
from steps import DEMO_PASSWORD, log_in

from moa_testsupport.browser import person, screenshot
from moa_testsupport.mindmap_page import drag_node, name_node, node_box

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from sites import Site


# Each node's label: its first text element (the collapse button has one too).
NODE_LABELS = "nodes => nodes.map(g => g.querySelector('text').textContent)"


def open_team_mindmap(page: Page, demo: Site, username: str, team: str) -> None:
    """Log in, find the team on the team list and open its mindmap."""
    log_in(page, demo, username, DEMO_PASSWORD)
    page.get_by_role("link", name="Teams").first.click()
    page.get_by_role("row").filter(has_text=team).get_by_role("link", name="Mindmap").click()
    expect(page.locator("[data-role=status]")).to_have_text("Connected")


def test_two_members_see_each_others_edits(browser: Browser, demo: Site) -> None:
    """Create, edit, drag, connect and delete each reach the other member's browser."""
    with person(browser) as (minji, minji_problems), person(browser) as (jun, jun_problems):
        open_team_mindmap(minji, demo, "minji", "Design")
        open_team_mindmap(jun, demo, "jun", "Design")

        # Create: Minji double-clicks the canvas and names the node.
        minji.locator("[data-role=canvas]").dblclick(position={"x": 220, "y": 200})
        name_node(minji, "Launch")
        expect(jun.locator(".mm-node", has_text="Launch")).to_be_visible()

        # Jun adds a child with the toolbar; Minji sees it.
        jun.locator(".mm-node", has_text="Launch").click()
        jun.locator("button[data-action=add-child]").click()
        name_node(jun, "Budget")
        expect(minji.locator(".mm-node", has_text="Budget")).to_be_visible()

        # Edit: Minji renames Jun's node in place.
        minji.locator(".mm-node", has_text="Budget").dblclick()
        name_node(minji, "Budget 2027")
        expect(jun.locator(".mm-node", has_text="Budget 2027")).to_be_visible()

        # Drag: Jun moves "Launch"; Minji sees it land where Jun dropped it.
        jun.wait_for_function("() => window.moaMindmap.state.pending.size === 0")
        before = node_box(minji, "Launch")
        drag_node(jun, "Launch", 120, 80)
        minji.wait_for_function(
            """before => { const g = [...document.querySelectorAll('.mm-node')]
                 .find(g => g.querySelector('text').textContent === 'Launch');
               const r = g.getBoundingClientRect();
               return r.x >= before.x + 100 && r.y >= before.y + 60; }""",
            arg=before,
        )

        # Connect: Minji adds a connection; Jun sees one more link.
        edges = jun.locator(".mm-edge").count()
        minji.locator("[data-role=canvas]").dblclick(position={"x": 700, "y": 500})
        name_node(minji, "Risks")
        expect(jun.locator(".mm-node", has_text="Risks")).to_be_visible()
        minji.locator(".mm-node", has_text="Risks").click()
        minji.locator("button[data-action=connect]").click()
        minji.locator(".mm-node", has_text="Budget 2027").click()
        expect(jun.locator(".mm-edge")).to_have_count(edges + 1)
        screenshot(minji, "demo-mindmap-minji")
        screenshot(jun, "demo-mindmap-jun")

        # Delete: Jun deletes "Risks"; its node and its connection go for both.
        jun.locator(".mm-node", has_text="Risks").click()
        jun.keyboard.press("Delete")
        for page in (minji, jun):
            expect(page.locator(".mm-node", has_text="Risks")).to_have_count(0)
            expect(page.locator(".mm-edge")).to_have_count(edges)
        texts = [
            sorted(page.locator(".mm-node").evaluate_all(NODE_LABELS)) for page in (minji, jun)
        ]
        assert texts[0] == texts[1] == ["Budget 2027", "Launch"]
        minji_problems.assert_none()
        jun_problems.assert_none()
