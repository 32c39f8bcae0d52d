"""moa-mindmap's editor in Chromium at 1,000 nodes: drag frame time and time to first render.

The subject is the editor in ``packages/moa-mindmap/src/moa_mindmap/static/moa_mindmap/``;
the baseline is main's editor before the ES-module rewrite, kept as
``benchmarks/editor_baseline/editor_main.js``. Both load the same 1,000-node map (a forest of
ten trees, 50 connections) from an in-page WebSocket stand-in that answers like the server
(a snapshot, then an ``applied`` frame per op), so only the browser's work is measured.
Pages come from a static server on 127.0.0.1; each round loads the baseline and the subject
in turn (the order alternates), and the figures are medians over rounds with the spread of
the per-round ratio.

Time to first render runs from navigation to the first frame showing all 1,000 nodes
(fetching the scripts included); "snapshot to first render" leaves the fetching out.
A drag frame's time is the work of one animation frame while a node is dragged: every
``requestAnimationFrame`` callback of that frame plus the style and layout it leaves
(forced right after it), measured in the page with ``performance.now()``. Paint is not
included.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STATIC = ROOT / "packages" / "moa-mindmap" / "src" / "moa_mindmap" / "static" / "moa_mindmap"
BASELINE = HERE / "editor_baseline" / "editor_main.js"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
NODES = 1000
DRAG_STEPS = 60

# Times every animation-frame callback (and the style/layout it leaves to do), and
# answers the editor's socket like the server: a snapshot, then `applied` per op.
INIT_SCRIPT = """
(() => {
  const frames = [], raf = window.requestAnimationFrame.bind(window);
  let frameTime = null;
  window.requestAnimationFrame = (callback) => raf((time) => {
    const start = performance.now();
    try { callback(time); } finally {
      document.body.getBoundingClientRect();  // the style and layout the callback left
      const spent = performance.now() - start;
      if (time === frameTime) { frames[frames.length - 1] += spent; }
      else { frameTime = time; frames.push(spent); }
    }
  });
  window.__bench = { frames, firstRender: null, snapshotAt: null };
  const watch = () => {
    if (document.querySelectorAll('.mm-node').length >= %(nodes)d) {
      window.__bench.firstRender = performance.now();
    } else { raf(watch); }
  };
  raf(watch);
  const MAP = %(map)s;
  class FakeSocket {
    constructor() {
      this.readyState = 0; this.nodes = new Map(MAP.nodes.map(n => [n.id, {...n}])); this.seq = 1;
      setTimeout(() => {
        this.readyState = 1; this.onopen && this.onopen({});
        window.__bench.snapshotAt = performance.now();
        this.deliver({type: 'snapshot', seq: 1, nodes: [...this.nodes.values()], edges: MAP.edges,
                      you: {session: 'bench'}, present: []});
      }, 0);
    }
    deliver(frame) { this.onmessage && this.onmessage({data: JSON.stringify(frame)}); }
    send(text) {
      const frame = JSON.parse(text);
      if (frame.type !== 'op') { return; }
      const node = this.nodes.get(frame.node);
      if (node) { Object.assign(node, {x: frame.x ?? node.x, y: frame.y ?? node.y,
                                       version: node.version + 1}); }
      this.seq += 1;
      const applied = {type: 'applied', seq: this.seq, id: frame.id, op: frame.op, by: 1,
        nodes: node ? [{...node}] : [], edges: [], deleted_nodes: [], deleted_edges: []};
      setTimeout(() => this.deliver(applied), 1);
    }
    close() {}
  }
  FakeSocket.OPEN = 1;
  window.WebSocket = FakeSocket;
})();
"""

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/mindmap.css"></head><body>
<div class="mm-editor" id="mm-editor">
  <header class="mm-toolbar"><span data-role="colors"></span>
    <span class="mm-people" data-role="people"></span>
    <span class="mm-status" data-role="status">Connecting…</span></header>
  <div class="mm-stage">
  <svg class="mm-canvas" data-role="canvas" tabindex="0" xmlns="http://www.w3.org/2000/svg">
    <g data-role="viewport"><g data-role="links"></g><g data-role="nodes"></g>
    <g data-role="cursors"></g></g></svg>
  <p class="mm-empty" data-role="empty" hidden></p></div>
</div>
<script type="application/json" id="mm-config">%(config)s</script>
%(script)s
</body></html>"""

EDITORS = {
    "main": '<script src="/baseline/editor_main.js" defer></script>',
    "modules": "".join(
        f'<link rel="modulepreload" href="/static/{name}.js">'
        for name in ("replica", "layout", "view", "input", "connection")
    )
    + '<script type="module" src="/static/editor.js"></script>',
}


def thousand_nodes() -> dict[str, Any]:
    """Ten trees of 100 nodes (children fan out by three), laid out left to right, 50 edges."""
    nodes: list[dict[str, Any]] = []
    for tree in range(10):
        base = tree * 100 + 1
        for i in range(100):
            depth = 0 if i == 0 else 1 if i <= 3 else 2 if i <= 12 else 3 if i <= 39 else 4
            nodes.append(
                {
                    "id": base + i,
                    "parent": None if i == 0 else base + (i - 1) // 3,
                    "text": f"Idea {tree}.{i} with a few words",
                    "x": 40 + depth * 230 + (tree % 2) * 1200,
                    "y": 20 + (tree // 2) * 900 + (i % 40) * 22,
                    "color": "#ffffff",
                    "collapsed": False,
                    "order": f"a{i:03d}",
                    "version": 1,
                }
            )
    edges = [
        {"id": k + 1, "source": 1 + k * 7, "target": 1 + (k * 7 + 350) % NODES, "label": ""}
        for k in range(50)
    ]
    return {"nodes": nodes, "edges": edges}


def editor_strings() -> dict[str, Any]:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            USE_I18N=False,
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "moa_mindmap"],
        )
        django.setup()
    from moa_mindmap.views import editor_strings as strings

    return strings()


