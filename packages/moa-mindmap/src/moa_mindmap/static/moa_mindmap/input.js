/* Keyboard, mouse and toolbar: events in, editor commands out.
 *
 * Keyboard-first: with the canvas focused, Tab adds a child, Enter a sibling, the arrows
 * walk the tree (left: parent, right: first child, up and down: siblings), F2 or typing
 * edits, Delete deletes, Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z or Ctrl+Y redoes, Space folds,
 * Escape cancels. With nothing selected, Tab leaves the canvas as usual.
 */

const DRAG_SEND_MS = 80;

export function bindInput(editor) {
  const { view, root } = editor;
  const svg = view.svg;
  let drag = null, pan = null, lastCursorAt = 0;

  function nodeIdOf(target) {
    const g = target && target.closest && target.closest(".mm-node");
    return g ? Number(g.dataset.id) : null;
  }

  svg.addEventListener("pointerdown", (event) => {
    const toggle = event.target.closest && event.target.closest(".mm-toggle");
    if (toggle) { editor.toggleCollapsed(Number(toggle.dataset.toggle)); return; }
    const edgeEl = event.target.closest && event.target.closest(".mm-edge");
    if (edgeEl) { view.select(null, Number(edgeEl.dataset.edge)); return; }
    const id = nodeIdOf(event.target);
    const point = view.toMap(event);
    if (id !== null) {
      if (editor.connectTo(id)) { return; }
      view.select(id);
      const node = editor.replica.nodes.get(id);
      drag = { id, dx: point.x - node.x, dy: point.y - node.y, x: node.x, y: node.y, moved: false };
      svg.setPointerCapture(event.pointerId);
    } else {
      editor.cancel();
      view.select(null);
      pan = { x: event.clientX - view.transform.x, y: event.clientY - view.transform.y };
      svg.setPointerCapture(event.pointerId);
    }
  });

  svg.addEventListener("pointermove", (event) => {
    const point = view.toMap(event);
    const now = Date.now();
    if (now - lastCursorAt >= editor.config.cursorInterval * 1000) {
      lastCursorAt = now;
      editor.replica.send({ type: "cursor", x: Math.round(point.x), y: Math.round(point.y) });
    }
    if (drag) {
      drag.x = point.x - drag.dx;
      drag.y = point.y - drag.dy;
      if (!drag.moved) { drag.moved = true; editor.dragStart(drag.id); }
      editor.dragTo(drag.id, drag.x, drag.y, DRAG_SEND_MS);
    } else if (pan) {
      view.transform.x = event.clientX - pan.x;
      view.transform.y = event.clientY - pan.y;
      view.invalidate({});
    }
  });

  function endPointer() {
    if (drag && drag.moved) { editor.dragEnd(drag.id, drag.x, drag.y); }
    drag = null;
    pan = null;
  }
  svg.addEventListener("pointerup", endPointer);
  svg.addEventListener("pointercancel", endPointer);

  svg.addEventListener("dblclick", (event) => {
    // Hit-test the point: the event may target the canvas if a redraw came in between.
    const id = nodeIdOf(document.elementFromPoint(event.clientX, event.clientY));
    if (id !== null) { editor.startEditing(id); return; }
    const point = view.toMap(event);
    editor.createRoot(Math.round(point.x), Math.round(point.y));
  });

  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const box = svg.getBoundingClientRect(), v = view.transform;
    const scale = Math.min(4, Math.max(0.2, v.scale * (event.deltaY < 0 ? 1.1 : 1 / 1.1)));
    const px = event.clientX - box.left, py = event.clientY - box.top;
    v.x = px - (px - v.x) * (scale / v.scale);
    v.y = py - (py - v.y) * (scale / v.scale);
    v.scale = scale;
    view.invalidate({});
  }, { passive: false });

  root.querySelector(".mm-toolbar").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) { editor.perform(button.dataset.action, button.dataset.color); }
  });

  svg.addEventListener("keydown", (event) => {
    if (event.target !== svg) { return; }
    const ctrl = event.ctrlKey || event.metaKey;
    const key = event.key;
    const command = ctrl
      ? { z: event.shiftKey ? "redo" : "undo", Z: "redo", y: "redo" }[key]
      : {
        Tab: event.shiftKey ? null : "add-child", Enter: "enter", F2: "edit", Delete: "delete",
        Backspace: "delete", " ": "collapse", Escape: "escape", ArrowLeft: "go-parent",
        ArrowRight: "go-child", ArrowUp: "go-previous", ArrowDown: "go-next",
      }[key];
    if (command) {
      if (command === "add-child" && view.selected === null) { return; }  // Tab leaves
      event.preventDefault();
      editor.perform(command);
    } else if (!ctrl && !event.altKey && key.length === 1 && view.selected !== null) {
      event.preventDefault();
      editor.startEditing(view.selected, key);  // typing replaces the text
    }
  });
}
