"""Two people in real Chromium edit one mindmap through a live uvicorn server."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from moa_testsupport.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, require_chromium
from moa_testsupport.mindmap_page import drag_node

from .live import Server, Session, migrate, server_env


def node_texts(page: Any) -> list[str]:
    return sorted(
        page.eval_on_selector_all(
            ".mm-node text:first-of-type", "els => els.map(e => e.textContent)"
        )
    )


def node_position(page: Any, text: str) -> tuple[float, float]:
    return tuple(
        page.evaluate(  # type: ignore[return-value]
            """text => { const n = [...window.moaMindmap.state.nodes.values()]
                       .find(n => n.text === text); return [n.x, n.y]; }""",
            text,
        )
    )


def test_two_browsers_edit_one_mindmap_across_a_restart(tmp_path: Path) -> None:
    """Each sees the other's node, move and text edit; a restart loses nothing."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    env = server_env(tmp_path)
    migrate(env)
    server = Server(env)
    server.start()
    try:
        owner = Session(server.url, "alice")
        mindmap_id = owner.get_json("/make/Roadmap/")["id"]
        owner.get_json(f"/share/{mindmap_id}/bob/")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            pages = {}
            for name in ("alice", "bob"):
                context = browser.new_context(viewport={"width": 1100, "height": 700})
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                page.goto(f"{server.url}/login/{name}/")
                page.goto(f"{server.url}/mindmap/{mindmap_id}/")
                expect(page.locator("[data-role=status]")).to_have_text("Connected")
                pages[name] = page
            alice, bob = pages["alice"], pages["bob"]

            # Alice creates a node and names it; Bob sees it.
            alice.locator("[data-role=canvas]").dblclick(position={"x": 200, "y": 200})
            alice.locator("input.mm-edit").fill("Launch")
            alice.locator("input.mm-edit").press("Enter")
            expect(bob.locator(".mm-node", has_text="Launch")).to_be_visible()

            # Bob adds a child with the toolbar and names it; Alice sees it.
            bob.locator(".mm-node", has_text="Launch").click()
            bob.locator("button[data-action=add-child]").click()
            bob.locator("input.mm-edit").fill("Budget")
            bob.locator("input.mm-edit").press("Enter")
            expect(alice.locator(".mm-node", has_text="Budget")).to_be_visible()

            # Bob drags "Launch"; Alice sees the new position.
            bob.wait_for_function("() => window.moaMindmap.state.pending.size === 0")
            drag_node(bob, "Launch", 150, 100)
            alice.wait_for_function(
                """() => [...window.moaMindmap.state.nodes.values()]
                     .some(n => n.text === 'Launch' && n.x >= 340 && n.y >= 280)"""
            )
            assert node_position(alice, "Launch") == node_position(bob, "Launch")

            # Alice sees Bob's cursor with his name.
            bob.mouse.move(500, 400)
            bob.mouse.move(520, 420)
            expect(alice.locator(".mm-cursor text", has_text="bob")).to_be_visible()

            # Bob's cursor frames redraw only the cursor layer: the node under Alice's
            # pointer stays the same element, so her double-click is one gesture even
            # while Bob's cursor streams in.
            budget = alice.locator(".mm-node", has_text="Budget").element_handle()
            before = alice.locator(".mm-cursor").get_attribute("transform")
            for step in range(1, 6):
                bob.wait_for_timeout(60)  # one cursor frame per 50 ms at most
                bob.mouse.move(520 + 10 * step, 420 + 10 * step)
            alice.wait_for_function(
                "before => document.querySelector('.mm-cursor')"
                ".getAttribute('transform') !== before",
                arg=before,
            )
            assert budget.evaluate("node => node.isConnected")

            # Alice edits the text in place; Bob sees it, in the same element (a redraw
            # updates nodes in place, so whatever Bob is pointing at stays put).
            bobs_budget = bob.locator(".mm-node", has_text="Budget").element_handle()
            alice.locator(".mm-node", has_text="Budget").dblclick()
            alice.locator("input.mm-edit").fill("Budget 2026")
            alice.locator("input.mm-edit").press("Enter")
            expect(bob.locator(".mm-node", has_text="Budget 2026")).to_be_visible()
            assert bobs_budget.evaluate("node => node.isConnected")
            assert bobs_budget.evaluate("node => node.textContent") == "Budget 2026"

            # Alice connects the two nodes; Bob sees the edge.
            alice.locator(".mm-node", has_text="Launch").click()
            alice.locator("button[data-action=connect]").click()
            alice.locator(".mm-node", has_text="Budget 2026").click()
            expect(bob.locator(".mm-edge")).to_have_count(1)
            results = Path(os.environ.get("MOA_RESULTS_DIR") or tmp_path)
            results.mkdir(parents=True, exist_ok=True)
            alice.screenshot(path=str(results / "mindmap-editor.png"))

            # The server restarts; meanwhile Bob renames a node offline.
            server.stop()
            expect(bob.locator("[data-role=status]")).not_to_have_text("Connected")
            bob.locator(".mm-node", has_text="Launch").dblclick()
            bob.locator("input.mm-edit").fill("Launch v2")
            bob.locator("input.mm-edit").press("Enter")
            server.start()
            for page in (alice, bob):
                expect(page.locator("[data-role=status]")).to_have_text("Connected", timeout=40_000)
            expect(alice.locator(".mm-node", has_text="Launch v2")).to_be_visible()
            bob.wait_for_function("() => window.moaMindmap.state.pending.size === 0")

            # Alice deletes the child; both converge on what the server holds.
            alice.locator(".mm-node", has_text="Budget 2026").click()
            alice.keyboard.press("Delete")
            for page in (alice, bob):
                expect(page.locator(".mm-node")).to_have_count(1)
                expect(page.locator(".mm-edge")).to_have_count(0)
            for page in (alice, bob):
                assert node_texts(page) == ["Launch v2"]
            with sqlite3.connect(env["MOA_MINDMAP_TEST_SQLITE_FILE"]) as db:
                [(stored_seq,)] = db.execute(
                    "SELECT seq FROM moa_mindmap_mindmap WHERE id = ?", (mindmap_id,)
                ).fetchall()
                stored_texts = [
                    row[0]
                    for row in db.execute(
                        "SELECT text FROM moa_mindmap_node WHERE mindmap_id = ?", (mindmap_id,)
                    )
                ]
            assert stored_texts == ["Launch v2"]
            seqs = {page.evaluate("window.moaMindmap.state.seq") for page in (alice, bob)}
            assert seqs == {stored_seq}

            browser.close()
    finally:
        server.stop()
