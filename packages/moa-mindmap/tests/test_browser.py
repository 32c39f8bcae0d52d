"""Two people in real Chromium edit one mindmap through a live uvicorn server."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from moa_testsupport.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    chromium,
    person,
    require_chromium,
    screenshot,
)
from moa_testsupport.mindmap_page import drag_node, map_shape, name_node, node_boxes

from .live import Server, Session, migrate, migrated_env, server_env, sqlite_file


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
            with sqlite3.connect(sqlite_file(tmp_path)) as db:
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


def test_keyboard_text_that_fits_and_undo_of_a_whole_delete(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    """Keys build and walk a map; Korean, emoji and long text fit; undo restores a delete.

    Deleting a node with children and a connection and undoing it brings back the node,
    its children under it and its connection (on main the connection stayed gone and
    the children stayed detached).
    """
    from playwright.sync_api import expect

    server = Server(migrated_env(migrated_sqlite, tmp_path))
    server.start()
    try:
        owner = Session(server.url, "alice")
        mindmap_id = owner.get_json("/make/Keyboard/")["id"]
        with chromium() as browser, person(browser) as (page, problems):
            page.goto(f"{server.url}/login/alice/")
            page.goto(f"{server.url}/mindmap/{mindmap_id}/")
            expect(page.locator("[data-role=status]")).to_have_text("Connected")
            expect(page.locator("html")).to_have_attribute("lang", "en-us")
            expect(page.locator("[data-role=empty]")).to_be_visible()

            # A long status message stays in its box: the map does not move.
            canvas = page.locator("[data-role=canvas]")
            top = canvas.bounding_box()["y"]
            page.evaluate("() => window.moaMindmap.editor.flash('A long message. '.repeat(20))")
            expect(page.locator("[data-role=status]")).to_have_attribute("data-state", "notice")
            assert canvas.bounding_box()["y"] == top

            # A root by double-click, then Tab for a child and Enter for a sibling.
            page.locator("[data-role=canvas]").dblclick(position={"x": 150, "y": 150})
            name_node(page, "루트 A")
            expect(page.locator("[data-role=empty]")).to_be_hidden()
            page.keyboard.press("Tab")
            name_node(page, "하위 노드 하나")
            page.keyboard.press("Enter")
            name_node(page, "Emoji 🎉👩‍👩‍👧‍👦 and more")
            expect(page.locator(".mm-node")).to_have_count(3)
            page.wait_for_function("() => window.moaMindmap.state.pending.size === 0")

            # Arrows walk the tree; the selection is what a screen reader is told.
            selected = page.locator("[role=treeitem][aria-selected=true]")
            expect(selected).to_have_attribute("aria-label", "Emoji 🎉👩‍👩‍👧‍👦 and more")
            page.keyboard.press("ArrowUp")
            expect(selected).to_have_attribute("aria-label", "하위 노드 하나")
            page.keyboard.press("ArrowLeft")
            expect(selected).to_have_attribute("aria-label", "루트 A")
            expect(selected).to_have_attribute("aria-expanded", "true")
            page.keyboard.press("ArrowRight")
            expect(selected).to_have_attribute("aria-level", "2")

            # F2 edits; Escape leaves the text as it was; typing replaces it.
            page.keyboard.press("F2")
            page.locator("input.mm-edit").fill("never saved")
            page.locator("input.mm-edit").press("Escape")
            expect(page.locator("input.mm-edit")).to_have_count(0)
            page.locator("[data-role=canvas]").focus()
            page.keyboard.press("ArrowDown")
            page.keyboard.type("E")
            expect(page.locator("input.mm-edit")).to_have_value("E")
            name_node(page, "Emoji 🎉👩‍👩‍👧‍👦 " + "긴 한국어 문장과 글자 " * 12)

            # Near the limit the field says how many characters are left.
            page.locator(".mm-node", has_text="하위 노드 하나").dblclick()
            page.locator("input.mm-edit").fill("가" * 480)
            expect(page.locator(".mm-edit-count")).to_have_text("20 characters left")
            page.locator("input.mm-edit").press("Escape")

            # Every node's box holds its text, and the fold button sits outside the text.
            page.wait_for_function("() => window.moaMindmap.state.pending.size === 0")
            for box in node_boxes(page):
                text, rect = box["text"], box["rect"]
                assert rect["left"] <= text["left"], box
                assert text["right"] <= rect["right"], box
                assert rect["top"] <= text["top"], box
                assert text["bottom"] <= rect["bottom"], box
                assert rect["width"] < 320, box
                if box["toggle"]:
                    assert box["toggle"]["left"] >= text["right"], box
            screenshot(page, "mindmap-korean-text")

            # Connect the root to the emoji node, then delete the root and undo.
            page.locator(".mm-node", has_text="루트 A").click()
            page.locator("button[data-action=connect]").click()
            page.locator(".mm-node", has_text="Emoji").click()
            expect(page.locator(".mm-edge")).to_have_count(1)
            page.wait_for_function("() => window.moaMindmap.state.pending.size === 0")
            before = map_shape(page)
            page.locator(".mm-node", has_text="루트 A").click()
            page.keyboard.press("Delete")
            expect(page.locator(".mm-node")).to_have_count(2)
            expect(page.locator(".mm-edge")).to_have_count(0)
            page.keyboard.press("Control+z")
            expect(page.locator(".mm-edge")).to_have_count(1)
            page.wait_for_function("() => window.moaMindmap.state.pending.size === 0")
            assert map_shape(page) == before
            page.locator("[data-role=canvas]").focus()
            page.keyboard.press("Control+Shift+z")
            expect(page.locator(".mm-node")).to_have_count(2)
            page.keyboard.press("Control+z")
            expect(page.locator(".mm-edge")).to_have_count(1)
            page.wait_for_function("() => window.moaMindmap.state.pending.size === 0")
            assert map_shape(page) == before
            problems.assert_none()
        assert owner.get_json(f"/nodes/{mindmap_id}/")["texts"] == sorted(
            text for text, _ in before["nodes"]
        )
    finally:
        server.stop()


def test_the_editor_page_speaks_the_active_language(
    client: Any, mindmap: Any, users: dict[str, Any], settings: Any
) -> None:
    """In Korean the page says so in ``lang`` and every string the editor shows is Korean."""
    settings.LANGUAGE_CODE = "ko"
    client.force_login(users["alice"])
    page = client.get(mindmap.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="ko">' in html
    assert "하위 추가" in html  # the toolbar's "Add child"
    strings = page.context["editor_config"]["strings"]
    assert strings["connected"] == "연결됨"
    assert strings["refusals"]["4403"] == "여기서는 이 마인드맵을 열 수 없습니다."
    assert strings["charactersLeft"] == "%(count)s자 남음"
    texts = [
        value
        for value in (*strings.values(), *strings["refusals"].values(), *strings["errors"].values())
        if isinstance(value, str)
    ]
    assert all(not text.isascii() for text in texts), texts