def site(folder: Path) -> None:
    """Lay out the pages and both editors under ``folder``."""
    shutil.copytree(STATIC, folder / "static")
    (folder / "baseline").mkdir()
    shutil.copy(BASELINE, folder / "baseline" / "editor_main.js")
    config = {
        "mindmapId": 1,
        "protocol": 1,
        "socketPath": "/ws/mindmap/1/",
        "canEdit": True,
        "maxTextLength": 500,
        "cursorInterval": 0.05,
        "heartbeatInterval": 20,
        "strings": editor_strings(),
    }
    for name, script in EDITORS.items():
        (folder / f"{name}.html").write_text(
            PAGE % {"config": json.dumps(config).replace("<", "\\u003c"), "script": script}
        )


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(browser: Any, url: str, init: str, shot: str | None) -> dict[str, float]:
    from moa_testsupport.browser import person, screenshot

    with person(browser) as (page, problems):
        page.add_init_script(init)
        page.goto(url)
        page.wait_for_function("() => window.__bench.firstRender !== null", polling=50)
        page.wait_for_timeout(300)
        first_render, snapshot_at = page.evaluate(
            "() => [window.__bench.firstRender, window.__bench.snapshotAt]"
        )
        box = page.evaluate(
            """() => { const r = document.querySelector('.mm-node[data-id="5"]')
                         .getBoundingClientRect(); return {x: r.x + 20, y: r.y + 10}; }"""
        )
        page.evaluate("() => { window.__bench.frames.length = 0; }")
        page.mouse.move(box["x"], box["y"])
        page.mouse.down()
        for step in range(1, DRAG_STEPS + 1):
            page.mouse.move(box["x"] + 4 * step, box["y"] + 2 * step)
        page.mouse.up()
        page.wait_for_timeout(300)
        frames = page.evaluate("() => window.__bench.frames.slice()")
        if shot:
            page.mouse.move(550, 380)
            for _ in range(8):  # zoom out to show the whole map
                page.mouse.wheel(0, 100)
                page.wait_for_timeout(50)
            page.wait_for_timeout(200)
            screenshot(page, shot)
        problems.assert_none()
    return {
        "first_render_ms": first_render,
        "snapshot_to_render_ms": first_render - snapshot_at,
        "p50_ms": percentile(frames, 0.5),
        "p95_ms": percentile(frames, 0.95),
        "frames": len(frames),
    }


def cv(values: list[float]) -> float:
    mean = statistics.mean(values)
    return 100 * statistics.pstdev(values) / mean if mean else 0.0


def main() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        print(json.dumps({"name": "editor", "skipped": "playwright is not installed"}))
        return
    if not Path("/usr/bin/chromium").exists():
        print(json.dumps({"name": "editor", "skipped": "Chromium is not installed"}))
        return
    from moa_testsupport.browser import chromium

    init = INIT_SCRIPT % {"nodes": NODES, "map": json.dumps(thousand_nodes())}
    rounds: list[dict[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        site(folder)
        server, base = serve(folder)
        try:
            with chromium() as browser:
                for number in range(ROUNDS):
                    order = list(EDITORS) if number % 2 == 0 else list(reversed(EDITORS))
                    results = {}
                    for name in order:
                        shot = "mindmap-1000-nodes" if name == "modules" and number == 0 else None
                        results[name] = measure(browser, f"{base}/{name}.html", init, shot)
                    rounds.append(results)
        finally:
            server.shutdown()
    rows = []
    for key, what, goal in (
        ("p50_ms", "drag frame time p50, 1,000 nodes", ""),
        ("p95_ms", "drag frame time p95, 1,000 nodes", "< 16 ms"),
        ("first_render_ms", "time to first render from navigation, 1,000 nodes", ""),
        ("snapshot_to_render_ms", "snapshot received to first render, 1,000 nodes", ""),
    ):
        ours = [r["modules"][key] for r in rounds]
        main_editor = [r["main"][key] for r in rounds]
        ratios = [o / m for o, m in zip(ours, main_editor, strict=True) if m]
        rows.append(
            {
                "what": what + " (ratio: ours / main's, lower is better)",
                "unit": "ms",
                "value": statistics.median(ours),
                "baseline": statistics.median(main_editor),
                "baseline_what": "main's editor.js",
                "ratio": statistics.median(ratios),
                "spread": {"min": min(ratios), "max": max(ratios), "cv_pct": cv(ratios)},
                "goal": goal,
            }
        )
    print(
        json.dumps(
            {
                "name": "editor",
                "setup": f"headless Chromium, {NODES} nodes and 50 edges, a {DRAG_STEPS}-step "
                f"drag, {ROUNDS} rounds alternating main's editor and the ES modules",
                "rows": rows,
                "raw": {"rounds": rounds},
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
